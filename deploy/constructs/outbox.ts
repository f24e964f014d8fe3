import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AlarmTopic } from './alarms.js';
import { BotFunction } from './bot-function.js';
import type { SlackSecrets } from './slack-secrets.js';

export interface OutboxProps {
  readonly table: dynamodb.ITable;
  readonly secrets: SlackSecrets;
  readonly alarms: AlarmTopic;
  /** The environment every bot function shares (table, Slack secrets, channels). */
  readonly environment: Record<string, string>;
  /** The functions that say things about cases (the steps, the progress handler): they ring the queue. */
  readonly senders: BotFunction[];
}

/** The drainer's timeout: a batch is 10 rings, each at most a few Slack calls (none of them waited out). */
const DRAINER_TIMEOUT = Duration.seconds(60);

/**
 * The outbox of case lines (issue 13): Slack is never on containment's critical path.
 *
 * Why an SQS FIFO queue (and not a DynamoDB stream): the lines themselves live in the case table, in
 * order (bot/outbox/store.ts); what is needed beside them is a doorbell that (1) hands one channel's rings
 * to one drainer at a time, in order — a FIFO message group per Slack channel, the unit of Slack's rate
 * limit — (2) lets a drainer say "come back after Retry-After" without holding a Lambda
 * (ChangeMessageVisibility), (3) deduplicates a send the SDK retried (MessageDeduplicationId
 * `<case>:<line>`), and (4) keeps what cannot be delivered in a dead-letter queue with an alarm. A table
 * stream would give order per item only, retries that block a shard, and no delay of one record.
 *
 * - The queue: SQS-managed encryption, TLS only, 4 days; visibility 6 × the drainer's timeout (Lambda's
 *   advice for an SQS event source); 100 receives before the dead-letter queue, since every 429 is a receive.
 * - The drainer: batches of 10, ReportBatchItemFailures, at most 2 at a time (one per channel group in
 *   practice: FIFO hands a group to one consumer).
 * - Alarms: a ring in the dead-letter queue; lines older than 5 minutes (Slack down or the drainer stuck).
 * - Least privilege: the senders may SendMessage to this queue only; the drainer consumes it (receive,
 *   delete, change visibility) and reads and writes the table; no one else touches either queue.
 */
export class Outbox extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly drainer: BotFunction;

  constructor(scope: Construct, id: string, props: OutboxProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: sqs.DeduplicationScope.QUEUE,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_QUEUE,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(DRAINER_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 100 },
    });

    this.drainer = new BotFunction(this, 'Drainer', {
      handler: 'outbox',
      description: 'forensics-bot: case lines from the outbox -> Slack, within its rate limits',
      environment: { ...props.environment, OUTBOX_QUEUE_URL: this.queue.queueUrl },
      timeout: DRAINER_TIMEOUT,
      memorySize: 512,
      alarms: props.alarms,
    });
    this.drainer.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }),
    );
    props.secrets.grantRead(this.drainer.role);
    // The case record and the case's outbox item: read, and the outbox's conditional updates. An incident
    // member's lines are delivered as a redraw of the incident card: the incident item (read, and its
    // one-time summary claim) and its member cases (one BatchGetItem).
    this.drainer.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CASE#*', 'OUTBOX#*', 'INCIDENT#*'] },
        },
      }),
    );

    for (const sender of props.senders) {
      sender.function.addEnvironment('OUTBOX_QUEUE_URL', this.queue.queueUrl);
      sender.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
      );
    }

    props.alarms.alarmOnAny(
      this,
      'DeadLettersAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      'forensics-bot: case lines could not be delivered to Slack and wait in the outbox dead-letter queue',
    );
    const behind = new cloudwatch.Alarm(this, 'BehindAlarm', {
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 300,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        'forensics-bot: case lines wait more than 5 minutes for Slack (Slack down, or the drainer stuck)',
    });
    behind.addAlarmAction(props.alarms.action);
  }
}
