import { createHash } from 'node:crypto';
import { type EBSClient, GetSnapshotBlockCommand } from '@aws-sdk/client-ebs';
import { describeError } from '../../bot/core/errors.js';
import { isThrottling } from '../errors.js';
import type { BlockRef } from './block-lister.js';
import type { ImagerClock } from './clock.js';
import { BlockChecksumMismatchError, BlockReadFailedError } from './errors.js';
import type { RateLimiter } from './rate-limiter.js';

/** Counters of one imaging run (requests are what EBS bills: $0.003 per 1,000 GetSnapshotBlock). */
export interface FetchStats {
  getRequests: number;
  throttled: number;
  retries: number;
  checksumMismatches: number;
}

export interface FetchContext {
  ebs: EBSClient;
  snapshotId: string;
  clock: ImagerClock;
  /** The snapshot's own pace (1,000/s per snapshot in AWS, fixed). */
  snapshotLimiter: RateLimiter;
  /** The account's pace, shared by every image this process makes. */
  accountLimiter?: RateLimiter;
  stats: FetchStats;
  maxAttempts?: number;
}

const RETRYABLE = new Set(['InternalServerException', 'ServiceUnavailable', 'InternalError', 'TimeoutError']);

/**
 * One block, verified: its SHA-256 must equal the `Checksum` the API sent (base64), or it is read again
 * (a corrupted transfer), up to `maxAttempts`. Throttled and failed reads back off with full jitter and
 * push the limiters back, so the whole image slows down rather than keeps being throttled.
 */
export async function fetchBlock(
  ctx: FetchContext,
  ref: BlockRef,
  blockSize: number,
): Promise<{ data: Buffer; sha256: string }> {
  const max = ctx.maxAttempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    await ctx.snapshotLimiter.take();
    await ctx.accountLimiter?.take();
    ctx.stats.getRequests += 1;
    try {
      const out = await ctx.ebs.send(
        new GetSnapshotBlockCommand({
          SnapshotId: ctx.snapshotId,
          BlockIndex: ref.index,
          BlockToken: ref.token,
        }),
      );
      const body = out.BlockData as unknown as { transformToByteArray(): Promise<Uint8Array> } | undefined;
      const bytes = body ? await body.transformToByteArray() : new Uint8Array();
      const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const digest = createHash('sha256').update(data).digest();
      const expected = out.Checksum;
      if (
        out.ChecksumAlgorithm === 'SHA256' &&
        expected === digest.toString('base64') &&
        data.length === blockSize
      )
        return { data, sha256: digest.toString('hex') };
      ctx.stats.checksumMismatches += 1;
      if (attempt >= max)
        throw new BlockChecksumMismatchError(
          `Block ${ref.index} of ${ctx.snapshotId}: ${data.length} bytes with SHA-256 ${digest.toString('base64')}, the API said ${out.ChecksumAlgorithm ?? 'no algorithm'} ${expected ?? 'no checksum'} (${attempt} reads)`,
        );
      ctx.stats.retries += 1;
    } catch (error) {
      if (error instanceof BlockChecksumMismatchError) throw error;
      const throttled = isThrottling(error);
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
      const retryable = throttled || status >= 500 || RETRYABLE.has((error as Error).name);
      if (!retryable) throw error;
      if (throttled) ctx.stats.throttled += 1;
      if (attempt >= max)
        throw new BlockReadFailedError(
          `Block ${ref.index} of ${ctx.snapshotId} could not be read in ${attempt} attempts: ${describeError(error)}`,
          { cause: error },
        );
      const wait = Math.random() * Math.min(5_000, 100 * 2 ** attempt);
      if (throttled) {
        ctx.snapshotLimiter.pause(wait);
        ctx.accountLimiter?.pause(wait);
      }
      ctx.stats.retries += 1;
      await ctx.clock.sleep(wait);
    }
  }
}
