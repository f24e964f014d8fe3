import { Aws, type CfnCondition, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NAMES } from '../names.js';
import { acknowledge, applyCondition } from '../nag.js';

export interface QuarantineProfilesProps {
  /** IAM is global: create the profiles in one region only. */
  readonly condition?: CfnCondition;
  /**
   * The forensics account whose evidence buckets (`forensics-bot-evidence-<account>-<region>`, one per
   * region) receive memory images uploaded with this profile's own credentials (issue 15). Each bucket's
   * policy admits this role only under `CASE-…/memory/`, PutObject and AbortMultipartUpload only.
   */
  readonly evidence?: { readonly forensicsAccount: string };
  /** Objects of the tools prefix (pinned AVML builds) the capture copies into RAM, `arn:…/prefix/*`. */
  readonly toolsObjectsArn?: string;
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

/** A resource as cdk-nag prints it in an IAM5 finding id: `Ref`s as `<LogicalId>`, pseudo parameters as `<AWS::…>`. */
function findingResource(scope: Construct, value: string): string {
  const resolved = Stack.of(scope).resolve(value) as unknown;
  if (typeof resolved === 'string') return resolved;
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return JSON.stringify(resolved);
  return join[1]
    .map((part) =>
      typeof part === 'string' ? part : `<${(part as { Ref?: string }).Ref ?? JSON.stringify(part)}>`,
    )
    .join(join[0]);
}

/**
 * The two instance profiles containment swaps onto a suspect instance:
 * - `ForensicsBot-DenyAll`: a role that can do nothing (explicit deny of everything), so stolen instance
 *   credentials are worthless;
 * - `ForensicsBot-Quarantine`: what the SSM agent needs to take commands, and the memory capture's own
 *   upload: PutObject of memory images into the evidence buckets (fenced by their policy to
 *   `CASE-…/memory/`), with the evidence key through S3. No credential is ever handed over in a command.
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
    if (props.evidence) {
      const account = props.evidence.forensicsAccount;
      quarantineRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'WriteMemoryImages',
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [`arn:${Aws.PARTITION}:s3:::forensics-bot-evidence-${account}-*/CASE-*/memory/*`],
        }),
      );
      quarantineRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EvidenceKeyThroughS3',
          // SSE-KMS of the upload is done with the uploader's permissions (multipart also decrypts)
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [`arn:${Aws.PARTITION}:kms:*:${account}:key/*`],
          conditions: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
        }),
      );
      // cdk-nag prints a parameter's Ref as <LogicalId>
      const ref = Stack.of(this).resolve(account) as string | { Ref?: string };
      const shown = typeof ref === 'string' ? ref : `<${ref.Ref}>`;
      acknowledge(quarantineRole, {
        [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::forensics-bot-evidence-${shown}-*/CASE-*/memory/*]`]:
          'one evidence bucket per region (forensics-bot-evidence-<account>-<region>), each image a new key under its case; the bucket policy fences this role to CASE-*/memory/, PutObject and AbortMultipartUpload only',
        [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:*:${shown}:key/*]`]:
          "the evidence keys' ids are made in the forensics account's stacks, unknown here; use is limited to S3 (kms:ViaService) and each key's policy names this role",
      });
    }
    if (props.toolsObjectsArn) {
      quarantineRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadCaptureTools',
          actions: ['s3:GetObject'],
          resources: [props.toolsObjectsArn],
        }),
      );
      acknowledge(quarantineRole, {
        [`AwsSolutions-IAM5[Resource::${findingResource(this, props.toolsObjectsArn)}]`]:
          'the pinned AVML builds, one per architecture (avml-x86_64, avml-aarch64), under the tools prefix; read-only, and the tools bucket policy admits only the quarantine roles of the organization',
      });
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
