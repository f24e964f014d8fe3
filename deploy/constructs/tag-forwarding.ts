import type { CfnCondition } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { applyCondition } from '../nag.js';
import { DEFAULT_MIN_SEVERITY, intakePatterns } from '../../bot/intake/event-patterns.js';
import { cdkPattern } from './intake-rules.js';

export interface TagForwardingProps {
  /** ARN of the security account's default event bus (home region). */
  readonly securityBusArn: string;
  /** Skip the rule where it would forward to its own bus (the security account's home region). */
  readonly condition?: CfnCondition;
}

/**
 * Forwards `SecurityIncidentStatus` changes to Analyze or Contain on EC2 instances of this account and
 * region to the security account's bus, with a role allowed to put events on that bus only.
 * The pattern is the security stack's own, so both sides filter alike.
 */
export class TagForwarding extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: TagForwardingProps) {
    super(scope, id);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'forensics-bot: forwards incident tag changes to the security account',
      inlinePolicies: {
        'put-events': new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [props.securityBusArn] }),
          ],
        }),
      },
    });
    const pattern = intakePatterns({
      minSeverity: DEFAULT_MIN_SEVERITY,
      actionTargetArns: [],
      stateMachineArns: [],
    }).incidentTag;
    this.rule = new events.Rule(this, 'Rule', {
      description: 'forensics-bot: SecurityIncidentStatus set to Analyze or Contain -> security account',
      eventPattern: cdkPattern(pattern),
      targets: [
        new targets.EventBus(events.EventBus.fromEventBusArn(this, 'SecurityBus', props.securityBusArn), {
          role,
        }),
      ],
    });
    // the target adds its own PutEvents policy to the role: condition everything here alike
    applyCondition(this, props.condition);
  }
}
