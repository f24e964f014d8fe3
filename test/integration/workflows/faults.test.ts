import { afterEach, describe, expect, it } from 'vitest';
import { decideApproval } from '../../../bot/cases/approval.js';
import { requireCase } from '../../../bot/cases/store.js';
import { GROUP_NAMES } from '../../../workflows/steps/security-groups.js';
import {
  inputOf,
  instanceState,
  MEMBER,
  openTestCase,
  runCase,
  SEEDED,
  startCase,
  useWorkflowWorld,
} from './harness.js';

const world = useWorkflowWorld();
afterEach(() => world.org.setFaults({}));

const groupNames = (instanceId: string, account = MEMBER) => {
  const s = instanceState(world, instanceId, account);
  return s.enis.map((e) => e.groupIds.map((g) => s.groups(g)?.groupName));
};

describe('Workflow faults', () => {
  it('throttling on 30 % of AWS calls still ends with the instance contained and the evidence secured', async () => {
    const record = await openTestCase(SEEDED.instances.demo, ['contain']);
    world.org.setFaults({ throttle: 0.3 });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.org.calls.some((c) => /Throttl|RequestLimitExceeded|SlowDown/.test(c.outcome))).toBe(true);
    expect(groupNames(SEEDED.instances.demo).flat()).toEqual([GROUP_NAMES.isolation]);
    expect((await requireCase(record.id)).status).toBe('evidence-secured');
  });

  it('access denied in the member account fails with a message naming the account and the role, and changes nothing', async () => {
    const account = '444444444444';
    const record = await openTestCase(SEEDED.instances.secondAccount, ['contain'], { account });
    const before = groupNames(SEEDED.instances.secondAccount, account);
    world.org.setFaults({ accessDenied: [account] });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('FAILED');
    console.log(execution.cause, JSON.stringify(world.org.calls.slice(-5)));
    expect(execution.error).toBe('AccessDeniedInMemberAccountError');
    expect(execution.cause).toContain(account);
    expect(execution.cause).toContain('IRAutomation');
    world.org.setFaults({});
    expect(groupNames(SEEDED.instances.secondAccount, account)).toEqual(before);
    const after = await requireCase(record.id);
    expect(after.status).toBe('failed');
    expect(after.failure).toContain(account);
  });

  it('access denied half-way through isolation leaves a record of exactly which interfaces moved', async () => {
    const record = await openTestCase(SEEDED.instances.multiEni, ['contain']);
    world.org.setFaults({ accessDenied: [`${MEMBER}:ModifyNetworkInterfaceAttribute`] });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('FAILED');
    const after = await requireCase(record.id);
    const isolation = after.isolation as { status: string; enis: Record<string, string> };
    const { enis } = instanceState(world, SEEDED.instances.multiEni);
    expect(isolation.status).toBe('partial');
    expect(Object.keys(isolation.enis).sort()).toEqual(enis.map((e) => e.eniId).sort());
    for (const eni of enis) {
      const moved = isolation.enis[eni.eniId] !== 'unchanged';
      const original = (after.originalConfig as any).networkInterfaces.find(
        (n: any) => n.id === eni.eniId,
      ).groups;
      expect(moved || JSON.stringify(eni.groupIds) === JSON.stringify(original)).toBe(true);
    }
    expect(instanceState(world, SEEDED.instances.multiEni).instance.tags.SecurityIncidentStatus).toBe(
      'Failed',
    );
  });

  it('an instance terminated while the commander decides fails the case, naming the instance', async () => {
    const record = await openTestCase(SEEDED.instances.autoScaled, ['contain']);
    const arn = startCase(world, inputOf(record, 'required'));
    await world.sfn.waitForTask(arn);

    world.org.setFaults({ terminate: [SEEDED.instances.autoScaled] });
    await decideApproval({ caseId: record.id, actor: { userId: 'U0CAROL', name: 'carol' }, approve: true });
    const execution = await world.sfn.waitFor(arn);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InstanceNotFoundError');
    const after = await requireCase(record.id);
    expect(after.status).toBe('failed');
    expect(after.failure).toContain(SEEDED.instances.autoScaled);
  });

  it('with the SSM agent offline, memory fails, containment and disk complete, and the case says so', async () => {
    const record = await openTestCase(SEEDED.instances.noEndpoints, ['contain']);
    world.org.setFaults({ ssmOffline: [SEEDED.instances.noEndpoints] });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect((after.evidence as Record<string, string>).memory).toMatch(/^failed: SsmAgentOfflineError/);
    expect((after.evidence as Record<string, string>).disk).toBe('succeeded');
    expect(after.artifacts.filter((a) => a.kind === 'disk-snapshot').length).toBeGreaterThan(0);
    expect(groupNames(SEEDED.instances.noEndpoints).flat()).toEqual([GROUP_NAMES.isolation]);
    expect(instanceState(world, SEEDED.instances.noEndpoints).instance.tags.SecurityIncidentStatus).toBe(
      'Contained',
    );
    expect(after.steps.some((s) => s.outcome === 'failed' && /SsmAgentOffline/.test(s.detail ?? ''))).toBe(
      true,
    );
  });
});
