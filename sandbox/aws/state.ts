/**
 * `state()`: the organization as JSON, for test assertions and the sandbox's `GET /api/cloud`. It shows
 * what containment and acquisition change (groups per ENI, connections, profiles, snapshots and their
 * sharing and copies, evidence objects with their SHA-256 and lock) and never shows credentials.
 */
import { agentReachesSsm, canReach } from './network.js';
import type { RegionState, World } from './world.js';

function regionState(r: RegionState, world: World, ssmOffline: string[]) {
  const profileOf = (instanceId: string) => {
    const a = [...r.associations.values()].find(
      (x) => x.instanceId === instanceId && x.state === 'associated',
    );
    return a
      ? { associationId: a.associationId, arn: a.profileArn, name: a.profileArn.split('/').pop() }
      : null;
  };
  return {
    account: r.account,
    region: r.region,
    vpcs: [...r.vpcs.values()].map((v) => ({
      ...v,
      endpoints: [...r.endpoints.values()]
        .filter((e) => e.vpcId === v.vpcId)
        .map((e) => ({ id: e.vpcEndpointId, service: e.serviceName, type: e.type })),
    })),
    instances: [...r.instances.values()].map((i) => ({
      instanceId: i.instanceId,
      name: i.tags.Name,
      state: i.state,
      vpcId: i.vpcId,
      tags: i.tags,
      disableApiTermination: i.disableApiTermination,
      shutdownBehavior: i.shutdownBehavior,
      profile: profileOf(i.instanceId),
      blockDevices: i.blockDevices,
      ssm: i.ssmManaged
        ? {
            online: i.state === 'running' && !ssmOffline.includes(i.instanceId) && agentReachesSsm(r, i),
            reachesS3: canReach(r, i, 's3'),
          }
        : null,
      memoryBytes: i.memoryBytes,
      kernelRelease: i.kernelRelease,
      enis: i.eniIds
        .map((id) => r.enis.get(id))
        .filter((e) => e !== undefined)
        .map((e) => ({
          eniId: e.eniId,
          deviceIndex: e.deviceIndex,
          privateIp: e.privateIp,
          publicIp:
            [...r.addresses.values()].find((a) => a.eniId === e.eniId)?.publicIp ?? e.autoPublicIp ?? null,
          groups: e.groupIds.map((g) => ({ groupId: g, groupName: r.securityGroups.get(g)?.groupName })),
          connections: e.connections,
        })),
    })),
    securityGroups: [...r.securityGroups.values()],
    addresses: [...r.addresses.values()],
    volumes: [...r.volumes.values()],
    snapshots: [...r.snapshots.values()]
      .filter((s) => !s.deleted)
      .map((s) => ({
        snapshotId: s.snapshotId,
        owner: s.ownerId,
        region: s.region,
        volumeId: s.volumeId,
        instanceId: s.instanceId ?? null,
        state: s.state,
        sizeGiB: s.volumeSize,
        encrypted: s.encrypted,
        kmsKeyId: s.kmsKeyId ?? null,
        sharedWith: s.sharedWith,
        copiedFrom: s.copiedFrom ?? null,
        copies: [...world.accounts.values()]
          .flatMap((a) => [...a.regions.values()])
          .flatMap((x) => [...x.snapshots.values()])
          .filter((c) => !c.deleted && c.copiedFrom?.snapshotId === s.snapshotId)
          .map((c) => ({ snapshotId: c.snapshotId, owner: c.ownerId, region: c.region })),
        tags: s.tags,
      })),
    deletedSnapshots: [...r.snapshots.values()].filter((s) => s.deleted).map((s) => s.snapshotId),
    kmsKeys: [...r.kmsKeys.values()],
    autoScalingGroups: [...r.autoScalingGroups.values()],
    targetGroups: [...r.targetGroups.values()],
    loadBalancers: [...r.loadBalancers.values()],
    commandInvocations: [...r.invocations.values()].map((c) => ({
      commandId: c.commandId,
      instanceId: c.instanceId,
      documentName: c.documentName,
      status: c.status,
      responseCode: c.responseCode,
    })),
    securityHubUpdates: r.findingUpdates,
    guardDutyFindings: [...r.guardDutyFindings.values()],
  };
}

export function snapshotState(world: World, ssmOffline: string[] = []) {
  const state = {
    accounts: [...world.accounts.values()].map((a) => ({
      id: a.id,
      roles: [...a.roles.values()].map((r) => ({
        name: r.name,
        arn: r.arn,
        inlinePolicies: r.inlinePolicies,
      })),
      instanceProfiles: [...a.instanceProfiles.values()].map((p) => ({
        name: p.name,
        arn: p.arn,
        roles: p.roleNames,
      })),
      regions: [...a.regions.values()].map((r) => regionState(r, world, ssmOffline)),
    })),
    buckets: [...world.buckets.values()].map((b) => ({
      name: b.name,
      owner: b.owner,
      objectLock: b.objectLock,
      objects: [...b.objects.entries()].flatMap(([key, versions]) =>
        versions.map((v, index) => ({
          key,
          versionId: v.versionId,
          latest: index === versions.length - 1,
          deleteMarker: v.deleteMarker,
          bytes: v.body.length,
          sha256: v.sha256,
          metadata: v.metadata,
          lock: v.lockMode ? { mode: v.lockMode, retainUntil: v.retainUntil?.toISOString() } : null,
          uploadedBy: v.uploadedBy,
          lastModified: v.lastModified.toISOString(),
        })),
      ),
    })),
    sessions: [...world.sessions.values()].map((s) => ({
      account: s.account,
      role: s.roleName,
      sessionName: s.sessionName,
      hasPolicy: s.policy !== undefined,
      expiresAt: new Date(s.expiresAt).toISOString(),
    })),
  };
  // Dates and Maps out, plain JSON in: what a test compares is what the sandbox page receives.
  return JSON.parse(JSON.stringify(state)) as typeof state;
}

export type CloudState = ReturnType<typeof snapshotState>;
