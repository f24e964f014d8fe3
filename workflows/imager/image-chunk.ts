import { type CompletedPart, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EBSClient } from '@aws-sdk/client-ebs';
import { z } from 'zod';
import { writtenBlocks } from './block-lister.js';
import type { ImagerClock } from './clock.js';
import { ImageStateInvalidError } from './errors.js';
import { type FetchContext, fetchBlock } from './fetch-block.js';
import { HashThread } from './hash-thread.js';
import { completeUpload, type LockSettings, startUpload, uploadPart } from './multipart.js';
import { PartPool } from './part-pool.js';
import { RateLimiter, Semaphore } from './rate-limiter.js';

/**
 * One snapshot → one raw image in S3, made a chunk (a run of parts) per call. Everything needed to go on
 * is in the returned job (JSON, well under Step Functions' 256 KiB): the upload id, the next part, the
 * hash state, the counters. A call that fails is simply made again with the job it was given: its parts
 * are uploaded again under the same numbers and the hash resumes from the state before them, so nothing
 * of earlier chunks is read again. Memory is bounded by the chunk's part buffers (`PartPool`, at most
 * 192 MiB or three parts), not by the volume's size. The hash runs on a thread of its own
 * (`hash-thread.ts`) beside the reads and uploads, so a chunk takes as long as the slowest of the three,
 * not their sum; its state is saved only once every part of the chunk is both hashed and uploaded.
 */

export const EBS_BLOCK_BYTES = 512 * 1024;
const MIB = 1024 * 1024;
const MAX_PARTS = 10_000;
/** Parts uploading at once: one S3 stream is slower than the API's 500 MiB/s. */
const UPLOADS_IN_FLIGHT = 4;
/** Part buffers of a chunk, at most (at least three parts, however large: reading, hashing, uploading). */
const PART_MEMORY_BYTES = 192 * MIB;
/** EBS direct API price: $0.003 per 1,000 GetSnapshotBlock requests (us-east-1, 2026). */
export const USD_PER_1000_GET_BLOCK = 0.003;

export const ImageJob = z.object({
  snapshotId: z.string().regex(/^snap-[0-9a-f]+$/),
  bucket: z.string().min(3),
  key: z.string().min(1),
  uploadId: z.string().min(1),
  volumeBytes: z.number().int().positive(),
  partBytes: z.number().int().positive(),
  totalParts: z.number().int().positive().max(MAX_PARTS),
  nextPart: z.number().int().positive(),
  hashState: z.string().optional(),
  lock: z.object({ mode: z.enum(['COMPLIANCE', 'GOVERNANCE']), retainUntil: z.string() }).optional(),
  writtenBlocks: z.number().int().nonnegative(),
  getRequests: z.number().int().nonnegative(),
  listRequests: z.number().int().nonnegative(),
  throttled: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
  chunks: z.number().int().nonnegative(),
  indexKeys: z.array(z.string()),
  /** Time spent imaging (sum of the chunks' own durations, ms). */
  elapsedMs: z.number().nonnegative(),
  done: z.boolean(),
  sha256: z.string().optional(),
  versionId: z.string().optional(),
});
export type ImageJob = z.infer<typeof ImageJob>;

/** Part size: 8 MiB, or larger for volumes over 78 GiB so the image fits S3's 10,000 parts. */
export function partBytesFor(volumeBytes: number): number {
  const min = Math.ceil(volumeBytes / MAX_PARTS / (8 * MIB)) * 8 * MIB;
  return Math.max(8 * MIB, min);
}

export interface NewImage {
  snapshotId: string;
  volumeSizeGiB: number;
  bucket: string;
  key: string;
  lock?: LockSettings;
  kmsKeyId?: string;
  metadata?: Record<string, string>;
}

/** Starts the multipart upload of a snapshot's image and returns the job at its first part. */
export async function startImage(s3: S3Client, image: NewImage): Promise<ImageJob> {
  if (!Number.isInteger(image.volumeSizeGiB) || image.volumeSizeGiB < 1)
    throw new ImageStateInvalidError(
      `${image.snapshotId}: volume size ${image.volumeSizeGiB} GiB is not a size`,
    );
  const volumeBytes = image.volumeSizeGiB * 1024 * MIB;
  const partBytes = partBytesFor(volumeBytes);
  const uploadId = await startUpload(
    s3,
    { bucket: image.bucket, key: image.key },
    {
      lock: image.lock,
      kmsKeyId: image.kmsKeyId,
      metadata: { 'source-snapshot': image.snapshotId, ...(image.metadata ?? {}) },
    },
  );
  return {
    snapshotId: image.snapshotId,
    bucket: image.bucket,
    key: image.key,
    uploadId,
    volumeBytes,
    partBytes,
    totalParts: Math.ceil(volumeBytes / partBytes),
    nextPart: 1,
    lock: image.lock,
    writtenBlocks: 0,
    getRequests: 0,
    listRequests: 0,
    throttled: 0,
    retries: 0,
    chunks: 0,
    indexKeys: [],
    elapsedMs: 0,
    done: false,
  };
}

export interface ChunkOptions {
  ebs: EBSClient;
  s3: S3Client;
  clock: ImagerClock;
  /** Requests per second on this snapshot (default 950: under AWS's fixed 1,000). */
  snapshotRate?: number;
  /** The account's pace shared with the other images of this process. */
  accountLimiter?: RateLimiter;
  /** ListSnapshotBlocks pace (AWS: 50 per second per account). */
  listLimiter?: RateLimiter;
  /** GetSnapshotBlock requests in flight (default 64: 1,000/s × 50 ms latency needs 50). */
  concurrency?: number;
  /** Bytes of the image one call covers at most (default 8 GiB). */
  chunkBytes?: number;
  /** Sees the chunk's hash thread once it runs (tests end it, to show that its death fails the chunk). */
  onHashThread?: (thread: HashThread) => void;
}

const defaultListLimiters = new WeakMap<ImagerClock, RateLimiter>();

/** One ListSnapshotBlocks pace per clock (per process in AWS): the limit is the account's. */
function listLimiterOf(clock: ImagerClock): RateLimiter {
  let limiter = defaultListLimiters.get(clock);
  if (!limiter) {
    limiter = new RateLimiter(45, clock);
    defaultListLimiters.set(clock, limiter);
  }
  return limiter;
}

/** Images the next chunk of `job`; the returned job is the resume point (or done, with its hash). */
export async function imageChunk(input: ImageJob, options: ChunkOptions): Promise<ImageJob> {
  const job = ImageJob.parse(input);
  if (job.done) return job;
  if (job.nextPart > job.totalParts)
    throw new ImageStateInvalidError(`${job.key}: part ${job.nextPart} is past the last (${job.totalParts})`);
  const { clock } = options;
  const started = clock.now();
  const partBlocks = job.partBytes / EBS_BLOCK_BYTES;
  const chunkParts = Math.max(1, Math.floor((options.chunkBytes ?? 8 * 1024 * MIB) / job.partBytes));
  const first = job.nextPart;
  const last = Math.min(job.totalParts, first + chunkParts - 1);
  const volumeBlocks = job.volumeBytes / EBS_BLOCK_BYTES;
  const stats = { getRequests: 0, throttled: 0, retries: 0, checksumMismatches: 0 };
  const listLimiter = options.listLimiter ?? listLimiterOf(clock);
  const fetch: FetchContext = {
    ebs: options.ebs,
    snapshotId: job.snapshotId,
    clock,
    snapshotLimiter: new RateLimiter(options.snapshotRate ?? 950, clock),
    accountLimiter: options.accountLimiter,
    stats,
  };
  let listRequests = 0;
  const refs = writtenBlocks(
    options.ebs,
    job.snapshotId,
    { start: (first - 1) * partBlocks, end: Math.min(volumeBlocks, last * partBlocks) },
    listLimiter,
    (geometry) => {
      listRequests += 1;
      if (geometry.blockSize !== EBS_BLOCK_BYTES)
        throw new ImageStateInvalidError(
          `${job.snapshotId}: block size ${geometry.blockSize}, expected 512 KiB`,
        );
    },
  )[Symbol.asyncIterator]();
  let pendingRef: { index: number; token: string } | undefined;
  let listed = false;
  /** The refs of part `p` (called for parts in order, one at a time). */
  const refsOf = async (p: number) => {
    const end = p * partBlocks;
    const out: { index: number; token: string }[] = [];
    while (!listed) {
      if (!pendingRef) {
        const next = await refs.next();
        if (next.done) {
          listed = true;
          break;
        }
        pendingRef = next.value;
      }
      if (pendingRef.index >= end) break;
      out.push(pendingRef);
      pendingRef = undefined;
    }
    return out;
  };

  const semaphore = new Semaphore(options.concurrency ?? 64);
  let failed: Error | undefined;
  const index: string[] = [];
  let written = 0;
  let listing = Promise.resolve();
  /** Part `p`'s bytes into `part` (zeros): each written block read, verified and put at its offset. */
  const readPart = (p: number, part: Buffer): Promise<{ part: Buffer; lines: string[] }> => {
    const got = listing.then(() => refsOf(p));
    listing = got.then(() => undefined);
    listing.catch(fail); // a listing that failed fails the chunk (every later part's listing fails with it)
    return got.then(async (partRefs) => {
      const sums = new Array<string>(partRefs.length);
      await Promise.all(
        partRefs.map((ref, i) =>
          semaphore.run(async () => {
            if (failed) throw failed; // the chunk has failed: read nothing more
            const block = await fetchBlock(fetch, ref, EBS_BLOCK_BYTES);
            block.data.copy(part, (ref.index - (p - 1) * partBlocks) * EBS_BLOCK_BYTES);
            sums[i] = block.sha256;
          }),
        ),
      );
      written += partRefs.length;
      return {
        part,
        lines: partRefs.map((ref, i) => `${ref.index},${ref.index * EBS_BLOCK_BYTES},${sums[i]}`),
      };
    });
  };

  // Each part in memory holds one of `slots` buffers from being read until it is both hashed and
  // uploaded: that is the memory bound, and the backpressure (a hash or an upload that falls behind keeps
  // its buffers, so reading waits for them instead of running ahead).
  const concurrency = options.concurrency ?? 64;
  const readAhead = Math.ceil((concurrency * EBS_BLOCK_BYTES) / job.partBytes) + 1;
  const slots = Math.min(
    readAhead + UPLOADS_IN_FLIGHT + 1,
    Math.max(3, Math.floor(PART_MEMORY_BYTES / job.partBytes)),
  );
  const pool = new PartPool(slots, job.partBytes);
  /** The chunk's first failure: every read, upload and wait for a buffer after it fails with it. */
  function fail(error: unknown) {
    failed ??= error as Error;
    pool.abort(failed);
  }
  const uploads = new Semaphore(UPLOADS_IN_FLIGHT);
  const hasher = await HashThread.start(job.hashState);
  options.onHashThread?.(hasher);
  const reading: Promise<{ part: Buffer; lines: string[] }>[] = [];
  const settling: Promise<void>[] = [];
  const etags: [number, string][] = [];
  let nextToRead = first;
  const target = { bucket: job.bucket, key: job.key };
  let hashState: string | undefined;
  let sha256: string | undefined;
  try {
    try {
      for (let p = first; p <= last; p++) {
        while (nextToRead <= last && reading.length < readAhead) {
          const n = nextToRead++;
          const read = pool.acquire().then((buffer) => readPart(n, buffer));
          read.catch(fail); // a part that fails stops the others at once, not when its turn comes
          reading.push(read);
        }
        const { part, lines } = await reading.shift()!;
        if (failed) throw failed;
        index.push(...lines);
        // Hashed in block order on the hash thread while it uploads here; neither waits for the other.
        const hashed = hasher.update(part);
        const uploaded = uploads.run(() => {
          if (failed) throw failed; // queued behind uploads of a chunk that has failed since
          return uploadPart(options.s3, target, job.uploadId, p, part).then((etag) => {
            etags.push([p, etag]);
          });
        });
        settling.push(Promise.all([hashed, uploaded]).then(() => pool.release(part), fail));
      }
      await Promise.all(settling);
      if (failed) throw failed;
      // Only once every part of the chunk is hashed and uploaded: the state covers exactly parts ≤ last.
      if (last < job.totalParts) hashState = await hasher.save();
      else sha256 = await hasher.digest();
    } catch (error) {
      // The chunk fails as a whole (it is run again from its input, whose hash state is from before it):
      // stop the reads still queued, and let the parts still uploading settle before the job is retried.
      fail(error);
      await Promise.allSettled(settling);
      throw error;
    }
  } finally {
    await hasher.close();
  }

  const indexKey = `${job.key}.index/parts-${String(first).padStart(5, '0')}-${String(last).padStart(5, '0')}.csv`;
  await putIndex(options.s3, job, indexKey, index);
  await putPartTags(options.s3, job, indexKey, etags);

  const progressed: ImageJob = {
    ...job,
    nextPart: last + 1,
    writtenBlocks: job.writtenBlocks + written,
    getRequests: job.getRequests + stats.getRequests,
    listRequests: job.listRequests + listRequests,
    throttled: job.throttled + stats.throttled,
    retries: job.retries + stats.retries,
    chunks: job.chunks + 1,
    indexKeys: [...job.indexKeys, indexKey],
  };
  if (last < job.totalParts)
    return { ...progressed, hashState, elapsedMs: job.elapsedMs + (clock.now() - started) };
  const parts = (await Promise.all(progressed.indexKeys.map((k) => readPartTags(options.s3, job, k)))).flat();
  const completed = await completeUpload(options.s3, target, job.uploadId, parts, job.totalParts);
  return {
    ...progressed,
    hashState: undefined,
    done: true,
    sha256,
    versionId: completed.versionId,
    elapsedMs: job.elapsedMs + (clock.now() - started),
  };
}

/**
 * The chunk's per-block index (`block,offset,sha256` of each written block; a block not listed is
 * zeros) beside the image. A chunk run again writes the same index: a copy already there is kept.
 */
async function putIndex(s3: S3Client, job: ImageJob, key: string, lines: string[]): Promise<void> {
  const body = `block,offset,sha256\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: job.bucket,
        Key: key,
        Body: body,
        ContentType: 'text/csv',
        IfNoneMatch: '*',
        Metadata: { 'source-snapshot': job.snapshotId, image: job.key },
        ...(job.lock
          ? { ObjectLockMode: job.lock.mode, ObjectLockRetainUntilDate: new Date(job.lock.retainUntil) }
          : {}),
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'PreconditionFailed') throw error;
  }
}

/**
 * The chunk's part ETags (UploadPart's answers), needed to complete the upload. Written without a
 * condition: a chunk run again uploads its parts again, and only the latest ETags are valid.
 */
async function putPartTags(s3: S3Client, job: ImageJob, indexKey: string, etags: [number, string][]) {
  await s3.send(
    new PutObjectCommand({
      Bucket: job.bucket,
      Key: `${indexKey}.parts.json`,
      Body: JSON.stringify({ uploadId: job.uploadId, parts: etags.sort((a, b) => a[0] - b[0]) }),
      ContentType: 'application/json',
      ...(job.lock
        ? { ObjectLockMode: job.lock.mode, ObjectLockRetainUntilDate: new Date(job.lock.retainUntil) }
        : {}),
    }),
  );
}

async function readPartTags(s3: S3Client, job: ImageJob, indexKey: string): Promise<CompletedPart[]> {
  const out = await s3.send(new GetObjectCommand({ Bucket: job.bucket, Key: `${indexKey}.parts.json` }));
  const body = JSON.parse((await out.Body?.transformToString()) ?? '{}') as {
    uploadId?: string;
    parts?: [number, string][];
  };
  if (body.uploadId !== job.uploadId)
    throw new ImageStateInvalidError(`${indexKey}.parts.json belongs to another upload of ${job.key}`);
  return (body.parts ?? []).map(([PartNumber, ETag]) => ({ PartNumber, ETag }));
}

/** What the thread says of a finished image. */
export function imageSummary(job: ImageJob) {
  const seconds = job.elapsedMs / 1000;
  return {
    bytes: job.volumeBytes,
    writtenBlocks: job.writtenBlocks,
    writtenShare: job.writtenBlocks / (job.volumeBytes / EBS_BLOCK_BYTES),
    seconds,
    mibPerSecond: seconds > 0 ? job.volumeBytes / MIB / seconds : 0,
    costUsd: (job.getRequests / 1000) * USD_PER_1000_GET_BLOCK,
  };
}
