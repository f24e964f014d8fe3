import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticContent } from '../../../sandbox/aws/volume-content.js';
import { forensics, own } from '../../../workflows/aws/member.js';
import { type ImagerClock, wallClock } from '../../../workflows/imager/clock.js';
import { HashThreadFailedError } from '../../../workflows/imager/errors.js';
import type { HashThread } from '../../../workflows/imager/hash-thread.js';
import {
  type ChunkOptions,
  EBS_BLOCK_BYTES,
  imageChunk,
  startImage,
} from '../../../workflows/imager/image-chunk.js';
import { RateLimiter } from '../../../workflows/imager/rate-limiter.js';
import { eventually, useWorkflowWorld } from './harness.js';

/**
 * Issue 11, the imager's pipeline with its hash on a thread of its own: the thread's death fails the
 * chunk (no hash, no resume state) and the chunk run again ends with the image's hash; a hash that falls
 * behind holds the fetcher back (memory stays bounded). Against the simulated EBS direct APIs and S3.
 */
const world = useWorkflowWorld({ DISK_IMAGE: 'raw' });
const CASE = 'CASE-20261204-P1PE';
const MIB = 1024 * 1024;

/** A completed 1 GiB snapshot in the forensics account, `writtenPercent` of its blocks written. */
function plantSnapshot(writtenPercent: number) {
  const account = world.org.settings.forensicsAccount;
  const snapshotId = world.org.world.id('snap');
  const content = syntheticContent(1024 ** 3 / EBS_BLOCK_BYTES, writtenPercent);
  world.org.world.region(account, 'us-east-1').snapshots.set(snapshotId, {
    snapshotId,
    ownerId: account,
    region: 'us-east-1',
    volumeId: 'vol-0pipe11ne',
    volumeSize: 1,
    state: 'completed',
    progress: 100,
    pollsLeft: 0,
    failing: false,
    encrypted: false,
    description: 'imager pipeline test',
    startTime: new Date(),
    tags: {},
    sharedWith: [],
    deleted: false,
    content,
  });
  return { snapshotId, content };
}

/** The SHA-256 of the whole volume as `dd` would read it: written blocks as served, the others zeros. */
async function volumeSha256(content: ReturnType<typeof syntheticContent>): Promise<string> {
  const blocks = await content.open();
  const written = new Set(blocks.written);
  const zeros = Buffer.alloc(EBS_BLOCK_BYTES);
  const hash = createHash('sha256');
  for (let i = 0; i < 1024 ** 3 / EBS_BLOCK_BYTES; i++) hash.update(written.has(i) ? blocks.read(i) : zeros);
  return hash.digest('hex');
}

const reads = () => world.org.calls.filter((c) => c.command === 'GetSnapshotBlockCommand').length;
const bucket = () => world.org.settings.evidenceBucket;

describe('Workflow: the disk imager’s hash thread', () => {
  // The twin counts its per-second limits on the simulated clock, which no latency moves here: each test
  // starts in a second of its own, and stays under 1,000 reads.
  beforeEach(() => world.org.clock.advance(1_000));
  // Each image is a GiB held in this process by the simulated S3: dropped once its test has read it.
  afterEach(() => {
    const objects = world.org.world.buckets.get(bucket())!.objects;
    for (const key of [...objects.keys()]) if (key.startsWith(`${CASE}/`)) objects.delete(key);
  });

  it('a chunk whose hash thread dies fails with no hash; run again from the same job, the image is exact', async () => {
    // Prepare: 1 GiB, 35 % written, in chunks of 256 MiB
    const { snapshotId, content } = plantSnapshot(35);
    const s3 = own().s3();
    let killAfter = 0;
    const options: ChunkOptions = {
      ebs: forensics('us-east-1', CASE).ebs(),
      s3,
      clock: wallClock,
      chunkBytes: 256 * MIB,
      // The thread is ended (as a crash or an out-of-memory kill would end it) once it has hashed a few parts.
      onHashThread: (thread: HashThread) => {
        if (!killAfter) return;
        let hashed = 0;
        thread.worker.on('message', () => {
          if (++hashed === killAfter) void thread.worker.terminate();
        });
      },
    };
    let job = await startImage(s3, {
      snapshotId,
      volumeSizeGiB: 1,
      bucket: bucket(),
      key: `${CASE}/disk/t.raw`,
    });
    const start = reads();
    job = await imageChunk(job, options);
    const beforeCrash = reads() - start;

    // Act: the second chunk's thread dies after 5 of its 32 parts
    killAfter = 5;
    const crash = await imageChunk(job, options).catch((e: Error) => e);
    const crashed = reads() - start - beforeCrash;
    killAfter = 0;
    while (!job.done) job = await imageChunk(job, options);

    // Assess: the failure is the thread's, not a hash; the image is the volume's; only the crashed
    // chunk was read twice
    expect(crash).toBeInstanceOf(HashThreadFailedError);
    expect((crash as Error).message).toMatch(/hash thread exited/);
    const expected = await volumeSha256(content);
    expect(job.sha256).toBe(expected);
    expect(world.org.world.buckets.get(bucket())!.objects.get(`${CASE}/disk/t.raw`)!.at(-1)!.sha256).toBe(
      expected,
    );
    expect(reads() - start).toBe(job.writtenBlocks + crashed);
    expect(job.getRequests).toBe(job.writtenBlocks);
  }, 120_000);

  it('a hash that falls behind holds the reads back: parts in memory stay bounded, and the image is exact', async () => {
    // Prepare: one chunk of 1 GiB (128 parts of 8 MiB), 45 % written; the hash is held
    const { snapshotId, content } = plantSnapshot(45);
    const s3 = own().s3();
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const options: ChunkOptions = {
      ebs: forensics('us-east-1', CASE).ebs(),
      s3,
      clock: wallClock,
      onHashThread: (thread: HashThread) => {
        const update = thread.update.bind(thread);
        thread.update = (part) => gate.then(() => update(part));
      },
    };
    const job = await startImage(s3, {
      snapshotId,
      volumeSizeGiB: 1,
      bucket: bucket(),
      key: `${CASE}/disk/b.raw`,
    });
    const start = reads();

    // Act: image while the hash waits, until the reads stop
    const imaging = imageChunk(job, options);
    let last = -1;
    await eventually(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const now = reads() - start;
      const still = now === last;
      last = now;
      return still && now > 0;
    }, 30_000);
    const readWhileHeld = reads() - start;
    open();
    const done = await imaging;

    // Assess: what was read ahead of the held hash fits the chunk's part buffers (192 MiB at most), a
    // small share of the chunk; released, the image completes exactly
    expect(readWhileHeld * EBS_BLOCK_BYTES).toBeLessThanOrEqual(192 * MIB);
    expect(readWhileHeld).toBeLessThan(done.writtenBlocks / 4);
    expect(done.done).toBe(true);
    expect(done.sha256).toBe(await volumeSha256(content));
  }, 120_000);

  it('two images at once share the account’s 1,000 reads per second: neither is throttled, and without the shared pace they are', async () => {
    // Prepare: the imager paces on the organization's clock, by which the twin counts its limits (no
    // latency: only the pacing moves that clock, so each image reads at its own 950 per second)
    const clock: ImagerClock = {
      now: () => world.org.clock.simulatedMs,
      sleep: (ms) => world.org.clock.sleep(ms),
    };
    const s3 = own().s3();
    const ebs = forensics('us-east-1', CASE).ebs();
    const throttles = () =>
      world.org.calls.filter(
        (c) => c.command === 'GetSnapshotBlockCommand' && c.outcome === 'RequestThrottledException',
      ).length;
    /** Two 1 GiB volumes (30 % written: 614 blocks each) imaged at once, each at 950 reads/s of its own. */
    const imageTwo = async (accountLimiter?: RateLimiter) => {
      const planted = [plantSnapshot(30), plantSnapshot(30)];
      const before = throttles();
      const jobs = await Promise.all(
        planted.map(async ({ snapshotId }, i) => {
          const job = await startImage(s3, {
            snapshotId,
            volumeSizeGiB: 1,
            bucket: bucket(),
            key: `${CASE}/disk/two-${accountLimiter ? 'shared' : 'own'}-${i}.raw`,
          });
          return imageChunk(job, { ebs, s3, clock, accountLimiter });
        }),
      );
      return { planted, jobs, throttled: throttles() - before };
    };

    // Act
    const shared = await imageTwo(new RateLimiter(950, clock));
    world.org.clock.advance(1_000);
    const apart = await imageTwo();

    // Assess: with one pace for the account, no read was refused; with a pace per image only, the
    // account's limit refused some (and they were retried)
    expect(shared.throttled).toBe(0);
    expect(apart.throttled).toBeGreaterThan(0);
    for (const run of [shared, apart])
      for (const [i, job] of run.jobs.entries()) {
        expect(job.done).toBe(true);
        expect(job.sha256).toBe(await volumeSha256(run.planted[i]!.content));
      }
  }, 180_000);
});
