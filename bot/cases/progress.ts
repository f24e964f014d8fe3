import { z } from 'zod';
import { esc, mention, stepName } from '../blocks/case-text.js';
import { CASE_ID_RE } from '../core/ids.js';
import { logger } from '../core/logger.js';
import type { CaseRecord, CaseStatus } from '../core/case-model.js';
import { canTransition } from '../core/case-model.js';
import { postInThread, refreshCard } from './notify.js';
import { caseOfExecution, endRelease, getCase, transition, updateCase } from '../core/case-store.js';

/**
 * "Step Functions Execution Status Change" events -> case record, root card, thread. The execution
 * name says whose it is: the case id (case workflow) or `<caseId>-release-<n>` (release workflow).
 * Anything else is not ours and is ignored with a log line.
 */

export const ExecutionStatusChangeSchema = z.looseObject({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  source: z.literal('aws.states'),
  detail: z.looseObject({
    executionArn: z.string(),
    stateMachineArn: z.string().optional(),
    name: z.string(),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    startDate: z.number().nullish(),
    stopDate: z.number().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.infer<typeof ExecutionStatusChangeSchema>;

const RELEASE_NAME_RE = new RegExp(`^(${CASE_ID_RE.source.slice(1, -1)})-release-(\\d{1,4})$`);

/** Which case and workflow an execution name belongs to, or undefined when not ours. */
export function parseExecutionName(name: string): { caseId: string; kind: 'case' | 'release' } | undefined {
  if (CASE_ID_RE.test(name)) return { caseId: name, kind: 'case' };
  const m = RELEASE_NAME_RE.exec(name);
  return m?.[1] ? { caseId: m[1], kind: 'release' } : undefined;
}

/** Step Functions' own error names, in words. */
const ERROR_WORDS: Record<string, string> = {
  'States.Timeout': 'timed out',
  'States.TaskFailed': 'the task failed',
  'States.Permissions': 'missing permissions',
  'States.Runtime': 'a workflow runtime error',
  ApprovalDenied: 'containment denied',
  ApprovalExpired: 'approval expired',
};

/** Plain words for an error name: `SsmAgentOfflineError` -> "ssm agent offline". */
export function errorWords(error: string): string {
  return (
    ERROR_WORDS[error] ?? stepName(error.replace(/Error$/, '').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2'))
  );
}

/** The `cause` of a Lambda failure is JSON (`{errorType, errorMessage}`); take the message. */
function causeWords(cause?: string | null): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; Cause?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text cause
  }
  return cause.slice(0, 300);
}

/** What was already done, from the timeline: "contained", "memory acquired", … */
export function doneSummary(record: CaseRecord): string {
  const done = [
    ...new Set(record.steps.filter((s) => s.outcome === 'succeeded').map((s) => stepName(s.step))),
  ];
  if (record.status === 'contained' || done.some((s) => /isolat|contain/.test(s))) done.unshift('contained');
  return [...new Set(done)].join(', ');
}

/** "snapshot volumes failed: the workflow timed out. Already done: contained, memory captured". */
export function failureText(record: CaseRecord, detail: ExecutionStatusChange['detail']): string {
  const failedStep = [...record.steps].reverse().find((s) => s.outcome === 'failed');
  const started = [...record.steps]
    .reverse()
    .find(
      (s) =>
        s.outcome === 'started' &&
        !record.steps.some((t) => t.step === s.step && t.outcome !== 'started' && t.at >= s.at),
    );
  const step = failedStep?.step ?? started?.step;
  const why =
    causeWords(detail.cause) ??
    failedStep?.detail ??
    (detail.error ? errorWords(detail.error) : undefined) ??
    (detail.status === 'TIMED_OUT'
      ? 'the workflow timed out'
      : detail.status === 'ABORTED'
        ? 'the workflow was stopped'
        : 'unknown error');
  const what = step
    ? `${stepName(step)} failed: ${why}`
    : `workflow ${detail.status.toLowerCase().replace('_', ' ')}: ${why}`;
  const done = doneSummary(record);
  return done ? `${what}. Already done: ${done}` : what;
}

async function moveTo(
  record: CaseRecord,
  to: CaseStatus,
  extra: Record<string, unknown> = {},
): Promise<CaseRecord> {
  if (record.status === to) return record;
  // A workflow whose steps did not move the status (e.g. open -> evidence-secured) passes through acquiring.
  if (
    !canTransition(record.status, to) &&
    canTransition(record.status, 'acquiring') &&
    canTransition('acquiring', to)
  )
    record = await transition(record.id, 'acquiring');
  if (!canTransition(record.status, to)) return record;
  return transition(record.id, to, extra);
}

/**
 * A case workflow that succeeded ends where its last step (finishCase) put it: evidence secured,
 * evidence incomplete, contained, failed (nothing achieved) or denied. An execution that did not say
 * (its record has no `outcome`) is judged from its artifacts: evidence secured only with evidence in it.
 */
async function finishedCase(record: CaseRecord): Promise<CaseRecord> {
  if (typeof record.outcome === 'string' || record.status === 'denied') return record;
  const evidence = record.artifacts.some((a) => a.kind === 'memory' || a.kind === 'disk-snapshot');
  if (evidence) return moveTo(record, 'evidence-secured');
  return record.status === 'containing' ? moveTo(record, 'contained') : record;
}

const FINISHED_EMOJI: Partial<Record<CaseStatus, string>> = {
  'evidence-secured': ':white_check_mark:',
  'evidence-incomplete': ':warning:',
  contained: ':lock:',
  failed: ':x:',
  denied: ':stop_sign:',
};

/** The closing line of a case workflow that succeeded: the outcome, and the manifest's hash. */
function finishedWords(record: CaseRecord, label: string): string {
  const emoji = FINISHED_EMOJI[record.status] ?? ':information_source:';
  const manifest = record.manifest ? ` Manifest SHA-256 \`${record.manifest.sha256}\`.` : '';
  if (typeof record.outcome === 'string') return `${emoji} ${label} finished: ${record.outcome}.${manifest}`;
  if (record.status === 'denied')
    return `${emoji} ${label} ended without containment (${record.failure === 'expired' ? 'approval expired' : 'denied'}).`;
  const n = record.artifacts.length;
  return record.status === 'evidence-secured'
    ? `${emoji} ${label} finished: evidence secured (${n} artifact${n === 1 ? '' : 's'}).${manifest}`
    : `${emoji} ${label} finished: ${record.status.replace('-', ' ')}, no evidence recorded.${manifest}`;
}

/** Applies one status change to its case. Returns what it did, for logs and tests. */
export async function applyExecutionStatus(event: ExecutionStatusChange): Promise<string> {
  const { detail } = event;
  // A console start under any other name was linked to its case by the workflow's first step.
  const linked = parseExecutionName(detail.name) ? undefined : await caseOfExecution(detail.executionArn);
  const owner =
    parseExecutionName(detail.name) ?? (linked ? { caseId: linked, kind: 'case' as const } : undefined);
  if (!owner) {
    logger.info('Execution is not a case workflow; ignored', { name: detail.name, status: detail.status });
    return 'ignored';
  }
  let record = await getCase(owner.caseId);
  if (!record) {
    logger.info('Execution names an unknown case; ignored', { name: detail.name, status: detail.status });
    return 'ignored';
  }
  if (record.status === 'closed') {
    // Closing stopped the workflow and said so: a closed case's thread gets no more lines.
    logger.info('Execution of a closed case; ignored', { name: detail.name, status: detail.status });
    if (owner.kind === 'release' && detail.status !== 'RUNNING') await endRelease(record.id, detail.name);
    return 'ignored';
  }
  const label = owner.kind === 'release' ? 'Release workflow' : 'Workflow';
  // A release that ended frees the case for the next one (one release execution at a time).
  if (owner.kind === 'release' && detail.status !== 'RUNNING') await endRelease(record.id, detail.name);
  switch (detail.status) {
    case 'RUNNING': {
      if (owner.kind === 'case' && !record.executionArn)
        record = await updateCase(record.id, { executionArn: detail.executionArn });
      await postInThread(record, `:arrow_forward: ${label} started (\`${detail.name}\`).`);
      break;
    }
    case 'SUCCEEDED': {
      if (owner.kind === 'release') {
        record = await moveTo(record, 'released');
        await postInThread(
          record,
          ':unlock: Released: the original network and IAM configuration is restored.',
        );
      } else {
        record = await finishedCase(record);
        await postInThread(record, finishedWords(record, label));
      }
      break;
    }
    case 'FAILED':
    case 'TIMED_OUT':
    case 'ABORTED': {
      if (record.status === 'denied' && owner.kind === 'case') {
        await postInThread(
          record,
          `:stop_sign: ${label} stopped: containment ${record.failure === 'expired' ? 'approval expired' : 'denied'}.`,
        );
        break;
      }
      // The case workflow's failure handler has already said it all in `failure` (which step, the error,
      // what was done); a timeout or a stop never reaches it, so the words come from the timeline.
      const reported = owner.kind === 'case' && record.status === 'failed' && record.failure;
      const failure = reported ? record.failure! : `${failureText(record, detail)}.`;
      if (owner.kind === 'case') record = await moveTo(record, 'failed', { failure });
      else record = await updateCase(record.id, { failure: `release ${failure}` });
      const how = detail.status === 'FAILED' ? 'failed' : detail.status.toLowerCase().replace('_', ' ');
      const sentence = `${failure.charAt(0).toUpperCase()}${failure.slice(1)}`;
      // The failure's words carry instance output and AWS messages: plain text, never markup.
      await postInThread(record, `:x: ${label} ${how}. ${esc(sentence)} ${mention(record.requester)}`);
      break;
    }
    default:
      return 'ignored';
  }
  await refreshCard(record);
  return `${owner.kind}:${detail.status}`;
}
