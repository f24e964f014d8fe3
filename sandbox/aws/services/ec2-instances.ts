/**
 * EC2 instances: DescribeInstances, ModifyInstanceAttribute, tags, instance profile associations and
 * volumes. Terminated instances stay visible (state `terminated`) but can no longer be changed.
 */
import type * as EC2 from '@aws-sdk/client-ec2';
import type { CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { recordTrailEvent } from './cloudtrail.js';
import { applyFilters, byIds } from '../filters.js';
import { type Instance, type RegionState, type Tags, type World, listToTags, tagsToList } from '../world.js';
import { eniView } from './ec2-network.js';
import { shutDownDue } from './forensic-worker.js';

const STATE_CODES: Record<Instance['state'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

const INSTANCE_ID_RE = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** The instance, or InvalidInstanceID.Malformed / .NotFound; `live` also refuses a terminated one. */
export function requireInstance(ctx: CallContext, instanceId: string | undefined, live = true): Instance {
  if (!instanceId || !INSTANCE_ID_RE.test(instanceId))
    ctx.fail('InvalidInstanceID.Malformed', `Invalid id: "${instanceId ?? ''}"`);
  const instance = ctx.here.instances.get(instanceId!);
  if (!instance || (live && instance.state === 'terminated'))
    ctx.fail('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
  return instance!;
}

function publicIpOf(region: RegionState, eniId: string): string | undefined {
  const address = [...region.addresses.values()].find((a) => a.eniId === eniId);
  return address?.publicIp ?? region.enis.get(eniId)?.autoPublicIp;
}

/** The SDK shape of an instance. */
export function instanceView(region: RegionState, instance: Instance): EC2.Instance {
  const enis = instance.eniIds.map((id) => region.enis.get(id)).filter((e) => e !== undefined);
  const primary = enis[0];
  const association = [...region.associations.values()].find(
    (a) => a.instanceId === instance.instanceId && a.state === 'associated',
  );
  const live = instance.state !== 'terminated';
  return {
    InstanceId: instance.instanceId,
    ImageId: instance.imageId,
    InstanceType: instance.instanceType as EC2._InstanceType,
    LaunchTime: instance.launchTime,
    State: { Code: STATE_CODES[instance.state], Name: instance.state },
    PrivateIpAddress: primary?.privateIp,
    PublicIpAddress: primary ? publicIpOf(region, primary.eniId) : undefined,
    SubnetId: live ? instance.subnetId : undefined,
    VpcId: live ? instance.vpcId : undefined,
    Placement: { AvailabilityZone: instance.availabilityZone, Tenancy: 'default' },
    Architecture: instance.architecture ?? 'x86_64',
    Hypervisor: 'xen',
    VirtualizationType: 'hvm',
    PlatformDetails: 'Linux/UNIX',
    RootDeviceName: instance.rootDeviceName,
    RootDeviceType: 'ebs',
    Tags: tagsToList(instance.tags),
    SecurityGroups: (primary?.groupIds ?? []).map((id) => ({
      GroupId: id,
      GroupName: region.securityGroups.get(id)?.groupName,
    })),
    NetworkInterfaces: enis.map((eni) => eniView(region, eni)),
    IamInstanceProfile: association ? { Arn: association.profileArn, Id: association.profileId } : undefined,
    BlockDeviceMappings: live
      ? instance.blockDevices.map((b) => ({
          DeviceName: b.deviceName,
          Ebs: { VolumeId: b.volumeId, DeleteOnTermination: b.deleteOnTermination, Status: 'attached' },
        }))
      : [],
  };
}

/** Terminates an instance as AWS does: ENIs deleted, EIPs released from it, DeleteOnTermination volumes deleted. */
export function terminateInstance(world: World, region: RegionState, instanceId: string): void {
  const instance = region.instances.get(instanceId);
  if (!instance || instance.state === 'terminated') return;
  instance.state = 'terminated';
  for (const eniId of instance.eniIds) {
    for (const address of region.addresses.values())
      if (address.eniId === eniId)
        Object.assign(address, {
          associationId: undefined,
          instanceId: undefined,
          eniId: undefined,
          privateIp: undefined,
        });
    region.enis.delete(eniId);
  }
  for (const device of instance.blockDevices) {
    const volume = region.volumes.get(device.volumeId);
    if (!volume) continue;
    volume.instanceId = undefined;
    volume.state = device.deleteOnTermination ? 'deleted' : 'available';
  }
  for (const association of region.associations.values())
    if (association.instanceId === instanceId) association.state = 'disassociated';
  for (const group of region.autoScalingGroups.values())
    group.instances = group.instances.filter((i) => i.instanceId !== instanceId);
  for (const tg of region.targetGroups.values()) tg.targets = tg.targets.filter((t) => t.id !== instanceId);
  for (const lb of region.loadBalancers.values())
    lb.instanceIds = lb.instanceIds.filter((id) => id !== instanceId);
  void world;
}

/** The taggable resource behind an id, in the caller's account and region. */
function taggable(ctx: CallContext, id: string): { tags: Tags } {
  const r = ctx.here;
  const found =
    (id.startsWith('i-') && r.instances.get(id)) ||
    (id.startsWith('sg-') && r.securityGroups.get(id)) ||
    (id.startsWith('snap-') && r.snapshots.get(id)) ||
    (id.startsWith('vol-') && r.volumes.get(id)) ||
    (id.startsWith('eni-') && r.enis.get(id)) ||
    (id.startsWith('vpc-') && r.vpcs.get(id)) ||
    (id.startsWith('eipalloc-') && r.addresses.get(id));
  if (
    !found ||
    ('state' in found && (found.state === 'terminated' || found.state === 'deleted')) ||
    ('deleted' in found && found.deleted)
  ) {
    const kind = id.split('-')[0];
    const code: Record<string, string> = {
      i: 'InvalidInstanceID.NotFound',
      sg: 'InvalidGroup.NotFound',
      snap: 'InvalidSnapshot.NotFound',
      vol: 'InvalidVolume.NotFound',
      eni: 'InvalidNetworkInterfaceID.NotFound',
    };
    ctx.fail(code[kind ?? ''] ?? 'InvalidID', `The ID '${id}' does not exist`);
  }
  return found as { tags: Tags };
}

export const ec2InstanceHandlers: HandlerTable = {
  DescribeInstancesCommand: handler<EC2.DescribeInstancesCommandInput, EC2.DescribeInstancesCommandOutput>(
    (ctx, input) => {
      shutDownDue(ctx);
      for (const id of input.InstanceIds ?? [])
        if (!INSTANCE_ID_RE.test(id)) ctx.fail('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
      const r = ctx.here;
      const found = byIds(ctx, r.instances, input.InstanceIds, (id) => [
        'InvalidInstanceID.NotFound',
        `The instance ID '${id}' does not exist`,
      ]);
      const instances = applyFilters(ctx, found, input.Filters, {
        'instance-id': (i) => i.instanceId,
        'instance-state-name': (i) => i.state,
        'vpc-id': (i) => i.vpcId,
        'subnet-id': (i) => i.subnetId,
        'private-ip-address': (i) => i.eniIds.map((id) => r.enis.get(id)?.privateIp),
        'ip-address': (i) => i.eniIds.map((id) => publicIpOf(r, id)),
        'network-interface.network-interface-id': (i) => i.eniIds,
      });
      return {
        Reservations: instances.map((instance) => ({
          ReservationId: `r-${instance.instanceId.slice(2)}`,
          OwnerId: ctx.caller.account,
          Instances: [instanceView(r, instance)],
        })),
      };
    },
  ),

  ModifyInstanceAttributeCommand: handler<
    EC2.ModifyInstanceAttributeCommandInput,
    EC2.ModifyInstanceAttributeCommandOutput
  >((ctx, input) => {
    const instance = requireInstance(ctx, input.InstanceId);
    if (input.DisableApiTermination?.Value !== undefined)
      instance.disableApiTermination = input.DisableApiTermination.Value;
    if (input.InstanceInitiatedShutdownBehavior?.Value !== undefined) {
      const value = input.InstanceInitiatedShutdownBehavior.Value;
      if (value !== 'stop' && value !== 'terminate')
        ctx.fail(
          'InvalidParameterValue',
          `Value (${value}) for parameter instanceInitiatedShutdownBehavior is invalid`,
        );
      instance.shutdownBehavior = value as 'stop' | 'terminate';
    }
    if (input.Attribute === 'disableApiTermination' && input.Value !== undefined)
      instance.disableApiTermination = input.Value === 'true';
    if (input.Attribute === 'instanceInitiatedShutdownBehavior' && input.Value !== undefined)
      instance.shutdownBehavior = input.Value === 'terminate' ? 'terminate' : 'stop';
    for (const mapping of input.BlockDeviceMappings ?? []) {
      const device = instance.blockDevices.find((b) => b.deviceName === mapping.DeviceName);
      if (!device)
        ctx.fail('InvalidInstanceAttributeValue', `No device is currently mapped at ${mapping.DeviceName}`);
      if (mapping.Ebs?.DeleteOnTermination !== undefined)
        device!.deleteOnTermination = mapping.Ebs.DeleteOnTermination;
    }
    if (input.Groups) {
      // EC2 only accepts Groups here for an instance with one network interface.
      if (instance.eniIds.length > 1)
        ctx.fail(
          'InvalidInstanceID',
          `There are multiple interfaces attached to instance '${instance.instanceId}'. Please specify an interface ID for the operation instead.`,
        );
      ctx.fail(
        'InvalidParameterCombination',
        'Use ModifyNetworkInterfaceAttribute to change security groups in the simulation',
      );
    }
    return {};
  }),

  DescribeInstanceAttributeCommand: handler<
    EC2.DescribeInstanceAttributeCommandInput,
    EC2.DescribeInstanceAttributeCommandOutput
  >((ctx, input) => {
    const instance = requireInstance(ctx, input.InstanceId);
    switch (input.Attribute) {
      case 'disableApiTermination':
        return {
          InstanceId: instance.instanceId,
          DisableApiTermination: { Value: instance.disableApiTermination },
        };
      case 'instanceInitiatedShutdownBehavior':
        return {
          InstanceId: instance.instanceId,
          InstanceInitiatedShutdownBehavior: { Value: instance.shutdownBehavior },
        };
      case 'blockDeviceMapping':
        return {
          InstanceId: instance.instanceId,
          BlockDeviceMappings: instance.blockDevices.map((d) => ({
            DeviceName: d.deviceName,
            Ebs: { VolumeId: d.volumeId, DeleteOnTermination: d.deleteOnTermination, Status: 'attached' },
          })),
        };
      default:
        return ctx.fail(
          'InvalidParameterValue',
          `Value (${input.Attribute}) for parameter attribute is invalid. The simulation answers disableApiTermination, instanceInitiatedShutdownBehavior and blockDeviceMapping.`,
        );
    }
  }),

  CreateTagsCommand: handler<EC2.CreateTagsCommandInput, EC2.CreateTagsCommandOutput>((ctx, input) => {
    const targets = (input.Resources ?? []).map((id) => taggable(ctx, id));
    const tags = listToTags(input.Tags);
    for (const target of targets) Object.assign(target.tags, tags);
    recordTagEvent(ctx, 'CreateTags', input.Resources ?? [], input.Tags ?? []);
    return {};
  }),

  DeleteTagsCommand: handler<EC2.DeleteTagsCommandInput, EC2.DeleteTagsCommandOutput>((ctx, input) => {
    const targets = (input.Resources ?? []).map((id) => taggable(ctx, id));
    for (const target of targets)
      for (const tag of input.Tags ?? []) {
        if (!tag.Key) continue;
        if (tag.Value === undefined || target.tags[tag.Key] === tag.Value) delete target.tags[tag.Key];
      }
    recordTagEvent(ctx, 'DeleteTags', input.Resources ?? [], input.Tags ?? []);
    return {};
  }),

  DescribeVolumesCommand: handler<EC2.DescribeVolumesCommandInput, EC2.DescribeVolumesCommandOutput>(
    (ctx, input) => {
      const r = ctx.here;
      const found = byIds(
        ctx,
        r.volumes,
        input.VolumeIds,
        (id) => ['InvalidVolume.NotFound', `The volume '${id}' does not exist.`],
        (v) => v.state !== 'deleted',
      );
      const volumes = applyFilters(ctx, found, input.Filters, {
        'volume-id': (v) => v.volumeId,
        'attachment.instance-id': (v) => v.instanceId,
        encrypted: (v) => String(v.encrypted),
        status: (v) => v.state,
      });
      return {
        Volumes: volumes.map((v) => ({
          VolumeId: v.volumeId,
          Size: v.sizeGiB,
          AvailabilityZone: v.availabilityZone,
          Encrypted: v.encrypted,
          KmsKeyId: v.kmsKeyId,
          State: v.state === 'deleted' ? 'deleted' : v.state,
          VolumeType: 'gp3',
          Tags: tagsToList(v.tags),
          Attachments: v.instanceId
            ? [{ InstanceId: v.instanceId, Device: v.deviceName, VolumeId: v.volumeId, State: 'attached' }]
            : [],
        })),
      };
    },
  ),
};

/** CloudTrail's record of a tag change: who tagged which resource with what (EC2's request shape). */
function recordTagEvent(
  ctx: CallContext,
  eventName: 'CreateTags' | 'DeleteTags',
  resources: string[],
  tags: { Key?: string; Value?: string }[],
): void {
  recordTrailEvent(ctx, {
    eventName,
    eventSource: 'ec2.amazonaws.com',
    resources: resources.map((name) => ({
      type: name.startsWith('i-')
        ? 'AWS::EC2::Instance'
        : name.startsWith('vol-')
          ? 'AWS::EC2::Volume'
          : 'AWS::EC2::Resource',
      name,
    })),
    requestParameters: {
      resourcesSet: { items: resources.map((resourceId) => ({ resourceId })) },
      tagSet: {
        items: tags.map((t) => ({ key: t.Key, ...(t.Value !== undefined ? { value: t.Value } : {}) })),
      },
    },
  });
}
