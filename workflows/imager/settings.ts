import { z } from 'zod';
import { defineSettings, env } from '../../bot/core/config.js';

/**
 * Settings of disk imaging and evidence locks (issue 11), read by the disk steps. All have defaults: a
 * deployment that sets none images every volume, locks the forensics copies for 30 days in compliance
 * mode and the images under the bucket's own Object Lock mode (GOVERNANCE unless set).
 */
export const imagerSettings = defineSettings('Disk imaging', {
  /** `raw`: every forensics copy becomes a raw image in the evidence bucket; `off`: snapshots only. */
  DISK_IMAGE: z.enum(['raw', 'off']).default('raw'),
  /** The account's GetSnapshotBlock limit per second (AWS default 1,000; adjustable by a quota request). */
  EBS_ACCOUNT_BLOCK_RATE: env.int(1000, 1, 100_000),
  /** GetSnapshotBlock requests in flight per image. */
  IMAGE_CONCURRENCY: env.int(64, 1, 512),
  /** GiB of image one invocation of the imaging step covers per volume (the Step Functions loop's chunk). */
  IMAGE_CHUNK_GIB: env.int(8, 1, 64),
  /** EBS Snapshot Lock on the forensics copies, in compliance mode: days (0: no lock). */
  SNAPSHOT_LOCK_DAYS: env.int(30, 0, 36_500),
  /** Object Lock mode of the images, indexes and manifest (COMPLIANCE: not even the root user can delete). */
  EVIDENCE_LOCK_MODE: z.enum(['COMPLIANCE', 'GOVERNANCE']).default('GOVERNANCE'),
  /** Object Lock retention of those objects, days. */
  EVIDENCE_RETENTION_DAYS: env.int(365, 1, 36_500),
});

/** The Object Lock of an evidence object written now. */
export function evidenceLock(now = new Date()): { mode: 'COMPLIANCE' | 'GOVERNANCE'; retainUntil: string } {
  const s = imagerSettings();
  return {
    mode: s.EVIDENCE_LOCK_MODE,
    retainUntil: new Date(now.getTime() + s.EVIDENCE_RETENTION_DAYS * 86_400_000).toISOString(),
  };
}
