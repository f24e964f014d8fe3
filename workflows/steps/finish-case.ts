import { z } from 'zod';
import type { Artifact, CaseStatus } from '../../bot/core/case-model.js';
import { requireCase, updateCase } from '../../bot/core/case-store.js';
import { describeError } from '../../bot/core/errors.js';
import { member } from '../aws/member.js';
import { isInstanceGone } from '../errors.js';
import { notifier } from '../notifier.js';
import { caseFailureText, type Failure, failureText, plainError, unwrapFailure } from './failure.js';
import { INSTANCE_STATUS, STATUS_TAG, tagInstance } from './instance.js';
import { type EniState, type IsolationRecord, isolateNetwork } from './isolate-network.js';
import { restrictIam } from './restrict-iam.js';
import { advanceCase, defineStep, scopeOf, TargetInput } from './step.js';

const AcquisitionResult = z.looseObject({
  kind: z.enum(['memory', 'disk']),
  status: z.enum(['succeeded', 'failed', 'skipped']),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().optional(),
});
type AcquisitionResult = z.infer<typeof AcquisitionResult>;

/** Where a case ends when its workflow finishes, and the words for it. */
export interface CaseOutcome {
  status: Extract<CaseStatus, 'evidence-secured' | 'evidence-incomplete' | 'contained' | 'failed' | 'denied'>;
  /** "contained; evidence incomplete: 1 disk snapshot secured; memory not acquired: …" */
  text: string;
  /** Each planned piece of evidence that is missing, with why. */
  missing: string[];
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "a memory image and 2 disk snapshots", from the artifacts the acquisitions recorded. */
function securedWords(artifacts: Artifact[]): string {
  const memory = artifacts.filter((a) => a.kind === 'memory').length;
  const disk = artifacts.filter((a) => a.kind === 'disk-snapshot').length;
  const parts = [
    ...(memory ? [memory === 1 ? 'a memory image' : plural(memory, 'memory image', 'memory images')] : []),
    ...(disk ? [plural(disk, 'disk snapshot', 'disk snapshots')] : []),
  ];
  return parts.join(' and ');
}

/**
 * The case's outcome from how each acquisition ended. "Evidence secured" only when every acquisition
 * that was planned succeeded; some missing is `evidence-incomplete` (saying which and why); nothing
 * achieved at all (not contained, no evidence) is `failed`; a denial stays `denied`, with what evidence
 * an analysis secured before it.
 */
export function caseOutcome(input: {
  outcome: 'contained' | 'analyzed' | 'denied';
  contained: boolean;
  evidence: AcquisitionResult[];
  artifacts: Artifact[];
  expired?: boolean;
}): CaseOutcome {
  const planned = input.evidence.filter((e) => e.status !== 'skipped');
  const missing = planned
    .filter((e) => e.status === 'failed')
    .map((e) => `${e.kind} not acquired: ${plainError(unwrapFailure(e.error)).replace(/\.+$/, '')}`);
  const secured = securedWords(input.artifacts);
  const containment =
    input.outcome === 'denied'
      ? input.expired
        ? 'not contained (the approval expired)'
        : 'not contained (the commander denied containment)'
      : input.contained
        ? 'contained'
        : 'not contained (a responder can request Contain)';
  if (planned.length === 0)
    return {
      status: input.outcome === 'denied' ? 'denied' : input.contained ? 'contained' : 'failed',
      text: `${containment}; no evidence was acquired`,
      missing,
    };
  const status: CaseOutcome['status'] =
    input.outcome === 'denied'
      ? 'denied'
      : missing.length === 0
        ? 'evidence-secured'
        : !secured && !input.contained
          ? 'failed'
          : 'evidence-incomplete';
  const evidence =
    missing.length === 0
      ? `evidence secured: ${secured || 'nothing to record'}`
      : `${secured ? `evidence incomplete: ${secured} secured` : 'no evidence secured'}; ${missing.join('; ')}`;
  return { status, text: `${containment}; ${evidence}`, missing };
}

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
    const outcome = caseOutcome({
      outcome: input.outcome,
      contained,
      evidence: input.evidence,
      artifacts: record.artifacts,
      expired: record.failure === 'expired',
    });
    await updateCase(input.caseId, {
      evidence,
      outcome: outcome.text,
      // The card and /forensics status show `failure`: what is missing, and why.
      ...(outcome.missing.length && outcome.status !== 'denied'
        ? { failure: outcome.missing.join('; ') }
        : {}),
    });
    if (outcome.status !== 'denied') await advanceCase(input.caseId, outcome.status);
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

const ENI_WORDS: Record<EniState, string> = {
  isolated: 'isolated',
  restored: 'back in its own security groups (the move into isolation failed)',
  unchanged: 'unchanged, in its own security groups',
  'allow-all': 'STILL IN THE ALLOW-ALL GROUP: move it by hand now',
};

/** Each ENI's network state at the end, for the closing line: "network: eni-1 isolated; eni-2 …". */
export function networkWords(isolation: IsolationRecord | undefined): string | undefined {
  const enis = Object.entries(isolation?.enis ?? {});
  if (!enis.length) return undefined;
  return `network: ${enis.map(([id, state]) => `${id} ${ENI_WORDS[state]}`).join('; ')}`;
}

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
    const network = networkWords((await requireCase(input.caseId)).isolation as IsolationRecord | undefined);
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
    await advanceCase(input.caseId, 'failed', { failure: text }).catch(() => false);
    if (attempted)
      await notifier()
        .postCaseLine(input.caseId, {
          step: 'Containment after the failure',
          outcome: secured ? 'succeeded' : 'failed',
          detail: after.join('; '),
        })
        .catch(() => undefined);
    return { Error: failure.error, Cause: text.slice(0, 30_000), secured };
  },
  report: () => undefined,
});
