import {
  AuthorizeSecurityGroupEgressCommand,
  CreateSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  DisassociateAddressCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  CreateTagsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SEEDED, SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { memberClients, rejection } from './support.js';

type Clients = Awaited<ReturnType<typeof memberClients>>;

async function instance(c: Clients, id: string) {
  const out = await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations![0]!.Instances![0]!;
}

async function createGroup(c: Clients, vpcId: string, name: string, egressHttpsTo?: { groupId?: string }) {
  const { GroupId } = await c.ec2.send(
    new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId }),
  );
  if (name.startsWith('allow-all')) {
    await c.ec2
      .send(
        new AuthorizeSecurityGroupEgressCommand({
          GroupId,
          IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      )
      .catch(() => undefined);
    const { AuthorizeSecurityGroupIngressCommand } = await import('@aws-sdk/client-ec2');
    await c.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    return GroupId!;
  }
  await c.ec2.send(
    new RevokeSecurityGroupEgressCommand({
      GroupId,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  if (egressHttpsTo?.groupId)
    await c.ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            UserIdGroupPairs: [{ GroupId: egressHttpsTo.groupId }],
          },
        ],
      }),
    );
  return GroupId!;
}

function eniState(org: SimulatedOrganization, instanceId: string) {
  const region = org
    .state()
    .accounts.find((a) => a.id === '333333333333')!
    .regions.find((r) => r.region === 'us-east-1')!;
  return region.instances.find((i) => i.instanceId === instanceId)!;
}

describe('Function: network containment in the simulated organization', () => {
  const org = new SimulatedOrganization().seedDefault().install();
  afterAll(() => org.uninstall());
  beforeEach(() => org.setFaults({}));

  it('describes the instance with several ENIs, their groups and the Elastic IP on the second one', async () => {
    const c = await memberClients();
    const i = await instance(c, SEEDED.instances.multiEni);
    expect(i.NetworkInterfaces).toHaveLength(3);
    expect(i.NetworkInterfaces![1]!.Groups).toHaveLength(2);
    expect(i.NetworkInterfaces![1]!.Association?.PublicIp).toBe('3.91.20.16');
    expect(i.IamInstanceProfile?.Arn).toBe('arn:aws:iam::333333333333:instance-profile/app-profile');
  });

  it('gives a new security group the allow-all egress rule AWS adds', async () => {
    const c = await memberClients();
    const vpcId = (await instance(c, SEEDED.instances.demo)).VpcId!;
    const { GroupId } = await c.ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'fresh', Description: 'x', VpcId: vpcId }),
    );
    const { SecurityGroups } = await c.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] }));
    expect(SecurityGroups![0]!.IpPermissionsEgress).toEqual([
      expect.objectContaining({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }),
    ]);
    const duplicate = await rejection(
      c.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'fresh', Description: 'x', VpcId: vpcId })),
    );
    expect(duplicate.name).toBe('InvalidGroup.Duplicate');
  });

  it('keeps tracked connections alive when an ENI moves straight to a restrictive group', async () => {
    const c = await memberClients();
    const i = await instance(c, SEEDED.instances.autoScaledPeer);
    const isolation = await createGroup(c, i.VpcId!, 'isolation-direct');

    await c.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: i.NetworkInterfaces![0]!.NetworkInterfaceId,
        Groups: [isolation],
      }),
    );

    const eni = eniState(org, SEEDED.instances.autoScaledPeer).enis[0]!;
    expect(eni.groups.map((g) => g.groupId)).toEqual([isolation]);
    expect(eni.connections).toEqual({ alive: true, tracked: true });
  });

  it('cuts the connections when the ENI moves first to an allow-all group, then to the isolation group', async () => {
    const c = await memberClients();
    const i = await instance(c, SEEDED.instances.demo);
    const eniId = i.NetworkInterfaces![0]!.NetworkInterfaceId;
    const allowAll = await createGroup(c, i.VpcId!, 'allow-all-two-moves');
    const isolation = await createGroup(c, i.VpcId!, 'isolation-two-moves');

    await c.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [allowAll] }),
    );
    expect(eniState(org, SEEDED.instances.demo).enis[0]!.connections).toEqual({
      alive: true,
      tracked: false,
    });
    await c.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [isolation] }),
    );

    expect(eniState(org, SEEDED.instances.demo).enis[0]!.connections).toEqual({
      alive: false,
      tracked: false,
    });
  });

  it('takes the SSM agent offline behind an isolation group with no egress, and keeps it online with HTTPS to the endpoints', async () => {
    const c = await memberClients();
    const i = await instance(c, SEEDED.instances.multiEni);
    const eniId = i.NetworkInterfaces![0]!.NetworkInterfaceId;
    const { VpcEndpoints } = await c.ec2.send(
      new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [i.VpcId!] }] }),
    );
    const endpointGroup = VpcEndpoints!.find((e) => e.VpcEndpointType === 'Interface')!.Groups![0]!.GroupId!;
    const closed = await createGroup(c, i.VpcId!, 'isolation-closed');
    const https = await createGroup(c, i.VpcId!, 'isolation-https', { groupId: endpointGroup });
    const ping = async () =>
      (
        await c.ssm.send(
          new DescribeInstanceInformationCommand({
            Filters: [{ Key: 'InstanceIds', Values: [SEEDED.instances.multiEni] }],
          }),
        )
      ).InstanceInformationList![0]!.PingStatus;

    await c.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [closed] }),
    );
    const whenClosed = await ping();
    await c.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [https] }),
    );
    const withHttps = await ping();

    expect(whenClosed).toBe('ConnectionLost');
    expect(withHttps).toBe('Online');
    expect(eniState(org, SEEDED.instances.multiEni).ssm).toEqual({ online: true, reachesS3: true });
  });

  it('refuses a security group from another VPC', async () => {
    const c = await memberClients();
    const legacy = await instance(c, SEEDED.instances.noEndpoints);
    const demo = await instance(c, SEEDED.instances.demo);
    const error = await rejection(
      c.ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({
          NetworkInterfaceId: legacy.NetworkInterfaces![0]!.NetworkInterfaceId,
          Groups: [demo.SecurityGroups![0]!.GroupId!],
        }),
      ),
    );
    expect(error.name).toBe('InvalidGroup.NotFound');
  });

  it('disassociates an Elastic IP, which keeps its allocation', async () => {
    const c = await memberClients();
    const { Addresses } = await c.ec2.send(
      new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [SEEDED.instances.demo] }] }),
    );
    await c.ec2.send(new DisassociateAddressCommand({ AssociationId: Addresses![0]!.AssociationId }));
    const after = await c.ec2.send(
      new DescribeAddressesCommand({ AllocationIds: [Addresses![0]!.AllocationId!] }),
    );
    expect(after.Addresses![0]!.InstanceId).toBeUndefined();
    expect((await instance(c, SEEDED.instances.demo)).PublicIpAddress).toBeUndefined();
  });

  it('preserves the instance: termination protection, shutdown stop, volumes kept on termination, tags', async () => {
    const c = await memberClients();
    const id = SEEDED.instances.noEndpoints;
    await c.ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: true } }),
    );
    await c.ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: id,
        InstanceInitiatedShutdownBehavior: { Value: 'stop' },
      }),
    );
    await c.ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: id,
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: false } }],
      }),
    );
    await c.ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [{ Key: 'SecurityIncidentStatus', Value: 'Contained' }],
      }),
    );

    const i = eniState(org, id);
    expect(i.disableApiTermination).toBe(true);
    expect(i.blockDevices[0]!.deleteOnTermination).toBe(false);
    expect(i.tags.SecurityIncidentStatus).toBe('Contained');
    const read = (Attribute: 'disableApiTermination' | 'instanceInitiatedShutdownBehavior') =>
      c.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute }));
    expect((await read('disableApiTermination')).DisableApiTermination?.Value).toBe(true);
    expect((await read('instanceInitiatedShutdownBehavior')).InstanceInitiatedShutdownBehavior?.Value).toBe(
      'stop',
    );
  });
});
