import { createHash } from 'node:crypto';
import type { EBSClient } from '@aws-sdk/client-ebs';
import { describe, expect, it } from 'vitest';
import type { ImagerClock } from '../../../workflows/imager/clock.js';
import { BlockChecksumMismatchError, BlockReadFailedError } from '../../../workflows/imager/errors.js';
import { fetchBlock, type FetchStats } from '../../../workflows/imager/fetch-block.js';
import { ResumableSha256 } from '../../../workflows/imager/hasher.js';
import { imageSummary, partBytesFor, USD_PER_1000_GET_BLOCK } from '../../../workflows/imager/image-chunk.js';
import { RateLimiter } from '../../../workflows/imager/rate-limiter.js';

const BLOCK = 512 * 1024;
const MIB = 1024 * 1024;

/** A clock that only moves when slept on. */
function fakeClock(): ImagerClock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += Math.max(0, ms);
    },
  };
  return c;
}

/** An EBS client answering GetSnapshotBlock from a script of answers. */
function scriptedEbs(answers: (() => unknown)[]): EBSClient {
  let i = 0;
  return {
    send: async () => {
      const answer = answers[Math.min(i++, answers.length - 1)]!();
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as EBSClient;
}

const block = Buffer.alloc(BLOCK, 9);
const goodAnswer = () => ({
  BlockData: { transformToByteArray: async () => new Uint8Array(block) },
  Checksum: createHash('sha256').update(block).digest('base64'),
  ChecksumAlgorithm: 'SHA256',
});
const stats = (): FetchStats => ({ getRequests: 0, throttled: 0, retries: 0, checksumMismatches: 0 });

describe('Function: imager building blocks', () => {
  it('paces requests to the rate in 50 ms windows, and pushes every later one back after a throttle', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(950, clock);
    const starts: number[] = [];
    for (let i = 0; i < 2000; i++) {
      await limiter.take();
      starts.push(clock.t);
    }
    // No one-second span holds more than 1,000 requests (AWS's per-snapshot limit), whatever its start.
    for (let i = 0; i < starts.length; i++) {
      const inSpan = starts.filter((t) => t >= starts[i]! && t < starts[i]! + 1000).length;
      expect(inSpan).toBeLessThanOrEqual(1000);
    }
    expect(clock.t).toBeGreaterThan(2000); // 2,000 requests at 950/s: over two seconds
    expect(clock.t).toBeLessThan(2200);
    limiter.pause(500);
    const before = clock.t;
    await limiter.take();
    expect(clock.t).toBeGreaterThanOrEqual(before + 500);
  });

  it('sizes parts so any volume up to 64 TiB fits S3’s 10,000 parts, in whole blocks', () => {
    for (const gib of [1, 8, 78, 79, 1024, 16 * 1024, 64 * 1024]) {
      const bytes = gib * 1024 * MIB;
      const part = partBytesFor(bytes);
      expect(part % BLOCK).toBe(0);
      expect(part).toBeGreaterThanOrEqual(8 * MIB);
      expect(Math.ceil(bytes / part)).toBeLessThanOrEqual(10_000);
    }
    expect(partBytesFor(1024 * 1024 * MIB)).toBe(112 * MIB); // 1 TiB: 9,363 parts of 112 MiB
  });

  it('resumes a SHA-256 from its saved state to the digest Node computes over the whole', async () => {
    const a = Buffer.alloc(3 * MIB + 17, 1);
    const b = Buffer.alloc(5 * MIB, 2);
    const first = await ResumableSha256.resume();
    first.update(a);
    const state = first.save();
    const second = await ResumableSha256.resume(state);
    second.update(b);
    expect(second.digest()).toBe(createHash('sha256').update(a).update(b).digest('hex'));
  });

  it('reads a block again when its bytes do not match the API’s checksum, and fails after the last attempt', async () => {
    const corrupt = () => ({
      ...goodAnswer(),
      Checksum: createHash('sha256').update('other').digest('base64'),
    });
    const clock = fakeClock();
    const ctx = {
      snapshotId: 'snap-0a',
      clock,
      snapshotLimiter: new RateLimiter(1000, clock),
      stats: stats(),
    };
    const ok = await fetchBlock(
      { ...ctx, ebs: scriptedEbs([corrupt, goodAnswer]) },
      { index: 3, token: 't' },
      BLOCK,
    );
    expect(ok.sha256).toBe(createHash('sha256').update(block).digest('hex'));
    expect(ctx.stats).toMatchObject({ getRequests: 2, checksumMismatches: 1, retries: 1 });
    const s = stats();
    const error = await fetchBlock(
      { ...ctx, stats: s, ebs: scriptedEbs([corrupt]), maxAttempts: 3 },
      { index: 3, token: 't' },
      BLOCK,
    ).catch((e: Error) => e);
    expect(error).toBeInstanceOf(BlockChecksumMismatchError);
    expect(s.getRequests).toBe(3);
  });

  it('retries throttling with back-off and gives up with BlockReadFailedError; other errors fail at once', async () => {
    const throttle = () => Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottledException' });
    const clock = fakeClock();
    const ctx = { snapshotId: 'snap-0a', clock, snapshotLimiter: new RateLimiter(1000, clock) };
    const s = stats();
    await fetchBlock(
      { ...ctx, stats: s, ebs: scriptedEbs([throttle, throttle, goodAnswer]) },
      { index: 0, token: 't' },
      BLOCK,
    );
    expect(s).toMatchObject({ getRequests: 3, throttled: 2, retries: 2 });
    const gaveUp = await fetchBlock(
      { ...ctx, stats: stats(), ebs: scriptedEbs([throttle]), maxAttempts: 4 },
      { index: 0, token: 't' },
      BLOCK,
    ).catch((e: Error) => e);
    expect(gaveUp).toBeInstanceOf(BlockReadFailedError);
    const denied = () =>
      Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    const s2 = stats();
    const refused = await fetchBlock(
      { ...ctx, stats: s2, ebs: scriptedEbs([denied]) },
      { index: 0, token: 't' },
      BLOCK,
    ).catch((e: Error) => e);
    expect((refused as Error).name).toBe('AccessDeniedException');
    expect(s2.getRequests).toBe(1);
  });

  it('says the cost at $0.003 per 1,000 GetSnapshotBlock and the written share of the volume', () => {
    const summary = imageSummary({
      volumeBytes: 1024 * MIB,
      writtenBlocks: 512,
      getRequests: 600,
      elapsedMs: 2000,
    } as Parameters<typeof imageSummary>[0]);
    expect(summary.writtenShare).toBe(0.25);
    expect(summary.costUsd).toBeCloseTo((600 / 1000) * USD_PER_1000_GET_BLOCK, 10);
    expect(summary.mibPerSecond).toBe(512);
  });
});
