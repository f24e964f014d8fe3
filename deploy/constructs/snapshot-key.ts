import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { NAMES } from '../names.js';

export interface SnapshotKeyProps {
  /** Organization whose `IRAutomation` roles re-encrypt snapshots under this key. */
  readonly organizationId?: string;
  /** Without an organization (single account): the one account whose `IRAutomation` role may use it. */
  readonly memberAccount: string;
}

/**
 * The customer-managed key that member accounts re-encrypt snapshots under before sharing them with the
 * forensics account (snapshots under the default `aws/ebs` key cannot be shared). Only the `IRAutomation`
 * roles of the organization may use it, only through EC2, and grants only for AWS resources (EBS).
 */
export class SnapshotKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: SnapshotKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      alias: NAMES.snapshotKeyAlias,
      description: 'forensics-bot: re-encrypts member-account snapshots shared with the forensics account',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const irRoles = props.organizationId
      ? {
          principal: new iam.OrganizationPrincipal(props.organizationId),
          conditions: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::*:role/${NAMES.irRole}` } },
        }
      : {
          principal: new iam.AccountPrincipal(props.memberAccount),
          conditions: {
            ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${props.memberAccount}:role/${NAMES.irRole}` },
          },
        };
    const viaEc2 = { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } };
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'MemberIRAutomationCopiesSnapshots',
        principals: [irRoles.principal],
        actions: [
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { ...irRoles.conditions, ...viaEc2 },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'MemberIRAutomationGrantsForEbs',
        principals: [irRoles.principal],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { ...irRoles.conditions, ...viaEc2, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
  }
}
