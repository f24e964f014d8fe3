import type { SFNClient } from '@aws-sdk/client-sfn';
import { createAwsClient, homeRegion } from './core/aws-clients.js';
import { ApprovalTaskGoneError, ConfigurationError, WorkflowStartError } from './core/errors.js';
import { logger } from './core/logger.js';
import { workflowSettings } from './core/settings.js';
import type { CaseRecord } from './core/case-model.js';

/**
 * The bot's side of Step Functions: start the case and release workflows, answer the approval task.
 * The SDK module is imported on first use, so the Slack handler's cold start does not pay for it
 * unless a request really starts or answers a workflow.
 */

let pending: Promise<{ client: SFNClient; sdk: typeof import('@aws-sdk/client-sfn') }> | undefined;

async function sfn() {
  pending ??= import('@aws-sdk/client-sfn').then((sdk) => ({
    sdk,
    client: createAwsClient(sdk.SFNClient, { region: homeRegion() }),
  }));
  return pending;
}

/** For tests and benchmarks: forget the client (after hooks change). */
export function resetWorkflowClient(): void {
  pending = undefined;
}

/** The case workflow's input (contract with the workflows helper). */
export function caseWorkflowInput(record: CaseRecord, approval: 'required' | 'not-required') {
  const contain = record.actions.includes('contain');
  return {
    CaseId: record.id,
    InstanceId: record.target.instanceId,
    Account: record.target.account,
    Region: record.target.region,
    Actions: { contain, acquireMemory: true, acquireDisk: true },
    Approval: contain ? approval : 'not-required',
    Trigger: record.trigger,
  };
}

/**
 * Starts `name` on `stateMachineArn` once: a second start with the same name answers
 * ExecutionAlreadyExists, which means the first one won, and is success here.
 */
export async function startExecutionOnce(
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<{ executionArn: string; started: boolean }> {
  const { client, sdk } = await sfn();
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const out = await client.send(
      new sdk.StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return { executionArn: out.executionArn ?? executionArn, started: true };
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
      logger.info('Execution already exists', { name });
      return { executionArn, started: false };
    }
    throw new WorkflowStartError(`Could not start workflow ${name}`, { cause: error });
  }
}

/** Starts the case workflow for a case (name = case id). */
export function startCaseWorkflow(record: CaseRecord, approval: 'required' | 'not-required') {
  return startExecutionOnce(
    workflowSettings().CASE_STATE_MACHINE_ARN,
    record.id,
    caseWorkflowInput(record, approval),
  );
}

/**
 * Starts the case workflow again for a failed case (`<caseId>-retry-<n>`): the same input, so the steps
 * re-run against the case they left (the recorded original configuration is kept, never re-read).
 */
export function startRetryWorkflow(
  record: CaseRecord,
  executionName: string,
  approval: 'required' | 'not-required',
) {
  return startExecutionOnce(
    workflowSettings().CASE_STATE_MACHINE_ARN,
    executionName,
    caseWorkflowInput(record, approval),
  );
}

/** The ARN an execution of that name on that state machine has (known before it starts). */
export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** Starts the release workflow (`<caseId>-release-<n>`). */
export function startReleaseWorkflow(record: CaseRecord, attempt: number, requestedBy: string) {
  const arn = workflowSettings().RELEASE_STATE_MACHINE_ARN;
  if (!arn)
    throw new ConfigurationError('Case workflows configuration: RELEASE_STATE_MACHINE_ARN is missing');
  return startExecutionOnce(arn, `${record.id}-release-${attempt}`, {
    CaseId: record.id,
    InstanceId: record.target.instanceId,
    Account: record.target.account,
    Region: record.target.region,
    RequestedBy: requestedBy,
  });
}

/**
 * Whether the case's timeline shows a forensic worker (or workstation) started and not terminated since
 * (issue 12, item 4): the examine workflow's steps say both.
 */
export function workerMayRun(record: CaseRecord): boolean {
  const steps = record.steps.map((s) => s.step);
  return ['worker', 'workstation'].some(
    (w) => steps.lastIndexOf(`Forensic ${w} started`) > steps.lastIndexOf(`Forensic ${w} terminated`),
  );
}

/**
 * Starts the clean-up of the case's forensic workers (`<caseId>-cleanup-<ms>`): the examine workflow with
 * `Cleanup`, which only terminates them and deletes their role. Closing a case stops its execution, which no
 * Catch of the workflow sees; this is what still terminates its worker then. Undefined without the setting.
 */
export function startWorkerCleanup(record: CaseRecord) {
  const arn = workflowSettings().EXAMINE_STATE_MACHINE_ARN;
  if (!arn) return undefined;
  return startExecutionOnce(arn, `${record.id}-cleanup-${Date.now()}`, {
    CaseId: record.id,
    InstanceId: record.target.instanceId,
    Account: record.target.account,
    Region: record.target.region,
    Cleanup: true,
  });
}

/**
 * Starts an investigator's workstation for the case (`<caseId>-workstation-<ms>`, `/forensics workstation`):
 * the examine workflow with `Workstation`, which launches a worker with the case's evidence and terminates
 * it after `hours`.
 */
export function startWorkstation(record: CaseRecord, hours: number, requestedBy: string) {
  const arn = workflowSettings().EXAMINE_STATE_MACHINE_ARN;
  if (!arn)
    throw new ConfigurationError('Case workflows configuration: EXAMINE_STATE_MACHINE_ARN is missing');
  return startExecutionOnce(arn, `${record.id}-workstation-${Date.now()}`, {
    CaseId: record.id,
    InstanceId: record.target.instanceId,
    Account: record.target.account,
    Region: record.target.region,
    Workstation: { hours, requestedBy },
  });
}

/** Stops an execution (closing its case); one that does not exist any more is not an error. */
export async function stopExecution(executionArn: string, cause: string): Promise<void> {
  const { client, sdk } = await sfn();
  try {
    await client.send(new sdk.StopExecutionCommand({ executionArn, cause: cause.slice(0, 32_000) }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return;
    throw error;
  }
}

const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Approves: the waiting approval step continues with `{approved: true, approver}`. */
export async function sendApproval(taskToken: string, approver: string): Promise<void> {
  const { client, sdk } = await sfn();
  await answer(() =>
    client.send(
      new sdk.SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ approved: true, approver }) }),
    ),
  );
}

/** Denies (or expires): the approval step fails with `error` (`ApprovalDenied`), the reason as cause. */
export async function sendDenial(taskToken: string, reason: string, error = 'ApprovalDenied'): Promise<void> {
  const { client, sdk } = await sfn();
  await answer(() =>
    client.send(new sdk.SendTaskFailureCommand({ taskToken, error, cause: reason.slice(0, 32_000) })),
  );
}

async function answer(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (error instanceof Error && GONE.has(error.name))
      throw new ApprovalTaskGoneError('The approval request is no longer waiting (expired or answered)', {
        cause: error,
      });
    throw error;
  }
}
