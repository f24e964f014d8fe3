/**
 * The error model. One base class; subclasses set `name` (the contract with Step Functions `ErrorEquals`
 * and with log queries) and a stable `code`, and take `{ cause }` so nothing is lost when an SDK error is
 * wrapped. Messages are written for a responder: what happened, in plain words, naming the thing.
 */
export class ForensicsBotError extends Error {
  readonly code: string = 'FORENSICS_BOT_ERROR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting is missing or malformed. Raised once at cold start, naming the variable. */
export class ConfigurationError extends ForensicsBotError {
  override readonly code = 'CONFIGURATION_ERROR';
}

/** Input from outside (an event, a button value, a command) cannot be acted on. */
export class InvalidInputError extends ForensicsBotError {
  override readonly code = 'INVALID_INPUT';
  constructor(
    message: string,
    readonly path: string = '',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class CaseNotFoundError extends ForensicsBotError {
  override readonly code = 'CASE_NOT_FOUND';
}

/** The case was closed: nothing of it acts any more (a workflow step refuses, before any AWS call). */
export class CaseClosedError extends ForensicsBotError {
  override readonly code = 'CASE_CLOSED';
}

/** A conditional write lost: the case (or the instance's open case) exists or moved on. */
export class CaseConflictError extends ForensicsBotError {
  override readonly code = 'CASE_CONFLICT';
}

/** The requester may not approve their own containment (four-eyes rule). */
export class FourEyesError extends ForensicsBotError {
  override readonly code = 'FOUR_EYES';
}

/** The approval was already decided (or expired); the press changed nothing. */
export class ApprovalAlreadyDecidedError extends ForensicsBotError {
  override readonly code = 'APPROVAL_ALREADY_DECIDED';
}

/** A workflow call failed (not "already exists", which is success for us). */
export class WorkflowStartError extends ForensicsBotError {
  override readonly code = 'WORKFLOW_START_FAILED';
}

/** The approval task is gone: the workflow timed out, was stopped, or the token was already used. */
export class ApprovalTaskGoneError extends ForensicsBotError {
  override readonly code = 'APPROVAL_TASK_GONE';
}

/** Some findings could not be posted; thrown after the rest were handled so that Lambda retries the event. */
export class IntakeIncompleteError extends ForensicsBotError {
  override readonly code = 'INTAKE_INCOMPLETE';
}

/** Short text of any thrown value, for logs and Slack; never "[object Object]". */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
