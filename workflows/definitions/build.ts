/**
 * The state machine definitions are written here in TypeScript and generated into
 * `workflows/definitions/<name>.asl.json` (`npx tsx workflows/definitions/build.ts`), so that every Task
 * gets the same Retry and Catch and a rename cannot miss a state. The JSON files are what deploys and
 * what the tests run; a test checks they match this builder.
 *
 * JSONPath only (aws-local-stepfunctions ignores JSONata and `Assign`). Placeholders are CDK definition
 * substitutions: `${StepsFunctionArn}`, `${ContainStateMachineArn}`, `${AcquireMemoryStateMachineArn}`,
 * `${AcquireDiskStateMachineArn}`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type State = Record<string, unknown>;
type States = Record<string, State>;

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
export const THROTTLING = [
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'EC2ThrottledException',
];
/** Named errors the steps throw (workflows/errors.ts); caught by name before the catch-all. */
export const NAMED_ERRORS = [
  'InstanceNotFoundError',
  'AccessDeniedInMemberAccountError',
  'SsmAgentOfflineError',
  'MemoryCaptureFailedError',
  'LiveTriageFailedError',
  'SnapshotFailedError',
  'PollLimitReachedError',
  'StepNotConfiguredError',
  'NothingToRestoreError',
  'InvalidInputError',
  'CaseConflictError',
];

const RETRY = [
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

const catchTo = (next: string, resultPath = '$.Failure') => [
  { ErrorEquals: NAMED_ERRORS, ResultPath: resultPath, Next: next },
  { ErrorEquals: ['States.ALL'], ResultPath: resultPath, Next: next },
];

/** Parameters every step about the instance gets, from the PascalCase workflow state. */
const TARGET = {
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
function step(name: string, o: StepOptions): State {
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
function child(
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

const CHILD_INPUT = {
  'CaseId.$': '$.CaseId',
  'InstanceId.$': '$.InstanceId',
  'Account.$': '$.Account',
  'Region.$': '$.Region',
};

const fail = (comment: string, path = '$.Failure'): State => ({
  Type: 'Fail',
  Comment: comment,
  ErrorPath: `${path}.Error`,
  CausePath: `${path}.Cause`,
});

const pass = (result: unknown, resultPath: string, next: string): State => ({
  Type: 'Pass',
  Result: result,
  ResultPath: resultPath,
  Next: next,
});

/** One acquisition branch (memory or disk) of the Parallel: never fails, says how it ended. */
function acquisitionBranch(kind: 'memory' | 'disk'): { StartAt: string; States: States } {
  const P = kind === 'memory' ? 'Memory' : 'Disk';
  const wanted = kind === 'memory' ? '$.Actions.acquireMemory' : '$.Actions.acquireDisk';
  return {
    StartAt: `${P}Wanted`,
    States: {
      [`${P}Wanted`]: {
        Type: 'Choice',
        Choices: [{ Variable: wanted, BooleanEquals: true, Next: `Acquire${P}` }],
        Default: `${P}Skipped`,
      },
      [`Acquire${P}`]: child(
        kind === 'memory' ? 'AcquireMemory' : 'AcquireDisk',
        { ...CHILD_INPUT, 'RetainArtefacts.$': '$.RetainArtefacts' },
        {
          selector: { kind, status: 'succeeded' },
          resultPath: '$',
          onError: `${P}NotAcquired`,
          catchers: [{ ErrorEquals: ['States.ALL'], ResultPath: `$.${P}Failure`, Next: `${P}NotAcquired` }],
        },
      ),
      [`${P}NotAcquired`]: {
        Type: 'Pass',
        Comment:
          'The failure is recorded (finishCase says it in the case); the other acquisition and containment go on.',
        Parameters: { kind, status: 'failed', [`error.$`]: `$.${P}Failure` },
        End: true,
      },
      [`${P}Skipped`]: { Type: 'Pass', Result: { kind, status: 'skipped' }, End: true },
    },
  };
}

export function caseDefinition() {
  const States: States = {
    PrepareCase: {
      ...step('prepareCase', {
        params: { 'input.$': '$', 'executionArn.$': '$$.Execution.Id' },
        resultPath: '$',
        next: 'RecordConfiguration',
        onError: 'PrepareFailed',
      }),
      Parameters: { step: 'prepareCase', 'input.$': '$', 'executionArn.$': '$$.Execution.Id' },
    },
    PrepareFailed: fail('The input was rejected or the case could not be opened: nothing was changed.'),
    RecordConfiguration: step('recordConfiguration', {
      params: { 'acquireMemory.$': '$.Actions.acquireMemory' },
      resultPath: '$.Plan',
      next: 'PreserveInstance',
      onError: 'HandleFailure',
    }),
    PreserveInstance: step('preserveInstance', { next: 'ChoosePath', onError: 'HandleFailure' }),
    ChoosePath: {
      Type: 'Choice',
      Comment: 'Analyze: acquire first. Contain: approval first when required, then contain.',
      Choices: [
        { Variable: '$.Mode', StringEquals: 'analyze', Next: 'AcquireBeforeDecision' },
        { Variable: '$.Approval', StringEquals: 'required', Next: 'AwaitApproval' },
      ],
      Default: 'ContainChoice',
    },
    AcquireBeforeDecision: pass('analyze-end', '$.AfterAcquire', 'AcquireEvidence'),

    // Approval gate: the wait times out every ReminderSeconds; each timeout checks expiry and reminds.
    AwaitApproval: {
      Type: 'Task',
      Comment:
        'Approval card in the commanders channel; SendTaskSuccess approves, SendTaskFailure(ApprovalDenied) denies.',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: STEPS_FUNCTION,
        Payload: {
          step: 'awaitApproval',
          'caseId.$': '$.CaseId',
          'taskToken.$': '$$.Task.Token',
          'round.$': '$.ApprovalRound',
        },
      },
      TimeoutSecondsPath: '$.ReminderSeconds',
      ResultPath: '$.Approval',
      // Not States.Timeout (that is the reminder); a retry brings a new token, and requestApproval stores
      // it and updates the one approval card instead of posting another.
      Retry: RETRY.filter((r) => !r.ErrorEquals.includes('States.Timeout')),
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.ApprovalTimeout', Next: 'CheckApprovalExpiry' },
        { ErrorEquals: ['ApprovalDenied'], ResultPath: '$.Denial', Next: 'ContainmentDenied' },
        { ErrorEquals: ['ApprovalExpired'], ResultPath: '$.Denial', Next: 'ContainmentExpired' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.Failure', Next: 'HandleFailure' },
      ],
      Next: 'Approved',
    },
    Approved: pass(true, '$.ContainmentAuthorized', 'AfterApproval'),
    AfterApproval: {
      Type: 'Choice',
      Choices: [{ Variable: '$.Mode', StringEquals: 'analyze', Next: 'ContainAfterAcquisition' }],
      Default: 'ContainChoice',
    },
    CheckApprovalExpiry: {
      ...step('checkApprovalExpiry', {
        params: { 'round.$': '$.ApprovalRound' },
        resultPath: '$.ApprovalCheck',
        next: 'ApprovalDecision',
        onError: 'HandleFailure',
      }),
    },
    ApprovalDecision: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.ApprovalCheck.decision', StringEquals: 'approved', Next: 'Approved' },
        { Variable: '$.ApprovalCheck.decision', StringEquals: 'denied', Next: 'ContainmentDenied' },
        { Variable: '$.ApprovalCheck.decision', StringEquals: 'expired', Next: 'ContainmentExpired' },
      ],
      Default: 'NextApprovalRound',
    },
    NextApprovalRound: {
      Type: 'Pass',
      Comment: 'Wait again with a new token: the card is redrawn and the commanders reminded.',
      InputPath: '$.ApprovalCheck.round',
      ResultPath: '$.ApprovalRound',
      Next: 'AwaitApproval',
    },
    ContainmentDenied: step('recordDenial', {
      params: { reason: 'denied' },
      next: 'OutcomeDenied',
      onError: 'HandleFailure',
    }),
    ContainmentExpired: step('recordDenial', {
      params: { reason: 'expired' },
      next: 'OutcomeDenied',
      onError: 'HandleFailure',
    }),
    OutcomeDenied: pass('denied', '$.Outcome', 'FinishCase'),

    // Containment first (memory after it, through the endpoints), unless the VPC has no endpoints.
    ContainChoice: {
      Type: 'Choice',
      Comment:
        'Memory before isolation only when the VPC has no SSM/S3 endpoints (the agent would be cut off).',
      Choices: [{ Variable: '$.Plan.MemoryFirst', BooleanEquals: true, Next: 'AcquireBeforeContainment' }],
      Default: 'ContainFirst',
    },
    AcquireBeforeContainment: pass('contain', '$.AfterAcquire', 'AcquireEvidence'),
    ContainFirst: child(
      'Contain',
      { ...CHILD_INPUT, 'KeepEndpoints.$': '$.Actions.acquireMemory' },
      { next: 'AcquireAfterContainment', onError: 'HandleFailure' },
    ),
    AcquireAfterContainment: pass('tighten', '$.AfterAcquire', 'AcquireEvidence'),

    AcquireEvidence: {
      Type: 'Parallel',
      Comment: 'Memory and disk at once; each branch reports its own failure and never stops the other.',
      Branches: [acquisitionBranch('memory'), acquisitionBranch('disk')],
      ResultPath: '$.Evidence',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.Failure', Next: 'HandleFailure' }],
      Next: 'AfterAcquire',
    },
    AfterAcquire: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.AfterAcquire', StringEquals: 'tighten', Next: 'NeedsTightening' },
        { Variable: '$.AfterAcquire', StringEquals: 'contain', Next: 'ContainAfterAcquisition' },
      ],
      Default: 'ExamineBeforeDecision',
    },
    NeedsTightening: {
      Type: 'Choice',
      Choices: [{ Variable: '$.Actions.acquireMemory', BooleanEquals: true, Next: 'TightenIsolation' }],
      Default: 'OutcomeContained',
    },
    TightenIsolation: step('isolateNetwork', {
      comment: 'Memory is captured: no more HTTPS to the endpoints.',
      params: { keepEndpoints: false },
      next: 'DenyAllPermissions',
      onError: 'HandleFailure',
    }),
    DenyAllPermissions: step('restrictIam', {
      params: { mode: 'deny-all' },
      next: 'OutcomeContained',
      onError: 'HandleFailure',
    }),
    ContainAfterAcquisition: child(
      'Contain',
      { ...CHILD_INPUT, KeepEndpoints: false },
      { next: 'OutcomeContained', onError: 'HandleFailure' },
    ),
    OutcomeContained: pass('contained', '$.Outcome', 'ExaminedYet'),

    // Examination (issue 12): after containment, so it never delays it; before the decision in an analysis,
    // so the commander decides on what the evidence says. It never fails the case: a failure is recorded
    // and said, and the case goes on to finish (finishCase does not call it complete).
    ExamineBeforeDecision: step('examineEvidence', {
      resultPath: '$.Examination',
      next: 'AnalyzeEnd',
      onError: 'ExaminationFailedBeforeDecision',
      catchers: catchTo('ExaminationFailedBeforeDecision', '$.ExaminationFailure'),
    }),
    ExaminationFailedBeforeDecision: pass({ status: 'failed' }, '$.Examination', 'AnalyzeEnd'),
    ExaminedYet: {
      Type: 'Choice',
      Comment: 'An analysis contained after the decision was examined before it.',
      Choices: [{ Variable: '$.Examination', IsPresent: true, Next: 'FinishCase' }],
      Default: 'ExamineEvidence',
    },
    ExamineEvidence: step('examineEvidence', {
      resultPath: '$.Examination',
      next: 'FinishCase',
      onError: 'ExaminationFailed',
      catchers: catchTo('ExaminationFailed', '$.ExaminationFailure'),
    }),
    ExaminationFailed: pass({ status: 'failed' }, '$.Examination', 'FinishCase'),
    AnalyzeEnd: {
      Type: 'Choice',
      Comment: 'An analysis ends by asking to contain, unless the policy is notify-only.',
      Choices: [
        { Variable: '$.AnalyzeContainment', StringEquals: 'notify-only', Next: 'SkipContainment' },
        { Variable: '$.Actions.contain', BooleanEquals: false, Next: 'SkipContainment' },
      ],
      Default: 'AwaitApproval',
    },
    SkipContainment: step('skipContainment', { next: 'FinishCase', onError: 'HandleFailure' }),

    FinishCase: step('finishCase', {
      params: { 'outcome.$': '$.Outcome', 'evidence.$': '$.Evidence' },
      next: 'WriteManifest',
      onError: 'HandleFailure',
    }),
    // Last (issue 11): after the outcome is settled, so the manifest says what is missing and why.
    WriteManifest: step('writeManifest', { next: 'Done', onError: 'HandleFailure' }),
    Done: { Type: 'Succeed' },

    HandleFailure: {
      ...step('secureAfterFailure', {
        comment: 'Reports, and leaves the instance in the safest state the policy allows.',
        params: { 'failure.$': '$.Failure', 'containmentAuthorized.$': '$.ContainmentAuthorized' },
        resultPath: '$.FailureReport',
        next: 'WriteManifestAfterFailure',
        onError: 'CaseFailedUnreported',
        catchers: [
          { ErrorEquals: ['States.ALL'], ResultPath: '$.FailureReport', Next: 'CaseFailedUnreported' },
        ],
      }),
    },
    // A case that fails after acquiring evidence still gets its manifest (none when nothing was acquired).
    WriteManifestAfterFailure: step('writeManifest', {
      params: { onlyWithEvidence: true },
      next: 'CaseFailed',
      onError: 'CaseFailed',
      catchers: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.ManifestFailure', Next: 'CaseFailed' }],
    }),
    CaseFailed: fail('The case failed; the thread and the case record say why.', '$.FailureReport'),
    CaseFailedUnreported: fail('The case failed and the failure could not be reported.', '$.Failure'),
  };
  return {
    Comment:
      'forensics-bot case: record, preserve, [approval], contain, acquire memory and disk, examine, manifest. Input {CaseId?, InstanceId, Account, Region, RetainArtefacts?, Actions?, Approval?, Trigger?}.',
    StartAt: 'PrepareCase',
    States,
  };
}

export function containDefinition() {
  const onError = 'ContainmentFailed';
  const P = { 'caseId.$': '$.CaseId' };
  void P;
  return {
    Comment:
      'forensics-bot contain: detach, isolate (two moves per ENI), restrict IAM, tag. Input {CaseId, InstanceId, Account, Region, KeepEndpoints}.',
    StartAt: 'DetachInstance',
    States: {
      DetachInstance: step('detachInstance', { next: 'IsolateNetwork', onError }),
      IsolateNetwork: step('isolateNetwork', {
        params: { 'keepEndpoints.$': '$.KeepEndpoints' },
        next: 'ChooseProfile',
        onError,
      }),
      ChooseProfile: {
        Type: 'Choice',
        Choices: [{ Variable: '$.KeepEndpoints', BooleanEquals: true, Next: 'QuarantineProfile' }],
        Default: 'DenyAllProfile',
      },
      QuarantineProfile: step('restrictIam', {
        params: { mode: 'quarantine' },
        next: 'MarkContained',
        onError,
      }),
      DenyAllProfile: step('restrictIam', { params: { mode: 'deny-all' }, next: 'MarkContained', onError }),
      MarkContained: step('markContained', { onError }),
      [onError]: fail('Containment stopped; the case records which ENIs moved.'),
    },
  };
}

export function acquireMemoryDefinition() {
  const onError = 'MemoryCaptureFailed';
  return {
    Comment:
      'forensics-bot acquire-memory: SSM capture script streams to S3 as the quarantine profile; bounded poll loop (cancelled at its end); the image re-read and hashed in the forensics account; then the live triage the same way (optional: recorded when not collected). Input {CaseId, InstanceId, Account, Region}.',
    StartAt: 'StartCapture',
    States: {
      StartCapture: step('startMemoryCapture', { resultPath: '$.Memory', next: 'WaitForCapture', onError }),
      WaitForCapture: { Type: 'Wait', SecondsPath: '$.Memory.pollSeconds', Next: 'PollCapture' },
      PollCapture: step('pollMemoryCapture', {
        params: { 'memory.$': '$.Memory' },
        resultPath: '$.Memory',
        next: 'CaptureDone',
        onError,
      }),
      CaptureDone: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Memory.done', BooleanEquals: true, Next: 'VerifyImage' }],
        Default: 'WaitForCapture',
      },
      VerifyImage: step('verifyEvidence', {
        comment:
          'Re-reads the uploaded version in the forensics account and hashes it; a mismatch fails. The quarantine profile stays on for the live triage, which restores an analysis profile after it.',
        params: { 'memory.$': '$.Memory', keepProfile: true },
        resultPath: '$.Verified',
        next: 'StartTriage',
        onError,
      }),
      // Live triage (issue 12): only here, after a verified image (so on a Linux instance whose SSM agent
      // was online) and before isolation is tightened. Optional evidence: every failure is recorded and the
      // acquisition still succeeds.
      StartTriage: step('startLiveTriage', {
        params: { 'memory.$': '$.Memory' },
        resultPath: '$.Triage',
        next: 'WaitForTriage',
        onError: 'TriageNotCollected',
        catchers: catchTo('TriageNotCollected', '$.TriageFailure'),
      }),
      WaitForTriage: { Type: 'Wait', SecondsPath: '$.Triage.pollSeconds', Next: 'PollTriage' },
      PollTriage: step('pollLiveTriage', {
        params: { 'triage.$': '$.Triage' },
        resultPath: '$.Triage',
        next: 'TriageDone',
        onError: 'TriageNotCollected',
        catchers: catchTo('TriageNotCollected', '$.TriageFailure'),
      }),
      TriageDone: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Triage.done', BooleanEquals: true, Next: 'VerifyTriage' }],
        Default: 'WaitForTriage',
      },
      VerifyTriage: step('verifyLiveTriage', {
        comment:
          'Re-reads the archive in the forensics account and hashes it; recorded as a triage artifact.',
        params: { 'triage.$': '$.Triage' },
        resultPath: '$.TriageVerified',
        next: 'Captured',
        onError: 'TriageNotCollected',
        catchers: catchTo('TriageNotCollected', '$.TriageFailure'),
      }),
      TriageNotCollected: step('recordTriageFailure', {
        comment:
          'Says why the triage was not collected and restores an analysis profile; never fails memory.',
        params: { 'failure.$': '$.TriageFailure' },
        resultPath: '$.TriageReport',
        next: 'Captured',
        onError: 'Captured',
        catchers: catchTo('Captured', '$.TriageReportFailure'),
      }),
      Captured: { Type: 'Succeed' },
      [onError]: fail('Memory was not captured; the case says why.'),
    },
  };
}

export function acquireDiskDefinition() {
  const onError = 'DiskAcquisitionFailed';
  const disk = { 'disk.$': '$.Disk' };
  return {
    Comment:
      'forensics-bot acquire-disk: snapshots, re-encryption of aws/ebs ones, share and copy into the forensics account; bounded poll loops. Input {CaseId, InstanceId, Account, Region, RetainArtefacts}.',
    StartAt: 'CreateSnapshots',
    States: {
      CreateSnapshots: step('snapshotVolumes', { resultPath: '$.Disk', next: 'WaitForSnapshots', onError }),
      WaitForSnapshots: { Type: 'Wait', SecondsPath: '$.Disk.pollSeconds', Next: 'PollSnapshots' },
      PollSnapshots: step('pollSnapshots', {
        params: disk,
        resultPath: '$.Disk',
        next: 'SnapshotsReady',
        onError,
      }),
      SnapshotsReady: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.Disk.done', BooleanEquals: false, Next: 'WaitForSnapshots' },
          { Variable: '$.Disk.phase', StringEquals: 'snapshots', Next: 'ReencryptSnapshots' },
          { Variable: '$.Disk.phase', StringEquals: 'reencrypted', Next: 'CopySnapshots' },
        ],
        Default: 'RecordSnapshots',
      },
      ReencryptSnapshots: step('reencryptSnapshots', {
        params: disk,
        resultPath: '$.Disk',
        next: 'ReencryptionStarted',
        onError,
      }),
      ReencryptionStarted: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Disk.done', BooleanEquals: true, Next: 'CopySnapshots' }],
        Default: 'WaitForSnapshots',
      },
      CopySnapshots: step('copySnapshots', {
        params: disk,
        resultPath: '$.Disk',
        next: 'WaitForSnapshots',
        onError,
      }),
      RecordSnapshots: step('recordSnapshots', {
        params: { ...disk, 'retainArtefacts.$': '$.RetainArtefacts' },
        resultPath: '$.Recorded',
        next: 'StartDiskImages',
        onError,
      }),
      // Raw images from the locked copies (issue 11): one chunk per volume per invocation, looped, so no
      // image is bound by Lambda's 15 minutes; a failed chunk is retried with the same input (its resume point).
      StartDiskImages: step('startDiskImages', {
        params: disk,
        resultPath: '$.Imaging',
        next: 'ImagesDone',
        onError,
      }),
      ImagesDone: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Imaging.done', BooleanEquals: false, Next: 'ImageDisks' }],
        Default: 'RecordDiskImages',
      },
      ImageDisks: {
        ...step('imageDisks', {
          params: { 'imaging.$': '$.Imaging' },
          resultPath: '$.Imaging',
          next: 'ImagesDone',
          onError,
        }),
        Retry: [
          ...RETRY,
          {
            ErrorEquals: [
              'BlockReadFailedError',
              'BlockChecksumMismatchError',
              'S3ServiceException',
              'InternalError',
            ],
            IntervalSeconds: 5,
            MaxAttempts: 3,
            BackoffRate: 2,
            JitterStrategy: 'FULL',
          },
        ],
      },
      RecordDiskImages: step('recordDiskImages', {
        params: { ...disk, 'imaging.$': '$.Imaging' },
        resultPath: '$.Images',
        onError,
      }),
      [onError]: fail('Disk evidence was not secured; the case says why.'),
    },
  };
}

export function releaseDefinition() {
  const onError = 'ReleaseFailed';
  return {
    Comment:
      'forensics-bot release: restore the recorded configuration; evidence untouched. Input {CaseId, InstanceId, Account, Region}.',
    StartAt: 'RestoreNetwork',
    States: {
      RestoreNetwork: step('restoreNetwork', { next: 'RestoreIam', onError }),
      RestoreIam: step('restoreIam', { next: 'ReattachInstance', onError }),
      ReattachInstance: step('reattachInstance', { next: 'FinishRelease', onError }),
      FinishRelease: step('finishRelease', { onError }),
      [onError]: fail('Release stopped part-way; the case records what was restored.'),
    },
  };
}

/** Every definition by file name. */
export function allDefinitions(): Record<string, object> {
  return {
    case: caseDefinition(),
    contain: containDefinition(),
    'acquire-memory': acquireMemoryDefinition(),
    'acquire-disk': acquireDiskDefinition(),
    release: releaseDefinition(),
  };
}

export const render = (definition: object) => `${JSON.stringify(definition, null, 2)}\n`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [name, definition] of Object.entries(allDefinitions()))
    writeFileSync(join(import.meta.dirname, `${name}.asl.json`), render(definition));
}
