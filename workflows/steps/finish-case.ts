import { z } from 'zod';
import { requireCase, updateCase } from '../../bot/cases/store.js';
import { describeError } from '../../bot/errors.js';
import { member } from '../aws/member.js';
import { isInstanceGone } from '../errors.js';
import { notifier } from '../notifier.js';
import { failureText, unwrapFailure } from './failure.js';
import { INSTANCE_STATUS, tagInstance } from './instance.js';
import { isolateNetwork } from './isolate-network.js';
import { restrictIam } from './restrict-iam.js';
import { advanceCase, defineStep, scopeOf, TargetInput } from './step.js';

const AcquisitionResult = z.looseObject({
  kind: z.enum(['memory', 'disk']),
  status: z.enum(['succeeded', 'failed', 'skipped']),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
});

/**
 * The last step of a case: the instance's tag says where it stands, the case records how each
 * acquisition ended (a failed memory capture is said, not hidden), and its status moves on.
 */
export const finishCase = defineStep({
  name: 'finishCase',
  label: 'Case workflow finished',
  input: TargetInput.extend({
    outcome: z.enum(['contained', 'analyzed', 'denied']),
    evidence: z.array(AcquisitionResult).default([]),
  }),
  async run(input) {
    const evidence: Record<string, string> = {};
    for (const e of input.evidence)
      evidence[e.kind] = e.status === 'failed' ? `failed: ${failureText(unwrapFailure(e.error))}` : e.status;
    const record = await requireCase(input.caseId);
    const contained = input.outcome === 'contained' || !!(record as { containedAt?: string }).containedAt;
    const tag =
      input.outcome === 'denied'
        ? INSTANCE_STATUS.containmentDenied
        : contained
          ? INSTANCE_STATUS.contained
          : INSTANCE_STATUS.analyzed;
    await tagInstance(member(scopeOf(input)), input.instanceId, tag, input.caseId);
    const secured = record.artifacts.some((a) => a.kind === 'memory' || a.kind === 'disk-snapshot');
    await updateCase(input.caseId, { evidence });
    if (input.outcome !== 'denied') {
      if (secured) await advanceCase(input.caseId, 'evidence-secured');
      else if (contained) await advanceCase(input.caseId, 'contained');
    }
    const failed = Object.entries(evidence).filter(([, v]) => v.startsWith('failed'));
    return { tag, evidence, failed: failed.map(([k, v]) => `${k} ${v}`) };
  },
  report: (out) => ({
    outcome: out.failed.length ? 'failed' : 'succeeded',
    detail: `instance tagged ${out.tag}; ${Object.entries(out.evidence)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`,
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

/**
 * The case workflow's catch-all. It says what failed, and leaves the instance in the safest state the
 * policy allows: when containment was authorized (approved, or not needing approval), it completes the
 * isolation and the deny-all profile, each as far as it goes; otherwise it changes nothing more. The
 * tag says `FailedContained` or `Failed`, the case is `failed` with the reason. It never throws for the
 * AWS side: what it could not do is part of its report.
 */
export const secureAfterFailure = defineStep({
  name: 'secureAfterFailure',
  label: 'Case workflow failed',
  reportFailure: false,
  input: TargetInput.extend({
    failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
    containmentAuthorized: z.boolean().default(false),
  }),
  async run(input) {
    const failure = unwrapFailure(input.failure);
    const notes: string[] = [];
    let secured = false;
    if (input.containmentAuthorized) {
      try {
        await isolateNetwork.run({ ...input, keepEndpoints: false });
        await restrictIam.run({ ...input, mode: 'deny-all' });
        secured = true;
        notes.push('isolation and deny-all profile completed');
      } catch (error) {
        notes.push(`could not complete containment: ${describeError(error)}`);
      }
    }
    try {
      await tagInstance(
        member(scopeOf(input)),
        input.instanceId,
        secured ? INSTANCE_STATUS.failedContained : INSTANCE_STATUS.failed,
        input.caseId,
      );
    } catch (error) {
      notes.push(isInstanceGone(error) ? 'instance gone, not tagged' : `not tagged: ${describeError(error)}`);
    }
    const text = failureText(failure);
    await advanceCase(input.caseId, 'failed', { failure: text }).catch(() => false);
    await notifier()
      .postCaseLine(input.caseId, {
        step: 'Case workflow failed',
        outcome: 'failed',
        detail: [text, ...notes].join('; '),
      })
      .catch(() => undefined);
    return { Error: failure.error, Cause: [text, ...notes].join('; ').slice(0, 30_000), secured };
  },
  report: () => undefined,
});
