import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type DrainHooks, drainOutbox } from '../bot/outbox/drain.js';
import { deferRings } from '../bot/outbox/queue.js';

/**
 * The outbox drainer (SQS FIFO event source, ReportBatchItemFailures): posts the rung cases' lines and
 * returns the rings it could not serve; those come back after Slack's Retry-After (see bot/outbox/).
 */
export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => drainEvent(event);

export async function drainEvent(event: SQSEvent, hooks: DrainHooks = {}): Promise<SQSBatchResponse> {
  const records = event.Records ?? [];
  const result = await drainOutbox(
    records.map((r) => ({
      messageId: r.messageId,
      body: r.body,
      receiveCount: Number(r.attributes?.ApproximateReceiveCount ?? 1),
    })),
    hooks,
  );
  const failed = new Set(result.failed);
  const back = records.filter((r) => failed.has(r.messageId));
  if (back.length && result.retryAfterSeconds !== undefined)
    await deferRings(
      back[0]!.eventSourceARN,
      back.map((r) => r.receiptHandle),
      result.retryAfterSeconds,
    );
  return { batchItemFailures: back.map((r) => ({ itemIdentifier: r.messageId })) };
}
