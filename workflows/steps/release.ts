import { AttachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import {
  AssociateAddressCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DisassociateIamInstanceProfileCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { recordIsolation, requireCase } from '../../bot/core/case-store.js';
import { member } from '../aws/member.js';
import { NothingToRestoreError } from '../errors.js';
import { INSTANCE_STATUS, tagInstance } from './instance.js';
import type { OriginalConfig } from '../../bot/core/case-model.js';
import { useProfile } from './restrict-iam.js';
import { advanceCase, count, defineStep, scopeOf, TargetInput } from './step.js';

/**
 * Release: the recorded configuration comes back, in the reverse order of containment (network, then
 * permissions, then service, then the instance's own attributes). Evidence (memory images, snapshot
 * copies, manifest) is never touched. The inline deny on the original role's older sessions stays: it
 * only refuses credentials issued before containment, which may have been stolen.
 */
async function originalOf(caseId: string): Promise<OriginalConfig> {
  const config = (await requireCase(caseId)).originalConfig;
  if (!config) throw new NothingToRestoreError(`${caseId} has no recorded configuration to restore`);
  return config;
}

export const restoreNetwork = defineStep({
  name: 'restoreNetwork',
  label: 'Network restored',
  input: TargetInput,
  async run(input) {
    const config = await originalOf(input.caseId);
    const ec2 = member(scopeOf(input)).ec2();
    await Promise.all(
      config.networkInterfaces
        .filter((eni) => eni.groups.length)
        .map((eni) =>
          ec2.send(
            new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.id, Groups: eni.groups }),
          ),
        ),
    );
    await Promise.all(
      config.elasticIps
        .filter((a) => a.networkInterfaceId)
        .map((a) =>
          ec2.send(
            new AssociateAddressCommand({
              AllocationId: a.allocationId,
              NetworkInterfaceId: a.networkInterfaceId,
              PrivateIpAddress: a.privateIp,
              AllowReassociation: false,
            }),
          ),
        ),
    );
    const { isolation } = await requireCase(input.caseId);
    await recordIsolation(input.caseId, {
      groups: {},
      enis: {},
      elasticIpsDisassociated: [],
      ...isolation,
      status: 'released',
      updatedAt: new Date().toISOString(),
    });
    return { enis: config.networkInterfaces.length, elasticIps: config.elasticIps.length };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${count(out.enis, 'ENI')} back in their security groups, ${count(out.elasticIps, 'Elastic IP')} re-associated`,
  }),
});

export const restoreIam = defineStep({
  name: 'restoreIam',
  label: 'Instance profile restored',
  input: TargetInput,
  async run(input) {
    const config = await originalOf(input.caseId);
    const clients = member(scopeOf(input));
    if (config.instanceProfile) {
      await useProfile(clients, input.instanceId, config.instanceProfile.name);
      return { profile: config.instanceProfile.name };
    }
    const out = await clients.ec2().send(
      new DescribeIamInstanceProfileAssociationsCommand({
        Filters: [{ Name: 'instance-id', Values: [input.instanceId] }],
      }),
    );
    for (const a of out.IamInstanceProfileAssociations ?? [])
      if (a.AssociationId && a.State === 'associated')
        await clients
          .ec2()
          .send(new DisassociateIamInstanceProfileCommand({ AssociationId: a.AssociationId }));
    return { profile: null };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: out.profile ? `instance profile ${out.profile}` : 'no instance profile, as before',
  }),
});

export const reattachInstance = defineStep({
  name: 'reattachInstance',
  label: 'Back in service',
  input: TargetInput,
  async run(input) {
    const config = await originalOf(input.caseId);
    const clients = member(scopeOf(input));
    const id = input.instanceId;
    await Promise.all([
      config.autoScalingGroup
        ? clients.autoScaling().send(
            new AttachInstancesCommand({
              AutoScalingGroupName: config.autoScalingGroup,
              InstanceIds: [id],
            }),
          )
        : Promise.resolve(),
      ...config.targetGroups.map((tg) =>
        clients
          .elbv2()
          .send(new RegisterTargetsCommand({ TargetGroupArn: tg.arn, Targets: [{ Id: id, Port: tg.port }] })),
      ),
      ...config.classicLoadBalancers.map((name) =>
        clients.elb().send(
          new RegisterInstancesWithLoadBalancerCommand({
            LoadBalancerName: name,
            Instances: [{ InstanceId: id }],
          }),
        ),
      ),
    ]);
    return {
      autoScalingGroup: config.autoScalingGroup ?? null,
      loadBalancers: config.targetGroups.length + config.classicLoadBalancers.length,
    };
  },
  report: (out) =>
    out.autoScalingGroup || out.loadBalancers
      ? {
          outcome: 'succeeded',
          detail: `${out.autoScalingGroup ? `attached to ${out.autoScalingGroup} (its desired capacity grows by one), ` : ''}${count(out.loadBalancers, 'load balancer')}`,
        }
      : { outcome: 'skipped', detail: 'was in no Auto Scaling group nor behind a load balancer' },
});

export const finishRelease = defineStep({
  name: 'finishRelease',
  label: 'Released',
  input: TargetInput,
  async run(input) {
    const config = await originalOf(input.caseId);
    const clients = member(scopeOf(input));
    const ec2 = clients.ec2();
    const id = input.instanceId;
    await Promise.all([
      config.terminationProtection === undefined
        ? Promise.resolve()
        : ec2.send(
            new ModifyInstanceAttributeCommand({
              InstanceId: id,
              DisableApiTermination: { Value: config.terminationProtection },
            }),
          ),
      config.shutdownBehavior === undefined
        ? Promise.resolve()
        : ec2.send(
            new ModifyInstanceAttributeCommand({
              InstanceId: id,
              InstanceInitiatedShutdownBehavior: { Value: config.shutdownBehavior },
            }),
          ),
      config.volumes.length
        ? ec2.send(
            new ModifyInstanceAttributeCommand({
              InstanceId: id,
              BlockDeviceMappings: config.volumes.map((v) => ({
                DeviceName: v.device,
                Ebs: { DeleteOnTermination: v.deleteOnTermination },
              })),
            }),
          )
        : Promise.resolve(),
      tagInstance(clients, id, INSTANCE_STATUS.released, input.caseId),
    ]);
    await advanceCase(input.caseId, 'released');
    return { released: true };
  },
  report: () => ({ outcome: 'succeeded', detail: 'original configuration restored; evidence kept' }),
});
