/**
 * Reading the errors Step Functions hands to a Catch: `{Error, Cause}`, where the cause of a failed
 * child execution (`startExecution.sync`) is the child's description as JSON, whose own `Error`/`Cause`
 * are what happened, and the cause of a Lambda error is `{errorType, errorMessage, …}` as JSON.
 */
export interface Failure {
  error: string;
  cause: string;
}

export function unwrapFailure(input: { Error?: string; Cause?: string } | undefined): Failure {
  let error = input?.Error ?? 'States.TaskFailed';
  let cause = input?.Cause ?? '';
  for (let depth = 0; depth < 4; depth++) {
    let parsed: Record<string, unknown> | undefined;
    try {
      const value = JSON.parse(cause) as unknown;
      parsed = value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    } catch {
      parsed = undefined;
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

/** "SsmAgentOfflineError: The SSM agent of i-… is ConnectionLost" — for a thread line and the case. */
export const failureText = (f: Failure) => (f.cause ? `${f.error}: ${f.cause}` : f.error);

/** Step Functions' own error names, in words. */
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

/** The part of a record the failure and outcome texts read. */
interface Timeline {
  steps: { step: string; outcome: string }[];
}

/** The steps that completed, in order, each once ("case prepared, original configuration recorded"). */
export function doneSteps(record: Timeline): string[] {
  return [...new Set(record.steps.filter((s) => s.outcome === 'succeeded').map((s) => s.step.toLowerCase()))];
}

/** The last step whose line said it failed: where the workflow stopped, when a step reported it. */
export function failedStep(record: Timeline): string | undefined {
  return [...record.steps]
    .reverse()
    .find((s) => s.outcome === 'failed')
    ?.step.toLowerCase();
}

/**
 * What the case says when its workflow fails: which step failed, the error in plain words, what was
 * already done, and what the failure handler did afterwards. One paragraph, for the thread and the card.
 */
export function caseFailureText(record: Timeline, failure: Failure, after: string[] = []): string {
  const step = failedStep(record);
  const done = doneSteps(record);
  return [
    `${step ? `Step “${step}” failed` : 'The workflow failed'}: ${plainError(failure).replace(/\.+$/, '')}.`,
    done.length ? `Already done: ${done.join(', ')}.` : 'No step had completed.',
    ...after.map((a) => `${a.charAt(0).toUpperCase()}${a.slice(1)}.`),
  ].join(' ');
}
