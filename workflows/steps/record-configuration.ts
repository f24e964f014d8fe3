import { DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribePrefixListsCommand,
  DescribeVpcEndpointsCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import type { OriginalConfig, VpcEndpoints } from '../../bot/core/case-model.js';
import { recordConfiguration as recordOriginalConfig, requireCase } from '../../bot/core/case-store.js';
import { describeError } from '../../bot/core/errors.js';
import { logger } from '../../bot/core/logger.js';
import { type MemberClients, member } from '../aws/member.js';
import { AccessDeniedInMemberAccountError, isAccessDenied, isThrottling } from '../errors.js';
import { forensicsSettings } from '../settings.js';
import { describeInstance } from './instance.js';
import { memoryPlan } from './memory-capture.js';
import { count, defineStep, scopeOf, TargetInput } from './step.js';

export type { OriginalConfig, VpcEndpoints } from '../../bot/core/case-model.js';

/** What the case workflow needs from the record to choose its order. */
export interface Plan {
  VpcId: string | null;
  HasEndpoints: boolean;
  MemoryFirst: boolean;
}

/**
 * Records the original configuration into the case (`originalConfig`) before anything changes. A
 * recorded configuration is never overwritten: a retried or re-run workflow keeps the first, which is
 * the only one that describes the instance before containment.
 */
export const recordConfiguration = defineStep({
  name: 'recordConfiguration',
  label: 'Original configuration recorded',
  input: TargetInput.extend({ acquireMemory: z.boolean().default(true) }),
  async run(
    input,
  ): Promise<Plan & { Recorded: { enis: number; elasticIps: number; loadBalancers: number } }> {
    const existing = (await requireCase(input.caseId)).originalConfig;
    const config = existing ?? (await readConfiguration(member(scopeOf(input)), input));
    if (!existing) await recordOriginalConfig(input.caseId, config);
    const hasEndpoints = config.endpoints.ssm && config.endpoints.s3;
    return {
      VpcId: config.vpcId ?? null,
      HasEndpoints: hasEndpoints,
      // Order of volatility (MEMORY_ORDER), endpoints and the evidence bucket's region decide (issue 15).
      MemoryFirst: memoryPlan(forensicsSettings(), {
        region: input.region,
        hasEndpoints,
        acquireMemory: input.acquireMemory,
      }).memoryFirst,
      Recorded: {
        enis: config.networkInterfaces.length,
        elasticIps: config.elasticIps.length,
        loadBalancers: config.targetGroups.length + config.classicLoadBalancers.length,
      },
    };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${count(out.Recorded.enis, 'ENI')}, ${count(out.Recorded.elasticIps, 'Elastic IP')}, ${count(out.Recorded.loadBalancers, 'load balancer')}; VPC ${out.HasEndpoints ? 'has' : 'has no'} SSM/S3 endpoints${out.MemoryFirst ? ': memory is captured before isolation' : ''}`,
  }),
});

/** Reads the configuration (all reads, several at once). */
export async function readConfiguration(clients: MemberClients, input: TargetInput): Promise<OriginalConfig> {
  const instance = await describeInstance(clients, input.instanceId, input.account, input.region);
  const [profile, asg, targetGroups, classic, attributes, addresses, endpoints] = await Promise.all([
    instanceProfileOf(clients, input.instanceId),
    autoScalingGroupOf(clients, input.instanceId),
    targetGroupsOf(clients, input.instanceId),
    classicLoadBalancersOf(clients, input.instanceId),
    attributesOf(clients, input.instanceId),
    clients
      .ec2()
      .send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [input.instanceId] }] })),
    endpointsOf(clients, instance),
  ]);
  return {
    recordedAt: new Date().toISOString(),
    instanceId: input.instanceId,
    vpcId: instance.VpcId,
    networkInterfaces: (instance.NetworkInterfaces ?? []).map((eni) => ({
      id: eni.NetworkInterfaceId ?? '',
      groups: (eni.Groups ?? []).map((g) => g.GroupId ?? '').filter(Boolean),
      vpcId: eni.VpcId,
      subnetId: eni.SubnetId,
      deviceIndex: eni.Attachment?.DeviceIndex,
    })),
    elasticIps: (addresses.Addresses ?? [])
      .filter((a) => a.AllocationId && (a.InstanceId === input.instanceId || a.AssociationId))
      .map((a) => ({
        allocationId: a.AllocationId ?? '',
        publicIp: a.PublicIp,
        networkInterfaceId: a.NetworkInterfaceId,
        privateIp: a.PrivateIpAddress,
      })),
    instanceProfile: profile,
    autoScalingGroup: asg,
    targetGroups,
    classicLoadBalancers: classic,
    terminationProtection: attributes.terminationProtection,
    shutdownBehavior: attributes.shutdownBehavior,
    volumes: (instance.BlockDeviceMappings ?? [])
      .filter((m) => m.Ebs?.VolumeId)
      .map((m) => ({
        volumeId: m.Ebs?.VolumeId ?? '',
        device: m.DeviceName ?? '',
        deleteOnTermination: m.Ebs?.DeleteOnTermination ?? false,
      })),
    endpoints,
  };
}

async function instanceProfileOf(clients: MemberClients, instanceId: string) {
  const out = await clients.ec2().send(
    new DescribeIamInstanceProfileAssociationsCommand({
      Filters: [{ Name: 'instance-id', Values: [instanceId] }],
    }),
  );
  const association = (out.IamInstanceProfileAssociations ?? []).find(
    (a) => a.InstanceId === instanceId && (a.State === 'associated' || a.State === 'associating'),
  );
  const arn = association?.IamInstanceProfile?.Arn;
  if (!arn) return undefined;
  const name = arn.split('/').pop() ?? arn;
  const profile = await clients.iam().send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
  return {
    arn,
    name,
    roles: (profile.InstanceProfile?.Roles ?? []).map((r) => r.RoleName ?? '').filter(Boolean),
  };
}

async function autoScalingGroupOf(clients: MemberClients, instanceId: string) {
  const out = await clients
    .autoScaling()
    .send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
  return out.AutoScalingInstances?.find((i) => i.InstanceId === instanceId)?.AutoScalingGroupName;
}

async function targetGroupsOf(clients: MemberClients, instanceId: string) {
  const groups: string[] = [];
  let marker: string | undefined;
  do {
    const page = await clients.elbv2().send(new DescribeTargetGroupsCommand({ Marker: marker }));
    for (const g of page.TargetGroups ?? [])
      if (g.TargetGroupArn && (g.TargetType ?? 'instance') === 'instance') groups.push(g.TargetGroupArn);
    marker = page.NextMarker;
  } while (marker);
  const found = await Promise.all(
    groups.map(async (arn) => {
      const health = await clients.elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      return (health.TargetHealthDescriptions ?? [])
        .filter((d) => d.Target?.Id === instanceId && d.TargetHealth?.Reason !== 'Target.NotRegistered')
        .map((d) => ({ arn, port: d.Target?.Port }));
    }),
  );
  return found.flat();
}

async function classicLoadBalancersOf(clients: MemberClients, instanceId: string) {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await clients.elb().send(new DescribeLoadBalancersCommand({ Marker: marker }));
    for (const lb of page.LoadBalancerDescriptions ?? [])
      if (lb.LoadBalancerName && (lb.Instances ?? []).some((i) => i.InstanceId === instanceId))
        names.push(lb.LoadBalancerName);
    marker = page.NextMarker;
  } while (marker);
  return names;
}

async function attributesOf(clients: MemberClients, instanceId: string) {
  // Best effort: without these two values release leaves the instance protected, which is the safe side.
  const read = async (Attribute: 'disableApiTermination' | 'instanceInitiatedShutdownBehavior') => {
    try {
      return await clients
        .ec2()
        .send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute }));
    } catch (error) {
      if (isAccessDenied(error) || error instanceof AccessDeniedInMemberAccountError || isThrottling(error))
        throw error;
      logger.warn('Instance attribute not readable', { instanceId, Attribute, error: describeError(error) });
      return undefined;
    }
  };
  const [protection, shutdown] = await Promise.all([
    read('disableApiTermination'),
    read('instanceInitiatedShutdownBehavior'),
  ]);
  return {
    terminationProtection: protection?.DisableApiTermination?.Value,
    shutdownBehavior: shutdown?.InstanceInitiatedShutdownBehavior?.Value,
  };
}

const SSM_SERVICES = ['ssm', 'ssmmessages', 'ec2messages'];

async function endpointsOf(clients: MemberClients, instance: Instance): Promise<VpcEndpoints> {
  const none: VpcEndpoints = { interfaceGroups: [], prefixLists: [], ssm: false, s3: false };
  if (!instance.VpcId) return none;
  const out = await clients
    .ec2()
    .send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [instance.VpcId] }] }));
  const result = none;
  let gateway: string | undefined;
  for (const e of out.VpcEndpoints ?? []) {
    if (e.VpcId && e.VpcId !== instance.VpcId) continue;
    const state = (e.State ?? 'available').toLowerCase();
    if (state !== 'available') continue;
    const service = e.ServiceName?.split('.').pop() ?? '';
    if (SSM_SERVICES.includes(service) && e.VpcEndpointType !== 'Gateway') {
      if (service === 'ssm') result.ssm = true;
      for (const g of e.Groups ?? []) if (g.GroupId) result.interfaceGroups.push(g.GroupId);
    }
    if (service === 's3') {
      result.s3 = true;
      if (e.VpcEndpointType === 'Gateway') gateway = e.ServiceName;
      else for (const g of e.Groups ?? []) if (g.GroupId) result.interfaceGroups.push(g.GroupId);
    }
  }
  if (gateway) {
    // A gateway endpoint is reached through the service's prefix list (egress rules name it).
    const lists = await clients
      .ec2()
      .send(new DescribePrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: [gateway] }] }));
    for (const pl of lists.PrefixLists ?? [])
      if (pl.PrefixListName === gateway && pl.PrefixListId) result.prefixLists.push(pl.PrefixListId);
  }
  result.interfaceGroups = [...new Set(result.interfaceGroups)];
  return result;
}
