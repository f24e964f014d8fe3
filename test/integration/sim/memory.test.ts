import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  DescribeIamInstanceProfileAssociationsCommand,
  ReplaceIamInstanceProfileAssociationCommand,
} from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SEEDED, SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { evidenceKeyArn } from '../../../sandbox/aws/seed.js';
import { memoryImage, SANDBOX_AVML } from '../../../sandbox/aws/services/ssm.js';
import { assume, clients, memberClients, rejection } from './support.js';

const BUCKET = 'forensics-evidence-222222222222';
const CASE = 'CASE-20250101-ABCD';

/** A session policy allowing PutObject of one key pattern only. */
function onlyKey(key: string) {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: `arn:aws:s3:::${BUCKET}/${key}` }],
  });
}

/** The contract's parameters (shared/DESIGN.md) for the seeded evidence bucket. */
function parameters(
  key: string,
  arch: 'x86_64' | 'aarch64' = 'x86_64',
  extra: Record<string, string[]> = {},
) {
  return {
    CaseId: [CASE],
    Bucket: [BUCKET],
    Key: [key],
    Region: ['us-east-1'],
    KmsKeyId: [evidenceKeyArn('222222222222', 'us-east-1')],
    ToolsUri: ['s3://forensics-bot-tools-222222222222/avml/'],
    AvmlSha256: [SANDBOX_AVML[arch]],
    ...extra,
  };
}

/** Puts the quarantine profile on the instance, as containment (or the capture step) does. */
async function quarantine(instanceId: string) {
  const c = await memberClients();
  const current = await c.ec2.send(
    new DescribeIamInstanceProfileAssociationsCommand({
      Filters: [{ Name: 'instance-id', Values: [instanceId] }],
    }),
  );
  const association = current.IamInstanceProfileAssociations?.find((a) => a.State === 'associated');
  await c.ec2.send(
    new ReplaceIamInstanceProfileAssociationCommand({
      AssociationId: association!.AssociationId,
      IamInstanceProfile: { Name: 'ForensicsBot-Quarantine' },
    }),
  );
}

async function capture(instanceId: string, key: string, params: Record<string, string[]> = parameters(key)) {
  const c = await memberClients();
  const sent = await c.ssm.send(
    new SendCommandCommand({
      DocumentName: 'ForensicsBot-CaptureMemory',
      InstanceIds: [instanceId],
      Parameters: params,
    }),
  );
  const statuses: string[] = [];
  for (let poll = 0; poll < 6; poll += 1) {
    const out = await c.ssm.send(
      new GetCommandInvocationCommand({ CommandId: sent.Command!.CommandId, InstanceId: instanceId }),
    );
    statuses.push(out.Status!);
    if (!['Pending', 'InProgress'].includes(out.Status!)) return { statuses, out };
  }
  return { statuses, out: undefined };
}

describe('Function: memory capture through SSM into the evidence bucket', () => {
  const org = new SimulatedOrganization().seedDefault().install();
  afterAll(() => org.uninstall());
  beforeEach(() => org.setFaults({}));

  it('streams the deterministic image to S3 as the quarantine profile, with SHA-256, kernel and arch last', async () => {
    await quarantine(SEEDED.instances.demo);
    const key = `${CASE}/memory/${SEEDED.instances.demo}.lime`;
    const { statuses, out } = await capture(SEEDED.instances.demo, key);

    const image = memoryImage(SEEDED.instances.demo, 1024 * 1024);
    const sha256 = createHash('sha256').update(image).digest('hex');
    expect(statuses).toEqual(['Pending', 'InProgress', 'Success']);
    const last = JSON.parse(out!.StandardOutputContent!.trim().split('\n').pop()!);
    expect(last).toEqual({
      sha256,
      bytes: image.length,
      kernel: expect.stringMatching(/amzn/),
      arch: 'x86_64',
      tool: 'avml',
      toolVersion: 'avml 0.14.0 (current CLI)',
      toolSha256: SANDBOX_AVML.x86_64,
      source: '/proc/kcore',
      banner: expect.stringContaining(last.kernel),
      system: {
        key: `${key}.system.tar`,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        bytes: expect.any(Number),
        files: expect.arrayContaining([expect.objectContaining({ name: 'kallsyms' })]),
      },
    });
    const object = org.state().buckets[0]!.objects.find((o) => o.key === key)!;
    expect(object).toMatchObject({ sha256, bytes: image.length });
    const got = await clients().s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(image)).toBe(true);
    expect(got.SSEKMSKeyId).toBe(evidenceKeyArn('222222222222', 'us-east-1'));
  });

  it("fails the command when the instance still has the workload's profile: the bucket policy refuses it", async () => {
    const key = `${CASE}/memory/workload.lime`;
    const { out } = await capture(SEEDED.instances.multiEni, key);
    expect(out!.Status).toBe('Failed');
    expect(out!.StandardErrorContent).toMatch(/\(AccessDenied\).*assumed-role\/app-role\//);
    expect(org.state().buckets[0]!.objects.some((o) => o.key === key)).toBe(false);
  });

  it('refuses parameters the document does not declare (credentials) and values outside their pattern', async () => {
    const key = `${CASE}/memory/params.lime`;
    const secret = await rejection(
      capture(SEEDED.instances.demo, key, parameters(key, 'x86_64', { SecretAccessKey: ['abc'] })),
    );
    const badHash = await rejection(
      capture(SEEDED.instances.demo, key, parameters(key, 'x86_64', { AvmlSha256: ['not-a-hash'] })),
    );
    expect(secret.name).toBe('InvalidParameters');
    expect(badHash.name).toBe('InvalidParameters');
  });

  it('refuses to run an AVML whose SHA-256 is not the pinned one for the architecture', async () => {
    await quarantine(SEEDED.instances.demo);
    const key = `${CASE}/memory/wrong-arch.lime`;
    const { out } = await capture(SEEDED.instances.demo, key, parameters(key, 'aarch64'));
    expect(out!.Status).toBe('Failed');
    expect(out!.StandardErrorContent).toMatch(/avml-x86_64: SHA-256 .* refusing to run it/);
  });

  it('refuses SendCommand to an instance whose agent is offline', async () => {
    org.setFaults({ ssmOffline: [SEEDED.instances.demo] });
    const error = await rejection(capture(SEEDED.instances.demo, `${CASE}/memory/offline.lime`));
    expect(error.name).toBe('InvalidInstanceId');
  });

  it('refuses an instance without the SSM agent', async () => {
    const error = await rejection(capture(SEEDED.instances.unmanaged, `${CASE}/memory/unmanaged.lime`));
    expect(error.name).toBe('InvalidInstanceId');
  });

  it('enforces the session policy on direct PutObject too', async () => {
    const upload = clients(
      'us-east-1',
      await assume('222222222222', 'ForensicsBot-EvidenceUpload', { Policy: onlyKey(`${CASE}/*`) }),
    );
    await upload.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${CASE}/notes.txt`, Body: 'ok' }));
    const outside = await rejection(
      upload.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'CASE-20990101-ZZZZ/x', Body: 'no' })),
    );
    const read = await rejection(
      upload.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${CASE}/notes.txt` })),
    );
    expect(outside.name).toBe('AccessDenied');
    expect(read.name).toBe('AccessDenied');
  });

  it('keeps a locked object: no deletion of its version, a new put only adds a version', async () => {
    const s3 = clients().s3;
    const key = `${CASE}/manifest.json`;
    const retainUntil = new Date(Date.now() + 86_400_000);
    const first = await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: '{"v":1}',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: retainUntil,
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{"v":2}' }));

    const deleteLocked = await rejection(
      s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, VersionId: first.VersionId })),
    );
    const original = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key, VersionId: first.VersionId }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));

    expect(deleteLocked.name).toBe('AccessDenied');
    expect(await original.Body!.transformToString()).toBe('{"v":1}');
    expect(original.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ContentLength).toBe(7);
    const versions = org.state().buckets[0]!.objects.filter((o) => o.key === key);
    // the second version gets the bucket's default retention (GOVERNANCE, as the deploy sets it)
    expect(versions.map((v) => v.lock?.mode ?? null)).toEqual(['COMPLIANCE', 'GOVERNANCE']);
  });

  it('keeps member accounts out of the evidence bucket', async () => {
    const c = await memberClients();
    const error = await rejection(
      c.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${CASE}/x`, Body: 'x' })),
    );
    expect(error.name).toBe('AccessDenied');
    const missing = await rejection(
      clients().s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${CASE}/nothing` })),
    );
    expect(missing.name).toBe('NotFound');
  });
});
