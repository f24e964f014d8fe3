import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { NAMES, evidenceBucketName } from '../names.js';

export interface EvidenceBucketProps {
  readonly retentionDays: number;
  readonly retentionMode: 'GOVERNANCE' | 'COMPLIANCE';
  /** Days after which objects move to Glacier Flexible Retrieval (0: at once). */
  readonly glacierAfterDays: number;
  /** The security account's steps role: writes manifests, reads back what it wrote (under `CASE-*`). */
  readonly stepsRoleArn: string;
}

/**
 * Where evidence is kept: Object Lock with a default retention (an object version cannot be deleted or
 * overwritten before it ends), versioning, its own KMS key (rotated), TLS only, no public access, server
 * access logs in a separate bucket, and a lifecycle to Glacier. Objects live under `<caseId>/`.
 * The bucket policy refuses uploads under any other key than the bucket's own.
 */
export class EvidenceBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: EvidenceBucketProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Access-log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL (owner-enforced buckets).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.key = new kms.Key(this, 'Key', {
      alias: NAMES.evidenceKeyAlias,
      description: 'forensics-bot: encrypts evidence (S3 objects, snapshot copies in this account)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stepsRole = new iam.ArnPrincipal(props.stepsRoleArn);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'StepsRoleThroughS3',
        principals: [stepsRole],
        // SSE-KMS of the manifest the steps upload (`workflows/steps/manifest.ts`)
        actions: ['kms:GenerateDataKey'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // S3 server access logging cannot write SSE-KMS
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { transitions: [{ storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(90) }] },
      ],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the evidence bucket; logging it into itself would loop.',
    });

    const retention =
      props.retentionMode === 'COMPLIANCE'
        ? s3.ObjectLockRetention.compliance(Duration.days(props.retentionDays))
        : s3.ObjectLockRetention.governance(Duration.days(props.retentionDays));
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: evidenceBucketName(stack.account, stack.region),
      objectLockEnabled: true,
      objectLockDefaultRetention: retention,
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'evidence/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'cold-storage',
          transitions: [
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(props.glacierAfterDays) },
          ],
          noncurrentVersionTransitions: [
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(props.glacierAfterDays) },
          ],
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherEncryptionKeys',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: {
          StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.key.keyArn },
        },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'StepsRoleCaseObjects',
        principals: [stepsRole],
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [this.bucket.arnForObjects('CASE-*')],
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'StepsRoleCaseListing',
        principals: [stepsRole],
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['CASE-*'] } },
      }),
    );
  }
}
