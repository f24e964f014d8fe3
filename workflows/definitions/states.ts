/**
 * The parts every workflow definition is built from: one Retry for every step, one Catch, the Task shapes
 * (a step of the steps Lambda, a child workflow), and the error lists they match — derived from
 * workflows/errors.ts, so a step's error and the definitions' catchers cannot drift apart.
 */
import { CAUGHT_BY_NAME, THROTTLING_ERRORS } from '../errors.js';

export type State = Record<string, unknown>;
export type States = Record<string, State>;

export const STEPS_FUNCTION = '${StepsFunctionArn}';
const childArn = (pascal: string) => `\${${pascal}StateMachineArn}`;

/** Errors worth retrying: the Lambda service's transient ones, and throttling that outlived the step's retries. */
export const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
];
/** Throttling that outlived a step's own retries (workflows/errors.ts `THROTTLING_ERRORS`). */
export const THROTTLING = [...THROTTLING_ERRORS];
/** Named errors the steps throw (workflows/errors.ts `CAUGHT_BY_NAME`); caught by name before the catch-all. */
export const NAMED_ERRORS = CAUGHT_BY_NAME.map((error) => error.name);

export const RETRY = [
  {
    ErrorEquals: LAMBDA_TRANSIENT,
    IntervalSeconds: 1,
    MaxAttempts: 4,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
  {
    ErrorEquals: THROTTLING,
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    MaxDelaySeconds: 60,
    JitterStrategy: 'FULL',
  },
  // A step Lambda that timed out (a slow AWS API) is retried once; steps are idempotent.
  { ErrorEquals: ['States.Timeout'], IntervalSeconds: 2, MaxAttempts: 1 },
];

export const catchTo = (next: string, resultPath = '$.Failure') => [
  { ErrorEquals: NAMED_ERRORS, ResultPath: resultPath, Next: next },
  { ErrorEquals: ['States.ALL'], ResultPath: resultPath, Next: next },
];

/** Parameters every step about the instance gets, from the PascalCase workflow state. */
export const TARGET = {
  'caseId.$': '$.CaseId',
  'instanceId.$': '$.InstanceId',
  'account.$': '$.Account',
  'region.$': '$.Region',
};

interface StepOptions {
  params?: Record<string, unknown>;
  resultPath?: string | null;
  next?: string;
  onError: string;
  comment?: string;
  /** Override the catchers (e.g. to route one named error elsewhere). */
  catchers?: unknown[];
}

/**
 * `ResultPath`: null (default here: keep the input) or a path. `$` is written by leaving the field out,
 * which means the same in AWS, and which aws-local-stepfunctions 3 handles (it mishandles an explicit `$`).
 */
function resultPathOf(path: string | null | undefined): { ResultPath?: string | null } {
  if (path === '$') return {};
  return { ResultPath: path === undefined ? null : path };
}

/** A Task state calling one step of the steps Lambda. */
export function step(name: string, o: StepOptions): State {
  return {
    Type: 'Task',
    ...(o.comment ? { Comment: o.comment } : {}),
    Resource: STEPS_FUNCTION,
    Parameters: { step: name, ...TARGET, ...o.params },
    ...resultPathOf(o.resultPath),
    Retry: RETRY,
    Catch: o.catchers ?? catchTo(o.onError),
    ...(o.next ? { Next: o.next } : { End: true }),
  };
}

/** A child workflow, run to completion (`.sync:2`: its output arrives as JSON). */
export function child(
  pascal: string,
  input: Record<string, unknown>,
  o: Omit<StepOptions, 'params'> & { selector?: object },
): State {
  return {
    Type: 'Task',
    ...(o.comment ? { Comment: o.comment } : {}),
    Resource: 'arn:aws:states:::states:startExecution.sync:2',
    Parameters: {
      StateMachineArn: childArn(pascal),
      Input: { ...input, 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
    },
    ...(o.selector ? { ResultSelector: o.selector } : {}),
    ...resultPathOf(o.resultPath),
    Retry: [
      {
        ErrorEquals: ['StepFunctions.ExecutionLimitExceeded', 'StepFunctions.SdkClientException'],
        IntervalSeconds: 2,
        MaxAttempts: 3,
        BackoffRate: 2,
      },
    ],
    Catch: o.catchers ?? [{ ErrorEquals: ['States.ALL'], ResultPath: '$.Failure', Next: o.onError }],
    ...(o.next ? { Next: o.next } : { End: true }),
  };
}

export const CHILD_INPUT = {
  'CaseId.$': '$.CaseId',
  'InstanceId.$': '$.InstanceId',
  'Account.$': '$.Account',
  'Region.$': '$.Region',
};

export const fail = (comment: string, path = '$.Failure'): State => ({
  Type: 'Fail',
  Comment: comment,
  ErrorPath: `${path}.Error`,
  CausePath: `${path}.Cause`,
});

export const pass = (result: unknown, resultPath: string, next: string): State => ({
  Type: 'Pass',
  Result: result,
  ResultPath: resultPath,
  Next: next,
});
