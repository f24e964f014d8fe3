/**
 * Amazon SQS FIFO queues, as strict as the service on what the outbox relies on (issue 13):
 *
 * - `MessageGroupId` is required; `MessageDeduplicationId` too unless the queue has content-based
 *   deduplication. A message whose deduplication id was accepted in the last 5 minutes is accepted again
 *   (same MessageId and SequenceNumber) and not enqueued twice.
 * - Order within a group is the order of sending. While any message of a group is in flight (received,
 *   not deleted, visibility timeout not over) no other message of that group is returned: a receive
 *   returns, per group, the oldest messages only, up to MaxNumberOfMessages (1–10).
 * - Every receive makes a new receipt handle and counts ApproximateReceiveCount. Once the visibility
 *   timeout has passed the handle has expired: DeleteMessage and ChangeMessageVisibility with it fail
 *   (`InvalidParameterValue` "The receipt handle has expired"), as on a FIFO queue.
 * - A redrive policy moves a message to its dead-letter queue (FIFO too) when it would be received more
 *   than `maxReceiveCount` times.
 * - Per-message DelaySeconds and message attributes are refused (not allowed on FIFO / not simulated);
 *   standard queues are not simulated at all.
 *
 * Time is the organization's clock (`ctx.now()`), so visibility timeouts pass with simulated latency too.
 * State is kept per simulated world (a queue belongs to its account and region).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type * as SQS from '@aws-sdk/client-sqs';
import type { CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import type { World } from '../world.js';

const DEDUPLICATION_WINDOW_MS = 5 * 60_000;
const MAX_BATCH = 10;
const MAX_VISIBILITY_S = 43_200;
const MAX_WAIT_S = 20;

export interface SqsMessage {
  messageId: string;
  body: string;
  md5: string;
  groupId: string;
  deduplicationId: string;
  sequenceNumber: string;
  sentAt: number;
  senderId: string;
  receiveCount: number;
  firstReceiveAt?: number;
  /** When the message is visible again (0: never received or made visible). */
  invisibleUntil: number;
  /** The handle of the latest receive; only it may delete or change the message. */
  receiptHandle?: string;
}

export interface SqsQueue {
  name: string;
  url: string;
  arn: string;
  account: string;
  region: string;
  createdAt: number;
  attributes: Record<string, string>;
  messages: SqsMessage[];
  /** Deduplication id -> the message it first stood for and when it was accepted. */
  deduplication: Map<string, { messageId: string; sequenceNumber: string; at: number }>;
  /** Every receipt handle issued, with its message and the end of that receive's visibility. */
  handles: Map<string, { messageId: string; until: number }>;
  sequence: bigint;
}

const queuesOf = new WeakMap<World, Map<string, SqsQueue>>();

/** Every queue of the simulated world, by URL. */
export function sqsQueues(world: World): Map<string, SqsQueue> {
  let queues = queuesOf.get(world);
  if (!queues) {
    queues = new Map();
    queuesOf.set(world, queues);
  }
  return queues;
}

const ATTRIBUTE_DEFAULTS: Record<string, string> = {
  VisibilityTimeout: '30',
  MessageRetentionPeriod: '345600',
  MaximumMessageSize: '262144',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
  SqsManagedSseEnabled: 'true',
};

const RANGES: Record<string, [number, number]> = {
  VisibilityTimeout: [0, MAX_VISIBILITY_S],
  MessageRetentionPeriod: [60, 1_209_600],
  MaximumMessageSize: [1024, 1_048_576],
  DelaySeconds: [0, 900],
  ReceiveMessageWaitTimeSeconds: [0, MAX_WAIT_S],
};

const SETTABLE = new Set([
  ...Object.keys(ATTRIBUTE_DEFAULTS),
  'FifoQueue',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'Policy',
]);

function invalid(ctx: CallContext, message: string): never {
  return ctx.fail('InvalidParameterValue', message);
}

function checkAttributes(ctx: CallContext, name: string, attributes: Record<string, string>): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (!SETTABLE.has(key)) ctx.fail('InvalidAttributeName', `Unknown Attribute ${key}.`);
    const range = RANGES[key];
    if (range) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < range[0] || n > range[1])
        ctx.fail('InvalidAttributeValue', `Invalid value for the parameter ${key}.`);
    }
    if (['FifoQueue', 'ContentBasedDeduplication', 'SqsManagedSseEnabled'].includes(key))
      if (value !== 'true' && value !== 'false')
        ctx.fail('InvalidAttributeValue', `Invalid value for the parameter ${key}.`);
  }
  if (attributes.FifoQueue !== 'true')
    ctx.fail('UnsupportedOperation', 'Only FIFO queues are simulated (FifoQueue=true)');
  if (!name.endsWith('.fifo'))
    ctx.fail(
      'InvalidParameterValue',
      'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
    );
  if (attributes.RedrivePolicy !== undefined) {
    const policy = parseJson(attributes.RedrivePolicy) as
      | { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown }
      | undefined;
    if (!policy) ctx.fail('InvalidAttributeValue', 'Invalid value for the parameter RedrivePolicy.');
    const count = Number(policy.maxReceiveCount);
    if (
      typeof policy.deadLetterTargetArn !== 'string' ||
      !Number.isInteger(count) ||
      count < 1 ||
      count > 1000
    )
      ctx.fail('InvalidAttributeValue', 'Value for parameter RedrivePolicy is invalid.');
    const target = [...sqsQueues(ctx.world).values()].find((q) => q.arn === policy.deadLetterTargetArn);
    if (!target)
      ctx.fail(
        'InvalidAttributeValue',
        'Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.',
      );
    if (target.attributes.FifoQueue !== 'true')
      ctx.fail(
        'InvalidAttributeValue',
        'Value for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.',
      );
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function queueOf(ctx: CallContext, url: string | undefined): SqsQueue {
  const queue = url ? sqsQueues(ctx.world).get(url) : undefined;
  // A queue of another account is not visible to this caller (no cross-account queue policies here).
  if (!queue || queue.account !== ctx.caller.account || queue.region !== ctx.caller.region)
    ctx.fail('QueueDoesNotExist', 'The specified queue does not exist.');
  return queue;
}

/** Forgets deduplication ids older than the window and messages past their retention period. */
function expire(queue: SqsQueue, now: number): void {
  for (const [id, entry] of queue.deduplication)
    if (now - entry.at >= DEDUPLICATION_WINDOW_MS) queue.deduplication.delete(id);
  const retention = Number(queue.attributes.MessageRetentionPeriod) * 1000;
  queue.messages = queue.messages.filter((m) => now - m.sentAt < retention);
  for (const [handle, issued] of queue.handles)
    if (now - issued.until >= retention) queue.handles.delete(handle);
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

// SQS accepts #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
const INVALID_BODY = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

interface SendEntry {
  MessageBody?: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  DelaySeconds?: number;
  MessageAttributes?: unknown;
  MessageSystemAttributes?: unknown;
}

function send(ctx: CallContext, queue: SqsQueue, entry: SendEntry) {
  if (entry.MessageBody === undefined || entry.MessageBody === '')
    ctx.fail('MissingParameter', 'The request must contain the parameter MessageBody.');
  if (INVALID_BODY.test(entry.MessageBody))
    ctx.fail('InvalidMessageContents', 'Invalid binary character in the message body.');
  const max = Number(queue.attributes.MaximumMessageSize);
  if (Buffer.byteLength(entry.MessageBody, 'utf8') > max)
    invalid(ctx, `One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
  if (entry.MessageAttributes || entry.MessageSystemAttributes)
    throw new Error('SQS message attributes are not simulated');
  if (entry.DelaySeconds !== undefined && entry.DelaySeconds !== 0)
    invalid(
      ctx,
      `Value ${entry.DelaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
    );
  if (!entry.MessageGroupId)
    ctx.fail('MissingParameter', 'The request must contain the parameter MessageGroupId.');
  if (!/^[\x21-\x7e]{1,128}$/.test(entry.MessageGroupId))
    invalid(
      ctx,
      'MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.',
    );
  let deduplicationId = entry.MessageDeduplicationId;
  if (deduplicationId === undefined) {
    if (queue.attributes.ContentBasedDeduplication !== 'true')
      invalid(
        ctx,
        'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    deduplicationId = createHash('sha256').update(entry.MessageBody, 'utf8').digest('hex');
  }
  if (!/^[\x21-\x7e]{1,128}$/.test(deduplicationId))
    invalid(
      ctx,
      'MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.',
    );
  const now = ctx.now().getTime();
  expire(queue, now);
  const md5OfBody = md5(entry.MessageBody);
  const seen = queue.deduplication.get(deduplicationId);
  if (seen)
    return { MessageId: seen.messageId, MD5OfMessageBody: md5OfBody, SequenceNumber: seen.sequenceNumber };
  queue.sequence += 1n;
  const sequenceNumber = queue.sequence.toString().padStart(20, '0');
  const message: SqsMessage = {
    messageId: randomUUID(),
    body: entry.MessageBody,
    md5: md5OfBody,
    groupId: entry.MessageGroupId,
    deduplicationId,
    sequenceNumber,
    sentAt: now,
    senderId: ctx.caller.arn.split(':')[4] ?? ctx.caller.account,
    receiveCount: 0,
    invisibleUntil: 0,
  };
  queue.messages.push(message);
  queue.deduplication.set(deduplicationId, { messageId: message.messageId, sequenceNumber, at: now });
  return { MessageId: message.messageId, MD5OfMessageBody: md5OfBody, SequenceNumber: sequenceNumber };
}

function checkBatch(ctx: CallContext, entries: { Id?: string }[] | undefined): { Id?: string }[] {
  if (!entries || entries.length === 0)
    ctx.fail(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  if (entries.length > MAX_BATCH)
    ctx.fail(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH}. You have sent ${entries.length}.`,
    );
  const ids = new Set<string>();
  for (const e of entries) {
    if (!e.Id || !/^[A-Za-z0-9_-]{1,80}$/.test(e.Id))
      ctx.fail(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    if (ids.has(e.Id)) ctx.fail('BatchEntryIdsNotDistinct', `Id ${e.Id} repeated.`);
    ids.add(e.Id);
  }
  return entries;
}

/** A receipt handle: opaque, new at each receive. */
const newHandle = () => randomBytes(48).toString('base64');

/**
 * The message a handle was issued for; undefined when that message is gone (deleting it again succeeds,
 * as in SQS). A handle of an earlier receive, or whose visibility timeout passed, has expired.
 */
function byHandle(ctx: CallContext, queue: SqsQueue, handle: string | undefined): SqsMessage | undefined {
  const issued = handle ? queue.handles.get(handle) : undefined;
  if (!handle || !issued)
    ctx.fail(
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle ?? ''}" is not a valid receipt handle.`,
    );
  const message = queue.messages.find((m) => m.messageId === issued.messageId);
  if (!message) return undefined;
  if (message.receiptHandle !== handle || message.invisibleUntil <= ctx.now().getTime())
    invalid(
      ctx,
      `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
    );
  return message;
}

/** The dead-letter queue and receive limit of a queue's redrive policy, if any. */
function redrive(ctx: CallContext, queue: SqsQueue): { target: SqsQueue; max: number } | undefined {
  const text = queue.attributes.RedrivePolicy;
  if (!text) return undefined;
  const policy = JSON.parse(text) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
  const target = [...sqsQueues(ctx.world).values()].find((q) => q.arn === policy.deadLetterTargetArn);
  return target ? { target, max: Number(policy.maxReceiveCount) } : undefined;
}

const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
];

function receiveNow(ctx: CallContext, queue: SqsQueue, max: number, visibilityS: number) {
  const now = ctx.now().getTime();
  expire(queue, now);
  const inFlight = new Set(queue.messages.filter((m) => m.invisibleUntil > now).map((m) => m.groupId));
  const dead = redrive(ctx, queue);
  const taken: SqsMessage[] = [];
  for (const message of [...queue.messages]) {
    if (taken.length >= max) break;
    if (inFlight.has(message.groupId)) continue;
    // A message about to be received once more than the policy allows goes to the dead-letter queue
    // (keeping its id, body and group), and the next message of its group may be received.
    if (dead && message.receiveCount >= dead.max) {
      queue.messages.splice(queue.messages.indexOf(message), 1);
      dead.target.sequence += 1n;
      dead.target.messages.push({
        ...message,
        sequenceNumber: dead.target.sequence.toString().padStart(20, '0'),
        receiveCount: 0,
        invisibleUntil: 0,
        receiptHandle: undefined,
        firstReceiveAt: undefined,
      });
      continue;
    }
    taken.push(message);
  }
  for (const message of taken) {
    message.receiveCount += 1;
    message.firstReceiveAt ??= now;
    message.invisibleUntil = now + visibilityS * 1000;
    message.receiptHandle = newHandle();
    queue.handles.set(message.receiptHandle, { messageId: message.messageId, until: message.invisibleUntil });
  }
  return taken;
}

function visibilityOf(ctx: CallContext, value: number | undefined, queue: SqsQueue): number {
  if (value === undefined) return Number(queue.attributes.VisibilityTimeout);
  if (!Number.isInteger(value) || value < 0 || value > MAX_VISIBILITY_S)
    invalid(
      ctx,
      `Value ${value} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
    );
  return value;
}

/** The new timeout counts from now, not from the receive; only the latest handle of a message in flight. */
function changeVisibility(
  ctx: CallContext,
  queue: SqsQueue,
  handle: string | undefined,
  seconds: number | undefined,
): void {
  if (seconds === undefined)
    ctx.fail('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
  const visibility = visibilityOf(ctx, seconds, queue);
  const message = byHandle(ctx, queue, handle);
  if (!message) ctx.fail('MessageNotInflight', 'The message referred to is not in flight.');
  message!.invisibleUntil = ctx.now().getTime() + visibility * 1000;
}

export const sqsHandlers: HandlerTable = {
  CreateQueueCommand: handler<SQS.CreateQueueCommandInput, SQS.CreateQueueCommandOutput>((ctx, input) => {
    const name = input.QueueName ?? '';
    if (!/^[A-Za-z0-9_-]{1,75}(\.fifo)?$/.test(name) || name.length > 80)
      invalid(ctx, 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    const attributes = { ...ATTRIBUTE_DEFAULTS, ...(input.Attributes ?? {}) } as Record<string, string>;
    checkAttributes(ctx, name, attributes);
    const { account, region } = ctx.caller;
    const url = `https://sqs.${region}.amazonaws.com/${account}/${name}`;
    const queues = sqsQueues(ctx.world);
    const existing = queues.get(url);
    if (existing) {
      const same = Object.entries(input.Attributes ?? {}).every(([k, v]) => existing.attributes[k] === v);
      if (!same)
        ctx.fail(
          'QueueNameExists',
          `A queue already exists with the same name and a different value for attribute(s)`,
        );
      return { QueueUrl: url };
    }
    queues.set(url, {
      name,
      url,
      arn: `arn:aws:sqs:${region}:${account}:${name}`,
      account,
      region,
      createdAt: ctx.now().getTime(),
      attributes,
      messages: [],
      deduplication: new Map(),
      handles: new Map(),
      sequence: 18_000_000_000_000_000_000n,
    });
    return { QueueUrl: url };
  }),

  GetQueueUrlCommand: handler<SQS.GetQueueUrlCommandInput, SQS.GetQueueUrlCommandOutput>((ctx, input) => {
    const owner = input.QueueOwnerAWSAccountId ?? ctx.caller.account;
    const url = `https://sqs.${ctx.caller.region}.amazonaws.com/${owner}/${input.QueueName ?? ''}`;
    return { QueueUrl: queueOf(ctx, url).url };
  }),

  GetQueueAttributesCommand: handler<SQS.GetQueueAttributesCommandInput, SQS.GetQueueAttributesCommandOutput>(
    (ctx, input) => {
      const queue = queueOf(ctx, input.QueueUrl);
      const now = ctx.now().getTime();
      expire(queue, now);
      const all: Record<string, string> = {
        ...queue.attributes,
        QueueArn: queue.arn,
        CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
        ApproximateNumberOfMessages: String(queue.messages.filter((m) => m.invisibleUntil <= now).length),
        ApproximateNumberOfMessagesNotVisible: String(
          queue.messages.filter((m) => m.invisibleUntil > now).length,
        ),
        ApproximateNumberOfMessagesDelayed: '0',
      };
      const names = input.AttributeNames ?? [];
      const wanted = names.includes('All') ? Object.keys(all) : names;
      const out: Record<string, string> = {};
      for (const name of wanted) {
        if (!(name in all)) ctx.fail('InvalidAttributeName', `Unknown Attribute ${name}.`);
        out[name] = all[name]!;
      }
      return { Attributes: out };
    },
  ),

  SendMessageCommand: handler<SQS.SendMessageCommandInput, SQS.SendMessageCommandOutput>((ctx, input) =>
    send(ctx, queueOf(ctx, input.QueueUrl), input),
  ),

  SendMessageBatchCommand: handler<SQS.SendMessageBatchCommandInput, SQS.SendMessageBatchCommandOutput>(
    (ctx, input) => {
      const queue = queueOf(ctx, input.QueueUrl);
      const entries = checkBatch(ctx, input.Entries) as SQS.SendMessageBatchRequestEntry[];
      const total = entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? '', 'utf8'), 0);
      if (total > 1_048_576)
        ctx.fail('BatchRequestTooLong', 'Batch requests cannot be longer than 1048576 bytes.');
      const Successful: SQS.SendMessageBatchResultEntry[] = [];
      const Failed: SQS.BatchResultErrorEntry[] = [];
      for (const entry of entries) {
        try {
          Successful.push({ Id: entry.Id, ...send(ctx, queue, entry) } as SQS.SendMessageBatchResultEntry);
        } catch (error) {
          // Entry errors are answered per entry; anything else (a defect) propagates.
          if (!(error instanceof Error) || !('$fault' in error)) throw error;
          Failed.push({ Id: entry.Id, Code: error.name, Message: error.message, SenderFault: true });
        }
      }
      return { Successful, Failed };
    },
  ),

  ReceiveMessageCommand: handler<SQS.ReceiveMessageCommandInput, SQS.ReceiveMessageCommandOutput>(
    async (ctx, input) => {
      const queue = queueOf(ctx, input.QueueUrl);
      const max = input.MaxNumberOfMessages ?? 1;
      if (!Number.isInteger(max) || max < 1 || max > MAX_BATCH)
        invalid(
          ctx,
          `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
        );
      const wait = input.WaitTimeSeconds ?? Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
      if (!Number.isInteger(wait) || wait < 0 || wait > MAX_WAIT_S)
        invalid(
          ctx,
          `Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
        );
      const visibility = visibilityOf(ctx, input.VisibilityTimeout, queue);
      // Long polling waits (in wall time) until a message can be returned or the wait is over.
      const deadline = Date.now() + wait * 1000;
      let taken = receiveNow(ctx, queue, max, visibility);
      while (taken.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        taken = receiveNow(ctx, queue, max, visibility);
      }
      const names = [
        ...(input.MessageSystemAttributeNames ?? []),
        ...((input as { AttributeNames?: string[] }).AttributeNames ?? []),
      ];
      const wanted = names.includes('All') ? SYSTEM_ATTRIBUTES : names;
      if (taken.length === 0) return {};
      return {
        Messages: taken.map((m) => {
          const values: Record<string, string> = {
            SenderId: m.senderId,
            SentTimestamp: String(m.sentAt),
            ApproximateReceiveCount: String(m.receiveCount),
            ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
            SequenceNumber: m.sequenceNumber,
            MessageDeduplicationId: m.deduplicationId,
            MessageGroupId: m.groupId,
          };
          const attributes = Object.fromEntries(
            wanted.filter((n) => n in values).map((n) => [n, values[n]!]),
          );
          return {
            MessageId: m.messageId,
            ReceiptHandle: m.receiptHandle,
            MD5OfBody: m.md5,
            Body: m.body,
            ...(wanted.length ? { Attributes: attributes } : {}),
          };
        }),
      };
    },
  ),

  DeleteMessageCommand: handler<SQS.DeleteMessageCommandInput, SQS.DeleteMessageCommandOutput>(
    (ctx, input) => {
      const queue = queueOf(ctx, input.QueueUrl);
      const message = byHandle(ctx, queue, input.ReceiptHandle);
      // A handle of a message already deleted deletes nothing and succeeds, as SQS does.
      if (message) queue.messages.splice(queue.messages.indexOf(message), 1);
      return {};
    },
  ),

  DeleteMessageBatchCommand: handler<SQS.DeleteMessageBatchCommandInput, SQS.DeleteMessageBatchCommandOutput>(
    (ctx, input) => {
      const queue = queueOf(ctx, input.QueueUrl);
      const entries = checkBatch(ctx, input.Entries) as SQS.DeleteMessageBatchRequestEntry[];
      const Successful: SQS.DeleteMessageBatchResultEntry[] = [];
      const Failed: SQS.BatchResultErrorEntry[] = [];
      for (const entry of entries) {
        try {
          const message = byHandle(ctx, queue, entry.ReceiptHandle);
          if (message) queue.messages.splice(queue.messages.indexOf(message), 1);
          Successful.push({ Id: entry.Id });
        } catch (error) {
          if (!(error instanceof Error) || !('$fault' in error)) throw error;
          Failed.push({ Id: entry.Id, Code: error.name, Message: error.message, SenderFault: true });
        }
      }
      return { Successful, Failed };
    },
  ),

  ChangeMessageVisibilityCommand: handler<
    SQS.ChangeMessageVisibilityCommandInput,
    SQS.ChangeMessageVisibilityCommandOutput
  >((ctx, input) => {
    changeVisibility(ctx, queueOf(ctx, input.QueueUrl), input.ReceiptHandle, input.VisibilityTimeout);
    return {};
  }),

  ChangeMessageVisibilityBatchCommand: handler<
    SQS.ChangeMessageVisibilityBatchCommandInput,
    SQS.ChangeMessageVisibilityBatchCommandOutput
  >((ctx, input) => {
    const queue = queueOf(ctx, input.QueueUrl);
    const entries = checkBatch(ctx, input.Entries) as SQS.ChangeMessageVisibilityBatchRequestEntry[];
    const Successful: SQS.ChangeMessageVisibilityBatchResultEntry[] = [];
    const Failed: SQS.BatchResultErrorEntry[] = [];
    for (const entry of entries) {
      try {
        changeVisibility(ctx, queue, entry.ReceiptHandle, entry.VisibilityTimeout);
        Successful.push({ Id: entry.Id });
      } catch (error) {
        if (!(error instanceof Error) || !('$fault' in error)) throw error;
        Failed.push({ Id: entry.Id, Code: error.name, Message: error.message, SenderFault: true });
      }
    }
    return { Successful, Failed };
  }),
};
