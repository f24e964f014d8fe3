import * as iam from 'aws-cdk-lib/aws-iam';
import { NAMES } from '../names.js';

/**
 * What the `IRAutomation` role may do in a member account: exactly the calls the workflow steps make
 * there (COMMON.md "Commands the steps use"), each scoped as far as the service allows:
 * - reads (`Describe*`, `Get*`) on `*`, because those APIs have no resource-level permissions;
 * - security-group rule changes only on groups the bot created (tag `managed-by=forensics-bot`, set at
 *   creation, and creation only with that tag);
 * - tags only with the bot's keys; snapshots shared only with the forensics account and deleted only
 *   when the bot made them;
 * - `SendCommand` only with the bot's memory-capture document;
 * - instance profiles passed only to EC2; inline policies never on the bot's own roles.
 */

/** Tag the bot puts on what it creates, and the keys it may write on instances and snapshots. */
export const MANAGED_TAG = { key: 'managed-by', value: 'forensics-bot' } as const;
export const BOT_TAG_KEYS = [NAMES.incidentTag, 'ir-case-id', 'managed-by', 'Name', 'forensics-bot:*'];

export interface IrPermissionsInput {
  /** The forensics account, the only account snapshots may be shared with. */
  readonly forensicsAccount: string;
  /** Key ARN pattern of the forensics account's snapshot key (alias-addressed, id unknown here). */
  readonly snapshotKeyArns: string[];
  /** `${AWS::AccountId}` of the member (a token in a StackSet template). */
  readonly account: string;
}

const ec2 = (account: string, type: string) => `arn:aws:ec2:*:${account}:${type}/*`;

export function irPermissions(input: IrPermissionsInput): iam.PolicyStatement[] {
  const { account } = input;
  const managed = { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value } };
  return [
    new iam.PolicyStatement({
      sid: 'ReadOnlyDescribe',
      actions: [
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceAttribute',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeAddresses',
        'ec2:DescribeVpcs',
        'ec2:DescribeVpcEndpoints',
        'ec2:DescribePrefixLists',
        'ec2:DescribeIamInstanceProfileAssociations',
        'ec2:DescribeVolumes',
        'ec2:DescribeSnapshots',
        'autoscaling:DescribeAutoScalingInstances',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeLoadBalancers',
        'ssm:DescribeInstanceInformation',
        'ssm:GetCommandInvocation',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'CreateBotSecurityGroups',
      actions: ['ec2:CreateSecurityGroup'],
      resources: [ec2(account, 'security-group')],
      conditions: { StringEquals: { [`aws:RequestTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value } },
    }),
    new iam.PolicyStatement({
      sid: 'CreateSecurityGroupsInVpcs',
      actions: ['ec2:CreateSecurityGroup'],
      resources: [ec2(account, 'vpc')],
    }),
    new iam.PolicyStatement({
      sid: 'ChangeBotSecurityGroupRules',
      actions: [
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:RevokeSecurityGroupEgress',
      ],
      resources: [ec2(account, 'security-group')],
      conditions: managed,
    }),
    new iam.PolicyStatement({
      sid: 'MoveInstancesBetweenGroups',
      // the suspect's ENIs and instance are the workload's own, untagged by us: account-scoped only
      actions: ['ec2:ModifyNetworkInterfaceAttribute', 'ec2:ModifyInstanceAttribute'],
      resources: [
        ec2(account, 'network-interface'),
        ec2(account, 'instance'),
        ec2(account, 'security-group'),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'ElasticIps',
      actions: ['ec2:AssociateAddress', 'ec2:DisassociateAddress'],
      resources: [ec2(account, 'elastic-ip'), ec2(account, 'instance'), ec2(account, 'network-interface')],
    }),
    new iam.PolicyStatement({
      sid: 'TagOnCreate',
      actions: ['ec2:CreateTags'],
      resources: [ec2(account, 'security-group'), 'arn:aws:ec2:*::snapshot/*'],
      conditions: {
        StringEquals: { 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateSnapshots', 'CopySnapshot'] },
      },
    }),
    new iam.PolicyStatement({
      sid: 'TagWithBotKeys',
      actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
      resources: [ec2(account, 'instance'), ec2(account, 'security-group'), 'arn:aws:ec2:*::snapshot/*'],
      conditions: { 'ForAllValues:StringLike': { 'aws:TagKeys': BOT_TAG_KEYS } },
    }),
    new iam.PolicyStatement({
      sid: 'InstanceProfiles',
      actions: [
        'ec2:AssociateIamInstanceProfile',
        'ec2:ReplaceIamInstanceProfileAssociation',
        'ec2:DisassociateIamInstanceProfile',
      ],
      resources: [ec2(account, 'instance')],
    }),
    new iam.PolicyStatement({
      sid: 'PassProfileRolesToEc2',
      // the quarantine and deny-all roles, and on release the instance's original role
      actions: ['iam:PassRole'],
      resources: [`arn:aws:iam::${account}:role/*`],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadProfilesAndRoles',
      actions: ['iam:GetInstanceProfile', 'iam:GetRole'],
      resources: [`arn:aws:iam::${account}:instance-profile/*`, `arn:aws:iam::${account}:role/*`],
    }),
    new iam.PolicyStatement({
      sid: 'RevokeInstanceRoleSessions',
      // an inline deny on the suspect's role (sessions issued before containment)
      actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      resources: [`arn:aws:iam::${account}:role/*`],
    }),
    new iam.PolicyStatement({
      sid: 'NeverOnOwnOrServiceRoles',
      effect: iam.Effect.DENY,
      actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      resources: [
        `arn:aws:iam::${account}:role/${NAMES.irRole}`,
        `arn:aws:iam::${account}:role/ForensicsBot-*`,
        `arn:aws:iam::${account}:role/aws-service-role/*`,
        `arn:aws:iam::${account}:role/aws-reserved/*`,
        `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`,
        `arn:aws:iam::${account}:role/stacksets-exec-*`,
        `arn:aws:iam::${account}:role/AWSControlTower*`,
      ],
    }),
    new iam.PolicyStatement({
      sid: 'AutoScalingDetach',
      actions: ['autoscaling:DetachInstances', 'autoscaling:AttachInstances'],
      resources: [`arn:aws:autoscaling:*:${account}:autoScalingGroup:*:autoScalingGroupName/*`],
    }),
    new iam.PolicyStatement({
      sid: 'LoadBalancerDeregister',
      actions: [
        'elasticloadbalancing:DeregisterTargets',
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
        'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
      ],
      resources: [
        `arn:aws:elasticloadbalancing:*:${account}:targetgroup/*/*`,
        `arn:aws:elasticloadbalancing:*:${account}:loadbalancer/*`,
      ],
    }),
    new iam.PolicyStatement({
      sid: 'SnapshotVolumes',
      actions: ['ec2:CreateSnapshots'],
      resources: [ec2(account, 'instance'), ec2(account, 'volume'), 'arn:aws:ec2:*::snapshot/*'],
    }),
    new iam.PolicyStatement({
      sid: 'ReEncryptSnapshots',
      actions: ['ec2:CopySnapshot'],
      resources: ['arn:aws:ec2:*::snapshot/*'],
    }),
    new iam.PolicyStatement({
      sid: 'ShareSnapshotsWithForensicsOnly',
      actions: ['ec2:ModifySnapshotAttribute'],
      resources: ['arn:aws:ec2:*::snapshot/*'],
      conditions: { StringEquals: { 'ec2:Add/userId': input.forensicsAccount } },
    }),
    new iam.PolicyStatement({
      sid: 'DeleteOwnSnapshots',
      // intermediate snapshots under aws/ebs, once their re-encrypted copy exists
      actions: ['ec2:DeleteSnapshot'],
      resources: ['arn:aws:ec2:*::snapshot/*'],
      conditions: {
        StringEquals: { 'aws:ResourceAccount': account },
        Null: { 'aws:ResourceTag/ir-case-id': 'false' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'SnapshotKeysThroughEc2',
      actions: [
        'kms:DescribeKey',
        'kms:Decrypt',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:CreateGrant',
      ],
      // the account's own keys (aws/ebs or the workload's) to read; the forensics snapshot key to write
      resources: [`arn:aws:kms:*:${account}:key/*`, ...input.snapshotKeyArns],
      conditions: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      sid: 'RunCaptureMemoryOnly',
      actions: ['ssm:SendCommand'],
      resources: [
        `arn:aws:ssm:*:${account}:document/${NAMES.captureMemoryDocument}`,
        ec2(account, 'instance'),
      ],
    }),
  ];
}

/** The member-account API calls of COMMON.md, as IAM actions (what the role must allow). */
export const MEMBER_COMMANDS: Record<string, string[]> = {
  ec2: [
    'DescribeInstances',
    'DescribeInstanceAttribute', // used by record-configuration, missing from COMMON.md's list
    'DescribePrefixLists', // idem (the S3 gateway endpoint's prefix list)
    'DescribeNetworkInterfaces',
    'DescribeSecurityGroups',
    'CreateSecurityGroup',
    'AuthorizeSecurityGroupIngress',
    'AuthorizeSecurityGroupEgress',
    'RevokeSecurityGroupIngress',
    'RevokeSecurityGroupEgress',
    'ModifyNetworkInterfaceAttribute',
    'DescribeAddresses',
    'AssociateAddress',
    'DisassociateAddress',
    'ModifyInstanceAttribute',
    'CreateTags',
    'DeleteTags',
    'DescribeVpcs',
    'DescribeVpcEndpoints',
    'DescribeIamInstanceProfileAssociations',
    'AssociateIamInstanceProfile',
    'ReplaceIamInstanceProfileAssociation',
    'DisassociateIamInstanceProfile',
    'DescribeVolumes',
    'CreateSnapshots',
    'DescribeSnapshots',
    'CopySnapshot',
    'ModifySnapshotAttribute',
    'DeleteSnapshot',
  ],
  autoscaling: ['DescribeAutoScalingInstances', 'DetachInstances', 'AttachInstances'],
  elasticloadbalancing: [
    'DescribeTargetGroups',
    'DescribeTargetHealth',
    'DeregisterTargets',
    'RegisterTargets',
    'DescribeLoadBalancers',
    'DeregisterInstancesFromLoadBalancer',
    'RegisterInstancesWithLoadBalancer',
  ],
  iam: ['GetInstanceProfile', 'GetRole', 'PutRolePolicy', 'DeleteRolePolicy'],
  ssm: ['DescribeInstanceInformation', 'SendCommand', 'GetCommandInvocation'],
  kms: ['DescribeKey'],
};
