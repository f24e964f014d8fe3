/**
 * What Lambda's SQS event source mapping does for the outbox drainer, run against the simulated queue:
 * long-polls up to 10 messages, hands them to the handler as an `SQSEvent` (FIFO: one batch at a time),
 * deletes the messages the handler did not return in `batchItemFailures`, and deletes nothing when the
 * handler throws (its messages come back after the visibility timeout, as when a Lambda crashes).
 *
 * `startSandboxOutbox` creates the queues as the deploy does (a FIFO queue with a FIFO dead-letter queue
 * behind a redrive policy) through the real SQS client, sets `OUTBOX_QUEUE_URL`, and starts the drainer.
 */
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createAwsClient, homeRegion } from '../../../bot/core/aws-clients.js';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export interface EventSourceOptions {
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  /** Messages per batch (Lambda: at most 10 for FIFO). */
  batchSize?: number;
  /** Long-poll wait of each receive, seconds. */
  waitSeconds?: number;
  /** Told of a batch whose handler threw (the messages come back after the visibility timeout). */
  onError?: (error: unknown) => void;
}

export class SqsEventSource {
  private running = false;
  private loop?: Promise<void>;
  private busy = false;
  private readonly sqs = createAwsClient(SQSClient, { region: homeRegion(), useQueueUrlAsEndpoint: false });
  /** Batches handed to the handler, and how many of them threw. */
  batches = 0;
  crashes = 0;

  constructor(private readonly options: EventSourceOptions) {}

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.loop = this.poll();
    return this;
  }

  /** Stops polling; resolves when the batch in hand (if any) is done. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Messages in the queue, visible or in flight. */
  async waiting(): Promise<number> {
    const out = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.options.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  /** Resolves when the queue holds no message (visible or in flight) and no batch is in hand. */
  async drained(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    do {
      if ((await this.waiting()) === 0 && !this.busy) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (Date.now() < deadline);
    throw new Error(`The outbox queue did not drain within ${timeoutMs} ms`);
  }

  /** One receive and, when it returned messages, one batch handed to the handler; how many it had. */
  async pollOnce(waitSeconds = this.options.waitSeconds ?? 1): Promise<number> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: this.options.batchSize ?? 10,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return 0;
    this.busy = true;
    try {
      await this.deliver(messages);
    } finally {
      this.busy = false;
    }
    return messages.length;
  }

  private async poll(): Promise<void> {
    while (this.running) {
      try {
        await this.pollOnce();
      } catch (error) {
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private async deliver(messages: Message[]): Promise<void> {
    this.batches += 1;
    const records = messages.map((m) => this.record(m));
    let response: SQSBatchResponse;
    try {
      response = await this.options.handler({ Records: records });
    } catch (error) {
      this.crashes += 1;
      this.options.onError?.(error);
      return;
    }
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length === 0) return;
    const out = await this.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.options.queueUrl,
        Entries: done.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    // A handle that expired while the handler ran: the message is received again, as in Lambda.
    for (const f of out.Failed ?? [])
      this.options.onError?.(new Error(`DeleteMessage ${f.Code}: ${f.Message}`));
  }

  private record(m: Message): SQSRecord {
    const a = m.Attributes ?? {};
    return {
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
        SentTimestamp: a.SentTimestamp ?? '',
        SenderId: a.SenderId ?? '',
        ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '',
        ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
        ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
        ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: homeRegion(),
    };
  }
}

export interface SandboxOutbox {
  queueUrl: string;
  deadLetterQueueUrl: string;
  source: SqsEventSource;
  stop(): Promise<void>;
}

export interface SandboxOutboxOptions {
  /** The queue's visibility timeout (the deploy's is 6 × the drainer's timeout; shorter here). */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  queueName?: string;
  handler?: SqsHandler;
  onError?: (error: unknown) => void;
  /** Whether the drainer polls on its own (default); off, a test drives it with `source.pollOnce()`. */
  autoStart?: boolean;
}

/** Creates the outbox queues in the simulated security account and starts the drainer on them. */
export async function startSandboxOutbox(options: SandboxOutboxOptions = {}): Promise<SandboxOutbox> {
  const sqs = createAwsClient(SQSClient, { region: homeRegion(), useQueueUrlAsEndpoint: false });
  const name = options.queueName ?? 'forensics-bot-case-lines';
  const arnOf = async (url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })))
      .Attributes!.QueueArn!;
  const { QueueUrl: deadLetterQueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}-dlq.fifo`,
      Attributes: { FifoQueue: 'true', MessageRetentionPeriod: '1209600' },
    }),
  );
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await arnOf(deadLetterQueueUrl!),
          maxReceiveCount: options.maxReceiveCount ?? 100,
        }),
      },
    }),
  );
  process.env.OUTBOX_QUEUE_URL = queueUrl!;
  const { outboxSettings } = await import('../../../bot/outbox/settings.js');
  const { resetOutboxQueue } = await import('../../../bot/outbox/queue.js');
  outboxSettings.reset();
  resetOutboxQueue();
  const handler = options.handler ?? (await import('../../../handlers/outbox.js')).handler;
  const source = new SqsEventSource({
    queueUrl: queueUrl!,
    queueArn: await arnOf(queueUrl!),
    handler,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  if (options.autoStart !== false) source.start();
  return {
    queueUrl: queueUrl!,
    deadLetterQueueUrl: deadLetterQueueUrl!,
    source,
    async stop() {
      await source.stop();
      delete process.env.OUTBOX_QUEUE_URL;
      outboxSettings.reset();
      resetOutboxQueue();
    },
  };
}
