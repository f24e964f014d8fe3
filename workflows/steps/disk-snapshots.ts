import {
  CopySnapshotCommand,
  CreateSnapshotsCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  LockSnapshotCommand,
  ModifySnapshotAttributeCommand,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { addArtifact, requireCase } from '../../bot/core/case-store.js';
import { forensics, member } from '../aws/member.js';
import { PollLimitReachedError, SnapshotFailedError, StepNotConfiguredError } from '../errors.js';
import { imagerSettings } from '../imager/settings.js';
import { forensicsSettings, kmsKeyForRegion } from '../settings.js';
import { CASE_TAG } from './instance.js';
import type { OriginalConfig } from './record-configuration.js';
import { advanceCase, count, defineStep, scopeOf, TargetInput } from './step.js';

/** One volume's way from the instance to the forensics account. */
const VolumeEvidence = z.object({
  volumeId: z.string(),
  device: z.string(),
  sizeGiB: z.number(),
  snapshotId: z.string().regex(/^snap-[0-9a-f]+$/),
  encrypted: z.boolean(),
  kmsKeyId: z.string().optional(),
  /** The snapshot shared with the forensics account (the original, or its re-encrypted copy). */
  shareableId: z.string().optional(),
  reencrypted: z.boolean().optional(),
  /** The copy owned by the forensics account: the evidence. */
  copyId: z.string().optional(),
  copyKmsKeyId: z.string().optional(),
  /** The original snapshot's own point in time (`StartTime`): when the volume's data was captured. */
  startTime: z.string().optional(),
});
type VolumeEvidence = z.infer<typeof VolumeEvidence>;

/** The disk acquisition state the workflow carries between its steps and polls. */
export const DiskState = z.looseObject({
  phase: z.enum(['snapshots', 'reencrypted', 'copies']),
  volumes: z.array(VolumeEvidence),
  pending: z.array(z.string()),
  pendingAccount: z.enum(['member', 'forensics']),
  polls: z.number().int().nonnegative(),
  maxPolls: z.number().int().positive(),
  pollSeconds: z.number().int().positive(),
  done: z.boolean(),
  startedAt: z.string(),
});
export type DiskState = z.infer<typeof DiskState>;

const DiskInput = TargetInput.extend({ disk: DiskState });

const tags = (caseId: string, instanceId: string) => [
  {
    ResourceType: 'snapshot' as const,
    Tags: [
      { Key: CASE_TAG, Value: caseId },
      { Key: 'forensics-bot:source-instance', Value: instanceId },
    ],
  },
];

/** One crash-consistent set of snapshots of every volume, tagged with the case. */
export const snapshotVolumes = defineStep({
  name: 'snapshotVolumes',
  label: 'Disk snapshots started',
  input: TargetInput,
  async run(input): Promise<DiskState> {
    await advanceCase(input.caseId, 'acquiring');
    const settings = forensicsSettings();
    const config = (await requireCase(input.caseId)).originalConfig as OriginalConfig | undefined;
    const out = await member(scopeOf(input))
      .ec2()
      .send(
        new CreateSnapshotsCommand({
          InstanceSpecification: { InstanceId: input.instanceId, ExcludeBootVolume: false },
          Description: `forensics-bot ${input.caseId} ${input.instanceId}`,
          TagSpecifications: tags(input.caseId, input.instanceId),
          CopyTagsFromSource: 'volume',
        }),
      );
    const volumes = (out.Snapshots ?? []).map((s) => ({
      volumeId: s.VolumeId ?? '',
      device: config?.volumes.find((v) => v.volumeId === s.VolumeId)?.device ?? '',
      sizeGiB: s.VolumeSize ?? 0,
      snapshotId: s.SnapshotId ?? '',
      encrypted: s.Encrypted ?? false,
    }));
    if (volumes.length === 0)
      throw new SnapshotFailedError(`${input.instanceId} has no EBS volume to snapshot`);
    return {
      phase: 'snapshots',
      volumes,
      pending: volumes.map((v) => v.snapshotId),
      pendingAccount: 'member',
      polls: 0,
      maxPolls: settings.SNAPSHOT_MAX_POLLS,
      pollSeconds: settings.SNAPSHOT_POLL_SECONDS,
      done: false,
      startedAt: new Date().toISOString(),
    };
  },
  report: (out) => ({
    outcome: 'started',
    detail: `${count(out.volumes.length, 'snapshot')} of the instance's volumes`,
  }),
});

/** What each phase's poll reports as, so the thread tells the three waits apart. */
const PHASE_LABELS = {
  snapshots: 'Snapshots completed',
  reencrypted: 'Re-encrypted copies completed',
  copies: 'Forensics account copies completed',
} as const;

/** One poll of the pending snapshots (originals, re-encrypted copies, or the forensics copies). */
export const pollSnapshots = defineStep({
  name: 'pollSnapshots',
  label: 'Snapshots completed',
  input: DiskInput,
  async run(input): Promise<DiskState> {
    const d = input.disk;
    const polls = d.polls + 1;
    const ec2 =
      d.pendingAccount === 'member'
        ? member(scopeOf(input)).ec2()
        : forensics(input.region, input.caseId).ec2();
    const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: d.pending }));
    const byId = new Map((out.Snapshots ?? []).map((s) => [s.SnapshotId, s] as const));
    const failed = d.pending.filter((id) => byId.get(id)?.State === 'error');
    if (failed.length)
      throw new SnapshotFailedError(
        `Snapshot ${failed.join(', ')} of ${input.instanceId} failed: ${byId.get(failed[0])?.StateMessage ?? 'state error'}`,
      );
    const done = d.pending.every((id) => byId.get(id)?.State === 'completed');
    if (!done && polls >= d.maxPolls)
      throw new PollLimitReachedError(`Snapshots of ${input.instanceId} still pending after ${polls} polls`);
    // CreateSnapshots does not say which key encrypts each snapshot, nor CopySnapshot without a key which
    // default key encrypts the copy; DescribeSnapshots does.
    const volumes = d.volumes.map((v) => {
      if (d.phase === 'snapshots') {
        const s = byId.get(v.snapshotId);
        return s
          ? {
              ...v,
              encrypted: s.Encrypted ?? v.encrypted,
              kmsKeyId: s.KmsKeyId ?? v.kmsKeyId,
              startTime: s.StartTime ? new Date(s.StartTime).toISOString() : v.startTime,
            }
          : v;
      }
      if (d.phase === 'copies') {
        const s = byId.get(v.copyId);
        return s?.KmsKeyId ? { ...v, copyKmsKeyId: s.KmsKeyId } : v;
      }
      return v;
    });
    return { ...d, volumes, polls: done ? 0 : polls, done, progress: progressOf(d.pending, byId) };
  },
  report: (out) => {
    const label = PHASE_LABELS[out.phase];
    const n = count(out.pending.length, 'snapshot');
    if (out.done) return { outcome: 'succeeded', label, detail: `${n} completed` };
    return out.polls % 4 === 0
      ? { outcome: 'started', label, detail: `${n}: ${(out as { progress?: string }).progress ?? ''}` }
      : undefined;
  },
});

function progressOf(ids: string[], byId: Map<string | undefined, Snapshot>): string {
  return ids.map((id) => byId.get(id)?.Progress ?? '0%').join(', ');
}

/**
 * Snapshots under the default `aws/ebs` key (or any key but the snapshot key) cannot be shared as they
 * are: each is copied under the customer-managed snapshot key of the case's region, which the forensics
 * account may use (`SNAPSHOT_KMS_KEY_ARN`, see `kmsKeyForRegion`).
 */
export const reencryptSnapshots = defineStep({
  name: 'reencryptSnapshots',
  label: 'Snapshots re-encrypted for sharing',
  input: DiskInput,
  async run(input): Promise<DiskState> {
    const settings = forensicsSettings();
    const key = kmsKeyForRegion(settings.SNAPSHOT_KMS_KEY_ARN, input.region);
    // Single-account mode: the forensics account owns the snapshots and copies them under its own key
    // (any key of its own, `aws/ebs` included), so nothing is shared and nothing needs re-encrypting.
    const owned = input.account === settings.FORENSICS_ACCOUNT;
    const clients = member(scopeOf(input));
    const volumes: VolumeEvidence[] = await Promise.all(
      input.disk.volumes.map(async (v) => {
        if (owned || !v.encrypted || sameKey(v.kmsKeyId, key)) return { ...v, shareableId: v.snapshotId };
        if (!key)
          throw new StepNotConfiguredError(
            `SNAPSHOT_KMS_KEY_ARN has no key for ${input.region}: ${v.snapshotId} (${v.volumeId}) is encrypted and cannot be shared with the forensics account until it is re-encrypted under a customer-managed key of ${input.region}. Add that key's ARN to SNAPSHOT_KMS_KEY_ARN (comma-separated, one per region) or use a multi-region key.`,
          );
        const copy = await clients.ec2().send(
          new CopySnapshotCommand({
            SourceSnapshotId: v.snapshotId,
            SourceRegion: input.region,
            Encrypted: true,
            KmsKeyId: key,
            Description: `forensics-bot ${input.caseId} re-encrypted ${v.snapshotId}`,
            TagSpecifications: tags(input.caseId, input.instanceId),
          }),
        );
        return { ...v, shareableId: copy.SnapshotId, reencrypted: true, kmsKeyId: v.kmsKeyId };
      }),
    );
    const pending = volumes.filter((v) => v.reencrypted).map((v) => v.shareableId ?? '');
    return {
      ...input.disk,
      phase: 'reencrypted',
      volumes,
      pending,
      pendingAccount: 'member',
      polls: 0,
      done: pending.length === 0,
    };
  },
  report: (out) => {
    const n = out.volumes.filter((v) => v.reencrypted).length;
    return n
      ? {
          outcome: 'succeeded',
          detail: `${count(n, 'snapshot')} copied under the customer-managed snapshot key`,
        }
      : { outcome: 'skipped', detail: 'no snapshot needed re-encryption' };
  },
});

function sameKey(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  return a === b || a.endsWith(b.split(':').pop() ?? '\0') || b.endsWith(a.split(':').pop() ?? '\0');
}

/** Shares each snapshot with the forensics account, which copies it under its own key: the evidence. */
export const copySnapshots = defineStep({
  name: 'copySnapshots',
  label: 'Snapshots copied into the forensics account',
  input: DiskInput,
  async run(input): Promise<DiskState> {
    const settings = forensicsSettings();
    const memberEc2 = member(scopeOf(input)).ec2();
    const receiver = forensics(input.region, input.caseId).ec2();
    // No key for this region: the copy is encrypted under the forensics account's default EBS key there.
    const key =
      kmsKeyForRegion(settings.FORENSICS_KMS_KEY_ARN, input.region) ??
      kmsKeyForRegion(settings.SNAPSHOT_KMS_KEY_ARN, input.region);
    const volumes = await Promise.all(
      input.disk.volumes.map(async (v) => {
        const shared = v.shareableId ?? v.snapshotId;
        // Single-account mode: the forensics account owns the snapshot already, so there is nothing to
        // share (and sharing with the owner itself is not a request to count on); the copy needs no grant.
        if (input.account !== settings.FORENSICS_ACCOUNT)
          await memberEc2.send(
            new ModifySnapshotAttributeCommand({
              SnapshotId: shared,
              Attribute: 'createVolumePermission',
              OperationType: 'add',
              UserIds: [settings.FORENSICS_ACCOUNT],
            }),
          );
        const copy = await receiver.send(
          new CopySnapshotCommand({
            SourceSnapshotId: shared,
            SourceRegion: input.region,
            Encrypted: true,
            ...(key ? { KmsKeyId: key } : {}),
            Description: `forensics-bot ${input.caseId} evidence of ${input.instanceId} ${v.volumeId} (${v.device})`,
            TagSpecifications: tags(input.caseId, input.instanceId),
          }),
        );
        return { ...v, copyId: copy.SnapshotId, copyKmsKeyId: key };
      }),
    );
    return {
      ...input.disk,
      copyKey: key ?? 'default',
      phase: 'copies',
      volumes,
      pending: volumes.map((v) => v.copyId ?? ''),
      pendingAccount: 'forensics',
      polls: 0,
      done: false,
    };
  },
  report: (out, input) => ({
    outcome: 'started',
    detail: `${out.volumes.length} ${out.volumes.length === 1 ? 'copy' : 'copies'} started in account ${forensicsSettings().FORENSICS_ACCOUNT} (${input.region}) under ${out.copyKey === 'default' ? 'its default EBS key' : `key ${out.copyKey}`}`,
  }),
});

/**
 * Records each copy as an artifact (id, size, key, source volume), then deletes the intermediates in
 * the member account (originals and re-encrypted copies) unless the case retains artefacts.
 */
export const recordSnapshots = defineStep({
  name: 'recordSnapshots',
  label: 'Disk evidence secured',
  input: DiskInput.extend({ retainArtefacts: z.boolean().default(false) }),
  async run(input) {
    const settings = forensicsSettings();
    const at = new Date().toISOString();
    const locks = await lockCopies(input);
    const intermediates = await removeIntermediates(input);
    for (const v of input.disk.volumes) {
      await addArtifact(input.caseId, {
        kind: 'disk-snapshot',
        uri: `arn:aws:ec2:${input.region}:${settings.FORENSICS_ACCOUNT}:snapshot/${v.copyId}`,
        bytes: v.sizeGiB * 1024 ** 3,
        source: `${input.account}/${input.region}/${input.instanceId}:${v.volumeId} (${v.device})`,
        createdAt: at,
        details: {
          snapshotId: v.copyId,
          kmsKeyId: v.copyKmsKeyId,
          sourceSnapshotId: v.snapshotId,
          sourceKmsKeyId: v.kmsKeyId,
          sharedSnapshotId: v.shareableId,
          volumeId: v.volumeId,
          device: v.device,
          sizeGiB: v.sizeGiB,
          startedAt: input.disk.startedAt,
          sourceSnapshotStartTime: v.startTime ?? null,
          snapshotLock: locks.get(v.copyId ?? '') ?? null,
          intermediates: intermediates.filter((i) => i.volumeId === v.volumeId),
        },
      });
    }
    const deleted = intermediates.filter((i) => i.fate === 'deleted').length;
    const locked = [...locks.values()].filter((l) => l.mode !== 'none');
    return {
      snapshots: input.disk.volumes.map((v) => v.copyId ?? ''),
      deleted,
      retained: intermediates.length - deleted,
      lock: locked[0] ? `${locked[0].mode} until ${locked[0].until}` : undefined,
    };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${count(out.snapshots.length, 'snapshot')} in the forensics account (${out.snapshots.join(', ')})${out.lock ? `, locked (EBS Snapshot Lock, ${out.lock})` : ', not locked (SNAPSHOT_LOCK_DAYS=0)'}${out.deleted ? `; ${count(out.deleted, 'intermediate snapshot')} in the member account deleted` : ''}${out.retained ? `; ${count(out.retained, 'intermediate snapshot')} in the member account retained` : ''}`,
  }),
});

/**
 * EBS Snapshot Lock on each forensics copy, in compliance mode for `SNAPSHOT_LOCK_DAYS`: until then
 * nobody (not even the forensics account's administrators) can delete the evidence snapshots.
 */
async function lockCopies(input: z.infer<typeof DiskInput>) {
  const days = imagerSettings().SNAPSHOT_LOCK_DAYS;
  const locks = new Map<string, { mode: 'compliance' | 'none'; days: number; until: string | null }>();
  const ec2 = forensics(input.region, input.caseId).ec2();
  for (const v of input.disk.volumes) {
    if (!v.copyId) continue;
    if (days === 0) {
      locks.set(v.copyId, { mode: 'none', days: 0, until: null });
      continue;
    }
    const out = await ec2.send(
      new LockSnapshotCommand({ SnapshotId: v.copyId, LockMode: 'compliance', LockDuration: days }),
    );
    locks.set(v.copyId, {
      mode: 'compliance',
      days,
      until: out.LockExpiresOn ? new Date(out.LockExpiresOn).toISOString() : null,
    });
  }
  return locks;
}

/** What became of each member-account intermediate (original, re-encrypted copy): for the manifest. */
async function removeIntermediates(input: z.infer<typeof DiskInput> & { retainArtefacts: boolean }) {
  const ec2 = member(scopeOf(input)).ec2();
  const items = input.disk.volumes.flatMap((v) => [
    { volumeId: v.volumeId, snapshotId: v.snapshotId, role: 'original' as const },
    ...(v.reencrypted && v.shareableId
      ? [{ volumeId: v.volumeId, snapshotId: v.shareableId, role: 're-encrypted copy' as const }]
      : []),
  ]);
  return Promise.all(
    items.map(async (item) => {
      const account = input.account;
      if (input.retainArtefacts)
        return {
          ...item,
          account,
          fate: 'retained' as const,
          why: 'the case asked to retain artefacts (RetainArtefacts)',
        };
      // Single-account mode: the original is in the forensics account and is the copy's source; it goes too.
      try {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: item.snapshotId }));
        return {
          ...item,
          account,
          fate: 'deleted' as const,
          why: 'the locked forensics copy is the evidence',
        };
      } catch (error) {
        if (error instanceof Error && error.name === 'InvalidSnapshot.NotFound')
          return { ...item, account, fate: 'already gone' as const, why: 'not found when deleting' };
        throw error;
      }
    }),
  );
}
