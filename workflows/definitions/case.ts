/** The case workflow: prepare, approval gate, containment and acquisition in the order the mode asks, examination, finish. */
import type { States } from './states.js';
import { STEPS_FUNCTION, RETRY, catchTo, step, child, CHILD_INPUT, fail, pass } from './states.js';

/**
 * With `EXAMINE_WORKER=ec2` the examination step hands the case to its forensic worker (`on-worker`): the
 * examine child runs it there and always terminates the worker (workflows/definitions/examine.ts).
 */
function onWorker(suffix: string, next: string, onError: string): States {
  return {
    [`OnWorker${suffix}`]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.Examination.status', StringEquals: 'on-worker', Next: `ExamineOnWorker${suffix}` },
      ],
      Default: next,
    },
    [`ExamineOnWorker${suffix}`]: child('Examine', CHILD_INPUT, {
      selector: {
        'status.$': '$.Output.status',
        'total.$': '$.Output.total',
        'outputs.$': '$.Output.outputs',
      },
      resultPath: '$.Examination',
      next,
      onError,
      catchers: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.ExaminationFailure', Next: onError }],
    }),
  };
}

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
      next: 'OnWorkerBeforeDecision',
      onError: 'ExaminationFailedBeforeDecision',
      catchers: catchTo('ExaminationFailedBeforeDecision', '$.ExaminationFailure'),
    }),
    ...onWorker('BeforeDecision', 'AnalyzeEnd', 'ExaminationFailedBeforeDecision'),
    ExaminationFailedBeforeDecision: pass({ status: 'failed' }, '$.Examination', 'AnalyzeEnd'),
    ExaminedYet: {
      Type: 'Choice',
      Comment: 'An analysis contained after the decision was examined before it.',
      Choices: [{ Variable: '$.Examination', IsPresent: true, Next: 'FinishCase' }],
      Default: 'ExamineEvidence',
    },
    ExamineEvidence: step('examineEvidence', {
      resultPath: '$.Examination',
      next: 'OnWorker',
      onError: 'ExaminationFailed',
      catchers: catchTo('ExaminationFailed', '$.ExaminationFailure'),
    }),
    ...onWorker('', 'FinishCase', 'ExaminationFailed'),
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
