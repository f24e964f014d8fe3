import { ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { member } from '../aws/member.js';
import { describeInstance, INSTANCE_STATUS, tagInstance } from './instance.js';
import { count, defineStep, scopeOf, TargetInput } from './step.js';

/**
 * Preserves the instance as evidence: termination protection on, shutdown behaviour `stop` (a shutdown
 * from inside must not destroy the disks), `DeleteOnTermination` false on every EBS volume, and the tags
 * `SecurityIncidentStatus` and `ir-case-id`. Every change is idempotent; nothing here disrupts the
 * workload, so it runs before any approval.
 */
export const preserveInstance = defineStep({
  name: 'preserveInstance',
  label: 'Instance preserved',
  input: TargetInput,
  async run(input) {
    const clients = member(scopeOf(input));
    const instance = await describeInstance(clients, input.instanceId, input.account, input.region);
    const ec2 = clients.ec2();
    const volumes = (instance.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.VolumeId && m.DeviceName);
    await Promise.all([
      ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: input.instanceId,
          DisableApiTermination: { Value: true },
        }),
      ),
      ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: input.instanceId,
          InstanceInitiatedShutdownBehavior: { Value: 'stop' },
        }),
      ),
      volumes.length
        ? ec2.send(
            new ModifyInstanceAttributeCommand({
              InstanceId: input.instanceId,
              BlockDeviceMappings: volumes.map((m) => ({
                DeviceName: m.DeviceName,
                Ebs: { DeleteOnTermination: false },
              })),
            }),
          )
        : Promise.resolve(),
      tagInstance(clients, input.instanceId, INSTANCE_STATUS.preserved, input.caseId),
    ]);
    return { volumes: volumes.length };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `termination protection on, shutdown stops, ${count(out.volumes, 'volume')} kept on termination`,
  }),
});
