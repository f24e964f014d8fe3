import type { HookableClient } from '../../bot/core/aws-clients.js';
import type { ExecutionRecord } from './execution.js';

/** What the API needs of the engine (sandbox/stepfunctions/local-sfn.ts is the one). */
export interface SfnEngine {
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: Date;
  };
  describe(executionArn: string): ExecutionRecord;
  sendTaskSuccess(taskToken: string, output: string): void;
  sendTaskFailure(taskToken: string, error?: string, cause?: string): void;
  heartbeat(taskToken: string): void;
  stopExecution(executionArn: string): Date;
}

/**
 * The Step Functions API in front of the local engine: the SFN SDK commands the bot sends (StartExecution,
 * DescribeExecution, SendTaskSuccess/Failure/Heartbeat, StopExecution) answered through the
 * `createAwsClient` hook with AWS's shapes and errors, and the EventBridge status-change event.
 */

/** Answers every SFN command of this client from the engine (any other command: an error naming it). */
export function answerSfnClient(engine: SfnEngine, client: HookableClient): void {
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
  engine: SfnEngine,
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
