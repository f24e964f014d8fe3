/**
 * EC2 networking: VPCs, subnets, endpoints, network interfaces, security groups and their rules, Elastic
 * IPs. Moving an ENI between groups applies the connection-tracking rule (see `network.ts`).
 */
import type * as EC2 from '@aws-sdk/client-ec2';
import { applyFilters, byIds } from '../filters.js';
import type { CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { atomize, moveConnections, sameRule, toPermission } from '../network.js';
import {
  type Eni,
  type RegionState,
  type Rule,
  type SecurityGroup,
  listToTags,
  tagsToList,
} from '../world.js';

function publicIp(region: RegionState, eni: Eni) {
  const address = [...region.addresses.values()].find((a) => a.eniId === eni.eniId);
  if (address)
    return {
      PublicIp: address.publicIp,
      AllocationId: address.allocationId,
      AssociationId: address.associationId,
      IpOwnerId: region.account,
    };
  if (eni.autoPublicIp) return { PublicIp: eni.autoPublicIp, IpOwnerId: 'amazon' };
  return undefined;
}

/** The SDK shape of an ENI (as in DescribeNetworkInterfaces; DescribeInstances uses a subset). */
export function eniView(region: RegionState, eni: Eni): EC2.NetworkInterface & EC2.InstanceNetworkInterface {
  const association = publicIp(region, eni);
  return {
    NetworkInterfaceId: eni.eniId,
    SubnetId: eni.subnetId,
    VpcId: eni.vpcId,
    AvailabilityZone: eni.availabilityZone,
    Description: eni.description,
    OwnerId: region.account,
    MacAddress: eni.macAddress,
    PrivateIpAddress: eni.privateIp,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: eni.privateIp, Association: association }],
    Association: association,
    InterfaceType: eni.interfaceType,
    Status: eni.instanceId ? 'in-use' : 'available',
    SourceDestCheck: true,
    Groups: eni.groupIds.map((id) => ({ GroupId: id, GroupName: region.securityGroups.get(id)?.groupName })),
    Attachment: eni.instanceId
      ? {
          AttachmentId: eni.attachmentId,
          InstanceId: eni.instanceId,
          InstanceOwnerId: region.account,
          DeviceIndex: eni.deviceIndex,
          Status: 'attached',
          DeleteOnTermination: eni.deviceIndex === 0,
        }
      : undefined,
    TagSet: tagsToList(eni.tags),
  };
}

function groupView(group: SecurityGroup, ownerId: string): EC2.SecurityGroup {
  return {
    GroupId: group.groupId,
    GroupName: group.groupName,
    Description: group.description,
    VpcId: group.vpcId,
    OwnerId: ownerId,
    Tags: tagsToList(group.tags),
    IpPermissions: group.ingress.map((r) => toPermission(r, ownerId)),
    IpPermissionsEgress: group.egress.map((r) => toPermission(r, ownerId)),
  };
}

function requireGroup(ctx: CallContext, groupId: string | undefined): SecurityGroup {
  const group = groupId ? ctx.here.securityGroups.get(groupId) : undefined;
  if (!group) ctx.fail('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
  return group!;
}

function requireEni(ctx: CallContext, eniId: string | undefined): Eni {
  const eni = eniId ? ctx.here.enis.get(eniId) : undefined;
  if (!eni)
    ctx.fail('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${eniId}' does not exist`);
  return eni!;
}

function ruleViews(
  ctx: CallContext,
  group: SecurityGroup,
  rules: Rule[],
  egress: boolean,
): EC2.SecurityGroupRule[] {
  return rules.map((r) => ({
    SecurityGroupRuleId: r.ruleId,
    GroupId: group.groupId,
    GroupOwnerId: ctx.caller.account,
    IsEgress: egress,
    IpProtocol: r.protocol,
    FromPort: r.fromPort ?? -1,
    ToPort: r.toPort ?? -1,
    CidrIpv4: r.cidr,
    CidrIpv6: r.cidrV6,
    PrefixListId: r.prefixListId,
    ReferencedGroupInfo: r.groupId ? { GroupId: r.groupId, UserId: ctx.caller.account } : undefined,
    Description: r.description,
  }));
}

type RuleInput = { GroupId?: string; IpPermissions?: EC2.IpPermission[]; SecurityGroupRuleIds?: string[] };

function authorize(ctx: CallContext, input: RuleInput, egress: boolean) {
  const group = requireGroup(ctx, input.GroupId);
  const rules = atomize(input.IpPermissions, () => ctx.world.id('sgr'));
  const list = egress ? group.egress : group.ingress;
  for (const rule of rules) {
    if (rule.groupId && !ctx.here.securityGroups.has(rule.groupId))
      ctx.fail('InvalidGroup.NotFound', `The security group '${rule.groupId}' does not exist`);
    if (list.some((r) => sameRule(r, rule)))
      ctx.fail(
        'InvalidPermission.Duplicate',
        `the specified rule "peer: ${rule.cidr ?? rule.groupId ?? rule.prefixListId}, ${rule.protocol.toUpperCase()}" already exists`,
      );
  }
  list.push(...rules);
  return { Return: true, SecurityGroupRules: ruleViews(ctx, group, rules, egress) };
}

function revoke(ctx: CallContext, input: RuleInput, egress: boolean) {
  const group = requireGroup(ctx, input.GroupId);
  const list = egress ? group.egress : group.ingress;
  const wanted = atomize(input.IpPermissions, () => '');
  const unknown: EC2.IpPermission[] = [];
  for (const rule of wanted) {
    const index = list.findIndex((r) => sameRule(r, rule));
    if (index < 0) unknown.push(toPermission(rule, ctx.caller.account));
    else list.splice(index, 1);
  }
  for (const id of input.SecurityGroupRuleIds ?? []) {
    const index = list.findIndex((r) => r.ruleId === id);
    if (index < 0)
      ctx.fail('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
    list.splice(index, 1);
  }
  if (unknown.length > 0 && unknown.length === wanted.length)
    ctx.fail('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
  return { Return: true, UnknownIpPermissions: unknown.length > 0 ? unknown : undefined };
}

export const ec2NetworkHandlers: HandlerTable = {
  DescribeVpcsCommand: handler<EC2.DescribeVpcsCommandInput, EC2.DescribeVpcsCommandOutput>((ctx, input) => {
    const found = byIds(ctx, ctx.here.vpcs, input.VpcIds, (id) => [
      'InvalidVpcID.NotFound',
      `The vpc ID '${id}' does not exist`,
    ]);
    const vpcs = applyFilters(ctx, found, input.Filters, {
      'vpc-id': (v) => v.vpcId,
      'is-default': (v) => String(v.isDefault),
      'cidr-block': (v) => v.cidr,
    });
    return {
      Vpcs: vpcs.map((v) => ({
        VpcId: v.vpcId,
        CidrBlock: v.cidr,
        IsDefault: v.isDefault,
        State: 'available',
        OwnerId: ctx.caller.account,
        Tags: tagsToList(v.tags),
        CidrBlockAssociationSet: [{ CidrBlock: v.cidr, CidrBlockState: { State: 'associated' } }],
      })),
    };
  }),

  DescribeSubnetsCommand: handler<EC2.DescribeSubnetsCommandInput, EC2.DescribeSubnetsCommandOutput>(
    (ctx, input) => {
      const found = byIds(ctx, ctx.here.subnets, input.SubnetIds, (id) => [
        'InvalidSubnetID.NotFound',
        `The subnet ID '${id}' does not exist`,
      ]);
      const subnets = applyFilters(ctx, found, input.Filters, {
        'vpc-id': (s) => s.vpcId,
        'subnet-id': (s) => s.subnetId,
      });
      return {
        Subnets: subnets.map((s) => ({
          SubnetId: s.subnetId,
          VpcId: s.vpcId,
          CidrBlock: s.cidr,
          AvailabilityZone: s.availabilityZone,
          State: 'available',
          OwnerId: ctx.caller.account,
        })),
      };
    },
  ),

  DescribeVpcEndpointsCommand: handler<
    EC2.DescribeVpcEndpointsCommandInput,
    EC2.DescribeVpcEndpointsCommandOutput
  >((ctx, input) => {
    const r = ctx.here;
    const found = byIds(ctx, r.endpoints, input.VpcEndpointIds, (id) => [
      'InvalidVpcEndpointId.NotFound',
      `The Vpc Endpoint Id '${id}' does not exist`,
    ]);
    const endpoints = applyFilters(ctx, found, input.Filters, {
      'vpc-id': (e) => e.vpcId,
      'service-name': (e) => e.serviceName,
      'vpc-endpoint-type': (e) => e.type,
      'vpc-endpoint-state': () => 'available',
      'vpc-endpoint-id': (e) => e.vpcEndpointId,
    });
    return {
      VpcEndpoints: endpoints.map((e) => ({
        VpcEndpointId: e.vpcEndpointId,
        VpcEndpointType: e.type,
        VpcId: e.vpcId,
        ServiceName: e.serviceName,
        State: 'Available',
        SubnetIds: e.subnetIds,
        Groups: e.groupIds.map((id) => ({ GroupId: id, GroupName: r.securityGroups.get(id)?.groupName })),
        NetworkInterfaceIds: [...r.enis.values()]
          .filter((n) => n.description === `VPC Endpoint Interface ${e.vpcEndpointId}`)
          .map((n) => n.eniId),
        PrivateDnsEnabled: e.type === 'Interface',
        RouteTableIds: e.type === 'Gateway' ? [`rtb-${e.vpcId.slice(4)}`] : [],
        OwnerId: ctx.caller.account,
      })),
    };
  }),

  DescribePrefixListsCommand: handler<
    EC2.DescribePrefixListsCommandInput,
    EC2.DescribePrefixListsCommandOutput
  >((ctx) => {
    const lists = new Map<string, string>();
    for (const e of ctx.here.endpoints.values()) if (e.prefixListId) lists.set(e.prefixListId, e.serviceName);
    return {
      PrefixLists: [...lists].map(([id, name]) => ({
        PrefixListId: id,
        PrefixListName: name,
        Cidrs: ['52.216.0.0/15'],
      })),
    };
  }),

  DescribeNetworkInterfacesCommand: handler<
    EC2.DescribeNetworkInterfacesCommandInput,
    EC2.DescribeNetworkInterfacesCommandOutput
  >((ctx, input) => {
    const r = ctx.here;
    const found = byIds(ctx, r.enis, input.NetworkInterfaceIds, (id) => [
      'InvalidNetworkInterfaceID.NotFound',
      `The networkInterface ID '${id}' does not exist`,
    ]);
    const enis = applyFilters(ctx, found, input.Filters, {
      'network-interface-id': (e) => e.eniId,
      'attachment.instance-id': (e) => e.instanceId,
      'vpc-id': (e) => e.vpcId,
      'subnet-id': (e) => e.subnetId,
      'group-id': (e) => e.groupIds,
      'private-ip-address': (e) => e.privateIp,
      'interface-type': (e) => e.interfaceType,
      description: (e) => e.description,
    });
    return { NetworkInterfaces: enis.map((e) => eniView(r, e)) };
  }),

  ModifyNetworkInterfaceAttributeCommand: handler<
    EC2.ModifyNetworkInterfaceAttributeCommandInput,
    EC2.ModifyNetworkInterfaceAttributeCommandOutput
  >((ctx, input) => {
    const eni = requireEni(ctx, input.NetworkInterfaceId);
    if (input.Groups) {
      if (input.Groups.length === 0)
        ctx.fail('MissingParameter', 'The request must contain the parameter groupId');
      const groups = input.Groups.map((id) => {
        const group = requireGroup(ctx, id);
        if (group.vpcId !== eni.vpcId)
          ctx.fail(
            'InvalidGroup.NotFound',
            `You have specified two resources that belong to different networks.`,
          );
        return group;
      });
      eni.groupIds = [...new Set(input.Groups)];
      moveConnections(eni.connections, groups);
    }
    if (input.Description?.Value !== undefined) eni.description = input.Description.Value;
    return {};
  }),

  DescribeSecurityGroupsCommand: handler<
    EC2.DescribeSecurityGroupsCommandInput,
    EC2.DescribeSecurityGroupsCommandOutput
  >((ctx, input) => {
    const r = ctx.here;
    let found = byIds(ctx, r.securityGroups, input.GroupIds, (id) => [
      'InvalidGroup.NotFound',
      `The security group '${id}' does not exist`,
    ]);
    if (input.GroupNames?.length) {
      for (const name of input.GroupNames)
        if (!found.some((g) => g.groupName === name))
          ctx.fail('InvalidGroup.NotFound', `The security group '${name}' does not exist in default VPC`);
      found = found.filter((g) => input.GroupNames!.includes(g.groupName));
    }
    const groups = applyFilters(ctx, found, input.Filters, {
      'group-id': (g) => g.groupId,
      'group-name': (g) => g.groupName,
      'vpc-id': (g) => g.vpcId,
      description: (g) => g.description,
    });
    return { SecurityGroups: groups.map((g) => groupView(g, ctx.caller.account)) };
  }),

  CreateSecurityGroupCommand: handler<
    EC2.CreateSecurityGroupCommandInput,
    EC2.CreateSecurityGroupCommandOutput
  >((ctx, input) => {
    const r = ctx.here;
    if (!input.VpcId || !r.vpcs.has(input.VpcId))
      ctx.fail('InvalidVpcID.NotFound', `The vpc ID '${input.VpcId}' does not exist`);
    if (!input.GroupName || !input.Description)
      ctx.fail('MissingParameter', 'GroupName and Description are required');
    if (
      [...r.securityGroups.values()].some((g) => g.vpcId === input.VpcId && g.groupName === input.GroupName)
    )
      ctx.fail(
        'InvalidGroup.Duplicate',
        `The security group '${input.GroupName}' already exists for VPC '${input.VpcId}'`,
      );
    const tags = listToTags(input.TagSpecifications?.flatMap((s) => s.Tags ?? []));
    const group: SecurityGroup = {
      groupId: ctx.world.id('sg'),
      groupName: input.GroupName!,
      description: input.Description!,
      vpcId: input.VpcId!,
      tags,
      ingress: [],
      // Like AWS: a new group allows all outbound traffic until that rule is revoked.
      egress: [{ ruleId: ctx.world.id('sgr'), protocol: '-1', cidr: '0.0.0.0/0' }],
    };
    r.securityGroups.set(group.groupId, group);
    return {
      GroupId: group.groupId,
      SecurityGroupArn: `arn:aws:ec2:${r.region}:${r.account}:security-group/${group.groupId}`,
      Tags: tagsToList(tags),
    };
  }),

  DeleteSecurityGroupCommand: handler<
    EC2.DeleteSecurityGroupCommandInput,
    EC2.DeleteSecurityGroupCommandOutput
  >((ctx, input) => {
    const group = requireGroup(ctx, input.GroupId);
    if ([...ctx.here.enis.values()].some((e) => e.groupIds.includes(group.groupId)))
      ctx.fail('DependencyViolation', `resource ${group.groupId} has a dependent object`);
    ctx.here.securityGroups.delete(group.groupId);
    return { Return: true, GroupId: group.groupId };
  }),

  AuthorizeSecurityGroupIngressCommand: handler<
    EC2.AuthorizeSecurityGroupIngressCommandInput,
    EC2.AuthorizeSecurityGroupIngressCommandOutput
  >((ctx, input) => authorize(ctx, input, false)),

  AuthorizeSecurityGroupEgressCommand: handler<
    EC2.AuthorizeSecurityGroupEgressCommandInput,
    EC2.AuthorizeSecurityGroupEgressCommandOutput
  >((ctx, input) => authorize(ctx, input, true)),

  RevokeSecurityGroupIngressCommand: handler<
    EC2.RevokeSecurityGroupIngressCommandInput,
    EC2.RevokeSecurityGroupIngressCommandOutput
  >((ctx, input) => revoke(ctx, input, false)),

  RevokeSecurityGroupEgressCommand: handler<
    EC2.RevokeSecurityGroupEgressCommandInput,
    EC2.RevokeSecurityGroupEgressCommandOutput
  >((ctx, input) => revoke(ctx, input, true)),

  DescribeAddressesCommand: handler<EC2.DescribeAddressesCommandInput, EC2.DescribeAddressesCommandOutput>(
    (ctx, input) => {
      const r = ctx.here;
      let found = byIds(ctx, r.addresses, input.AllocationIds, (id) => [
        'InvalidAllocationID.NotFound',
        `The allocation ID '${id}' does not exist`,
      ]);
      if (input.PublicIps?.length) {
        for (const ip of input.PublicIps)
          if (!found.some((a) => a.publicIp === ip))
            ctx.fail('InvalidAddress.NotFound', `Address '${ip}' not found.`);
        found = found.filter((a) => input.PublicIps!.includes(a.publicIp));
      }
      const addresses = applyFilters(ctx, found, input.Filters, {
        'instance-id': (a) => a.instanceId,
        'network-interface-id': (a) => a.eniId,
        'allocation-id': (a) => a.allocationId,
        'association-id': (a) => a.associationId,
        'public-ip': (a) => a.publicIp,
        domain: () => 'vpc',
      });
      return {
        Addresses: addresses.map((a) => ({
          AllocationId: a.allocationId,
          PublicIp: a.publicIp,
          AssociationId: a.associationId,
          InstanceId: a.instanceId,
          NetworkInterfaceId: a.eniId,
          NetworkInterfaceOwnerId: a.eniId ? r.account : undefined,
          PrivateIpAddress: a.privateIp,
          Domain: 'vpc',
          Tags: tagsToList(a.tags),
        })),
      };
    },
  ),

  AssociateAddressCommand: handler<EC2.AssociateAddressCommandInput, EC2.AssociateAddressCommandOutput>(
    (ctx, input) => {
      const r = ctx.here;
      const address = input.AllocationId
        ? r.addresses.get(input.AllocationId)
        : [...r.addresses.values()].find((a) => a.publicIp === input.PublicIp);
      if (!address)
        ctx.fail(
          'InvalidAllocationID.NotFound',
          `The allocation ID '${input.AllocationId ?? input.PublicIp}' does not exist`,
        );
      let eni: Eni | undefined;
      if (input.NetworkInterfaceId) eni = requireEni(ctx, input.NetworkInterfaceId);
      else if (input.InstanceId) {
        const instance = r.instances.get(input.InstanceId);
        if (!instance || instance.state === 'terminated')
          ctx.fail('InvalidInstanceID.NotFound', `The instance ID '${input.InstanceId}' does not exist`);
        if (instance!.eniIds.length > 1)
          ctx.fail(
            'InvalidInstanceID',
            `There are multiple interfaces attached to instance '${input.InstanceId}'. Please specify an interface ID for the operation instead.`,
          );
        eni = r.enis.get(instance!.eniIds[0] ?? '');
      }
      if (!eni)
        ctx.fail('MissingParameter', 'Either an instance ID or a network interface ID must be specified');
      if (address!.associationId && input.AllowReassociation === false)
        ctx.fail(
          'Resource.AlreadyAssociated',
          `resource ${address!.allocationId} is already associated with associate-id ${address!.associationId}`,
        );
      for (const other of r.addresses.values())
        if (other !== address && other.eniId === eni!.eniId)
          ctx.fail(
            'Resource.AlreadyAssociated',
            `The network interface '${eni!.eniId}' already has an Elastic IP`,
          );
      Object.assign(address!, {
        associationId: ctx.world.id('eipassoc'),
        eniId: eni!.eniId,
        instanceId: eni!.instanceId,
        privateIp: input.PrivateIpAddress ?? eni!.privateIp,
      });
      return { AssociationId: address!.associationId };
    },
  ),

  DisassociateAddressCommand: handler<
    EC2.DisassociateAddressCommandInput,
    EC2.DisassociateAddressCommandOutput
  >((ctx, input) => {
    const address = [...ctx.here.addresses.values()].find(
      (a) =>
        (input.AssociationId && a.associationId === input.AssociationId) ||
        (input.PublicIp && a.publicIp === input.PublicIp),
    );
    if (!address?.associationId)
      ctx.fail(
        'InvalidAssociationID.NotFound',
        `The association ID '${input.AssociationId ?? input.PublicIp}' does not exist`,
      );
    Object.assign(address!, {
      associationId: undefined,
      eniId: undefined,
      instanceId: undefined,
      privateIp: undefined,
    });
    return {};
  }),
};
