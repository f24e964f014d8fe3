import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { NAMES } from '../names.js';
import { acknowledge } from '../nag.js';

/** What EBS asks of the caller to copy an encrypted snapshot under another key. */
const KEY_ACTIONS_OF_A_COPY = [
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
  'kms:CreateGrant',
];

/**
 * Keys named by alias: IAM matches the key ARN, so each alias is a condition on the keys of its region
 * (`kms:ResourceAliases`), never a wildcard on every key.
 */
function aliasStatements(aliasArns: readonly string[]): iam.PolicyStatement[] {
  return aliasArns.map((arn) => {
    const [, , , region, account, resource] = arn.split(':');
    return new iam.PolicyStatement({
      actions: KEY_ACTIONS_OF_A_COPY,
      resources: [`arn:aws:kms:${region}:${account}:key/*`],
      conditions: {
        StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' },
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': resource },
      },
    });
  });
}

export interface ForensicsRolesProps {
  readonly stepsRoleArn: string;
  readonly externalId: string;
  readonly organizationId?: string;
  readonly evidenceKey: kms.IKey;
  readonly snapshotKey: kms.IKey;
  /** Snapshot keys of other regions (`extraSnapshotKeyArns`: key or alias ARNs), made by the team. */
  readonly extraSnapshotKeyArns?: readonly string[];
}

/**
 * The role the security account's steps assume in the forensics account: `ForensicsBot-SnapshotReceiver`
 * copies snapshots shared by member accounts into this account, re-encrypted under the evidence key. It
 * trusts only the steps role, with the ExternalId, inside the organization. (Memory images need no role
 * here: the quarantine instance profile uploads them with its own credentials, issue 15.)
 */
export class ForensicsRoles extends Construct {
  readonly receiver: iam.Role;

  constructor(scope: Construct, id: string, props: ForensicsRolesProps) {
    super(scope, id);
    const extra = props.extraSnapshotKeyArns ?? [];
    const orgCondition = props.organizationId
      ? { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } }
      : {};
    this.receiver = new iam.Role(this, 'SnapshotReceiver', {
      roleName: NAMES.snapshotReceiverRole,
      description: 'forensics-bot: copies snapshots shared by member accounts into the forensics account',
      assumedBy: new iam.ArnPrincipal(props.stepsRoleArn).withConditions({
        StringEquals: { 'sts:ExternalId': props.externalId, ...orgCondition.StringEquals },
      }),
      inlinePolicies: {
        copy: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'Describe',
              actions: ['ec2:DescribeSnapshots'],
              resources: ['*'], // EC2 Describe* calls do not support resource-level permissions
            }),
            new iam.PolicyStatement({
              sid: 'CopySharedSnapshots',
              actions: ['ec2:CopySnapshot'],
              resources: ['arn:aws:ec2:*::snapshot/*'],
            }),
            new iam.PolicyStatement({
              sid: 'LockCopies',
              // EBS Snapshot Lock on the evidence copies (compliance mode, issue 11)
              actions: ['ec2:LockSnapshot'],
              resources: ['arn:aws:ec2:*::snapshot/*'],
            }),
            new iam.PolicyStatement({
              sid: 'ReadCopiesThroughEbsDirectApis',
              // the imager reads the copies' blocks (ListSnapshotBlocks, GetSnapshotBlock)
              actions: ['ebs:ListSnapshotBlocks', 'ebs:GetSnapshotBlock'],
              resources: ['arn:aws:ec2:*::snapshot/*'],
            }),
            new iam.PolicyStatement({
              sid: 'TagCopies',
              actions: ['ec2:CreateTags'],
              resources: ['arn:aws:ec2:*::snapshot/*'],
              conditions: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
            }),
            new iam.PolicyStatement({
              sid: 'KeysThroughEc2',
              actions: KEY_ACTIONS_OF_A_COPY,
              resources: [
                props.snapshotKey.keyArn,
                props.evidenceKey.keyArn,
                ...extra.filter((a) => a.includes(':key/')),
              ],
              conditions: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
            }),
            ...aliasStatements(extra.filter((a) => a.includes(':alias/'))),
          ],
        }),
      },
    });
    acknowledge(this.receiver, {
      ...Object.fromEntries(
        extra
          .filter((a) => a.includes(':alias/'))
          .map((a) => {
            const [, , , region, account, resource] = a.split(':');
            return [
              `AwsSolutions-IAM5[Resource::arn:aws:kms:${region}:${account}:key/*]`,
              `the snapshot key of ${region} is named by its alias (${resource}), whose key id is not known here; the statement admits that alias only (kms:ResourceAliases), through EC2 only`,
            ];
          }),
      ),
      'AwsSolutions-IAM5[Resource::*]': 'ec2:DescribeSnapshots does not support resource-level permissions',
      'AwsSolutions-IAM5[Resource::arn:aws:ec2:*::snapshot/*]':
        'the snapshots to copy are shared by member accounts at run time (snapshot ARNs carry no account); copies are tagged only on creation',
    });
  }
}
