import { z } from 'zod';
import { recordTriggeredBy, requireCase } from '../../bot/core/case-store.js';
import {
  caseFailureText,
  caseOutcome,
  errorLine,
  type Failure,
  networkWords,
  settleFailure,
  settleOutcome,
  unwrapFailure,
} from '../../bot/core/case-story.js';
import { describeError } from '../../bot/core/errors.js';
import { logger } from '../../bot/core/logger.js';
import { member } from '../aws/member.js';
import { isInstanceGone } from '../errors.js';
import { notifier } from '../notifier.js';
import { withExamination } from './examine-outcome.js';
import { INSTANCE_STATUS, STATUS_TAG, tagInstance } from './instance.js';
import { forensicsSettings } from '../settings.js';
import { isolateNetwork } from './isolate-network.js';
import { restrictIam } from './restrict-iam.js';
import { defineStep, scopeOf, TargetInput } from './step.js';
import { tagPrincipal } from './tag-principal.js';

const AcquisitionResult = z.looseObject({
  kind: z.enum(['memory', 'disk']),
  status: z.enum(['succeeded', 'failed', 'skipped']),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
});

/**
 * The last step of a case: the instance's tag says where it stands, the case records how each
 * acquisition ended and its outcome (a failed memory capture is said, not hidden), and its status moves
 * to that outcome. The thread's closing line (`bot/cases/progress.ts`) says the outcome recorded here.
 */
export const finishCase = defineStep({
  name: 'finishCase',
  label: 'Instance tagged',
  input: TargetInput.extend({
    outcome: z.enum(['contained', 'analyzed', 'denied']),
    evidence: z.array(AcquisitionResult).default([]),
  }),
  async run(input) {
    const evidence: Record<string, string> = {};
    for (const e of input.evidence)
      evidence[e.kind] = e.status === 'failed' ? `failed: ${errorLine(unwrapFailure(e.error))}` : e.status;
    const record = await requireCase(input.caseId);
    const contained = input.outcome === 'contained' || !!record.containedAt;
    const tag =
      input.outcome === 'denied'
        ? INSTANCE_STATUS.containmentDenied
        : contained
          ? INSTANCE_STATUS.contained
          : INSTANCE_STATUS.analyzed;
    await tagInstance(member(scopeOf(input)), input.instanceId, tag, input.caseId);
    // A tag case: who tagged the instance (the tag event names nobody; CloudTrail does, minutes later).
    if (record.trigger === 'tag' && !record.triggeredBy?.arn)
      await recordTriggeredBy(
        input.caseId,
        await tagPrincipal(member(scopeOf(input)), record, forensicsSettings().IR_ROLE_NAME),
      );
    // The examination (issue 12) ran before this step; a failed one leaves the case incomplete.
    const outcome = withExamination(
      caseOutcome({
        outcome: input.outcome,
        contained,
        evidence: input.evidence,
        artifacts: record.artifacts,
        expired: record.failure === 'expired',
      }),
      record,
    );
    await settleOutcome(input.caseId, outcome, evidence);
    return { tag, evidence, status: outcome.status, outcome: outcome.text };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${STATUS_TAG}=${out.tag}; case ${out.status.replace('-', ' ')}`,
  }),
});

/** Analyze under the `notify-only` policy: evidence is secured, containment is left to a person. */
export const skipContainment = defineStep({
  name: 'skipContainment',
  label: 'Containment not requested',
  input: TargetInput,
  async run() {
    return { policy: 'notify-only' };
  },
  report: () => ({
    outcome: 'skipped',
    detail:
      'the policy for analyses is notify-only: the instance was not isolated; a responder can request Contain',
  }),
});

/** Whether a later error repeats the one that failed the workflow (said once, not twice). */
const sameAs = (error: unknown, failure: Failure) =>
  (error as Error)?.name === failure.error && describeError(error) === failure.cause;

/**
 * The case workflow's catch-all. It leaves the instance in the safest state the policy allows: when
 * containment was authorized (approved, or not needing approval), it completes the isolation and the
 * deny-all profile, each as far as it goes; otherwise it changes nothing more. The tag says
 * `FailedContained` or `Failed`; the case is `failed`, its `failure` one paragraph saying which step
 * failed, the error in plain words, what was already done and what this handler did (the thread's
 * closing line says it). It never throws for the AWS side: what it could not do is part of that text.
 */
export const secureAfterFailure = defineStep({
  name: 'secureAfterFailure',
  label: 'Containment after the failure',
  reportFailure: false,
  input: TargetInput.extend({
    failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
    containmentAuthorized: z.boolean().default(false),
  }),
  async run(input) {
    const failure = unwrapFailure(input.failure);
    const record = await requireCase(input.caseId);
    const after: string[] = [];
    let secured = false;
    let attempted = false;
    if (input.containmentAuthorized) {
      attempted = true;
      try {
        await isolateNetwork.run({ ...input, keepEndpoints: false });
        await restrictIam.run({ ...input, mode: 'deny-all' });
        secured = true;
        after.push('after the failure, the isolation and the deny-all profile were completed');
      } catch (error) {
        after.push(
          `containment could not be completed after the failure${sameAs(error, failure) ? ', for the same reason' : `: ${describeError(error)}`}`,
        );
      }
    } else after.push('containment was not authorized, so it was not attempted');
    const network = networkWords((await requireCase(input.caseId)).isolation);
    if (network) after.push(network);
    const tag = secured ? INSTANCE_STATUS.failedContained : INSTANCE_STATUS.failed;
    try {
      await tagInstance(member(scopeOf(input)), input.instanceId, tag, input.caseId);
      after.push(`the instance is tagged ${STATUS_TAG}=${tag}`);
    } catch (error) {
      after.push(
        isInstanceGone(error)
          ? 'the instance is gone, so it was not tagged'
          : sameAs(error, failure)
            ? 'the instance could not be tagged, for the same reason'
            : `the instance could not be tagged: ${describeError(error)}`,
      );
    }
    const text = caseFailureText(record, failure, after);
    await settleFailure(input.caseId, text);
    // The handler's line is a courtesy: the closing line (progress handler) says the same from `failure`.
    if (attempted)
      await notifier()
        .postCaseLine(input.caseId, {
          step: 'Containment after the failure',
          outcome: secured ? 'succeeded' : 'failed',
          detail: after.join('; '),
        })
        .catch((error: unknown) =>
          logger.warn('Could not post the line of the containment after a failure', {
            caseId: input.caseId,
            error,
          }),
        );
    return { Error: failure.error, Cause: text.slice(0, 30_000), secured };
  },
  report: () => undefined,
});
