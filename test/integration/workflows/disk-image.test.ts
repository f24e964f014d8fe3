import { createHash } from 'node:crypto';
import { DeleteSnapshotCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { requireCase } from '../../../bot/core/case-store.js';
import { buildDiskImage, canBuildImages } from '../../../sandbox/disks/build.js';
import { seededRootTree } from '../../../sandbox/aws/volume-trees.js';
import { forensics, own } from '../../../workflows/aws/member.js';
import { wallClock } from '../../../workflows/imager/clock.js';
import { imageChunk, startImage } from '../../../workflows/imager/image-chunk.js';
import { inputOf, openTestCase, runCase, SEEDED, useWorkflowWorld } from './harness.js';

/**
 * Issue 11: disk evidence with a hash. The seeded volumes hold real ext4 images (the root) or nothing
 * (the data volumes); the case snapshots them, copies them into the forensics account, locks the copies,
 * and images each copy through the simulated EBS direct APIs into the simulated S3.
 */
const world = useWorkflowWorld({
  DISK_IMAGE: 'raw',
  EVIDENCE_LOCK_MODE: 'COMPLIANCE',
  SNAPSHOT_LOCK_DAYS: '7',
});

const bucket = () => world.org.world.buckets.get(world.org.settings.evidenceBucket)!;
const GIB = 1024 ** 3;
const zerosSha256 = (() => {
  const h = createHash('sha256');
  const mib = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < 1024; i++) h.update(mib);
  return h.digest('hex');
})();

describe.skipIf(!canBuildImages())('Workflow: raw disk images from the EBS direct APIs', () => {
  let caseId = '';
  let rootCopy = '';

  it('a contained case ends with a raw image of each volume whose SHA-256 is the volume image’s own', async () => {
    // Prepare: the demo instance's root volume is the ext4 image of its tree at 1 GiB.
    const instanceId = SEEDED.instances.demo;
    const expected = await buildDiskImage(await seededRootTree(instanceId, 1));
    const record = await openTestCase(instanceId, ['contain']);
    caseId = record.id;

    // Act
    const execution = await runCase(world, inputOf(record, 'not-required'));

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    const images = after.artifacts.filter((a) => a.kind === 'disk-image');
    const snapshots = after.artifacts.filter((a) => a.kind === 'disk-snapshot');
    expect(images).toHaveLength(snapshots.length);
    const root = images.find((a) => a.source?.endsWith('(/dev/xvda)'))!;
    expect(root.sha256).toBe(expected.sha256);
    expect(root.bytes).toBe(expected.bytes);
    // The object in the simulated S3 is byte-identical to the image file (S3 hashed what it stored).
    const key = root.uri.replace(`s3://${bucket().name}/`, '');
    const stored = bucket().objects.get(key)!.at(-1)!;
    expect(stored.body.length).toBe(GIB);
    expect(stored.sha256).toBe(expected.sha256);
    expect(stored.lockMode).toBe('COMPLIANCE');
    expect(root.details?.versionId).toBe(stored.versionId);
    expect(root.details?.objectLock).toMatchObject({ mode: 'COMPLIANCE' });
    const written = root.details?.writtenBlocks as number;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(2048);
    expect(root.details?.getSnapshotBlockRequests).toBeGreaterThanOrEqual(written);
    expect(root.details?.sourceSnapshotStartTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The disk entry names its sources: the member account's snapshot, the locked copy it was read from,
    // both their KMS keys (the demo's root is encrypted), and the bytes the API served.
    expect(root.details?.sourceSnapshotId).toMatch(/^snap-/);
    expect(root.details?.snapshotId).toMatch(/^snap-/);
    expect(root.details?.snapshotId).not.toBe(root.details?.sourceSnapshotId);
    expect(root.details?.sourceKmsKeyId).toEqual(expect.any(String));
    expect(root.details?.copyKmsKeyId).toEqual(expect.any(String));
    expect(root.details?.bytesRead).toBe(written * 512 * 1024);
    // The per-block index beside the image lists each written block with the SHA-256 the API gave.
    const indexKey = (root.details!.blockIndex as string[])[0]!.replace(`s3://${bucket().name}/`, '');
    const index = bucket().objects.get(indexKey)!.at(-1)!.body.toString().trim().split('\n');
    expect(index[0]).toBe('block,offset,sha256');
    expect(index).toHaveLength(written + 1);
    // A data volume never written is all zeros: no block read, and the hash of 1 GiB of zeros.
    for (const data of images.filter((a) => a !== root)) {
      expect(data.details?.writtenBlocks).toBe(0);
      expect(data.sha256).toBe(zerosSha256);
    }
    rootCopy = root.details?.snapshotId as string;
  }, 180_000);

  it('locks the forensics copies in compliance mode: not even the forensics account can delete them', async () => {
    const copy = world.org.world
      .region(world.org.settings.forensicsAccount, 'us-east-1')
      .snapshots.get(rootCopy)!;
    expect(copy.lock?.mode).toBe('compliance');
    const error = await forensics('us-east-1', caseId)
      .ec2()
      .send(new DeleteSnapshotCommand({ SnapshotId: rootCopy }))
      .catch((e: Error) => e);
    expect((error as Error).name).toBe('SnapshotLocked');
    const after = await requireCase(caseId);
    const snapshot = after.artifacts.find(
      (a) => a.kind === 'disk-snapshot' && a.details?.snapshotId === rootCopy,
    )!;
    expect(snapshot.details?.snapshotLock).toMatchObject({ mode: 'compliance', days: 7 });
    // The member account's original and its re-encrypted copy (aws/ebs cannot be shared) were deleted.
    expect(snapshot.details?.intermediates).toEqual([
      expect.objectContaining({ role: 'original', fate: 'deleted', account: '333333333333' }),
      expect.objectContaining({ role: 're-encrypted copy', fate: 'deleted', account: '333333333333' }),
    ]);
  });

  it('says each image in the thread: size, written share, throughput, time, SHA-256 and the API cost', async () => {
    const after = await requireCase(caseId);
    const root = after.artifacts.find((a) => a.kind === 'disk-image' && a.source?.endsWith('(/dev/xvda)'))!;
    // The step's line as posted in the case thread (this test case has no Slack card, so read the record).
    const text = JSON.stringify(after.steps.filter((s) => s.step === 'Raw disk images written'));
    expect(text).toContain(`SHA-256 ${root.sha256}`);
    expect(text).toMatch(/1 GiB, \d+\.\d % written \(\d+ blocks\), \d+ MiB\/s, \d+\.\d s/);
    expect(text).toMatch(/EBS direct API \$0\.\d{4} \(\d+ GetSnapshotBlock\)/);
  });

  it('writes the manifest last: outcome, every object under the case prefix with its lock, tools, its own version', async () => {
    const after = await requireCase(caseId);
    const key = `${caseId}/manifest.json`;
    const stored = bucket().objects.get(key)!.at(-1)!;
    expect(after.manifest).toMatchObject({
      uri: `s3://${bucket().name}/${key}`,
      versionId: stored.versionId,
    });
    expect(createHash('sha256').update(stored.body).digest('hex')).toBe(after.manifest!.sha256);
    expect(stored.lockMode).toBe('COMPLIANCE');
    const manifest = JSON.parse(stored.body.toString()) as {
      outcome: { status: string; evidence: Record<string, string> };
      missing: unknown[];
      artifacts: { kind: string; uri: string; sha256: string | null; details: Record<string, unknown> }[];
      objects: { key: string; status: string; lockMode: string | null }[];
      tools: { bot: object; avml: { sha256: string | null } };
      auditTrail: { sha256: string };
    };
    // Written after the outcome: the case's settled status and each acquisition's end are in it.
    expect(manifest.outcome.status).toBe(after.status);
    expect(manifest.outcome.evidence).toEqual(after.evidence);
    expect(manifest.missing).toEqual([]);
    // Every artifact's SHA-256 comes from the evidence (images hashed in block order, memory re-read);
    // each snapshot copy's is that of the raw image read from it, which the entry names.
    for (const a of manifest.artifacts) expect(a.sha256, `${a.kind} ${a.uri}`).toMatch(/^[0-9a-f]{64}$/);
    const images = manifest.artifacts.filter((a) => a.kind === 'disk-image');
    expect(images).toHaveLength(2);
    for (const snapshot of manifest.artifacts.filter((a) => a.kind === 'disk-snapshot')) {
      const image = images.find((i) => i.details.snapshotId === snapshot.details.snapshotId)!;
      expect(snapshot.sha256).toBe(image.sha256);
      expect(snapshot.details.sha256Of).toContain(image.uri);
    }
    for (const image of images) {
      const object = manifest.objects.find((o) => `s3://${bucket().name}/${o.key}` === image.uri)!;
      expect(object).toMatchObject({ status: 'artifact', lockMode: 'COMPLIANCE' });
    }
    expect(manifest.objects.some((o) => o.status === 'block index')).toBe(true);
    expect(manifest.objects.some((o) => o.status === 'not recorded in the case')).toBe(false);
    expect(manifest.tools.avml.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.auditTrail.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('says in the manifest which evidence is missing and why when imaging is refused', async () => {
    const record = await openTestCase(SEEDED.instances.multiEni, ['contain']);
    world.org.setFaults({
      fail: [{ operation: 'GetSnapshotBlock', error: 'AccessDeniedException', after: 0 }],
    });
    const execution = await runCase(world, inputOf(record, 'not-required'));
    world.org.setFaults({});
    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    const body = bucket().objects.get(`${record.id}/manifest.json`)!.at(-1)!.body.toString();
    const manifest = JSON.parse(body) as {
      missing: { kind: string; why: string }[];
      outcome: { status: string };
    };
    expect(manifest.outcome.status).toBe('evidence-incomplete');
    expect(manifest.missing).toEqual([{ kind: 'disk', why: expect.stringContaining('AccessDenied') }]);
    expect(after.artifacts.some((a) => a.kind === 'disk-image')).toBe(false);
  }, 120_000);

  it('resumes after a crash mid-way without reading again what was uploaded', async () => {
    // Prepare: a new image of the locked root copy, in chunks of 128 MiB (8 chunks of 16 parts).
    const expected = await buildDiskImage(await seededRootTree(SEEDED.instances.demo, 1));
    const s3 = own().s3();
    const ebs = forensics('us-east-1', caseId).ebs();
    const options = { ebs, s3, clock: wallClock, chunkBytes: 128 * 1024 * 1024 };
    let job = await startImage(s3, {
      snapshotId: rootCopy,
      volumeSizeGiB: 1,
      bucket: bucket().name,
      key: `${caseId}/disk/resume-test.raw`,
    });
    const reads = () => world.org.calls.filter((c) => c.command === 'GetSnapshotBlockCommand').length;
    const start = reads();
    job = await imageChunk(job, options);
    job = await imageChunk(job, options);
    const beforeCrash = reads() - start;
    // The third chunk crashes after 5 of its 16 parts are uploaded (the sandbox's faults API).
    world.org.setFaults({ fail: [{ operation: 'UploadPart', error: 'InternalError', after: 5, times: 1 }] });
    const crash = await imageChunk(job, options).catch((e: Error) => e);
    expect((crash as Error).name).toBe('InternalError');
    const crashed = reads() - start - beforeCrash;

    // Act: run again from the last state the workflow kept, to the end.
    world.org.setFaults({});
    while (!job.done) job = await imageChunk(job, options);

    // Assess
    expect(job.sha256).toBe(expected.sha256);
    expect(bucket().objects.get(`${caseId}/disk/resume-test.raw`)!.at(-1)!.sha256).toBe(expected.sha256);
    const total = reads() - start;
    // Every written block was read once, plus only the crashed chunk's again: none of chunks 1–2.
    expect(total).toBe(job.writtenBlocks + crashed);
    expect(job.getRequests).toBe(job.writtenBlocks);
  }, 120_000);

  it('retries throttled blocks: the image is still exact when 30 % of the requests are throttled', async () => {
    const expected = await buildDiskImage(await seededRootTree(SEEDED.instances.demo, 1));
    const s3 = own().s3();
    const options = { ebs: forensics('us-east-1', caseId).ebs(), s3, clock: wallClock };
    let job = await startImage(s3, {
      snapshotId: rootCopy,
      volumeSizeGiB: 1,
      bucket: bucket().name,
      key: `${caseId}/disk/throttled.raw`,
    });
    world.org.setFaults({ throttle: 0.3 });
    while (!job.done) job = await imageChunk(job, options);
    world.org.setFaults({});
    expect(job.sha256).toBe(expected.sha256);
    expect(job.throttled).toBeGreaterThan(job.writtenBlocks / 10);
    expect(job.getRequests).toBe(job.writtenBlocks + job.throttled);
  }, 120_000);
});
