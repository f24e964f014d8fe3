import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventPattern } from '../../bot/intake/event-pattern-match.js';
import { type IntakeRuleName, intakeRules, RULE_TARGETS } from '../../bot/intake/event-patterns.js';
import type { SeverityLabel } from '../../bot/core/severity.js';
import { NAMES } from '../names.js';

export type { SeverityLabel };

/**
 * An intake pattern of bot/intake/event-patterns.ts as CDK takes it (`detailType` for `detail-type`; CDK
 * writes it back when it renders the rule, so the template holds the module's pattern unchanged).
 */
export function cdkPattern(pattern: EventPattern): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern as Record<string, unknown>;
  return { ...rest, ...(detailType ? { detailType: detailType as string[] } : {}) };
}

const DESCRIPTIONS: Record<IntakeRuleName, (minSeverity: SeverityLabel) => string> = {
  guardDuty: (min) => `forensics-bot: GuardDuty findings >= ${min}, and archived ones (card update)`,
  securityHubImported: (min) =>
    `forensics-bot: new Security Hub CSPM findings >= ${min} (and NOTIFIED ones: repeats of carded findings), and resolved/suppressed/archived ones (card update)`,
  securityHubImportedV2: (min) =>
    `forensics-bot: new Security Hub (OCSF) findings >= ${min}, and closed ones (card update)`,
  securityHubCustomAction: () => 'forensics-bot: Security Hub custom actions Analyze/Contain',
  incidentTag: () => `forensics-bot: ${NAMES.incidentTag} set to Analyze or Contain`,
  workflowStatus: () => 'forensics-bot: status changes of the bot state machines',
};

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
 * The EventBridge side of intake, built from bot/intake/event-patterns.ts (the sandbox routes by the same
 * patterns): GuardDuty, Security Hub CSPM (ASFF) and Security Hub (OCSF) findings at or above the configured
 * severity (Security Hub: Workflow NEW, or NOTIFIED as the bot's write-back leaves it, and active; OCSF status
 * New), and closed ones at any severity (they only update an existing card),
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
    const patterns = intakeRules({
      minSeverity: props.minSeverity,
      actionTargetArns: this.actionTargetArns,
      stateMachineArns: props.stateMachineArns,
      guardDutyDirect: props.guardDutyDirect,
    });
    const target = (fn: lambda.IFunction, deadLetterQueue: sqs.IQueue) =>
      new targets.LambdaFunction(fn, {
        deadLetterQueue,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      });
    const byTarget = {
      findings: target(props.findingsFunction, props.findingsDeadLetterQueue),
      progress: target(props.progressFunction, props.progressDeadLetterQueue),
    };
    for (const [name, pattern] of Object.entries(patterns) as [IntakeRuleName, EventPattern][]) {
      this.rules[name] = new events.Rule(this, name[0]!.toUpperCase() + name.slice(1), {
        description: DESCRIPTIONS[name](props.minSeverity),
        eventPattern: cdkPattern(pattern),
        targets: [byTarget[RULE_TARGETS[name]]],
      });
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
