import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bundleHandler, type HandlerName } from '../bundling.js';
import { acknowledge } from '../nag.js';
import type { AlarmTopic } from './alarms.js';

export interface BotFunctionProps {
  /** `handlers/<handler>.ts`, bundled on its own. */
  readonly handler: HandlerName;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly alarms: AlarmTopic;
  /** A fixed role name (when other accounts must name this role in their trust policies). */
  readonly roleName?: string;
  readonly reservedConcurrency?: number;
  /** Asynchronous invocations (EventBridge) that fail after Lambda's retries land here. */
  readonly deadLetterQueue?: sqs.IQueue;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One Lambda function of the bot: Node 22 on arm64, its own bundle, its own role (nothing but its log
 * group and X-Ray until a stack grants more), JSON logs in a log group with a retention, active tracing,
 * and an alarm on errors.
 */
export class BotFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BotFunctionProps) {
    super(scope, id);
    const bundle = bundleHandler(props.handler);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `forensics-bot ${props.handler} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(bundle.dir),
      handler: 'index.handler',
      role: this.role,
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: props.environment,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrency,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.deadLetterQueue ? 2 : undefined,
    });
    acknowledge(this.role, {
      'AwsSolutions-IAM5[Resource::*]':
        'active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions',
    });
    acknowledge(this.function, {
      'AwsSolutions-L1':
        'Node.js 22 is the runtime this project pins (bundles target node22, tests run on the same major); moving to 24 is a deliberate upgrade, not a drift',
    });
    props.alarms.alarmOnAny(
      this,
      'ErrorsAlarm',
      this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      `forensics-bot: the ${props.handler} function failed`,
    );
  }
}
