import type { CfnCondition } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NAMES } from '../names.js';
import { acknowledge, applyCondition } from '../nag.js';

export interface QuarantineProfilesProps {
  /** IAM is global: create the profiles in one region only. */
  readonly condition?: CfnCondition;
  /**
   * Objects the memory capture reads with the instance's own credentials (LiME modules, `arn:…/prefix/*`),
   * and the condition under which there are any (a LiME prefix is configured, in the home region).
   */
  readonly limeModules?: {
    readonly objectsArn: string;
    readonly condition: CfnCondition;
    /** The ARN as cdk-nag prints it in the IAM5 finding id (it contains intrinsic functions). */
    readonly findingResource: string;
  };
}

/**
 * The two instance profiles containment swaps onto a suspect instance:
 * - `ForensicsBot-DenyAll`: a role that can do nothing (explicit deny of everything), so stolen instance
 *   credentials are worthless;
 * - `ForensicsBot-Quarantine`: only what the SSM agent needs to take commands (memory capture) and
 *   nothing else; uploads use short-lived credentials the workflow hands over.
 */
export class QuarantineProfiles extends Construct {
  readonly denyAll: iam.InstanceProfile;
  readonly quarantine: iam.InstanceProfile;
  readonly limePolicy?: iam.Policy;

  constructor(scope: Construct, id: string, props: QuarantineProfilesProps = {}) {
    super(scope, id);
    const ec2 = new iam.ServicePrincipal('ec2.amazonaws.com');
    const denyAllRole = new iam.Role(this, 'DenyAllRole', {
      roleName: NAMES.denyAllProfile,
      description: 'forensics-bot: contained instance, no permissions at all',
      assumedBy: ec2,
      inlinePolicies: {
        'deny-all': new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] }),
          ],
        }),
      },
    });
    const quarantineRole = new iam.Role(this, 'QuarantineRole', {
      roleName: NAMES.quarantineProfile,
      description: 'forensics-bot: contained instance under investigation, SSM agent only',
      assumedBy: ec2,
      inlinePolicies: {
        'ssm-agent': new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'SsmAgentRunCommand',
              // the agent's own channel APIs; none of them supports resource-level permissions
              actions: [
                'ssm:UpdateInstanceInformation',
                'ssm:ListInstanceAssociations',
                'ssm:ListAssociations',
                'ssmmessages:CreateControlChannel',
                'ssmmessages:CreateDataChannel',
                'ssmmessages:OpenControlChannel',
                'ssmmessages:OpenDataChannel',
                'ec2messages:AcknowledgeMessage',
                'ec2messages:DeleteMessage',
                'ec2messages:FailMessage',
                'ec2messages:GetEndpoint',
                'ec2messages:GetMessages',
                'ec2messages:SendReply',
              ],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    this.denyAll = new iam.InstanceProfile(this, 'DenyAll', {
      instanceProfileName: NAMES.denyAllProfile,
      role: denyAllRole,
    });
    this.quarantine = new iam.InstanceProfile(this, 'Quarantine', {
      instanceProfileName: NAMES.quarantineProfile,
      role: quarantineRole,
    });
    if (props.limeModules) {
      // the capture script downloads the kernel's LiME module under this profile (AVML needs nothing)
      const lime = new iam.Policy(this, 'LimeModules', {
        roles: [quarantineRole],
        statements: [
          new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.limeModules.objectsArn] }),
        ],
      });
      acknowledge(lime, {
        [`AwsSolutions-IAM5[Resource::${props.limeModules.findingResource}]`]:
          'LiME modules are stored one per kernel release under the configured prefix (<prefix>/<uname -r>/lime.ko), read-only',
      });
      // conditioned after applyCondition below, which would give it the profiles' condition
      this.limePolicy = lime;
    }
    acknowledge(quarantineRole, {
      'AwsSolutions-IAM5[Resource::*]':
        'the SSM agent channel APIs (ssm:UpdateInstanceInformation, ssmmessages:*, ec2messages:*) do not support resource-level permissions; this is the documented minimum for Run Command',
    });
    applyCondition(this, props.condition);
    if (this.limePolicy && props.limeModules)
      (this.limePolicy.node.defaultChild as iam.CfnPolicy).cfnOptions.condition = props.limeModules.condition;
  }
}
