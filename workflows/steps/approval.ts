import { z } from 'zod';
import { approvalExpired } from '../../bot/core/approval-expiry.js';
import { requireCase } from '../../bot/core/case-store.js';
import { member } from '../aws/member.js';
import { notifier } from '../notifier.js';
import { INSTANCE_STATUS, tagInstance } from './instance.js';
import { advanceCase, caseIdField, defineStep, scopeOf, TargetInput } from './step.js';

/**
 * The approval gate's task (`.waitForTaskToken`). Round 0 asks (approval card in the commanders
 * channel); later rounds come after the wait timed out: the card is redrawn with the new token (the
 * Slack side keeps one card) and the commanders are reminded. The token is passed to the Slack side,
 * which keeps it in the case record only; it is never returned, logged or posted.
 */
export const awaitApproval = defineStep({
  name: 'awaitApproval',
  label: 'Approval requested',
  input: z.looseObject({
    caseId: caseIdField,
    taskToken: z.string().min(1),
    round: z.number().int().min(0).default(0),
  }),
  async run(input) {
    await notifier().requestApproval({
      caseId: input.caseId,
      taskToken: input.taskToken,
      round: input.round,
    });
    if (input.round > 0) await notifier().remindApproval(input.caseId);
    return { round: input.round };
  },
  // The Slack side posts its own lines (approval card, reminder).
  report: () => undefined,
});

/**
 * After a wait for approval timed out: approved or denied meanwhile (an answer that raced the timeout),
 * expired (past `APPROVAL_EXPIRE_MINUTES` since the request: the Slack side marks it so), or wait again.
 */
export const checkApprovalExpiry = defineStep({
  name: 'checkApprovalExpiry',
  label: 'Approval expiry checked',
  input: z.looseObject({ caseId: caseIdField, round: z.number().int().min(0).default(0) }),
  async run(input): Promise<{ decision: 'approved' | 'denied' | 'expired' | 'waiting'; round: number }> {
    const record = await requireCase(input.caseId);
    const round = input.round + 1;
    if (record.status === 'containing' || record.status === 'contained')
      return { decision: 'approved', round };
    if (record.status === 'denied')
      return { decision: record.failure === 'expired' ? 'expired' : 'denied', round };
    // Measured from the cycle's first request (reminder rounds keep that time), never from this round.
    if (approvalExpired(record)) {
      await notifier().expireApproval(input.caseId);
      // A decision that landed first stands (an incident member takes its incident's decision here).
      const after = await requireCase(input.caseId);
      if (after.status === 'containing' || after.status === 'contained')
        return { decision: 'approved', round };
      if (after.status === 'denied' && after.failure !== 'expired') return { decision: 'denied', round };
      return { decision: 'expired', round };
    }
    return { decision: 'waiting', round };
  },
  report: () => undefined,
});

/** Containment was denied or the request expired: the instance's tag and the case say so. */
export const recordDenial = defineStep({
  name: 'recordDenial',
  label: 'Containment not approved',
  input: TargetInput.extend({ reason: z.string().max(500).default('denied') }),
  async run(input) {
    await tagInstance(
      member(scopeOf(input)),
      input.instanceId,
      INSTANCE_STATUS.containmentDenied,
      input.caseId,
    );
    await advanceCase(input.caseId, 'denied', { failure: input.reason });
    return { reason: input.reason };
  },
  report: (out) => ({
    outcome: 'skipped',
    detail: `containment ${out.reason === 'expired' ? 'request expired' : 'denied'}; the instance was not isolated`,
  }),
});
