import { Aws, type CfnCondition } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NAMES } from '../names.js';
import { acknowledge, applyCondition, NO_RESOURCE_LEVEL } from '../nag.js';
import { irPermissions } from './ir-permissions.js';

export interface IrAutomationRoleProps {
  /** ARN of the security account's steps role: the only principal this role trusts. */
  readonly stepsRoleArn: string;
  readonly externalId: string;
  /** `aws:PrincipalOrgID` the caller must belong to (omitted in a single account without an organization). */
  readonly organizationId?: string;
  readonly forensicsAccount: string;
  /** Key ARNs the snapshots are re-encrypted under (the forensics account's snapshot key). */
  readonly snapshotKeyArns: string[];
  /** IAM is global: create the role in one region only (StackSet instances in other regions skip it). */
  readonly condition?: CfnCondition;
}

/**
 * The `IRAutomation` role of a member account. It trusts only the security account's steps role, and only
 * with the ExternalId and from inside the organization; its permissions are `irPermissions`, inline, so
 * the role and its policy are one resource (one condition, no ordering).
 */
export class IrAutomationRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: IrAutomationRoleProps) {
    super(scope, id);
    const stringEquals: Record<string, string> = { 'sts:ExternalId': props.externalId };
    if (props.organizationId) stringEquals['aws:PrincipalOrgID'] = props.organizationId;
    this.role = new iam.Role(this, 'Role', {
      roleName: NAMES.irRole,
      description: 'forensics-bot: containment and evidence acquisition, assumed by the security account',
      assumedBy: new iam.ArnPrincipal(props.stepsRoleArn).withConditions({ StringEquals: stringEquals }),
      inlinePolicies: {
        'forensics-bot': new iam.PolicyDocument({
          statements: irPermissions({
            account: Aws.ACCOUNT_ID,
            forensicsAccount: props.forensicsAccount,
            snapshotKeyArns: props.snapshotKeyArns,
          }),
        }),
      },
    });
    applyCondition(this, props.condition);
    const anyRegion =
      'IAM is global and this one role serves every region of the account, so the region is "*"; the account is this one';
    const ec2 = (type: string) => `AwsSolutions-IAM5[Resource::arn:aws:ec2:*:<AWS::AccountId>:${type}/*]`;
    acknowledge(this.role, {
      'AwsSolutions-IAM5[Resource::*]': NO_RESOURCE_LEVEL,
      [ec2('instance')]: `${anyRegion}; the suspect instance is known only when a case opens`,
      [ec2('network-interface')]:
        `${anyRegion}; the suspect's network interfaces are known only when a case opens`,
      [ec2('security-group')]:
        `${anyRegion}; rule changes are limited to groups tagged managed-by=forensics-bot, created only with that tag`,
      [ec2('vpc')]:
        `${anyRegion}; the isolation groups are created in the suspect's VPC, known only when a case opens`,
      [ec2('volume')]: `${anyRegion}; the suspect's volumes are snapshotted, known only when a case opens`,
      [ec2('elastic-ip')]: `${anyRegion}; the suspect's Elastic IP is detached and restored on release`,
      'AwsSolutions-IAM5[Resource::arn:aws:ec2:*::snapshot/*]':
        'snapshot ARNs carry no account and snapshot ids exist only once the case creates them; sharing is limited to the forensics account (ec2:Add/userId), deletion to snapshots tagged with a case id in this account',
      'AwsSolutions-IAM5[Resource::arn:aws:iam::<AWS::AccountId>:role/*]':
        "the suspect instance's role is known only when a case opens (an inline deny revokes its sessions; PassRole only to EC2); the bot's own, AWS service and organization roles are explicitly denied",
      'AwsSolutions-IAM5[Resource::arn:aws:iam::<AWS::AccountId>:instance-profile/*]':
        "reads the suspect instance's profile, known only when a case opens (GetInstanceProfile only)",
      'AwsSolutions-IAM5[Resource::arn:aws:autoscaling:*:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/*]': `${anyRegion}; the suspect's Auto Scaling group is known only when a case opens (detach, re-attach on release)`,
      'AwsSolutions-IAM5[Resource::arn:aws:elasticloadbalancing:*:<AWS::AccountId>:targetgroup/*/*]': `${anyRegion}; the suspect's target groups are known only when a case opens (deregister, re-register on release)`,
      'AwsSolutions-IAM5[Resource::arn:aws:elasticloadbalancing:*:<AWS::AccountId>:loadbalancer/*]': `${anyRegion}; the suspect's classic load balancers are known only when a case opens`,
      'AwsSolutions-IAM5[Resource::arn:aws:kms:*:<AWS::AccountId>:key/*]':
        "the suspect's volumes may be under aws/ebs or any workload key of this account; only through EC2 (kms:ViaService)",
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:*:<ForensicsAccountId>:key/*]':
        "the forensics account's snapshot key id is unknown to a StackSet template; only that account's keys, only through EC2, and its key policy admits IRAutomation roles only",
      'AwsSolutions-IAM5[Resource::arn:aws:ssm:*:<AWS::AccountId>:document/ForensicsBot-CaptureMemory]': `${anyRegion}; SendCommand is limited to the bot's own memory-capture document`,
      'AwsSolutions-IAM5[Resource::arn:aws:ssm:*:<AWS::AccountId>:document/ForensicsBot-LiveTriage]': `${anyRegion}; SendCommand is limited to the bot's own live-triage document`,
    });
  }
}
