import { randomUUID } from 'node:crypto';

/** What the local engine keeps of an execution, and the EventBridge event it emits when one changes status. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate: number | null;
    input: string;
    inputDetails: { included: boolean };
    output: string | null;
    outputDetails: { included: boolean } | null;
    error?: string | null;
    cause?: string | null;
  };
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  definitionName: string;
  name: string;
  status: ExecutionStatus;
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  parentArn?: string;
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
