import { z } from 'zod';
import { addArtifact } from '../../bot/core/case-store.js';
import { forensics, own } from '../aws/member.js';
import { wallClock } from '../imager/clock.js';
import { ImageJob, imageChunk, imageSummary, startImage } from '../imager/image-chunk.js';
import { RateLimiter } from '../imager/rate-limiter.js';
import { evidenceLock, imagerSettings } from '../imager/settings.js';
import { forensicsSettings } from '../settings.js';
import { DiskState } from './disk-snapshots.js';
import { count, defineStep, TargetInput } from './step.js';

/**
 * Raw images of the forensics copies, straight from the EBS direct APIs (no volume, no instance): the
 * acquire-disk workflow starts them (`startDiskImages`), loops on `imageDisks` (one chunk per volume per
 * invocation, so no image is bound by Lambda's 15 minutes; a failed invocation is retried with the same
 * input, which resumes where the last chunk ended), then records them (`recordDiskImages`).
 */

const Imaging = z.object({
  images: z.array(ImageJob.extend({ volumeId: z.string(), device: z.string() })),
  done: z.boolean(),
  skipped: z.string().optional(),
});
type Imaging = z.infer<typeof Imaging>;

const GIB = 1024 ** 3;

/** Object key of a volume's raw image under the case prefix. */
export const imageKey = (caseId: string, volumeId: string, snapshotId: string) =>
  `${caseId}/disk/${volumeId}-${snapshotId}.raw`;

export const startDiskImages = defineStep({
  name: 'startDiskImages',
  label: 'Raw disk images started',
  input: TargetInput.extend({ disk: DiskState }),
  async run(input): Promise<Imaging> {
    if (imagerSettings().DISK_IMAGE === 'off')
      return {
        images: [],
        done: true,
        skipped: 'DISK_IMAGE=off: the locked snapshots are the disk evidence',
      };
    const bucket = forensicsSettings().EVIDENCE_BUCKET;
    const s3 = own().s3();
    const images = await Promise.all(
      input.disk.volumes.map(async (v) => {
        if (!v.copyId) throw new Error(`${v.volumeId} has no copy in the forensics account to image`);
        const job = await startImage(s3, {
          snapshotId: v.copyId,
          volumeSizeGiB: v.sizeGiB,
          bucket,
          key: imageKey(input.caseId, v.volumeId, v.copyId),
          lock: evidenceLock(),
          metadata: { 'case-id': input.caseId, 'volume-id': v.volumeId, device: v.device },
        });
        return { ...job, volumeId: v.volumeId, device: v.device };
      }),
    );
    return { images, done: false };
  },
  report: (out) =>
    out.skipped
      ? { outcome: 'skipped', detail: out.skipped }
      : {
          outcome: 'started',
          detail: `${count(out.images.length, 'volume')} to image (${out.images.map((i) => `${i.device} ${i.volumeBytes / GIB} GiB`).join(', ')}) through the EBS direct APIs`,
        },
});

/** Account pacers of this process, shared by every image it makes at once. */
const accountLimiters = new Map<string, RateLimiter>();

export const imageDisks = defineStep({
  name: 'imageDisks',
  label: 'Raw disk images',
  input: TargetInput.extend({ imaging: Imaging }),
  async run(input): Promise<Imaging> {
    const settings = imagerSettings();
    const account = forensicsSettings().FORENSICS_ACCOUNT;
    // 95 % of the account's limit, shared by the images of this invocation; images of other cases running
    // at the same time are not counted here, and their throttles are retried (see fetch-block.ts).
    const rate = Math.floor(settings.EBS_ACCOUNT_BLOCK_RATE * 0.95);
    let accountLimiter = accountLimiters.get(`${account}/${rate}`);
    if (!accountLimiter) {
      accountLimiter = new RateLimiter(rate, wallClock);
      accountLimiters.set(`${account}/${rate}`, accountLimiter);
    }
    const clients = forensics(input.region, input.caseId);
    const images = await Promise.all(
      input.imaging.images.map(async (image) => {
        if (image.done) return image;
        const next = await imageChunk(image, {
          ebs: clients.ebs(),
          s3: own().s3(),
          clock: wallClock,
          accountLimiter,
          concurrency: settings.IMAGE_CONCURRENCY,
          chunkBytes: settings.IMAGE_CHUNK_GIB * GIB,
        });
        return { ...next, volumeId: image.volumeId, device: image.device };
      }),
    );
    return { images, done: images.every((i) => i.done) };
  },
  report: (out) => {
    if (out.done) return undefined; // recordDiskImages says it, with the hashes
    const chunks = out.images.reduce((n, i) => n + i.chunks, 0);
    if (chunks % 4 !== 0) return undefined;
    return {
      outcome: 'started',
      detail: out.images
        .map((i) => `${i.device}: ${Math.round(((i.nextPart - 1) / i.totalParts) * 100)}%`)
        .join(', '),
    };
  },
});

function lineOf(image: Imaging['images'][number]): string {
  const s = imageSummary(image);
  return `${image.device} s3://${image.bucket}/${image.key}: ${(s.bytes / GIB).toFixed(0)} GiB, ${(s.writtenShare * 100).toFixed(1)} % written (${s.writtenBlocks} blocks), ${s.mibPerSecond.toFixed(0)} MiB/s, ${s.seconds.toFixed(1)} s, SHA-256 ${image.sha256}, EBS direct API $${s.costUsd.toFixed(4)} (${image.getRequests} GetSnapshotBlock)`;
}

export const recordDiskImages = defineStep({
  name: 'recordDiskImages',
  label: 'Raw disk images written',
  input: TargetInput.extend({ imaging: Imaging, disk: DiskState }),
  async run(input) {
    const at = new Date().toISOString();
    for (const image of input.imaging.images) {
      const v = input.disk.volumes.find((x) => x.volumeId === image.volumeId);
      const s = imageSummary(image);
      await addArtifact(input.caseId, {
        kind: 'disk-image',
        uri: `s3://${image.bucket}/${image.key}`,
        sha256: image.sha256,
        bytes: image.volumeBytes,
        source: `${input.account}/${input.region}/${input.instanceId}:${image.volumeId} (${image.device})`,
        createdAt: at,
        details: {
          tool: 'forensics-bot imager (EBS direct APIs ListSnapshotBlocks+GetSnapshotBlock)',
          versionId: image.versionId ?? null,
          objectLock: image.lock ?? null,
          snapshotId: image.snapshotId,
          sourceSnapshotId: v?.snapshotId,
          sourceSnapshotStartTime: (v as { startTime?: string } | undefined)?.startTime ?? null,
          sourceKmsKeyId: v?.kmsKeyId ?? null,
          copyKmsKeyId: v?.copyKmsKeyId ?? null,
          writtenBlocks: image.writtenBlocks,
          bytesRead: image.writtenBlocks * 512 * 1024,
          writtenShare: s.writtenShare,
          getSnapshotBlockRequests: image.getRequests,
          listSnapshotBlocksRequests: image.listRequests,
          throttled: image.throttled,
          retries: image.retries,
          chunks: image.chunks,
          seconds: s.seconds,
          mibPerSecond: s.mibPerSecond,
          ebsDirectApiCostUsd: s.costUsd,
          blockIndex: image.indexKeys.map((k) => `s3://${image.bucket}/${k}`),
          hashing:
            'SHA-256 of the whole image in block order; unwritten blocks as zeros; each block checked against the API checksum',
        },
      });
    }
    return { images: input.imaging.images, skipped: input.imaging.skipped };
  },
  report: (out) =>
    out.skipped
      ? { outcome: 'skipped', detail: out.skipped }
      : { outcome: 'succeeded', detail: out.images.map(lineOf).join('\n') },
});
