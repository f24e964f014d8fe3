import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  evidenceBucketPolicy,
  evidencePolicyFile,
  SANDBOX_ORGANIZATION_ID,
} from '../../../sandbox/aws/evidence-policy.js';
import { synthesizeEvidencePolicy } from '../../../sandbox/aws/evidence-policy-synth.js';
import { SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { evidenceKeyArn, QUARANTINE_ROLE } from '../../../sandbox/aws/seed.js';
import {
  type BucketPolicy,
  bucketAdmits,
  evaluateBucketPolicy,
  principalContext,
  type S3PolicyRequest,
} from '../../../sandbox/aws/services/s3-policy.js';
import { assume, clients, rejection } from './support.js';

const BUCKET = 'forensics-evidence-222222222222';
const FORENSICS = '222222222222';
const CASE = 'CASE-20250101-ABCD';
const KEY_ARN = evidenceKeyArn(FORENSICS, 'us-east-1');
const ALIAS_ARN = `arn:aws:kms:us-east-1:${FORENSICS}:alias/forensics-bot-evidence`;
const OTHER_KEY = 'arn:aws:kms:us-east-1:333333333333:key/00000000-0000-4000-8000-000000000bad';

const policy = () =>
  evidenceBucketPolicy({
    bucket: BUCKET,
    owner: FORENSICS,
    region: 'us-east-1',
    keyArn: KEY_ARN,
    stepsRoleArn: 'arn:aws:iam::111111111111:role/ForensicsBotLambda',
  });

/** A request of an EC2 instance's role session (`assumed-role/<role>/<instance id>`). */
function asInstanceRole(
  role: string,
  action: string,
  key: string,
  extra: Record<string, string | undefined> = {},
  orgId = SANDBOX_ORGANIZATION_ID,
): S3PolicyRequest {
  const principal = {
    account: '333333333333',
    arn: `arn:aws:sts::333333333333:assumed-role/${role}/i-0a1b2c3d4e5f60718`,
  };
  return {
    action,
    resource: `arn:aws:s3:::${BUCKET}/${key}`,
    principal,
    context: { ...principalContext(principal, orgId), ...extra },
  };
}

describe('Function: the evidence bucket policy, as the deploy writes it', () => {
  it('is the one the construct synthesizes today (sandbox/aws/evidence-policy.json is not stale)', () => {
    // Act
    const fresh = synthesizeEvidencePolicy();

    // Assess: regenerate with `npx tsx sandbox/aws/evidence-policy-synth.ts`
    expect(fresh).toEqual(evidencePolicyFile());
  });

  it('as it was before issue 15, denied every upload that did not name the key (StringNotEqualsIfExists)', () => {
    // Prepare: the statement the construct used to write
    const before: BucketPolicy = {
      Statement: [
        {
          Sid: 'DenyOtherEncryptionKeys',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${BUCKET}/*`,
          Condition: {
            StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN },
          },
        },
      ],
    };
    const manifest = asInstanceRole('ForensicsBotLambda', 's3:PutObject', `${CASE}/manifest.json`);

    // Act / Assess: no header -> the key is absent -> IfExists holds -> Deny, before default encryption
    expect(evaluateBucketPolicy(before, manifest).decision).toBe('Deny');
    expect(
      evaluateBucketPolicy(before, {
        ...manifest,
        context: { ...manifest.context, 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN },
      }).decision,
    ).toBe('Implicit');
  });

  it('admits the quarantine profile under CASE-*/memory/ only, for writes only, from the organization only', () => {
    // Prepare
    const p = policy();
    const memory = `${CASE}/memory/i-0a1b2c3d4e5f60718-20250101T000000Z.lime`;
    const admits = (r: S3PolicyRequest, identity = true) => bucketAdmits(p, r, FORENSICS, identity);

    // Assess
    expect(admits(asInstanceRole(QUARANTINE_ROLE, 's3:PutObject', memory)).admitted).toBe(true);
    expect(admits(asInstanceRole(QUARANTINE_ROLE, 's3:AbortMultipartUpload', memory)).admitted).toBe(true);
    // its own identity policy must allow it too (another account)
    expect(admits(asInstanceRole(QUARANTINE_ROLE, 's3:PutObject', memory), false).admitted).toBe(false);
    expect(admits(asInstanceRole(QUARANTINE_ROLE, 's3:PutObject', `${CASE}/manifest.json`))).toMatchObject({
      admitted: false,
      reason: expect.stringContaining('QuarantineProfilesOnlyMemoryPrefix'),
    });
    expect(admits(asInstanceRole(QUARANTINE_ROLE, 's3:GetObject', memory))).toMatchObject({
      admitted: false,
      reason: expect.stringContaining('QuarantineProfilesNothingElse'),
    });
    expect(admits(asInstanceRole(QUARANTINE_ROLE, 's3:DeleteObjectVersion', memory)).admitted).toBe(false);
    expect(
      admits(asInstanceRole(QUARANTINE_ROLE, 's3:PutObject', memory, {}, 'o-someoneelse')).admitted,
    ).toBe(false);
    // the workload's own role (what the instance had before containment) gets nothing
    expect(admits(asInstanceRole('web-server-role', 's3:PutObject', memory)).admitted).toBe(false);
  });

  it('refuses another encryption or another key, and any request without TLS', () => {
    // Prepare
    const p = policy();
    const memory = `${CASE}/memory/x.lime`;
    const put = (extra: Record<string, string>) =>
      bucketAdmits(p, asInstanceRole(QUARANTINE_ROLE, 's3:PutObject', memory, extra), FORENSICS, true);

    // Assess
    expect(put({}).admitted).toBe(true);
    expect(
      put({
        's3:x-amz-server-side-encryption': 'aws:kms',
        's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
      }).admitted,
    ).toBe(true);
    expect(
      put({
        's3:x-amz-server-side-encryption': 'aws:kms',
        's3:x-amz-server-side-encryption-aws-kms-key-id': ALIAS_ARN,
      }).admitted,
    ).toBe(true);
    expect(
      put({
        's3:x-amz-server-side-encryption': 'aws:kms',
        's3:x-amz-server-side-encryption-aws-kms-key-id': OTHER_KEY,
      }).reason,
    ).toContain('DenyOtherEncryptionKeys');
    expect(put({ 's3:x-amz-server-side-encryption': 'AES256' }).reason).toContain('DenyOtherEncryption');
    expect(put({ 'aws:SecureTransport': 'false' }).admitted).toBe(false);
  });
});

describe('Function: the simulated S3 under that policy (real SDK calls)', () => {
  const org = new SimulatedOrganization().seedDefault().install();
  afterAll(() => org.uninstall());
  beforeEach(() => org.setFaults({}));

  it('keeps the manifest PutObject (no encryption header) working, encrypted under the evidence key by default', async () => {
    // Act: as writeManifest sends it
    const s3 = clients().s3;
    const key = `${CASE}/manifest.json`;
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{}', ContentType: 'application/json' }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));

    // Assess
    expect(head).toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_ARN,
      ObjectLockMode: 'GOVERNANCE',
    });
  });

  it('refuses a PutObject and a CreateMultipartUpload that name another key', async () => {
    // Prepare
    const s3 = clients().s3;
    const sse = { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: OTHER_KEY };

    // Act
    const put = await rejection(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${CASE}/a`, Body: 'x', ...sse })),
    );
    const create = await rejection(
      s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${CASE}/b`, ...sse })),
    );

    // Assess
    expect(put.name).toBe('AccessDenied');
    expect(put.message).toContain('DenyOtherEncryptionKeys');
    expect(create.name).toBe('AccessDenied');
  });

  it('shows nothing under a multipart key until it completes, and nothing after an abort', async () => {
    // Prepare: a role of the bucket's own account (the steps role may not abort uploads: it makes none)
    const s3 = clients('us-east-1', await assume(FORENSICS)).s3;
    const key = `${CASE}/memory/multipart.lime`;
    const started = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const part = await s3.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: started.UploadId,
        PartNumber: 1,
        Body: 'half an image',
      }),
    );

    // Act
    const during = await rejection(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: started.UploadId }));
    const afterAbort = await rejection(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
    const late = await rejection(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: started.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
        }),
      ),
    );

    // Assess
    expect(during.name).toBe('NotFound');
    expect(afterAbort.name).toBe('NotFound');
    expect(late.name).toBe('NoSuchUpload');
  });

  it('refuses a conditional write onto a key that exists (If-None-Match)', async () => {
    const s3 = clients().s3;
    const key = `${CASE}/memory/once.lime`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first', IfNoneMatch: '*' }));
    const again = await rejection(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second', IfNoneMatch: '*' })),
    );
    expect(again.name).toBe('PreconditionFailed');
  });

  it('shows the Object Lock only to a caller allowed s3:GetObjectRetention, as S3 does', async () => {
    // Prepare: a forensics-account session that may read objects, not their retention
    const key = `${CASE}/lock-visibility.txt`;
    await clients().s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    const readOnly = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }],
    });
    const reader = clients('us-east-1', await assume(FORENSICS, 'IRAutomation', { Policy: readOnly })).s3;

    // Act
    const steps = await clients().s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const other = await reader.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));

    // Assess
    expect(steps.ObjectLockMode).toBe('GOVERNANCE');
    expect(other.ObjectLockMode).toBeUndefined();
    expect(other.ObjectLockRetainUntilDate).toBeUndefined();
  });

  it("lists only under the case prefixes for the steps (the policy's s3:prefix condition)", async () => {
    const s3 = clients().s3;
    await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${CASE}/` }));
    const everything = await rejection(s3.send(new ListObjectsV2Command({ Bucket: BUCKET })));
    expect(everything.name).toBe('AccessDenied');
  });
});
