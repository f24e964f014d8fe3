import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { EBSClient, GetSnapshotBlockCommand, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import { CreateSnapshotsCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { buildDiskImage, canBuildImages } from '../../../sandbox/disks/build.js';
import { SEEDED, SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { isZero } from '../../../sandbox/aws/volume-content.js';
import { seededRootTree } from '../../../sandbox/aws/volume-trees.js';
import { assume, memberClients, rejection } from './support.js';

const BLOCK = 512 * 1024;

/** The blocks of the image file that are not all zeros: what EBS calls written. */
function writtenBlocksOf(path: string, bytes: number): number[] {
  const fd = openSync(path, 'r');
  const out: number[] = [];
  const block = Buffer.alloc(BLOCK);
  try {
    for (let i = 0; i * BLOCK < bytes; i++) {
      readSync(fd, block, 0, BLOCK, i * BLOCK);
      if (!isZero(block)) out.push(i);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

describe.skipIf(!canBuildImages())('Function: the EBS direct APIs of the simulated organization', () => {
  const org = new SimulatedOrganization().seedDefault().install();
  let ebs: EBSClient;
  let snapshotId: string;
  afterAll(() => org.uninstall());
  beforeEach(() => org.setFaults({}));

  beforeAll(async () => {
    const c = await memberClients();
    const out = await c.ec2.send(
      new CreateSnapshotsCommand({
        InstanceSpecification: { InstanceId: SEEDED.instances.demo, ExcludeBootVolume: false },
      }),
    );
    snapshotId = out.Snapshots!.find((s) => s.VolumeSize === 1 && s.VolumeId)!.SnapshotId!;
    for (let i = 0; i < 5; i++) await c.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    // maxAttempts 1: the test sees each answer, not the SDK's retries of it.
    ebs = createAwsClient(EBSClient, {
      region: 'us-east-1',
      credentials: await assume('333333333333'),
      maxAttempts: 1,
    });
  });

  it('lists only the written blocks of the root volume, 512 KiB each, and serves them with their SHA-256', async () => {
    // Prepare: the root volume is the instance's tree as an ext4 image at the volume's size (1 GiB).
    const image = await buildDiskImage(await seededRootTree(SEEDED.instances.demo, 1));
    const expected = writtenBlocksOf(image.path, image.bytes);

    // Act
    const listed = await ebs.send(
      new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: 10_000 }),
    );

    // Assess
    expect(listed.BlockSize).toBe(BLOCK);
    expect(listed.VolumeSize).toBe(1);
    expect(listed.Blocks!.map((b) => b.BlockIndex)).toEqual(expected);
    expect(expected.length).toBeLessThan(image.bytes / BLOCK / 2);
    const first = listed.Blocks![0]!;
    const got = await ebs.send(
      new GetSnapshotBlockCommand({
        SnapshotId: snapshotId,
        BlockIndex: first.BlockIndex,
        BlockToken: first.BlockToken,
      }),
    );
    const bytes = Buffer.from(await got.BlockData!.transformToByteArray());
    const fd = openSync(image.path, 'r');
    const onDisk = Buffer.alloc(BLOCK);
    readSync(fd, onDisk, 0, BLOCK, first.BlockIndex! * BLOCK);
    closeSync(fd);
    expect(bytes.equals(onDisk)).toBe(true);
    expect(got.Checksum).toBe(createHash('sha256').update(onDisk).digest('base64'));
    expect(got.ChecksumAlgorithm).toBe('SHA256');
    expect(got.DataLength).toBe(BLOCK);
  });

  it('pages with NextToken from StartingBlockIndex and refuses MaxResults outside 100..10,000', async () => {
    const all = (await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }))).Blocks!;
    const from = all[3]!.BlockIndex!;
    const page = await ebs.send(
      new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, StartingBlockIndex: from, MaxResults: 100 }),
    );
    expect(page.Blocks![0]!.BlockIndex).toBe(from);
    if (all.length - 3 > 100) expect(page.NextToken).toBeDefined();
    const error = await rejection(
      ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: 5 })),
    );
    expect(error.name).toBe('ValidationException');
  });

  it('refuses a token of another block, a missing snapshot and an unwritten block', async () => {
    const [a, b] = (await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }))).Blocks!;
    const wrong = await rejection(
      ebs.send(
        new GetSnapshotBlockCommand({
          SnapshotId: snapshotId,
          BlockIndex: a!.BlockIndex,
          BlockToken: b!.BlockToken,
        }),
      ),
    );
    expect(wrong.name).toBe('ValidationException');
    expect((wrong as { Reason?: string }).Reason).toBe('INVALID_BLOCK_TOKEN');
    const missing = await rejection(
      ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-0123456789abcdef0' })),
    );
    expect(missing.name).toBe('ResourceNotFoundException');
  });

  it('throttles the 1,001st GetSnapshotBlock of one second on a snapshot with RequestThrottledException', async () => {
    // Prepare: no latency, so every request falls in the same simulated second.
    const [a] = (await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }))).Blocks!;
    const get = () =>
      ebs.send(
        new GetSnapshotBlockCommand({
          SnapshotId: snapshotId,
          BlockIndex: a!.BlockIndex,
          BlockToken: a!.BlockToken,
        }),
      );
    org.clock.advance(1000);

    // Act
    const results = await Promise.allSettled(Array.from({ length: 1001 }, get));

    // Assess
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    const error = (refused[0] as PromiseRejectedResult).reason as Error & { Reason?: string };
    expect(error.name).toBe('RequestThrottledException');
    expect(error.Reason).toBe('RESOURCE_LEVEL_THROTTLE');
    org.clock.advance(1000);
    await expect(get()).resolves.toBeDefined();
  });

  it('shares the account limit across snapshots (ACCOUNT_THROTTLED) and answers with the configured latency', async () => {
    org.setFaults({ ebs: { accountLimit: 5, latencyMs: 50 } });
    org.clock.advance(1000);
    const [a] = (await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }))).Blocks!;
    const before = org.clock.simulatedMs;
    await ebs.send(
      new GetSnapshotBlockCommand({
        SnapshotId: snapshotId,
        BlockIndex: a!.BlockIndex,
        BlockToken: a!.BlockToken,
      }),
    );
    expect(org.clock.simulatedMs - before).toBeGreaterThanOrEqual(50);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        ebs.send(
          new GetSnapshotBlockCommand({
            SnapshotId: snapshotId,
            BlockIndex: a!.BlockIndex,
            BlockToken: a!.BlockToken,
          }),
        ),
      ),
    );
    const reasons = results.flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as { Reason?: string }).Reason] : [],
    );
    expect(reasons.length).toBeGreaterThan(0);
    expect(new Set(reasons)).toEqual(new Set(['ACCOUNT_THROTTLED']));
  });
});
