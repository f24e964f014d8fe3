import './polyfill.js';
import { randomUUID } from 'node:crypto';
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  StateMachineDoesNotExist,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { StateMachine } from 'aws-local-stepfunctions';
import { onAwsClientCreated } from '../../bot/core/aws-clients.js';
import { type ExecutionRecord, type ExecutionStatusChangeEvent, statusEvent } from './execution.js';
import { answerSfnClient } from './sfn-api.js';
import { eachState } from '../../workflows/definitions/files.js';
import { loadDefinitions, substitute } from './definitions.js';

export { loadDefinitions } from './definitions.js';
export {
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStatusChangeEvent,
  statusEvent,
} from './execution.js';

/**
 * Step Functions on one machine: the real ASL of `workflows/definitions/` run by aws-local-stepfunctions,
 * every Lambda Task answered by the steps handler, child workflows (`startExecution.sync:2`) run as real
 * child executions, `.waitForTaskToken` tasks answered by SendTaskSuccess/SendTaskFailure (or their
 * timeout), and the SFN SDK commands the bot sends (StartExecution, DescribeExecution, SendTaskSuccess,
 * SendTaskFailure, StopExecution) answered through the `createAwsClient` hook. Each execution emits
 * "Step Functions Execution Status Change" events as EventBridge would deliver them.
 */

export type StepHandler = (event: any) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  /** Definitions by name (`case`, `contain`, …); default: `workflows/definitions/*.asl.json`. */
  definitions?: Record<string, object>;
  /** The steps Lambda (`handlers/steps.ts` `handler`). */
  stepHandler: StepHandler;
  /** Every Wait state lasts this many seconds instead (0: no wait). Default: as written. */
  waitSeconds?: number;
  /** Every `.waitForTaskToken` times out after this many seconds instead of its `TimeoutSeconds(Path)`. */
  taskTimeoutSeconds?: number;
  /** Pause between Retry attempts, in ms, instead of the definitions' back-off. */
  retryIntervalMs?: number;
  /** Receives each status-change event (e.g. `handlers/progress.ts`). Awaited in order. */
  onStatusChange?: (event: ExecutionStatusChangeEvent) => unknown;
  account?: string;
  region?: string;
  /** State machine names are `<prefix><definition name>` (default `forensics-bot-`). */
  namePrefix?: string;
  /** Register the SFN client hook (default true). */
  hook?: boolean;
}

interface PendingTask {
  token: string;
  executionArn: string;
  stateName: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
  /** The task's Lambda returned: the request reached whoever will answer. */
  delivered?: boolean;
}

const TOKEN_PLACEHOLDER = 'LOCAL-SFN-TASK-TOKEN';
const TIMEOUT_FIELD = '__localTimeoutSeconds';
/** Below 2^31 ms: Node turns longer timers into 1 ms. */
const NEVER_SECONDS = 2_000_000;

export class LocalStepFunctions {
  readonly account: string;
  readonly region: string;
  private readonly definitions: Record<string, object>;
  private readonly executionsByArn = new Map<
    string,
    ExecutionRecord & { done: Promise<void>; abort?: () => void }
  >();
  private readonly tasks = new Map<string, PendingTask>();
  private readonly spentTokens = new Map<string, 'timed-out' | 'answered'>();
  private removeHook?: () => void;
  private events: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.account = options.account ?? '111111111111';
    this.region = options.region ?? 'us-east-1';
    this.definitions = options.definitions ?? loadDefinitions();
    if (options.hook !== false) this.install();
  }

  /** The ARN of a definition's state machine (`case` -> `…:stateMachine:forensics-bot-case`). */
  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${this.options.namePrefix ?? 'forensics-bot-'}${name}`;
  }

  get stepsFunctionArn(): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:forensics-bot-steps`;
  }

  /** Answers SFN commands of clients made from now on. Idempotent. */
  install(): this {
    this.removeHook ??= onAwsClientCreated((client) => answerSfnClient(this, client));
    return this;
  }

  uninstall(): void {
    this.removeHook?.();
    this.removeHook = undefined;
  }

  /** Stops every running execution and unhooks. */
  stop(): void {
    for (const e of this.executionsByArn.values()) if (e.status === 'RUNNING') e.abort?.();
    for (const t of this.tasks.values()) if (t.timer) clearTimeout(t.timer);
    this.uninstall();
  }

  /** All executions so far (children included), oldest first. */
  executions(): ExecutionRecord[] {
    return [...this.executionsByArn.values()].map(({ done: _d, abort: _a, ...e }) => ({ ...e }));
  }

  /** Tokens of the tasks waiting now (tests; the bot reads its token from the case record). */
  waitingTasks(): { token: string; executionArn: string; stateName: string }[] {
    return [...this.tasks.values()].map(({ token, executionArn, stateName }) => ({
      token,
      executionArn,
      stateName,
    }));
  }

  /** Resolves when the execution has stopped and its last status event was handled. */
  async waitFor(executionArn: string): Promise<ExecutionRecord> {
    const e = this.executionsByArn.get(executionArn);
    if (!e)
      throw new ExecutionDoesNotExist({
        message: `Execution does not exist: '${executionArn}'`,
        $metadata: {},
      });
    await e.done;
    return this.describe(executionArn);
  }

  /** Resolves as soon as some task waits for a token in this execution (or its children). */
  async waitForTask(executionArn: string, timeoutMs = 10_000): Promise<string> {
    const started = Date.now();
    for (;;) {
      const t = [...this.tasks.values()].find(
        (x) => x.delivered && this.rootOf(x.executionArn) === executionArn,
      );
      if (t) return t.token;
      const e = this.executionsByArn.get(executionArn);
      if (e && e.status !== 'RUNNING')
        throw new Error(`${executionArn} ended ${e.status} without waiting for a task`);
      if (Date.now() - started > timeoutMs) throw new Error(`No task waits in ${executionArn}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  describe(executionArn: string): ExecutionRecord {
    const e = this.executionsByArn.get(executionArn);
    if (!e)
      throw new ExecutionDoesNotExist({
        message: `Execution does not exist: '${executionArn}'`,
        $metadata: {},
      });
    const { done: _d, abort: _a, ...record } = e;
    return { ...record };
  }

  /** StartExecution. Same name again: the same execution if it runs with the same input, else ExecutionAlreadyExists. */
  startExecution(input: { stateMachineArn: string; name?: string; input?: string; parentArn?: string }): {
    executionArn: string;
    startDate: Date;
  } {
    const definitionName = this.definitionNameOf(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    const executionArn = `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executionsByArn.get(executionArn);
    if (existing) {
      if (
        existing.status === 'RUNNING' &&
        JSON.stringify(existing.input) === JSON.stringify(parse(input.input))
      )
        return { executionArn, startDate: existing.startDate };
      throw new ExecutionAlreadyExists({
        message: `Execution Already Exists: '${executionArn}'`,
        $metadata: {},
      });
    }
    this.run(definitionName, input.stateMachineArn, executionArn, name, parse(input.input), input.parentArn);
    return { executionArn, startDate: this.executionsByArn.get(executionArn)!.startDate };
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    const task = this.takeTask(taskToken);
    task.resolve(parse(output));
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    const task = this.takeTask(taskToken);
    const e = new Error(cause ?? '');
    e.name = error ?? 'States.TaskFailed';
    task.reject(e);
  }

  stopExecution(executionArn: string): Date {
    const e = this.executionsByArn.get(executionArn);
    if (!e)
      throw new ExecutionDoesNotExist({
        message: `Execution does not exist: '${executionArn}'`,
        $metadata: {},
      });
    e.abort?.();
    return new Date();
  }

  private takeTask(token: string): PendingTask {
    const task = this.tasks.get(token);
    if (!task) {
      const spent = this.spentTokens.get(token);
      if (spent === 'timed-out') throw new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} });
      if (spent) throw new TaskDoesNotExist({ message: 'Task Does Not Exist', $metadata: {} });
      throw new InvalidToken({ message: 'Invalid Token', $metadata: {} });
    }
    this.tasks.delete(token);
    this.spentTokens.set(token, 'answered');
    if (task.timer) clearTimeout(task.timer);
    return task;
  }

  private definitionNameOf(stateMachineArn: string): string {
    const smName = stateMachineArn.split(':stateMachine:')[1] ?? '';
    const prefix = this.options.namePrefix ?? 'forensics-bot-';
    const candidates = [
      smName,
      smName.replace(prefix, ''),
      smName.replace(/^forensics-bot-|^forensics-/, ''),
    ];
    const found = candidates.find((c) => c in this.definitions);
    if (!found)
      throw new StateMachineDoesNotExist({
        message: `State Machine Does Not Exist: '${stateMachineArn}'`,
        $metadata: {},
      });
    return found;
  }

  private rootOf(executionArn: string): string {
    let arn = executionArn;
    for (let i = 0; i < 10; i++) {
      const parent = this.executionsByArn.get(arn)?.parentArn;
      if (!parent) return arn;
      arn = parent;
    }
    return arn;
  }

  private run(
    definitionName: string,
    stateMachineArn: string,
    executionArn: string,
    name: string,
    input: unknown,
    parentArn?: string,
  ): void {
    const definition = this.prepare(definitionName);
    const machine = new StateMachine(definition as never, {
      validationOptions: { checkPaths: true, checkArn: true },
    });
    const startDate = new Date();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      definitionName,
      name,
      status: 'RUNNING',
      input,
      startDate,
      ...(parentArn ? { parentArn } : {}),
    };
    let finish!: () => void;
    const done = new Promise<void>((r) => {
      finish = r;
    });
    const entry: ExecutionRecord & { done: Promise<void>; abort?: () => void } = Object.assign(record, {
      done,
    });
    this.executionsByArn.set(executionArn, entry);
    const execution = machine.run(input as never, {
      overrides: this.overrides(definition, executionArn),
      context: {
        Execution: {
          Id: executionArn,
          Input: input as never,
          Name: name,
          StartTime: startDate.toISOString(),
        },
        StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(':').pop() },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    entry.abort = () => execution.abort();
    const started = this.emit(record);
    execution.result
      .then(
        (output) => {
          Object.assign(record, { status: 'SUCCEEDED', output, stopDate: new Date() });
        },
        (error: unknown) => {
          const inner = (error as { cause?: unknown })?.cause ?? error;
          const errName =
            error instanceof Error && error.name === 'ExecutionAbortedError' ? 'ABORTED' : undefined;
          const timedOut = error instanceof Error && error.name === 'ExecutionTimeoutError';
          Object.assign(record, {
            status: errName ?? (timedOut ? 'TIMED_OUT' : 'FAILED'),
            error: inner instanceof Error ? inner.name : 'States.Runtime',
            cause: inner instanceof Error ? inner.message : String(inner),
            stopDate: new Date(),
          });
        },
      )
      .then(async () => {
        await started;
        for (const [token, t] of this.tasks)
          if (t.executionArn === executionArn) {
            if (t.timer) clearTimeout(t.timer);
            this.tasks.delete(token);
          }
        await this.emit(record);
        finish();
      });
  }

  /** The definition with substitutions made and callback timeouts moved where the runner can read them. */
  private prepare(name: string): object {
    const definition = substitute(structuredClone(this.definitions[name]!), {
      stepsFunction: this.stepsFunctionArn,
      stateMachine: (n) => this.stateMachineArn(n),
    }) as { States: Record<string, any> };
    eachState(definition.States, (state) => {
      if (state.Type === 'Task' && String(state.Resource).endsWith('.waitForTaskToken')) {
        // aws-local-stepfunctions reads TimeoutSecondsPath from the task's effective input (AWS reads the
        // state input); the runner carries the value in the payload and times the wait itself.
        const payload = state.Parameters?.Payload ?? state.Parameters;
        if (state.TimeoutSecondsPath) payload[`${TIMEOUT_FIELD}.$`] = state.TimeoutSecondsPath;
        else if (state.TimeoutSeconds) payload[TIMEOUT_FIELD] = state.TimeoutSeconds;
        delete state.TimeoutSecondsPath;
        state.TimeoutSeconds = NEVER_SECONDS;
      } else if (state.Type === 'Task' && !state.TimeoutSeconds && !state.TimeoutSecondsPath) {
        state.TimeoutSeconds = NEVER_SECONDS;
      }
    });
    return definition;
  }

  private overrides(definition: object, executionArn: string) {
    const taskResourceLocalHandlers: Record<string, (input: any) => Promise<any>> = {};
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    eachState((definition as { States: Record<string, any> }).States, (state, stateName) => {
      if (state.Type === 'Wait' && this.options.waitSeconds !== undefined)
        waitTimeOverrides[stateName] = this.options.waitSeconds * 1000;
      if (state.Retry && this.options.retryIntervalMs !== undefined)
        retryIntervalOverrides[stateName] = this.options.retryIntervalMs;
      if (state.Type !== 'Task') return;
      const resource = String(state.Resource);
      if (resource.endsWith('.waitForTaskToken'))
        taskResourceLocalHandlers[stateName] = (input) => this.callback(input, executionArn, stateName);
      else if (resource.startsWith('arn:aws:states:::states:startExecution.sync'))
        taskResourceLocalHandlers[stateName] = (input) => this.childExecution(input, executionArn);
      else if (resource.startsWith('arn:aws:lambda:') || resource === 'arn:aws:states:::lambda:invoke')
        taskResourceLocalHandlers[stateName] = (input) =>
          this.invoke(resource === 'arn:aws:states:::lambda:invoke' ? input.Payload : input);
      else
        taskResourceLocalHandlers[stateName] = async () => {
          throw Object.assign(new Error(`${resource} is not supported by the local runner`), {
            name: 'States.Runtime',
          });
        };
    });
    return { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides };
  }

  /** A Lambda invocation: JSON in, JSON out; an error arrives as AWS reports it (name + JSON cause). */
  private async invoke(payload: unknown): Promise<unknown> {
    try {
      const out = await this.options.stepHandler(JSON.parse(JSON.stringify(payload ?? null)));
      return out === undefined ? null : JSON.parse(JSON.stringify(out));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      const wrapped = new Error(JSON.stringify({ errorType: name, errorMessage: message }));
      wrapped.name = name;
      throw wrapped;
    }
  }

  private async callback(input: any, executionArn: string, stateName: string): Promise<unknown> {
    const token = `${randomUUID()}${randomUUID()}`.replaceAll('-', '');
    const payload = structuredClone(input.Payload ?? input);
    const declared = Number(payload[TIMEOUT_FIELD]);
    delete payload[TIMEOUT_FIELD];
    const timeoutSeconds =
      this.options.taskTimeoutSeconds ?? (Number.isFinite(declared) && declared > 0 ? declared : undefined);
    const replaced = JSON.parse(JSON.stringify(payload).replaceAll(TOKEN_PLACEHOLDER, token));
    const answered = new Promise<unknown>((resolve, reject) => {
      const task: PendingTask = { token, executionArn, stateName, resolve, reject };
      if (timeoutSeconds !== undefined)
        task.timer = setTimeout(() => {
          if (!this.tasks.has(token)) return;
          this.tasks.delete(token);
          this.spentTokens.set(token, 'timed-out');
          reject(Object.assign(new Error('States.Timeout'), { name: 'States.Timeout' }));
        }, timeoutSeconds * 1000);
      this.tasks.set(token, task);
    });
    answered.catch(() => undefined);
    try {
      await this.invoke(replaced);
      const task = this.tasks.get(token);
      if (task) task.delivered = true;
    } catch (error) {
      const task = this.tasks.get(token);
      if (task?.timer) clearTimeout(task.timer);
      this.tasks.delete(token);
      throw error;
    }
    return answered;
  }

  private async childExecution(input: any, parentArn: string): Promise<unknown> {
    const started = this.startExecution({
      stateMachineArn: input.StateMachineArn,
      name: input.Name,
      input: typeof input.Input === 'string' ? input.Input : JSON.stringify(input.Input ?? {}),
      parentArn,
    });
    const result = await this.waitFor(started.executionArn);
    const description = {
      ExecutionArn: result.executionArn,
      StateMachineArn: result.stateMachineArn,
      Name: result.name,
      Status: result.status,
      StartDate: result.startDate.getTime(),
      StopDate: result.stopDate?.getTime(),
      Input: result.input,
      Output: result.output ?? null,
    };
    if (result.status === 'SUCCEEDED') return description;
    const error = new Error(JSON.stringify({ ...description, Error: result.error, Cause: result.cause }));
    error.name = 'States.TaskFailed';
    throw error;
  }

  private emit(record: ExecutionRecord): Promise<unknown> {
    const handler = this.options.onStatusChange;
    if (!handler) return Promise.resolve();
    const event = statusEvent(record, this.account, this.region);
    this.events = this.events.then(async () => {
      try {
        await handler(event);
      } catch (error) {
        // A failing listener must not stop the workflows (EventBridge would retry, then give up); said.
        console.error(`local Step Functions: the status-change listener failed for ${record.name}:`, error);
      }
    });
    return this.events;
  }

  /** SendTaskHeartbeat: a token that is not waiting fails as AWS does. */
  heartbeat(taskToken: string): void {
    if (!this.tasks.has(taskToken)) this.takeTask(taskToken);
  }
}

function parse(text: string | undefined): unknown {
  if (text === undefined || text === '') return {};
  return JSON.parse(text) as unknown;
}
