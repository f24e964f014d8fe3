import { DetachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DeregisterInstancesFromLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DeregisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { requireCase } from '../../bot/core/case-store.js';
import { type MemberClients, member } from '../aws/member.js';
import { NothingToRestoreError } from '../errors.js';
import { advanceCase, count, defineStep, scopeOf, TargetInput } from './step.js';

/**
 * Takes the instance out of service: detached from its Auto Scaling group without decrementing the
 * desired capacity (the group launches a replacement, and will not terminate the instance once it is
 * isolated and fails its health checks), deregistered from target groups and classic load balancers.
 * Works from the recorded configuration, so after approval it costs one round of parallel calls.
 */
export const detachInstance = defineStep({
  name: 'detachInstance',
  label: 'Detached from load balancing and Auto Scaling',
  input: TargetInput,
  async run(input) {
    await advanceCase(input.caseId, 'containing');
    const config = (await requireCase(input.caseId)).originalConfig;
    if (!config)
      throw new NothingToRestoreError(`${input.caseId} has no recorded configuration; record it first`);
    const clients = member(scopeOf(input));
    const id = input.instanceId;
    await Promise.all([
      config.autoScalingGroup ? detachFromGroup(clients, config.autoScalingGroup, id) : Promise.resolve(),
      ...config.targetGroups.map((tg) =>
        clients
          .elbv2()
          .send(
            new DeregisterTargetsCommand({ TargetGroupArn: tg.arn, Targets: [{ Id: id, Port: tg.port }] }),
          )
          .catch(ignore('TargetGroupNotFound', 'InvalidTarget')),
      ),
      ...config.classicLoadBalancers.map((name) =>
        clients
          .elb()
          .send(
            new DeregisterInstancesFromLoadBalancerCommand({
              LoadBalancerName: name,
              Instances: [{ InstanceId: id }],
            }),
          )
          .catch(ignore('LoadBalancerNotFound', 'InvalidInstance')),
      ),
    ]);
    return {
      autoScalingGroup: config.autoScalingGroup ?? null,
      targetGroups: config.targetGroups.length,
      classicLoadBalancers: config.classicLoadBalancers.length,
    };
  },
  report: (out) => {
    const parts = [
      out.autoScalingGroup ? `left Auto Scaling group ${out.autoScalingGroup}` : '',
      out.targetGroups ? `out of ${count(out.targetGroups, 'target group')}` : '',
      out.classicLoadBalancers ? `out of ${count(out.classicLoadBalancers, 'classic load balancer')}` : '',
    ].filter(Boolean);
    return parts.length
      ? { outcome: 'succeeded', detail: parts.join(', ') }
      : { outcome: 'skipped', detail: 'not behind a load balancer nor in an Auto Scaling group' };
  },
});

async function detachFromGroup(clients: MemberClients, group: string, instanceId: string) {
  await clients
    .autoScaling()
    .send(
      new DetachInstancesCommand({
        AutoScalingGroupName: group,
        InstanceIds: [instanceId],
        ShouldDecrementDesiredCapacity: false,
      }),
    )
    .catch((error: unknown) => {
      // Already detached (a retried step): the group no longer knows the instance.
      if (error instanceof Error && /not part of Auto Scaling group|is not part of/i.test(error.message))
        return;
      throw error;
    });
}

/** Swallows the errors that mean "already done" when a retried step repeats a call. */
export function ignore(...names: string[]) {
  return (error: unknown) => {
    if (error instanceof Error && names.includes(error.name)) return undefined;
    throw error;
  };
}
