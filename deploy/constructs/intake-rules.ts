import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NAMES } from '../names.js';

export type SeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
const LABELS: SeverityLabel[] = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
/** GuardDuty's numeric floor of each label (Low 1–3.9, Medium 4–6.9, High 7–8.9, Critical 9+). */
const GUARDDUTY_FLOOR: Record<SeverityLabel, number> = {
  INFORMATIONAL: 0,
  LOW: 1,
  MEDIUM: 4,
  HIGH: 7,
  CRITICAL: 9,
};

/** The labels at or above a threshold, for the Security Hub pattern. */
export function labelsAtOrAbove(min: SeverityLabel): SeverityLabel[] {
  return LABELS.slice(LABELS.indexOf(min));
}

/** The event patterns, as pure data (the tests read them, the rules use them). */
export function intakePatterns(input: {
  minSeverity: SeverityLabel;
  actionTargetArns: string[];
  stateMachineArns: string[];
}) {
  return {
    guardDuty: {
      source: ['aws.guardduty'],
      detailType: ['GuardDuty Finding'],
      detail: {
        severity: [{ numeric: ['>=', GUARDDUTY_FLOOR[input.minSeverity]] }],
        service: { archived: [false] },
      },
    },
    securityHubImported: {
      source: ['aws.securityhub'],
      detailType: ['Security Hub Findings - Imported'],
      detail: {
        findings: {
          Severity: { Label: labelsAtOrAbove(input.minSeverity) },
          Workflow: { Status: ['NEW'] },
          RecordState: ['ACTIVE'],
        },
      },
    },
    securityHubCustomAction: {
      source: ['aws.securityhub'],
      detailType: ['Security Hub Findings - Custom Action'],
      resources: input.actionTargetArns,
    },
    incidentTag: {
      source: ['aws.tag'],
      detailType: ['Tag Change on Resource'],
      detail: {
        'changed-tag-keys': [NAMES.incidentTag],
        service: ['ec2'],
        'resource-type': ['instance'],
        tags: { [NAMES.incidentTag]: ['Analyze', 'Contain'] },
      },
    },
    workflowStatus: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: {
        stateMachineArn: input.stateMachineArns,
        status: ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
      },
    },
  } satisfies Record<string, events.EventPattern>;
}

export interface IntakeRulesProps {
  readonly findingsFunction: lambda.IFunction;
  readonly progressFunction: lambda.IFunction;
  /** Where events that cannot be delivered go (one queue per function). */
  readonly findingsDeadLetterQueue: sqs.IQueue;
  readonly progressDeadLetterQueue: sqs.IQueue;
  readonly minSeverity: SeverityLabel;
  /** ARNs of the state machines whose status changes the progress function follows. */
  readonly stateMachineArns: string[];
  /** Create the Security Hub custom actions Analyze and Contain (Security Hub must be enabled). */
  readonly securityHubActions: boolean;
  /** Take GuardDuty's own finding events (off when they come through Security Hub instead). */
  readonly guardDutyDirect?: boolean;
  /** Let the organization's accounts put events on this account's default bus (tag forwarding). */
  readonly organizationId?: string;
}

/**
 * The EventBridge side of intake, narrowed to exactly the events the bot acts on: GuardDuty findings and
 * Security Hub imported findings at or above the configured severity (Security Hub: Workflow NEW, active),
 * the Security Hub custom actions Analyze and Contain, `SecurityIncidentStatus` tag changes to Analyze or
 * Contain on EC2 instances, and status changes of the bot's own state machines. Each target retries for
 * a day and then drops the event into a dead-letter queue that alarms.
 */
export class IntakeRules extends Construct {
  readonly actionTargetArns: string[] = [];
  readonly rules: Record<string, events.Rule> = {};

  constructor(scope: Construct, id: string, props: IntakeRulesProps) {
    super(scope, id);
    if (props.securityHubActions) {
      const analyze = new securityhub.CfnActionTarget(this, 'AnalyzeAction', {
        id: NAMES.analyzeAction,
        name: 'Forensics: Analyze',
        description: 'Open a forensics case: acquire memory and disk (no containment)',
      });
      const contain = new securityhub.CfnActionTarget(this, 'ContainAction', {
        id: NAMES.containAction,
        name: 'Forensics: Contain',
        description: 'Open a forensics case: isolate (after approval) and acquire evidence',
      });
      this.actionTargetArns.push(analyze.attrActionTargetArn, contain.attrActionTargetArn);
    }
    const patterns = intakePatterns({
      minSeverity: props.minSeverity,
      actionTargetArns: this.actionTargetArns,
      stateMachineArns: props.stateMachineArns,
    });
    const findingsTarget = new targets.LambdaFunction(props.findingsFunction, {
      deadLetterQueue: props.findingsDeadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
    const progressTarget = new targets.LambdaFunction(props.progressFunction, {
      deadLetterQueue: props.progressDeadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
    const rule = (name: keyof typeof patterns, description: string, target: events.IRuleTarget) => {
      this.rules[name] = new events.Rule(this, name[0]!.toUpperCase() + name.slice(1), {
        description,
        eventPattern: patterns[name],
        targets: [target],
      });
    };
    if (props.guardDutyDirect ?? true)
      rule('guardDuty', `forensics-bot: GuardDuty findings >= ${props.minSeverity}`, findingsTarget);
    rule(
      'securityHubImported',
      `forensics-bot: new Security Hub findings >= ${props.minSeverity}`,
      findingsTarget,
    );
    if (this.actionTargetArns.length > 0) {
      rule(
        'securityHubCustomAction',
        'forensics-bot: Security Hub custom actions Analyze/Contain',
        findingsTarget,
      );
    }
    rule('incidentTag', `forensics-bot: ${NAMES.incidentTag} set to Analyze or Contain`, findingsTarget);
    if (props.stateMachineArns.length > 0) {
      rule('workflowStatus', 'forensics-bot: status changes of the bot state machines', progressTarget);
    }

    if (props.organizationId) {
      // Member accounts forward tag changes to this account's default bus; only the organization may put.
      new events.CfnEventBusPolicy(this, 'OrganizationPutEvents', {
        eventBusName: 'default',
        statementId: 'ForensicsBotOrganizationPutEvents',
        statement: new iam.PolicyStatement({
          sid: 'ForensicsBotOrganizationPutEvents',
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [
            `arn:${Stack.of(this).partition}:events:${Stack.of(this).region}:${Stack.of(this).account}:event-bus/default`,
          ],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
        }).toJSON(),
      });
    }
  }
}
