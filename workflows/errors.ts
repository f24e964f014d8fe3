import { CaseConflictError, ForensicsBotError, InvalidInputError } from '../bot/core/errors.js';

/**
 * Errors the steps throw. Their `name` is what Step Functions matches in `Retry`/`Catch` `ErrorEquals`
 * (the Lambda runtime reports `error.name` as the error type), so names are part of the definitions'
 * contract: rename one, and the `.asl.json` files must change with it.
 */
export class WorkflowError extends ForensicsBotError {
  override readonly code: string = 'WORKFLOW_ERROR';
}

/** The instance is gone (terminated, or never existed in that account and region). */
export class InstanceNotFoundError extends WorkflowError {
  override readonly code = 'INSTANCE_NOT_FOUND';
}

/** The member account refused: the role cannot be assumed, or it lacks a permission. */
export class AccessDeniedInMemberAccountError extends WorkflowError {
  override readonly code = 'ACCESS_DENIED_IN_MEMBER_ACCOUNT';
  constructor(
    readonly account: string,
    readonly role: string,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(`Access denied in account ${account} for role ${role}: ${what}`, options);
  }
}

/** The SSM agent of the instance is not online, so memory cannot be captured. */
export class SsmAgentOfflineError extends WorkflowError {
  override readonly code = 'SSM_AGENT_OFFLINE';
}

/** The capture command ran and failed, timed out, or produced no usable result. */
export class MemoryCaptureFailedError extends WorkflowError {
  override readonly code = 'MEMORY_CAPTURE_FAILED';
}

/** The live triage did not run, failed, or its archive is not what the instance reported (optional evidence). */
export class LiveTriageFailedError extends WorkflowError {
  override readonly code = 'LIVE_TRIAGE_FAILED';
}

/** A snapshot failed, or a copy or re-encryption of it did. */
export class SnapshotFailedError extends WorkflowError {
  override readonly code = 'SNAPSHOT_FAILED';
}

/** A poll loop reached its bound (the definitions raise it as `PollLimitReached` from a Fail state too). */
export class PollLimitReachedError extends WorkflowError {
  override readonly code = 'POLL_LIMIT_REACHED';
}

/** The commander denied the approval (arrives as SendTaskFailure error `ApprovalDenied`). */
export class ApprovalDenied extends WorkflowError {
  override readonly code = 'APPROVAL_DENIED';
}

/** Nobody answered the approval request before it expired. */
export class ApprovalExpired extends WorkflowError {
  override readonly code = 'APPROVAL_EXPIRED';
}

/** Release was asked for a case whose original configuration was never recorded. */
export class NothingToRestoreError extends WorkflowError {
  override readonly code = 'NOTHING_TO_RESTORE';
}

/** A setting a step needs is absent (the message names the variable). */
export class StepNotConfiguredError extends WorkflowError {
  override readonly code = 'STEP_NOT_CONFIGURED';
}

/** Error names an AWS call returns when it was throttled: retried in the step, then by Step Functions. */
export const THROTTLING_ERRORS = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
]);

/** Error names that mean "not allowed" in any of the services the steps call. */
export const ACCESS_DENIED_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthFailure',
  'InvalidClientTokenId',
]);

export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const retryable = (error as { $retryable?: { throttling?: boolean } }).$retryable;
  return THROTTLING_ERRORS.has(error.name) || retryable?.throttling === true;
}

export function isAccessDenied(error: unknown): boolean {
  return error instanceof Error && ACCESS_DENIED_ERRORS.has(error.name);
}

/** EC2 says the instance does not exist (any more). */
export function isInstanceGone(error: unknown): boolean {
  return (
    error instanceof Error &&
    ['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed', 'InvalidInstanceId'].includes(error.name)
  );
}

/**
 * The examination of the evidence could not be done (an image that does not hash to what the case
 * recorded, a tool that failed). Containment and the evidence stand; the case says the examination failed.
 */
export class ExaminationFailedError extends WorkflowError {
  override readonly code = 'EXAMINATION_FAILED';
}

/**
 * The errors the definitions catch by name, before their catch-all (workflows/definitions/states.ts builds
 * `NAMED_ERRORS` from this list): the ones a step throws on purpose, each with its own line in the case.
 * The examination's failure is not among them: it is caught on its own path.
 */
export const CAUGHT_BY_NAME = [
  InstanceNotFoundError,
  AccessDeniedInMemberAccountError,
  SsmAgentOfflineError,
  MemoryCaptureFailedError,
  LiveTriageFailedError,
  SnapshotFailedError,
  PollLimitReachedError,
  StepNotConfiguredError,
  NothingToRestoreError,
  InvalidInputError,
  CaseConflictError,
] as const;
