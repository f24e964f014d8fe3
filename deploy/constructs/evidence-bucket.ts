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
  /**
   * The organization whose member accounts' quarantine instance profiles upload memory images
   * (`aws:PrincipalOrgID`); without one (a single account), only this account's quarantine role may.
   */
  readonly organizationId?: string;
  /** Role of the quarantine instance profile in every member account (default `ForensicsBot-Quarantine`). */
  readonly quarantineRoleName?: string;
}

/**
 * Where evidence is kept: Object Lock with a default retention (an object version cannot be deleted or
 * overwritten before it ends), versioning, its own KMS key (rotated), TLS only, no public access, server
 * access logs in a separate bucket, and a lifecycle to Glacier. Objects live under `<caseId>/`.
 *
 * The bucket policy (evaluated by the sandbox's S3 from this very document, `sandbox/aws/evidence-policy.json`):
 * - refuses an upload that names another encryption than SSE-KMS or another key than the bucket's; an upload
 *   that names none gets the bucket's default encryption (this key). AWS evaluates the policy before default
 *   encryption applies, so `StringNotEqualsIfExists` on the key-id header denied every upload that did not
 *   send the header (issue 15): the Deny now needs the header to be present (`Null: false`);
 * - lets the quarantine instance profile of the organization's accounts write memory images under
 *   `CASE-…/memory/` and nothing else: no read, no list, no delete, no other prefix. The capture
 *   authenticates with that profile's own credentials, so no credential ever travels in SSM parameters.
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
        // SSE-KMS of the manifest the steps upload (`workflows/steps/manifest.ts`); Decrypt: the memory
        // image read back and hashed (`workflows/steps/verify-evidence.ts`)
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
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
    const objects = this.bucket.arnForObjects('*');
    // PutObject also authorizes CreateMultipartUpload, UploadPart and CompleteMultipartUpload.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherEncryptionKeys',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: {
          // S3 compares the header as sent: the key's ARN or its alias's ARN (what the steps are configured with)
          StringNotEquals: {
            's3:x-amz-server-side-encryption-aws-kms-key-id': [
              this.key.keyArn,
              `arn:${stack.partition}:kms:${stack.region}:${stack.account}:${NAMES.evidenceKeyAlias}`,
            ],
          },
          Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherEncryption',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: {
          StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
          Null: { 's3:x-amz-server-side-encryption': 'false' },
        },
      }),
    );
    const quarantineRole = props.quarantineRoleName ?? NAMES.quarantineProfile;
    const quarantine = {
      ArnLike: { 'aws:PrincipalArn': `arn:${stack.partition}:iam::*:role/${quarantineRole}` },
      StringEquals: props.organizationId
        ? { 'aws:PrincipalOrgID': props.organizationId }
        : { 'aws:PrincipalAccount': stack.account },
    };
    const memoryObjects = this.bucket.arnForObjects('CASE-*/memory/*');
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'QuarantineProfilesWriteMemoryImages',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [memoryObjects],
        conditions: quarantine,
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'QuarantineProfilesNothingElse',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        notActions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [this.bucket.bucketArn, objects],
        conditions: { ArnLike: quarantine.ArnLike },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'QuarantineProfilesOnlyMemoryPrefix',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        notResources: [memoryObjects],
        conditions: { ArnLike: quarantine.ArnLike },
      }),
    );
    // S3 encrypts the upload with the caller's own KMS permissions (a multipart upload decrypts too).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'QuarantineProfilesThroughS3',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          ...quarantine,
          StringEquals: {
            ...quarantine.StringEquals,
            'kms:ViaService': `s3.${stack.region}.amazonaws.com`,
          },
        },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'StepsRoleCaseObjects',
        principals: [stepsRole],
        // GetObjectVersion: the verification re-reads the exact version the capture uploaded;
        // GetObjectRetention: without it S3 leaves the Object Lock headers out of the answer
        actions: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion', 's3:GetObjectRetention'],
        resources: [this.bucket.arnForObjects('CASE-*')],
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'StepsRoleCaseListing',
        principals: [stepsRole],
        // ListBucketVersions: a memory image must be the only version under its key
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['CASE-*'] } },
      }),
    );
  }
}
