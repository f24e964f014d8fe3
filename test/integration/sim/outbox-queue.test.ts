import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { rejection } from './support.js';

/**
 * The simulated SQS FIFO queue the outbox rings (sandbox/aws/services/sqs.ts), driven through the real
 * SDK client: the semantics the drainer relies on, and the refusals a real queue makes.
 */
describe('Function: the simulated SQS FIFO queue', () => {
  const org = new SimulatedOrganization().seedDefault().install();
  const sqs = createAwsClient(SQSClient, { region: 'us-east-1', useQueueUrlAsEndpoint: false });
  afterAll(() => org.uninstall());
  let url: string;
  let n = 0;

  const queue = async (attributes: Record<string, string> = {}) => {
    n += 1;
    const dlq = await sqs.send(
      new CreateQueueCommand({ QueueName: `dlq-${n}.fifo`, Attributes: { FifoQueue: 'true' } }),
    );
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    const out = await sqs.send(
      new CreateQueueCommand({
        QueueName: `lines-${n}.fifo`,
        Attributes: {
          FifoQueue: 'true',
          VisibilityTimeout: '30',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
          ...attributes,
        },
      }),
    );
    return { url: out.QueueUrl!, dlq: dlq.QueueUrl! };
  };
  const send = (group: string, body: string, dedup = body) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageGroupId: group,
        MessageDeduplicationId: dedup,
      }),
    );
  const receive = async (max = 10, visibility?: number, queueUrl = url) =>
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: max,
          MessageSystemAttributeNames: ['All'],
          ...(visibility !== undefined ? { VisibilityTimeout: visibility } : {}),
        }),
      )
    ).Messages ?? [];

  beforeEach(async () => {
    url = (await queue()).url;
  });

  it('keeps the order of a group and hands out no message of a group while one is in flight', async () => {
    for (const body of ['a1', 'a2', 'a3']) await send('A', body);
    await send('B', 'b1');

    const first = await receive(2);
    expect(first.map((m) => m.Body)).toEqual(['a1', 'a2']);
    // Group A is in flight: only B's message is left to hand out.
    const second = await receive(10);
    expect(second.map((m) => m.Body)).toEqual(['b1']);
    expect(await receive(10)).toEqual([]);

    for (const m of first)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    expect((await receive(10)).map((m) => m.Body)).toEqual(['a3']);
  });

  it('accepts a deduplication id again for 5 minutes without enqueueing it twice, then enqueues it', async () => {
    const one = await send('A', 'line', 'CASE-1:1');
    const again = await send('A', 'line', 'CASE-1:1');
    expect(again.MessageId).toBe(one.MessageId);
    expect(again.SequenceNumber).toBe(one.SequenceNumber);
    const got = await receive();
    expect(got).toHaveLength(1);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got[0]!.ReceiptHandle }));

    org.clock.advance(5 * 60_000);
    const later = await send('A', 'line', 'CASE-1:1');
    expect(later.MessageId).not.toBe(one.MessageId);
    expect(BigInt(later.SequenceNumber!)).toBeGreaterThan(BigInt(one.SequenceNumber!));
  });

  it('returns a message after its visibility timeout with a new handle; the old handle has expired', async () => {
    await send('A', 'a1');
    const [m] = await receive(1, 5);
    expect(m!.Attributes?.ApproximateReceiveCount).toBe('1');
    org.clock.advance(5_000);
    const [again] = await receive(1);
    expect(again!.MessageId).toBe(m!.MessageId);
    expect(again!.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(again!.ReceiptHandle).not.toBe(m!.ReceiptHandle);
    const stale = await rejection(
      sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle })),
    );
    expect(stale.name).toBe('InvalidParameterValue');
    expect(stale.message).toMatch(/receipt handle has expired/);
  });

  it('ChangeMessageVisibility moves the moment a message comes back (Retry-After)', async () => {
    await send('A', 'a1');
    const [m] = await receive(1);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: m!.ReceiptHandle,
        VisibilityTimeout: 2,
      }),
    );
    org.clock.advance(1_000);
    expect(await receive()).toEqual([]);
    org.clock.advance(1_000);
    expect((await receive()).map((x) => x.Body)).toEqual(['a1']);
  });

  it('moves a message received more than maxReceiveCount times to the dead-letter queue, then serves its group', async () => {
    const q = await queue();
    url = q.url;
    await send('A', 'poison');
    await send('A', 'next');
    for (let i = 0; i < 2; i++) {
      expect((await receive(1, 1)).map((m) => m.Body)).toEqual(['poison']);
      org.clock.advance(1_000);
    }
    expect((await receive(1)).map((m) => m.Body)).toEqual(['next']);
    expect((await receive(10, 30, q.dlq)).map((m) => m.Body)).toEqual(['poison']);
  });

  it('refuses what a FIFO queue refuses', async () => {
    const noGroup = await rejection(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'x' })),
    );
    expect(noGroup.name).toBe('MissingParameter');
    const noDedup = await rejection(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'A' })),
    );
    expect(noDedup.name).toBe('InvalidParameterValue');
    const delay = await rejection(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'x',
          MessageGroupId: 'A',
          MessageDeduplicationId: 'x',
          DelaySeconds: 5,
        }),
      ),
    );
    expect(delay.name).toBe('InvalidParameterValue');
    const tooMany = await rejection(receive(11));
    expect(tooMany.name).toBe('InvalidParameterValue');
    const big = await rejection(send('A', 'x'.repeat(262_145), 'big'));
    expect(big.name).toBe('InvalidParameterValue');
    const badChar = await rejection(send('A', 'bell \u0007', 'bell'));
    expect(badChar.name).toBe('InvalidMessageContents');
    const standard = await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'standard' })));
    expect(standard.name).toBe('UnsupportedOperation');
    const noQueue = await rejection(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: 'https://sqs.us-east-1.amazonaws.com/111111111111/missing.fifo',
          MessageBody: 'x',
          MessageGroupId: 'A',
          MessageDeduplicationId: 'x',
        }),
      ),
    );
    expect(noQueue.name).toBe('QueueDoesNotExist');
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok', MessageBody: 'fine', MessageGroupId: 'A', MessageDeduplicationId: 'fine' },
          { Id: 'bad', MessageBody: 'no group', MessageDeduplicationId: 'no-group' },
        ],
      }),
    );
    expect(batch.Successful?.map((e) => e.Id)).toEqual(['ok']);
    expect(batch.Failed?.map((e) => [e.Id, e.Code])).toEqual([['bad', 'MissingParameter']]);
  });
});
