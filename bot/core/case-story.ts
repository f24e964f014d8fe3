import type { Artifact, CaseRecord, CaseStatus, IsolationRecord, EniState } from './case-model.js';
import { canTransition } from './case-model.js';
import { recordOutcome, requireCase, transition, updateCase } from './case-store.js';
import { CaseConflictError, describeError, ForensicsBotError } from './errors.js';

/**
 * The story of a case's end, told once. Where a case ends when its workflow finishes (the statuses after
 * `containing`/`acquiring`) and every word for outcomes and failures live here: the workflow's last steps
 * (`finishCase`, `secureAfterFailure`) settle the case through it, and the progress handler only reports
 * what was settled, settling itself only what no step could (a timeout, a stop).
 */

// ─── Failures: what Step Functions hands over, in words ──────────────────────────────────────────────

/**
 * An error as Step Functions hands it to a Catch: `{Error, Cause}`, where the cause of a failed child
 * execution (`startExecution.sync`) is the child's description as JSON, whose own `Error`/`Cause` are what
 * happened, and the cause of a Lambda error is `{errorType, errorMessage, …}` as JSON.
 */
export interface Failure {
  error: string;
  cause: string;
}

export function unwrapFailure(input: { Error?: string | null; Cause?: string | null } | undefined): Failure {
  let error = input?.Error ?? 'States.TaskFailed';
  let cause = input?.Cause ?? '';
  for (let depth = 0; depth < 4; depth++) {
    let parsed: Record<string, unknown> | undefined;
    try {
      const value = JSON.parse(cause) as unknown;
      parsed = value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    } catch {
      parsed = undefined; // plain text: the cause is the message
    }
    if (!parsed) break;
    if (typeof parsed.errorType === 'string' || typeof parsed.errorMessage === 'string') {
      error = typeof parsed.errorType === 'string' ? parsed.errorType : error;
      cause = typeof parsed.errorMessage === 'string' ? parsed.errorMessage : '';
      continue;
    }
    if (typeof parsed.Error === 'string' || typeof parsed.error === 'string') {
      error = String(parsed.Error ?? parsed.error);
      cause = String(parsed.Cause ?? parsed.cause ?? '');
      continue;
    }
    break;
  }
  return { error, cause: cause.slice(0, 2000) };
}

/** "SsmAgentOfflineError: The SSM agent of i-… is ConnectionLost" — for the case's evidence record. */
export const errorLine = (f: Failure) => (f.cause ? `${f.error}: ${f.cause}` : f.error);

/** Step Functions' own error names, as the step that met them says them. */
const STATES_WORDS: Record<string, string> = {
  'States.Timeout': 'the step timed out',
  'States.TaskFailed': 'the step failed',
  'States.Permissions': 'the workflow lacks a permission',
  'States.Runtime': 'a workflow runtime error',
  'States.HeartbeatTimeout': 'the step stopped answering',
};

/**
 * The error in plain words for a person. The steps' own errors (`…Error`) carry messages written for
 * people, so the message alone; an AWS error code says something the message may not ("No default EBS
 * key" means little without `InvalidParameterValue`), so it follows in brackets.
 */
export function plainError(f: Failure): string {
  const words = STATES_WORDS[f.error];
  if (!f.cause) return words ?? f.error;
  if (words) return `${words}: ${f.cause}`;
  return f.error.endsWith('Error') ? f.cause : `${f.cause} (${f.error})`;
}

/**
 * A failed step's line in plain words: our own errors are written for responders already; an AWS or other
 * error keeps its name after the message, since that is what one searches for in the AWS documentation.
 */
export function failureDetail(error: unknown): string {
  const text = describeError(error);
  const name = (error as Error)?.name;
  const plain = error instanceof ForensicsBotError || !name || name === 'Error' || text.includes(name);
  return (plain ? text : `${text} (${name})`).slice(0, 500);
}

/** Error names as a whole execution's end reports them (no cause to read). */
const EXECUTION_ERROR_WORDS: Record<string, string> = {
  'States.Timeout': 'timed out',
  'States.TaskFailed': 'the task failed',
  'States.Permissions': 'missing permissions',
  'States.Runtime': 'a workflow runtime error',
  ApprovalDenied: 'containment denied',
  ApprovalExpired: 'approval expired',
};

/**
 * Step names as people read them: identifiers `isolate-network` / `isolateNetwork` → "isolate network";
 * a label already in words keeps its hyphens and acronyms ("Snapshots re-encrypted for SSM" → "snapshots
 * re-encrypted for SSM").
 */
export function stepName(step: string): string {
  const text = step.trim();
  if (/\s/.test(text)) return text.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[-_]+/g, ' ')
    .toLowerCase();
}

/** Plain words for an error name: `SsmAgentOfflineError` → "ssm agent offline". */
export function errorWords(error: string): string {
  return (
    EXECUTION_ERROR_WORDS[error] ??
    stepName(error.replace(/Error$/, '').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2'))
  );
}

/** The part of a record the failure and outcome texts read. */
interface Timeline {
  status?: CaseStatus;
  steps: { step: string; outcome: string; at?: string; detail?: string }[];
  /** The step AWS throttled last (run-step records it: a throttled attempt posts no line, it is retried). */
  throttled?: { step: string; error: string; at: string };
}

/** The steps that completed, in order, each once ("case prepared, original configuration recorded"). */
export function doneSteps(record: Timeline): string[] {
  return [...new Set(record.steps.filter((s) => s.outcome === 'succeeded').map((s) => s.step.toLowerCase()))];
}

/** The last step whose line said it failed: where the workflow stopped, when a step reported it. */
export function failedStep(record: Timeline): string | undefined {
  const reported = [...record.steps]
    .reverse()
    .find((s) => s.outcome === 'failed')
    ?.step.toLowerCase();
  return reported ?? throttledLast(record)?.step.toLowerCase();
}

/** The throttled step, when nothing was reported after it: throttling outlasted every retry there. */
function throttledLast(record: Timeline): Timeline['throttled'] {
  const t = record.throttled;
  const lastLine = record.steps.reduce((at, s) => (s.at && s.at > at ? s.at : at), '');
  return t && t.at >= lastLine ? t : undefined;
}

/**
 * What the case says when its workflow fails and its failure handler ran: which step failed, the error
 * in plain words, what was already done, and what the handler did afterwards. One paragraph, for the
 * thread and the card.
 */
export function caseFailureText(record: Timeline, failure: Failure, after: string[] = []): string {
  const step = failedStep(record);
  const done = doneSteps(record);
  const throttled = throttledLast(record);
  const why =
    throttled && !record.steps.some((s) => s.outcome === 'failed')
      ? `AWS kept throttling it (${throttled.error}) through every retry: `
      : '';
  return [
    `${step ? `Step “${step}” failed` : 'The workflow failed'}: ${why}${plainError(failure).replace(/\.+$/, '')}.`,
    done.length ? `Already done: ${done.join(', ')}.` : 'No step had completed.',
    ...after.map((a) => `${a.charAt(0).toUpperCase()}${a.slice(1)}.`),
  ].join(' ');
}

/** What was already done, from the timeline: "contained", "memory acquired", … */
export function doneSummary(record: Timeline): string {
  const done = [
    ...new Set(record.steps.filter((s) => s.outcome === 'succeeded').map((s) => stepName(s.step))),
  ];
  if (record.status === 'contained' || done.some((s) => /isolat|contain/.test(s))) done.unshift('contained');
  return [...new Set(done)].join(', ');
}

/** How an execution ended, as its status-change event says it. */
export interface ExecutionEnd {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  error?: string | null;
  cause?: string | null;
}

/**
 * An execution that ended without its failure handler (a timeout, a stop, a failure of the handler
 * itself): "snapshot volumes failed: the workflow timed out. Already done: contained, memory captured".
 */
export function executionFailureText(record: Timeline, end: ExecutionEnd): string {
  const failed = [...record.steps].reverse().find((s) => s.outcome === 'failed');
  const started = [...record.steps]
    .reverse()
    .find(
      (s) =>
        s.outcome === 'started' &&
        !record.steps.some(
          (t) => t.step === s.step && t.outcome !== 'started' && (t.at ?? '') >= (s.at ?? ''),
        ),
    );
  const step = failed?.step ?? started?.step;
  const cause = end.cause
    ? unwrapFailure({ Error: end.error, Cause: end.cause }).cause || undefined
    : undefined;
  const why =
    cause?.slice(0, 300) ??
    failed?.detail ??
    (end.error ? errorWords(end.error) : undefined) ??
    (end.status === 'TIMED_OUT'
      ? 'the workflow timed out'
      : end.status === 'ABORTED'
        ? 'the workflow was stopped'
        : 'unknown error');
  const what = step
    ? `${stepName(step)} failed: ${why}`
    : `workflow ${end.status.toLowerCase().replace('_', ' ')}: ${why}`;
  const done = doneSummary(record);
  return done ? `${what}. Already done: ${done}` : what;
}

// ─── Outcomes: where a case ends, and the words for it ───────────────────────────────────────────────

/** How one acquisition ended, as the workflow passes it to its last step. */
export interface AcquisitionEnd {
  kind: 'memory' | 'disk';
  status: 'succeeded' | 'failed' | 'skipped';
  error?: { Error?: string; Cause?: string };
}

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
  evidence: AcquisitionEnd[];
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

const FINISHED_EMOJI: Partial<Record<CaseStatus, string>> = {
  'evidence-secured': ':white_check_mark:',
  'evidence-incomplete': ':warning:',
  contained: ':lock:',
  failed: ':x:',
  denied: ':stop_sign:',
};

/** The closing line of a case workflow that succeeded: the outcome, and the manifest's hash. */
export function closingLine(record: CaseRecord, label: string): string {
  const emoji = FINISHED_EMOJI[record.status] ?? ':information_source:';
  const manifest = record.manifest ? ` Manifest SHA-256 \`${record.manifest.sha256}\`.` : '';
  if (record.outcome) return `${emoji} ${label} finished: ${record.outcome}.${manifest}`;
  if (record.status === 'denied')
    return `${emoji} ${label} ended without containment (${record.failure === 'expired' ? 'approval expired' : 'denied'}).`;
  const n = record.artifacts.length;
  return record.status === 'evidence-secured'
    ? `${emoji} ${label} finished: evidence secured (${n} artifact${n === 1 ? '' : 's'}).${manifest}`
    : `${emoji} ${label} finished: ${record.status.replace('-', ' ')}, no evidence recorded.${manifest}`;
}

// ─── Settling: the end-of-workflow transitions ───────────────────────────────────────────────────────

/**
 * Moves a case to where its workflow ended. A workflow whose steps did not move the status (e.g. open →
 * evidence-secured) passes through `acquiring`; a move the lifecycle does not allow (the case was closed,
 * or already settled) changes nothing.
 */
async function settle(
  record: CaseRecord,
  to: CaseStatus,
  extra: Record<string, unknown> = {},
): Promise<CaseRecord> {
  if (record.status === to) return record;
  try {
    if (
      !canTransition(record.status, to) &&
      canTransition(record.status, 'acquiring') &&
      canTransition('acquiring', to)
    )
      record = await transition(record.id, 'acquiring');
    if (!canTransition(record.status, to)) return record;
    return await transition(record.id, to, extra);
  } catch (error) {
    if (error instanceof CaseConflictError) return requireCase(record.id); // settled meanwhile: keep that
    throw error;
  }
}

/** The workflow's last step: records how each acquisition ended and the outcome, and settles the case. */
export async function settleOutcome(
  caseId: string,
  outcome: CaseOutcome,
  evidence: Record<string, string>,
): Promise<CaseRecord> {
  const record = await recordOutcome(caseId, {
    evidence,
    outcome: outcome.text,
    // The card and /forensics status show `failure`: what is missing, and why.
    ...(outcome.missing.length && outcome.status !== 'denied' ? { failure: outcome.missing.join('; ') } : {}),
  });
  return outcome.status === 'denied' ? record : settle(record, outcome.status);
}

/** The workflow's failure handler: the case is `failed`, with the handler's paragraph as its failure. */
export async function settleFailure(caseId: string, text: string): Promise<CaseRecord> {
  return settle(await requireCase(caseId), 'failed', { failure: text });
}

/**
 * An execution's end as the progress handler sees it: what the case becomes (settled by the workflow
 * already, or here when no step could) and the closing line for the thread. The line's failure words carry
 * instance output and AWS messages; the caller escapes them.
 */
export async function settleExecution(
  record: CaseRecord,
  kind: 'case' | 'release',
  end: ExecutionEnd,
): Promise<{ record: CaseRecord; line: string; plain?: string }> {
  const label = kind === 'release' ? 'Release workflow' : 'Workflow';
  if (end.status === 'SUCCEEDED') {
    if (kind === 'release')
      return {
        record: await settle(record, 'released'),
        line: ':unlock: Released: the original network and IAM configuration is restored.',
      };
    const settled = await settleUnreported(record);
    return { record: settled, line: closingLine(settled, label) };
  }
  if (record.status === 'denied' && kind === 'case')
    return {
      record,
      line: `:stop_sign: ${label} stopped: containment ${record.failure === 'expired' ? 'approval expired' : 'denied'}.`,
    };
  // The case workflow's failure handler has already said it all in `failure` (which step, the error, what
  // was done); a timeout or a stop never reaches it, so the words come from the timeline.
  const reported = kind === 'case' && record.status === 'failed' && record.failure;
  const failure = reported ? record.failure! : `${executionFailureText(record, end)}.`;
  const next =
    kind === 'case'
      ? await settle(record, 'failed', { failure })
      : await updateCase(record.id, { failure: `release ${failure}` });
  const how = end.status === 'FAILED' ? 'failed' : end.status.toLowerCase().replace('_', ' ');
  return {
    record: next,
    line: `:x: ${label} ${how}.`,
    plain: `${failure.charAt(0).toUpperCase()}${failure.slice(1)}`,
  };
}

/**
 * A case workflow that succeeded ends where its last step (finishCase) put it. An execution that did not
 * say (its record has no `outcome`: an older definition, a console start) is judged from its artifacts:
 * evidence secured only with evidence in it.
 */
async function settleUnreported(record: CaseRecord): Promise<CaseRecord> {
  if (record.outcome || record.status === 'denied') return record;
  const evidence = record.artifacts.some((a) => a.kind === 'memory' || a.kind === 'disk-snapshot');
  if (evidence) return settle(record, 'evidence-secured');
  return record.status === 'containing' ? settle(record, 'contained') : record;
}
