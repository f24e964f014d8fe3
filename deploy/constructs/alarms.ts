import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Address subscribed to the topic (it must confirm the subscription). */
  readonly email?: string;
}

/**
 * The topic every failure alarm notifies. Encrypted with its own key, because CloudWatch cannot publish
 * to a topic under the AWS-managed `aws/sns` key; the key policy lets CloudWatch use it and nothing else.
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const key = new kms.Key(this, 'Key', {
      description: 'forensics-bot: encrypts the alarm topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'forensics-bot failures',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    this.action = new actions.SnsAction(this.topic);
  }

  /** An alarm that fires on the first occurrence within five minutes. */
  alarmOnAny(
    scope: Construct,
    id: string,
    metric: cloudwatch.IMetric,
    description: string,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.action);
    return alarm;
  }
}

export interface DeadLetterQueueProps {
  /** What fails into this queue, for the alarm text. */
  readonly purpose: string;
  readonly alarms: AlarmTopic;
}

/**
 * A dead-letter queue (SQS-managed encryption, TLS only, 14 days) with an alarm as soon as one message
 * waits in it: an event that lands here is a finding or a status change nobody has seen.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    props.alarms.alarmOnAny(
      this,
      'DepthAlarm',
      this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      `forensics-bot: ${props.purpose} failed and waits in the dead-letter queue`,
    );
  }
}
