import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SEEDED, SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { memoryImage } from '../../../sandbox/aws/services/ssm.js';
import { assume, clients, memberClients, rejection } from './support.js';

const BUCKET = 'forensics-evidence-222222222222';
const CASE = 'CASE-20250101-ABCD';

function onlyKey(key: string) {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: `arn:aws:s3:::${BUCKET}/${key}` }],
  });
}

async function capture(instanceId: string, key: string, policyKey = key) {
  const upload = await assume('222222222222', 'ForensicsBot-EvidenceUpload', { Policy: onlyKey(policyKey) });
  const c = await memberClients();
  const sent = await c.ssm.send(
    new SendCommandCommand({
      DocumentName: 'ForensicsBot-CaptureMemory',
      InstanceIds: [instanceId],
      Parameters: {
        CaseId: [CASE],
        Bucket: [BUCKET],
        Key: [key],
        AccessKeyId: [upload.accessKeyId],
        SecretAccessKey: [upload.secretAccessKey],
        SessionToken: [upload.sessionToken ?? ''],
      },
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

  it('streams the deterministic image to S3 with its SHA-256 and kernel release, and reports them last', async () => {
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
      tool: 'avml 0.14.0',
    });
    const object = org.state().buckets[0]!.objects.find((o) => o.key === key)!;
    expect(object).toMatchObject({
      sha256,
      bytes: image.length,
      metadata: { 'kernel-release': last.kernel, sha256 },
    });
    const got = await clients().s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(image)).toBe(true);
  });

  it('fails the command when the session policy does not cover the key', async () => {
    const { out } = await capture(
      SEEDED.instances.multiEni,
      `${CASE}/memory/elsewhere.lime`,
      `${CASE}/memory/other.lime`,
    );
    expect(out!.Status).toBe('Failed');
    expect(out!.StandardErrorContent).toMatch(/AccessDenied/);
    expect(org.state().buckets[0]!.objects.some((o) => o.key.endsWith('elsewhere.lime'))).toBe(false);
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
    expect(versions.map((v) => v.lock?.mode ?? null)).toEqual(['COMPLIANCE', null]);
  });

  it('keeps member accounts out of the evidence bucket', async () => {
    const c = await memberClients();
    const error = await rejection(
      c.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${CASE}/x`, Body: 'x' })),
    );
    expect(error.name).toBe('AccessDenied');
    const missing = await rejection(
      clients().s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nothing' })),
    );
    expect(missing.name).toBe('NotFound');
  });
});
