import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { createAwsClient, homeRegion } from '../core/aws-clients.js';
import { CASE_ID_RE } from '../core/ids.js';
import { logger } from '../core/logger.js';
import { outboxSettings } from './settings.js';

/**
 * The outbox's doorbell: an SQS FIFO queue (deploy/constructs/outbox.ts). Each line rings once:
 * `{caseId, line}` in the message group of the case's Slack channel — Slack limits posts per channel, and
 * one group is handed to one drainer at a time, in order — with the deduplication id `<caseId>:<line>`,
 * so a send the SDK retries after a lost answer rings once. The lines themselves are in the case's
 * outbox item (store.ts): a ring for a line already posted finds nothing to do.
 */

export const WakeUpSchema = z.object({
  v: z.literal(1),
  caseId: z.string().regex(CASE_ID_RE),
  line: z.number().int().min(1),
});
export type WakeUp = z.infer<typeof WakeUpSchema>;

let client: SQSClient | undefined;

function sqs(): SQSClient {
  // The regional endpoint, not the queue URL's host: the same in AWS, and an endpoint the environment set
  // (AWS_ENDPOINT_URL in the sandbox) is honoured without the SDK's warning.
  client ??= createAwsClient(SQSClient, { region: homeRegion(), useQueueUrlAsEndpoint: false });
  return client;
}

/** For tests and the sandbox: forget the client (after hooks or settings change). */
export function resetOutboxQueue(): void {
  client = undefined;
}

/** The message group of a case's lines: its Slack channel, or the case while it has none. */
export function groupOf(caseId: string, channel: string | undefined): string {
  return channel ? `channel-${channel}` : `case-${caseId}`;
}

export async function ringOutbox(caseId: string, line: number, channel: string | undefined): Promise<void> {
  const queueUrl = outboxSettings().OUTBOX_QUEUE_URL;
  if (!queueUrl) throw new Error('OUTBOX_QUEUE_URL is not set: the outbox is off');
  const body: WakeUp = { v: 1, caseId, line };
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      MessageGroupId: groupOf(caseId, channel),
      MessageDeduplicationId: `${caseId}:${line}`,
    }),
  );
}

/** `arn:aws:sqs:<region>:<account>:<name>` -> the queue's URL (the Lambda event names its queue by ARN). */
export function queueUrlOf(queueArn: string): string {
  const m = /^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([\w.-]{1,80})$/.exec(queueArn);
  if (!m) throw new Error(`"${queueArn}" is not an SQS queue ARN`);
  return `https://sqs.${m[1]}.amazonaws.com/${m[2]}/${m[3]}`;
}

/**
 * Makes rings returned to the queue come back in `seconds` (Retry-After, or an outage's back-off) rather
 * than after the queue's visibility timeout. A handle that expired meanwhile (the ring is visible again
 * already) is logged and left: the ring comes back either way.
 */
export async function deferRings(queueArn: string, receiptHandles: string[], seconds: number): Promise<void> {
  const queueUrl = queueUrlOf(queueArn);
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const batch = receiptHandles.slice(i, i + 10);
    const out = await sqs().send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((handle, n) => ({
          Id: `r${i + n}`,
          ReceiptHandle: handle,
          VisibilityTimeout: seconds,
        })),
      }),
    );
    for (const failed of out.Failed ?? [])
      logger.warn('Could not defer an outbox ring; it comes back after the visibility timeout', {
        code: failed.Code,
        message: failed.Message,
      });
  }
}
