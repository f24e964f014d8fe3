import {
  DescribeInstancesCommand,
  DescribeVpcsCommand,
  ModifyInstanceAttributeCommand,
  CreateFleetCommand,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SEEDED, SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { clients, memberClients, rejection } from './support.js';

describe('Function: fault injection and simulated time', () => {
  const org = new SimulatedOrganization({ randomSeed: 42 }).seedDefault().install();
  afterAll(() => org.uninstall());
  beforeEach(() => {
    org.setFaults({});
    org.resetCalls();
  });

  it('throttles about the configured share of calls, and SDK retries absorb most of them', async () => {
    const c = await memberClients();
    org.resetCalls();
    org.setFaults({ throttle: 0.3 });
    let failed = 0;
    for (let i = 0; i < 200; i += 1)
      await c.ec2.send(new DescribeVpcsCommand({})).catch(() => {
        failed += 1;
      });

    const throttled = org.calls.filter((call) => call.outcome === 'RequestLimitExceeded').length;
    const share = throttled / org.calls.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.38);
    // Three attempts: about 0.3^3 = 2.7 % of calls still fail.
    expect(failed).toBeLessThan(20);
    expect(org.clock.simulatedMs).toBeGreaterThan(0);
  });

  it('throttles the same calls on every run with the same seed', async () => {
    const run = async () => {
      const other = new SimulatedOrganization({ randomSeed: 7 }).seedDefault();
      other.setFaults({ throttle: 0.5 });
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i += 1)
        outcomes.push(
          await other.handle('STSClient', 'GetCallerIdentityCommand', {}, undefined, 'us-east-1').then(
            () => 'ok',
            (e: Error) => e.name,
          ),
        );
      return outcomes;
    };
    expect(await run()).toEqual(await run());
  });

  it('throws throttling errors shaped like the SDK’s', async () => {
    org.setFaults({ throttle: 1 });
    const error = await rejection(clients().sts.send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe('Throttling');
    expect(error.$metadata?.attempts).toBe(3);
  });

  it('terminates an instance: described as terminated, gone for changes', async () => {
    const c = await memberClients();
    org.setFaults({ terminate: [SEEDED.instances.autoScaledPeer] });

    const out = await c.ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [SEEDED.instances.autoScaledPeer] }),
    );
    const change = await rejection(
      c.ec2.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: SEEDED.instances.autoScaledPeer,
          DisableApiTermination: { Value: true },
        }),
      ),
    );

    expect(out.Reservations![0]!.Instances![0]!.State?.Name).toBe('terminated');
    expect(change.name).toBe('InvalidInstanceID.NotFound');
    const asg = org.state().accounts.find((a) => a.id === '333333333333')!.regions[0]!.autoScalingGroups[0]!;
    expect(asg.instances.map((i) => i.instanceId)).not.toContain(SEEDED.instances.autoScaledPeer);
  });

  it('fails loudly for a command it does not simulate', async () => {
    const error = await rejection(
      clients().ec2.send(
        new CreateFleetCommand({
          LaunchTemplateConfigs: [],
          TargetCapacitySpecification: { TotalTargetCapacity: 1 },
        }),
      ),
    );
    expect(error.message).toBe('EC2Client.CreateFleetCommand is not simulated');
  });

  it('counts latency in simulated time: serial calls add up, concurrent calls overlap', async () => {
    const c = await memberClients();
    org.setFaults({ latencyMs: 100 });
    org.resetCalls();
    const start = org.clock.simulatedMs;

    await c.ec2.send(new DescribeVpcsCommand({}));
    await c.ec2.send(new DescribeVpcsCommand({}));
    const serial = org.clock.simulatedMs - start;
    await Promise.all([1, 2, 3, 4].map(() => c.ec2.send(new DescribeVpcsCommand({}))));
    const parallel = org.clock.simulatedMs - start - serial;

    expect(serial).toBe(200);
    expect(parallel).toBe(100);
    expect(org.serialCalls).toBe(3);
    expect(org.calls).toHaveLength(6);
  });
});
