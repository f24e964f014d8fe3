/**
 * The examination on the case's forensic worker (issue 12, item 4; `EXAMINE_WORKER=ec2`), a child of the
 * case workflow: launch the worker, wait for its SSM agent, run the examination through Run Command, wait
 * for it, terminate the worker. Every path ends in the termination: a failure of any state (a launch IAM
 * refused, a worker that never came online, a failed examination, a case closed meanwhile) goes to the
 * termination first, then fails with what happened. The worker does not depend on this alone: it
 * terminates itself at the end of its lifetime (workflows/steps/examine-worker.ts, docs/deploy.md).
 */
import { catchTo, fail, type State, step } from './states.js';

/** IAM is eventually consistent: a just-created instance profile is refused by RunInstances for seconds. */
const PROFILE_NOT_READY = {
  ErrorEquals: ['WorkerProfileNotReadyError'],
  IntervalSeconds: 5,
  MaxAttempts: 8,
  BackoffRate: 1.5,
};

const withRetry = (state: State, retry: object): State => ({
  ...state,
  Retry: [retry, ...((state.Retry as object[]) ?? [])],
});

const onError = 'TerminateAfterFailure';
const toTermination = { onError, catchers: catchTo('WorkerLaunched', '$.Failure') };

/**
 * An investigator's workstation (`/forensics workstation`, started by the Slack side): a worker of the case
 * with its evidence read and verified onto it, reachable through Session Manager only, terminated when its
 * hours are over (and by itself then, whatever this workflow does), or at once on any failure.
 */
function workstationStates() {
  const onError = 'TerminateWorkstation';
  const toEnd = { onError, catchers: catchTo(onError, '$.Failure') };
  return {
    LaunchWorkstation: withRetry(
      step('launchExamineWorker', {
        params: {
          'executionName.$': '$$.Execution.Name',
          purpose: 'workstation',
          'hours.$': '$.Workstation.hours',
        },
        resultPath: '$.Worker',
        next: 'WaitForWorkstation',
        onError: 'TerminateWorkstationByTag',
        catchers: catchTo('TerminateWorkstationByTag', '$.Failure'),
      }),
      PROFILE_NOT_READY,
    ),
    WaitForWorkstation: { Type: 'Wait', SecondsPath: '$.Worker.pollSeconds', Next: 'PollWorkstation' },
    PollWorkstation: step('pollExamineWorker', {
      params: { 'worker.$': '$.Worker' },
      resultPath: '$.Worker',
      next: 'WorkstationOnline',
      ...toEnd,
    }),
    WorkstationOnline: {
      Type: 'Choice',
      Choices: [{ Variable: '$.Worker.online', BooleanEquals: true, Next: 'FetchEvidence' }],
      Default: 'WaitForWorkstation',
    },
    FetchEvidence: step('startWorkerExamination', {
      params: { 'worker.$': '$.Worker' },
      resultPath: '$.Worker',
      next: 'WaitForEvidence',
      ...toEnd,
    }),
    WaitForEvidence: { Type: 'Wait', SecondsPath: '$.Worker.pollSeconds', Next: 'PollEvidence' },
    PollEvidence: step('pollWorkerExamination', {
      params: { 'worker.$': '$.Worker' },
      resultPath: '$.Worker',
      next: 'EvidenceFetched',
      ...toEnd,
    }),
    EvidenceFetched: {
      Type: 'Choice',
      Choices: [{ Variable: '$.Worker.done', BooleanEquals: true, Next: 'WorkstationReady' }],
      Default: 'WaitForEvidence',
    },
    WorkstationReady: step('workstationReady', {
      params: { 'worker.$': '$.Worker' },
      resultPath: '$.Worker',
      next: 'WorkstationOpen',
      ...toEnd,
    }),
    WorkstationOpen: { Type: 'Wait', SecondsPath: '$.Worker.openSeconds', Next: onError },
    [onError]: step('terminateExamineWorker', {
      params: { purpose: 'workstation' },
      resultPath: '$.Terminated',
      next: 'WorkstationClosed',
      onError: 'WorkerNotTerminated',
      catchers: catchTo('WorkerNotTerminated', '$.TerminationFailure'),
    }),
    TerminateWorkstationByTag: step('terminateExamineWorker', {
      params: { purpose: 'workstation' },
      resultPath: '$.Terminated',
      next: 'WorkstationClosed',
      onError: 'WorkerNotTerminated',
      catchers: catchTo('WorkerNotTerminated', '$.TerminationFailure'),
    }),
    WorkstationClosed: {
      Type: 'Choice',
      Comment: 'Ended by its hours: done; ended by a failure: the execution fails with it.',
      Choices: [{ Variable: '$.Failure', IsPresent: true, Next: 'WorkstationFailed' }],
      Default: 'WorkstationDone',
    },
    WorkstationDone: { Type: 'Succeed' },
    WorkstationFailed: fail('The workstation failed; it is terminated; the case thread says why.'),
  };
}

export function examineDefinition() {
  return {
    Comment:
      'forensics-bot examine: the case examined on its own forensic worker (analysis VPC, forensic AMI) through SSM, then the worker terminated, on every path. Input {CaseId, InstanceId, Account, Region, Cleanup?, Workstation?: {hours}}.',
    StartAt: 'CleanupOnly',
    States: {
      // Started by the case's close (bot/workflow-client.ts startWorkerCleanup): the case's execution was
      // stopped, so only the termination of its workers runs (the step runs on a closed case).
      CleanupOnly: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.Cleanup', IsPresent: true, Next: 'CleanUp' },
          { Variable: '$.Workstation', IsPresent: true, Next: 'LaunchWorkstation' },
        ],
        Default: 'LaunchWorker',
      },
      CleanUp: step('terminateExamineWorker', {
        params: { purpose: 'all' },
        resultPath: '$.Terminated',
        next: 'CleanedUp',
        onError: 'WorkerNotTerminated',
        catchers: catchTo('WorkerNotTerminated', '$.Failure'),
      }),
      CleanedUp: { Type: 'Succeed' },
      LaunchWorker: withRetry(
        step('launchExamineWorker', {
          params: { 'executionName.$': '$$.Execution.Name' },
          resultPath: '$.Worker',
          next: 'WaitForWorker',
          onError,
          // no worker state yet: the termination finds the case's workers by their tags
          catchers: catchTo('TerminateByTag', '$.Failure'),
        }),
        PROFILE_NOT_READY,
      ),
      WaitForWorker: { Type: 'Wait', SecondsPath: '$.Worker.pollSeconds', Next: 'PollWorker' },
      PollWorker: step('pollExamineWorker', {
        params: { 'worker.$': '$.Worker' },
        resultPath: '$.Worker',
        next: 'WorkerOnline',
        ...toTermination,
      }),
      WorkerOnline: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Worker.online', BooleanEquals: true, Next: 'StartExamination' }],
        Default: 'WaitForWorker',
      },
      StartExamination: step('startWorkerExamination', {
        params: { 'worker.$': '$.Worker' },
        resultPath: '$.Worker',
        next: 'WaitForExamination',
        ...toTermination,
      }),
      WaitForExamination: { Type: 'Wait', SecondsPath: '$.Worker.pollSeconds', Next: 'PollExamination' },
      PollExamination: step('pollWorkerExamination', {
        params: { 'worker.$': '$.Worker' },
        resultPath: '$.Worker',
        next: 'ExaminationDone',
        ...toTermination,
      }),
      ExaminationDone: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Worker.done', BooleanEquals: true, Next: 'TerminateWorker' }],
        Default: 'WaitForExamination',
      },
      TerminateWorker: step('terminateExamineWorker', {
        params: { 'worker.$': '$.Worker' },
        resultPath: '$.Terminated',
        next: 'Examined',
        onError: 'WorkerNotTerminated',
        catchers: catchTo('WorkerNotTerminated', '$.Failure'),
      }),
      Examined: { Type: 'Pass', InputPath: '$.Worker.examination', End: true },

      // A failure after the launch: the state still names the worker (a poll failed, the case closed…).
      WorkerLaunched: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Worker.instanceId', IsPresent: true, Next: onError }],
        Default: 'TerminateByTag',
      },
      [onError]: step('terminateExamineWorker', {
        params: { 'worker.$': '$.Worker', 'failure.$': '$.Failure' },
        resultPath: '$.Terminated',
        next: 'ExaminationFailed',
        onError: 'WorkerNotTerminated',
        catchers: catchTo('WorkerNotTerminated', '$.TerminationFailure'),
      }),
      TerminateByTag: step('terminateExamineWorker', {
        params: { 'failure.$': '$.Failure' },
        resultPath: '$.Terminated',
        next: 'ExaminationFailed',
        onError: 'WorkerNotTerminated',
        catchers: catchTo('WorkerNotTerminated', '$.TerminationFailure'),
      }),
      ...workstationStates(),
      ExaminationFailed: fail('The examination failed; the worker is terminated; the case says why.'),
      WorkerNotTerminated: fail(
        'The worker could not be terminated by the workflow; it terminates itself at the end of its lifetime, and the lifetime alarm watches it.',
      ),
    },
  };
}
