/**
 * EBS snapshots: crash-consistent sets (CreateSnapshots), completion over DescribeSnapshots polls,
 * copies across accounts and regions with re-encryption, sharing through createVolumePermission (refused
 * for snapshots under the AWS-managed `aws/ebs` key, as in AWS), and deletion.
 */
import type * as EC2 from '@aws-sdk/client-ec2';
import { applyFilters } from '../filters.js';
import type { CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { type RegionState, type Snapshot, listToTags, tagsToList } from '../world.js';
import { requireInstance } from './ec2-instances.js';
import { canUseKey, defaultEbsKey, findKey } from './kms.js';

/** DescribeSnapshots polls a new snapshot stays pending for. */
export const SNAPSHOT_POLLS = 2;

function view(s: Snapshot): EC2.Snapshot & EC2.SnapshotInfo {
  return {
    SnapshotId: s.snapshotId,
    OwnerId: s.ownerId,
    VolumeId: s.volumeId,
    VolumeSize: s.volumeSize,
    State: s.state,
    Progress: `${s.progress}%`,
    StartTime: s.startTime,
    Encrypted: s.encrypted,
    KmsKeyId: s.kmsKeyId,
    Description: s.description,
    Tags: tagsToList(s.tags),
    StateMessage: s.state === 'error' ? 'Snapshot failed: simulated fault' : undefined,
    StorageTier: 'standard',
  };
}

/** Snapshots the caller sees in `region`: its own, and others' shared with it. */
function visible(ctx: CallContext, region: string): Snapshot[] {
  const out: Snapshot[] = [];
  for (const account of ctx.world.accounts.values()) {
    const r = account.regions.get(region);
    if (!r) continue;
    for (const s of r.snapshots.values())
      if (!s.deleted && (s.ownerId === ctx.caller.account || s.sharedWith.includes(ctx.caller.account)))
        out.push(s);
  }
  return out;
}

function find(ctx: CallContext, id: string | undefined, region: string): Snapshot {
  const snapshot = visible(ctx, region).find((s) => s.snapshotId === id);
  if (!snapshot) ctx.fail('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  return snapshot!;
}

function own(ctx: CallContext, id: string | undefined): Snapshot {
  const snapshot = ctx.here.snapshots.get(id ?? '');
  if (!snapshot || snapshot.deleted)
    ctx.fail('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  return snapshot!;
}

function newSnapshot(
  ctx: CallContext,
  r: RegionState,
  fields: Partial<Snapshot> & Pick<Snapshot, 'volumeId' | 'volumeSize' | 'encrypted'>,
): Snapshot {
  const snapshot: Snapshot = {
    snapshotId: ctx.world.id('snap'),
    ownerId: r.account,
    region: r.region,
    state: 'pending',
    progress: 0,
    pollsLeft: SNAPSHOT_POLLS,
    failing: false,
    description: '',
    startTime: ctx.now(),
    tags: {},
    sharedWith: [],
    deleted: false,
    ...fields,
  };
  r.snapshots.set(snapshot.snapshotId, snapshot);
  return snapshot;
}

function failing(ctx: CallContext, ...ids: (string | undefined)[]): boolean {
  return ids.some((id) => id !== undefined && (ctx.faults.snapshotError ?? []).includes(id));
}

/** One poll: a pending snapshot moves on; the last poll settles it (completed, or error under a fault). */
function advance(ctx: CallContext, s: Snapshot): void {
  if (s.state !== 'pending') return;
  if (failing(ctx, s.instanceId, s.volumeId, s.snapshotId, s.copiedFrom?.snapshotId)) s.failing = true;
  s.pollsLeft -= 1;
  s.progress = Math.min(99, s.progress + Math.ceil(100 / (SNAPSHOT_POLLS + 1)));
  if (s.pollsLeft > 0) return;
  s.state = s.failing ? 'error' : 'completed';
  s.progress = s.failing ? s.progress : 100;
}

export const ec2SnapshotHandlers: HandlerTable = {
  CreateSnapshotsCommand: handler<EC2.CreateSnapshotsCommandInput, EC2.CreateSnapshotsCommandOutput>(
    (ctx, input) => {
      const instance = requireInstance(ctx, input.InstanceSpecification?.InstanceId);
      const spec = input.InstanceSpecification!;
      const tags = listToTags(input.TagSpecifications?.flatMap((t) => t.Tags ?? []));
      const devices = instance.blockDevices.filter(
        (d) =>
          !(spec.ExcludeBootVolume && d.deviceName === instance.rootDeviceName) &&
          !(spec.ExcludeDataVolumeIds ?? []).includes(d.volumeId),
      );
      const snapshots = devices.map((device) => {
        const volume = ctx.here.volumes.get(device.volumeId)!;
        return newSnapshot(ctx, ctx.here, {
          volumeId: volume.volumeId,
          volumeSize: volume.sizeGiB,
          encrypted: volume.encrypted,
          kmsKeyId: volume.kmsKeyId,
          description: input.Description ?? '',
          instanceId: instance.instanceId,
          tags: { ...(input.CopyTagsFromSource === 'volume' ? volume.tags : {}), ...tags },
          failing: failing(ctx, instance.instanceId, volume.volumeId),
          content: volume.content,
        });
      });
      return { Snapshots: snapshots.map(view) };
    },
  ),

  CreateSnapshotCommand: handler<EC2.CreateSnapshotCommandInput, EC2.CreateSnapshotCommandOutput>(
    (ctx, input) => {
      const volume = ctx.here.volumes.get(input.VolumeId ?? '');
      if (!volume || volume.state === 'deleted')
        ctx.fail('InvalidVolume.NotFound', `The volume '${input.VolumeId}' does not exist.`);
      const snapshot = newSnapshot(ctx, ctx.here, {
        volumeId: volume!.volumeId,
        volumeSize: volume!.sizeGiB,
        encrypted: volume!.encrypted,
        kmsKeyId: volume!.kmsKeyId,
        description: input.Description ?? '',
        instanceId: volume!.instanceId,
        tags: listToTags(input.TagSpecifications?.flatMap((t) => t.Tags ?? [])),
        failing: failing(ctx, volume!.instanceId, volume!.volumeId),
        content: volume!.content,
      });
      return view(snapshot);
    },
  ),

  DescribeSnapshotsCommand: handler<EC2.DescribeSnapshotsCommandInput, EC2.DescribeSnapshotsCommandOutput>(
    (ctx, input) => {
      let snapshots = visible(ctx, ctx.caller.region);
      if (input.SnapshotIds?.length) {
        for (const id of input.SnapshotIds)
          if (!snapshots.some((s) => s.snapshotId === id))
            ctx.fail('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
        snapshots = snapshots.filter((s) => input.SnapshotIds!.includes(s.snapshotId));
      }
      if (input.OwnerIds?.length)
        snapshots = snapshots.filter((s) =>
          input.OwnerIds!.some((o) => (o === 'self' ? ctx.caller.account : o) === s.ownerId),
        );
      if (input.RestorableByUserIds?.length)
        snapshots = snapshots.filter((s) =>
          input.RestorableByUserIds!.some((u) => s.ownerId === u || s.sharedWith.includes(u)),
        );
      snapshots = applyFilters(ctx, snapshots, input.Filters, {
        'snapshot-id': (s) => s.snapshotId,
        'volume-id': (s) => s.volumeId,
        status: (s) => s.state,
        'owner-id': (s) => s.ownerId,
        encrypted: (s) => String(s.encrypted),
        description: (s) => s.description,
      });
      for (const s of snapshots) advance(ctx, s);
      return { Snapshots: snapshots.map(view) };
    },
  ),

  CopySnapshotCommand: handler<EC2.CopySnapshotCommandInput, EC2.CopySnapshotCommandOutput>((ctx, input) => {
    const sourceRegion = input.SourceRegion ?? ctx.caller.region;
    const source = find(ctx, input.SourceSnapshotId, sourceRegion);
    if (source.state !== 'completed')
      ctx.fail('IncorrectState', `Snapshot is in invalid state - ${source.state}`);
    if (source.encrypted) {
      const sourceKey = findKey(ctx.world, source.ownerId, sourceRegion, source.kmsKeyId ?? '');
      if (!sourceKey || !canUseKey(sourceKey, ctx.caller.account))
        ctx.fail(
          'InvalidParameter',
          `The snapshot '${source.snapshotId}' is encrypted with a KMS key that account ${ctx.caller.account} cannot use.`,
        );
    }
    let kmsKeyId: string | undefined;
    if (input.KmsKeyId) {
      const key = findKey(ctx.world, ctx.caller.account, ctx.caller.region, input.KmsKeyId);
      if (!key)
        ctx.fail(
          'InvalidParameterValue',
          `Value (${input.KmsKeyId}) for parameter kmsKeyId is invalid. The key does not exist.`,
        );
      if (key!.region !== ctx.caller.region)
        ctx.fail(
          'InvalidParameterValue',
          `Value (${input.KmsKeyId}) for parameter kmsKeyId is invalid. The key must be in the destination region ${ctx.caller.region}.`,
        );
      if (!canUseKey(key!, ctx.caller.account))
        ctx.fail(
          'InvalidParameterValue',
          `Value (${input.KmsKeyId}) for parameter kmsKeyId is invalid. Account ${ctx.caller.account} cannot use the key.`,
        );
      kmsKeyId = key!.arn;
    } else if (source.encrypted || input.Encrypted) {
      // Without a key, a copy to another account or region is encrypted under the caller's default EBS
      // key there, which AWS creates on first use.
      const sameKeyUsable =
        source.encrypted && source.ownerId === ctx.caller.account && sourceRegion === ctx.caller.region;
      kmsKeyId = sameKeyUsable
        ? source.kmsKeyId
        : defaultEbsKey(ctx.world, ctx.caller.account, ctx.caller.region).arn;
    }
    const copy = newSnapshot(ctx, ctx.here, {
      volumeId: 'vol-ffffffff',
      volumeSize: source.volumeSize,
      encrypted: kmsKeyId !== undefined,
      kmsKeyId,
      description: input.Description ?? `Copied for DestinationAmi from ${source.snapshotId}`,
      tags: listToTags(input.TagSpecifications?.flatMap((t) => t.Tags ?? [])),
      copiedFrom: { snapshotId: source.snapshotId, account: source.ownerId, region: sourceRegion },
      instanceId: source.instanceId,
      failing: source.failing,
      content: source.content,
    });
    return { SnapshotId: copy.snapshotId, Tags: tagsToList(copy.tags) };
  }),

  ModifySnapshotAttributeCommand: handler<
    EC2.ModifySnapshotAttributeCommandInput,
    EC2.ModifySnapshotAttributeCommandOutput
  >((ctx, input) => {
    const snapshot = own(ctx, input.SnapshotId);
    if (input.Attribute && input.Attribute !== 'createVolumePermission')
      ctx.fail('InvalidParameterValue', `Value (${input.Attribute}) for parameter attribute is invalid.`);
    const add = [
      ...(input.CreateVolumePermission?.Add ?? []).map((p) => p.UserId),
      ...(input.OperationType === 'add' ? (input.UserIds ?? []) : []),
    ].filter((u): u is string => u !== undefined);
    const remove = [
      ...(input.CreateVolumePermission?.Remove ?? []).map((p) => p.UserId),
      ...(input.OperationType === 'remove' ? (input.UserIds ?? []) : []),
    ].filter((u): u is string => u !== undefined);
    if (add.length > 0 && snapshot.encrypted) {
      const key = findKey(ctx.world, snapshot.ownerId, snapshot.region, snapshot.kmsKeyId ?? '');
      if (!key || key.manager === 'AWS')
        ctx.fail(
          'InvalidParameter',
          "Snapshots encrypted with the AWS Managed CMK can't be shared. Specify another snapshot.",
        );
    }
    snapshot.sharedWith = [...new Set([...snapshot.sharedWith, ...add])].filter((u) => !remove.includes(u));
    return {};
  }),

  DescribeSnapshotAttributeCommand: handler<
    EC2.DescribeSnapshotAttributeCommandInput,
    EC2.DescribeSnapshotAttributeCommandOutput
  >((ctx, input) => {
    const snapshot = own(ctx, input.SnapshotId);
    return {
      SnapshotId: snapshot.snapshotId,
      CreateVolumePermissions: snapshot.sharedWith.map((UserId) => ({ UserId })),
    };
  }),

  DeleteSnapshotCommand: handler<EC2.DeleteSnapshotCommandInput, EC2.DeleteSnapshotCommandOutput>(
    (ctx, input) => {
      const snapshot = own(ctx, input.SnapshotId);
      if (snapshot.lock && snapshot.lock.lockedUntil > ctx.now())
        ctx.fail(
          'SnapshotLocked',
          `The snapshot '${snapshot.snapshotId}' is locked in ${snapshot.lock.mode} mode until ${snapshot.lock.lockedUntil.toISOString()} and can't be deleted.`,
        );
      snapshot.deleted = true;
      return {};
    },
  ),

  /** EBS Snapshot Lock: a locked snapshot cannot be deleted until the lock expires (no cooling-off here). */
  LockSnapshotCommand: handler<EC2.LockSnapshotCommandInput, EC2.LockSnapshotCommandOutput>((ctx, input) => {
    const snapshot = own(ctx, input.SnapshotId);
    const mode =
      input.LockMode === 'compliance' || input.LockMode === 'governance'
        ? input.LockMode
        : ctx.fail('InvalidParameterValue', `Value (${input.LockMode}) for parameter lockMode is invalid.`);
    if ((input.LockDuration === undefined) === (input.ExpirationDate === undefined))
      ctx.fail('InvalidParameterCombination', 'Specify either LockDuration or ExpirationDate.');
    if (input.LockDuration !== undefined && (input.LockDuration < 1 || input.LockDuration > 36_500))
      ctx.fail('InvalidParameterValue', 'LockDuration must be between 1 and 36500 days.');
    if (snapshot.state !== 'completed')
      ctx.fail('IncorrectState', `Snapshot is in invalid state - ${snapshot.state}`);
    const now = ctx.now();
    const until = input.ExpirationDate
      ? new Date(input.ExpirationDate)
      : new Date(now.getTime() + (input.LockDuration ?? 0) * 86_400_000);
    // Compliance mode (past any cooling-off) can only be extended, never shortened or weakened.
    if (snapshot.lock?.mode === 'compliance' && snapshot.lock.lockedUntil > now) {
      if (mode !== 'compliance' || until < snapshot.lock.lockedUntil)
        ctx.fail(
          'InvalidParameterValue',
          'A snapshot locked in compliance mode can only have its lock extended.',
        );
    }
    snapshot.lock = { mode, lockedUntil: until, createdOn: snapshot.lock?.createdOn ?? now };
    return {
      SnapshotId: snapshot.snapshotId,
      LockState: mode,
      LockDuration: input.LockDuration,
      LockCreatedOn: snapshot.lock.createdOn,
      LockExpiresOn: until,
      LockDurationStartTime: now,
    };
  }),
};
