import * as iam from 'aws-cdk-lib/aws-iam';
import { NAMES } from '../names.js';

/**
 * What the `IRAutomation` role may do in a member account: exactly the calls the workflow steps make
 * there (`new XxxCommand(` through `member()` in `workflows/steps/`; a test derives that set from the
 * source and compares), plus what AWS checks underneath them (PassRole for instance profiles, KMS through
 * EC2 for snapshot copies, CreateTags for tags given at creation). Each is scoped as far as the service
 * allows:
 * - reads (`Describe*`, `Get*`) on `*`, because those APIs have no resource-level permissions;
 * - security-group rule changes only on groups the bot created (tag `managed-by=forensics-bot`, set at
 *   creation, and creation only with that tag);
 * - tags written on instances only with the bot's two keys; other tags only at creation;
 * - snapshots shared only with the forensics account, and only the bot's (tagged with a case id);
 *   deleted only when the bot made them;
 * - `SendCommand` only with the bot's two documents (memory capture, live triage); `CancelCommand` (no
 *   resource-level permissions) to stop a command the workflow gave up on;
 * - `cloudtrail:LookupEvents` (no resource-level permissions; read-only) to name who tagged the instance;
 * - instance profiles' roles passed only to EC2; inline policies never on the bot's own or AWS roles.
 * The suspect instance and its network interfaces carry no tag of ours before the first change (the
 * case tag is written alongside it), so actions on them are scoped to the account, not by tag.
 */

/** Tag the bot puts on what it creates (`workflows/steps/security-groups.ts`). */
/**
 * Roles no forensics action ever needs to change or pass: IRAutomation itself, AWS's service-linked and
 * reserved (SSO) roles, and the organization's administration roles (a compromised IRAutomation must
 * not be a way to them).
 */
const PROTECTED_ROLES = (account: string): string[] => [
  `arn:aws:iam::${account}:role/${NAMES.irRole}`,
  `arn:aws:iam::${account}:role/aws-service-role/*`,
  `arn:aws:iam::${account}:role/aws-reserved/*`,
  `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`,
  `arn:aws:iam::${account}:role/stacksets-exec-*`,
  `arn:aws:iam::${account}:role/AWSControlTower*`,
];

export const MANAGED_TAG = { key: 'managed-by', value: 'forensics-bot' } as const;
/** The tag keys the steps write on a suspect instance (`workflows/steps/instance.ts`). */
export const INSTANCE_TAG_KEYS = [NAMES.incidentTag, NAMES.caseTag];

export interface IrPermissionsInput {
  /** The forensics account, the only account snapshots may be shared with. */
  readonly forensicsAccount: string;
  /** Key ARN pattern of the forensics account's snapshot key (alias-addressed, id unknown here). */
  readonly snapshotKeyArns: string[];
  /** `${AWS::AccountId}` of the member (a token in a StackSet template). */
  readonly account: string;
}

const ec2 = (account: string, type: string) => `arn:aws:ec2:*:${account}:${type}/*`;
const SNAPSHOTS = 'arn:aws:ec2:*::snapshot/*';

export function irPermissions(input: IrPermissionsInput): iam.PolicyStatement[] {
  const { account } = input;
  const managed = { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value } };
  const ofACase = { Null: { [`aws:ResourceTag/${NAMES.caseTag}`]: 'false' } };
  return [
    new iam.PolicyStatement({
      sid: 'ReadOnlyDescribe',
      actions: [
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceAttribute',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeAddresses',
        'ec2:DescribeVpcEndpoints',
        'ec2:DescribePrefixLists',
        'ec2:DescribeIamInstanceProfileAssociations',
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
      // ingress is only ever added (the allow-all group); egress is replaced on the isolation groups
      actions: [
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupEgress',
      ],
      resources: [ec2(account, 'security-group')],
      conditions: managed,
    }),
    new iam.PolicyStatement({
      sid: 'MoveInstancesBetweenGroups',
      // the suspect's ENIs and instance are the workload's own, untagged by us: account-scoped only;
      // on release the original groups come back, so any group of the account may be named
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
      resources: [ec2(account, 'security-group'), SNAPSHOTS],
      conditions: {
        StringEquals: { 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateSnapshots', 'CopySnapshot'] },
      },
    }),
    new iam.PolicyStatement({
      sid: 'TagInstancesWithCaseKeys',
      actions: ['ec2:CreateTags'],
      resources: [ec2(account, 'instance')],
      conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': INSTANCE_TAG_KEYS } },
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
      // The quarantine and deny-all roles, and on release the instance's original role — any role, because
      // the original one is whatever the instance had: IAM cannot say "the role this instance had before".
      // Only to EC2, only for this account's instances (the ARN form IAM requires for instance profiles).
      actions: ['iam:PassRole'],
      resources: [`arn:aws:iam::${account}:role/*`],
      conditions: {
        StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        StringLike: { 'iam:AssociatedResourceARN': `arn:aws:ec2:*:${account}:instance/*` },
      },
    }),
    new iam.PolicyStatement({
      sid: 'NeverPassPrivilegedRoles',
      // A compromised IRAutomation must not hand an administrator's or the platform's roles to an instance.
      effect: iam.Effect.DENY,
      actions: ['iam:PassRole'],
      resources: PROTECTED_ROLES(account),
    }),
    new iam.PolicyStatement({
      sid: 'ReadInstanceProfiles',
      actions: ['iam:GetInstanceProfile'],
      resources: [`arn:aws:iam::${account}:instance-profile/*`],
    }),
    new iam.PolicyStatement({
      sid: 'RevokeInstanceRoleSessions',
      // an inline deny on the suspect's role (sessions issued before containment)
      actions: ['iam:PutRolePolicy'],
      resources: [`arn:aws:iam::${account}:role/*`],
    }),
    new iam.PolicyStatement({
      sid: 'NeverOnOwnOrServiceRoles',
      effect: iam.Effect.DENY,
      actions: ['iam:PutRolePolicy'],
      resources: [`arn:aws:iam::${account}:role/ForensicsBot-*`, ...PROTECTED_ROLES(account)],
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
      resources: [ec2(account, 'instance'), ec2(account, 'volume'), SNAPSHOTS],
    }),
    new iam.PolicyStatement({
      sid: 'ReEncryptSnapshots',
      actions: ['ec2:CopySnapshot'],
      resources: [SNAPSHOTS],
    }),
    new iam.PolicyStatement({
      sid: 'ShareCaseSnapshotsWithForensicsOnly',
      actions: ['ec2:ModifySnapshotAttribute'],
      resources: [SNAPSHOTS],
      conditions: { StringEquals: { 'ec2:Add/userId': input.forensicsAccount }, ...ofACase },
    }),
    new iam.PolicyStatement({
      sid: 'DeleteOwnSnapshots',
      // intermediate snapshots under aws/ebs, once their re-encrypted copy exists
      actions: ['ec2:DeleteSnapshot'],
      resources: [SNAPSHOTS],
      conditions: { StringEquals: { 'aws:ResourceAccount': account }, ...ofACase },
    }),
    new iam.PolicyStatement({
      sid: 'SnapshotKeysThroughEc2',
      // what EBS asks of the caller to copy an encrypted snapshot under another key
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
      sid: 'RunBotDocumentsOnly',
      actions: ['ssm:SendCommand'],
      resources: [
        `arn:aws:ssm:*:${account}:document/${NAMES.captureMemoryDocument}`,
        `arn:aws:ssm:*:${account}:document/${NAMES.liveTriageDocument}`,
        ec2(account, 'instance'),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'CancelCommandsWhenPollingGivesUp',
      // CancelCommand has no resource-level permissions; a command id is all it takes
      actions: ['ssm:CancelCommand'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ReadWhoTaggedTheInstance',
      // LookupEvents has no resource-level permissions: a tag case reads who put SecurityIncidentStatus
      // on its instance (the event history is read-only; nothing is written)
      actions: ['cloudtrail:LookupEvents'],
      resources: ['*'],
    }),
  ];
}
