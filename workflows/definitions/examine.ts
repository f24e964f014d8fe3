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

export function examineDefinition() {
  return {
    Comment:
      'forensics-bot examine: the case examined on its own forensic worker (analysis VPC, forensic AMI) through SSM, then the worker terminated, on every path. Input {CaseId, InstanceId, Account, Region, Cleanup?}.',
    StartAt: 'CleanupOnly',
    States: {
      // Started by the case's close (bot/workflow-client.ts startWorkerCleanup): the case's execution was
      // stopped, so only the termination of its workers runs (the step runs on a closed case).
      CleanupOnly: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Cleanup', IsPresent: true, Next: 'CleanUp' }],
        Default: 'LaunchWorker',
      },
      CleanUp: step('terminateExamineWorker', {
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
      ExaminationFailed: fail('The examination failed; the worker is terminated; the case says why.'),
      WorkerNotTerminated: fail(
        'The worker could not be terminated by the workflow; it terminates itself at the end of its lifetime, and the lifetime alarm watches it.',
      ),
    },
  };
}
