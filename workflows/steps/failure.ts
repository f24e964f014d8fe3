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
