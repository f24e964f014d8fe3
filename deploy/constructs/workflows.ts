import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { integrations, substitutionNames, type WorkflowDefinition } from '../asl.js';
import { stateMachineName } from '../names.js';
import { acknowledge } from '../nag.js';
import type { AlarmTopic } from './alarms.js';

export interface WorkflowProps {
  readonly definition: WorkflowDefinition;
  /** Every `${…}` the definitions may use, resolved to a value (ARNs, numbers as strings). */
  readonly substitutions: Readonly<Record<string, string>>;
  /** Functions the definitions may invoke, by the ARN string used in `substitutions`. */
  readonly functions: readonly lambda.IFunction[];
  readonly alarms: AlarmTopic;
}

/** The ARN a state machine named `ForensicsBot-<Pascal>` will have in this stack. */
export function workflowArn(scope: Construct, pascal: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: stateMachineName(pascal),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * One state machine from `workflows/definitions/<name>.asl.json`. The definition goes into the template
 * inline (`DefinitionString` with `DefinitionSubstitutions`), so the template is self-contained. Its role
 * is derived from what the Task states call: `lambda:InvokeFunction` on the functions named there,
 * `states:StartExecution` on the child state machines named there (plus what `.sync` needs), nothing else.
 * Logs (all events, without execution data, which would carry task tokens) and X-Ray tracing on;
 * an alarm on failed, timed-out or aborted executions.
 */
export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const { definition, substitutions } = props;
    const missing = substitutionNames(definition.text).filter((p) => substitutions[p] === undefined);
    if (missing.length > 0) {
      throw new Error(
        `workflows/definitions/${definition.name}.asl.json uses \${${missing.join('}, ${')}} which the deploy does not provide`,
      );
    }
    const resolve = (value: string) =>
      value.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, k: string) => substitutions[k]!);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `forensics-bot ${definition.name} state machine`,
    });
    const invoked = new Set<string>();
    const started = new Map<string, boolean>();
    for (const call of integrations(definition.text)) {
      if (call.kind === 'lambda') invoked.add(resolve(call.functionArn));
      else if (call.kind === 'startExecution') {
        const arn = resolve(call.stateMachineArn);
        started.set(arn, (started.get(arn) ?? false) || call.sync);
      } else {
        throw new Error(
          `workflows/definitions/${definition.name}.asl.json: state "${call.state}" calls ${call.resource}, which the deploy grants nothing for`,
        );
      }
    }
    for (const arn of invoked) {
      if (!props.functions.some((f) => f.functionArn === arn)) {
        throw new Error(`${definition.name}: invokes ${arn}, which is not one of the bot's functions`);
      }
    }
    if (invoked.size > 0) {
      // the unqualified ARN only: the definitions invoke $LATEST, never a version or alias
      this.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...invoked] }),
      );
    }
    if (started.size > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [...started.keys()] }),
      );
    }
    const synced = [...started].filter(([, sync]) => sync).map(([arn]) => arn);
    if (synced.length > 0) {
      // `.sync` polls the child execution and stops it when the parent stops.
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: synced.map((arn) => `${arn.replace(':stateMachine:', ':execution:')}:*`),
        }),
      );
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
          resources: [
            Stack.of(this).formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
            }),
          ],
        }),
      );
    }

    const stack = Stack.of(this);
    const literal = (v: string, token: string) => (Token.isUnresolved(v) ? token : v);
    acknowledge(this.role, {
      'AwsSolutions-IAM5[Resource::*]':
        'CloudWatch Logs delivery (logs:CreateLogDelivery & co.) and X-Ray (PutTraceSegments) APIs do not support resource-level permissions; Step Functions documents "*" for both',
      ...Object.fromEntries(
        synced.map((arn) => [
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${literal(stack.region, '<AWS::Region>')}:${literal(stack.account, '<AWS::AccountId>')}:execution:${arn.split(':').pop()}:*]`,
          '.sync polls and stops the executions this workflow starts; their names are chosen at run time, the state machine is fixed',
        ]),
      ),
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${stateMachineName(definition.pascal)}`,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: stateMachineName(definition.pascal),
      definitionBody: sfn.DefinitionBody.fromString(definition.text),
      definitionSubstitutions: Object.fromEntries(
        substitutionNames(definition.text).map((p) => [p, substitutions[p]!]),
      ),
      role: this.role,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    const period = Duration.minutes(5);
    props.alarms.alarmOnAny(
      this,
      'FailedAlarm',
      new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ period, statistic: 'Sum' }),
          timedOut: this.stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
          aborted: this.stateMachine.metricAborted({ period, statistic: 'Sum' }),
        },
        period,
      }),
      `forensics-bot: a ${definition.name} execution failed, timed out or was aborted`,
    );
  }
}
