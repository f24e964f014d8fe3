import { randomUUID } from 'node:crypto';
import type { HookableClient } from '../../bot/core/aws-clients.js';
import type { ExecutionRecord, ExecutionStatusChangeEvent, LocalStepFunctions } from './local-sfn.js';

/**
 * The Step Functions API in front of the local engine: the SFN SDK commands the bot sends (StartExecution,
 * DescribeExecution, SendTaskSuccess/Failure/Heartbeat, StopExecution) answered through the
 * `createAwsClient` hook with AWS's shapes and errors, and the EventBridge status-change event.
 */

/** Answers every SFN command of this client from the engine (any other command: an error naming it). */
export function answerSfnClient(engine: LocalStepFunctions, client: HookableClient): void {
  if (client.constructor.name !== 'SFNClient') return;
  client.middlewareStack.add(
    (_next: unknown, context: { commandName?: string }) => async (args: { input: Record<string, any> }) => ({
      output: {
        ...(await answer(engine, context.commandName ?? '', args.input)),
        $metadata: { httpStatusCode: 200 },
      },
      response: { statusCode: 200, headers: {} },
    }),
    { step: 'initialize', name: 'localStepFunctions', priority: 'high', override: true },
  );
}

async function answer(
  engine: LocalStepFunctions,
  command: string,
  input: Record<string, any>,
): Promise<Record<string, unknown>> {
  switch (command) {
    case 'StartExecutionCommand':
      return engine.startExecution({
        stateMachineArn: input.stateMachineArn,
        name: input.name,
        input: input.input,
      });
    case 'DescribeExecutionCommand': {
      const e = engine.describe(input.executionArn);
      return {
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate,
        input: JSON.stringify(e.input),
        output: e.output === undefined ? undefined : JSON.stringify(e.output),
        error: e.error,
        cause: e.cause,
      };
    }
    case 'SendTaskSuccessCommand':
      engine.sendTaskSuccess(input.taskToken, input.output);
      return {};
    case 'SendTaskFailureCommand':
      engine.sendTaskFailure(input.taskToken, input.error, input.cause);
      return {};
    case 'SendTaskHeartbeatCommand':
      engine.heartbeat(input.taskToken);
      return {};
    case 'StopExecutionCommand':
      return { stopDate: engine.stopExecution(input.executionArn) };
    default:
      throw new Error(`SFN ${command} is not simulated by the local Step Functions`);
  }
}

/** The EventBridge event AWS sends for a status change (shape of the AWS documentation's samples). */
export function statusEvent(
  record: ExecutionRecord,
  account: string,
  region: string,
): ExecutionStatusChangeEvent {
  const stopped = record.status !== 'RUNNING';
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.getTime(),
      stopDate: stopped ? (record.stopDate ?? new Date()).getTime() : null,
      input: JSON.stringify(record.input ?? {}),
      inputDetails: { included: true },
      output: record.status === 'SUCCEEDED' ? JSON.stringify(record.output ?? null) : null,
      outputDetails: record.status === 'SUCCEEDED' ? { included: true } : null,
      ...(record.status === 'FAILED' || record.status === 'TIMED_OUT' || record.status === 'ABORTED'
        ? { error: record.error ?? null, cause: record.cause ?? null }
        : {}),
    },
  };
}
