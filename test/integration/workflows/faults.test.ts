import { afterEach, describe, expect, it } from 'vitest';
import { decideApproval } from '../../../bot/cases/approval.js';
import type { CaseAction } from '../../../bot/core/case-model.js';
import { announceCase, closeCase } from '../../../bot/cases/service.js';
import { openCaseOf, requireCase } from '../../../bot/core/case-store.js';
import { handler as progress } from '../../../handlers/progress.js';
import { runStep } from '../../../workflows/run-step.js';
import { forensicsSettings } from '../../../workflows/settings.js';
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

// Status changes go to handlers/progress as EventBridge would deliver them: the thread's closing line.
const world = useWorkflowWorld({}, { onStatusChange: (event) => progress(event) });
afterEach(() => world.org.setFaults({}));

/** A case with its card and thread in the alerts channel, as the Slack side opens one. */
async function announcedCase(instanceId: string, actions: CaseAction[], target: { account?: string } = {}) {
  return announceCase(await openTestCase(instanceId, actions, target));
}

/** A new case on an instance whose earlier (failed) case a responder closes first. */
async function freshCase(instanceId: string) {
  const held = await openCaseOf({ account: MEMBER, region: 'us-east-1', instanceId });
  if (held) await closeCase(held.id, { userId: 'U0ALICE', name: 'alice' });
  return announcedCase(instanceId, ['contain']);
}

/** The case thread's replies, oldest first. */
const threadOf = (caseId: string) =>
  world.slack
    .messages('C0ALERTS')
    .find((m) => JSON.stringify(m.blocks ?? []).includes(caseId))!
    .replies.map((r) => r.text);

const groupNames = (instanceId: string, account = MEMBER) => {
  const s = instanceState(world, instanceId, account);
  return s.enis.map((e) => e.groupIds.map((g) => s.groups(g)?.groupName));
};

describe('Workflow faults', () => {
  it('throttling on 30 % of AWS calls still ends with the instance contained and the evidence secured', async () => {
    const record = await announcedCase(SEEDED.instances.demo, ['contain']);
    world.org.setFaults({ throttle: 0.3 });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.org.calls.some((c) => /Throttl|RequestLimitExceeded|SlowDown/.test(c.outcome))).toBe(true);
    expect(groupNames(SEEDED.instances.demo).flat()).toEqual([GROUP_NAMES.isolation]);
    expect((await requireCase(record.id)).status).toBe('evidence-secured');
    expect(threadOf(record.id).at(-1)).toMatch(
      /^:white_check_mark: Workflow finished: contained; evidence secured: a memory image and 2 disk snapshots\. Manifest SHA-256 `[0-9a-f]{64}`\.$/,
    );
  });

  it('access denied in the member account fails with a message naming the account and the role, and changes nothing', async () => {
    const account = '444444444444';
    const record = await announcedCase(SEEDED.instances.secondAccount, ['contain'], { account });
    const before = groupNames(SEEDED.instances.secondAccount, account);
    world.org.setFaults({ accessDenied: [account] });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('AccessDeniedInMemberAccountError');
    // One sentence naming the member account and its role, with AWS's reason once; not the bot's own
    // STS refusal wrapped inside it.
    expect(execution.cause).toMatch(
      new RegExp(
        `^Step “original configuration recorded” failed: Access denied in account ${account} for role IRAutomation: cannot assume the role \\(AWS: User: arn:aws:sts::111111111111:[^ ]+ is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${account}:role/IRAutomation\\); check its trust policy and ExternalId\\.`,
      ),
    );
    expect(execution.cause?.match(/Access denied/g)).toHaveLength(1);
    expect(execution.cause).not.toMatch(/the bot|account security/);
    world.org.setFaults({});
    expect(groupNames(SEEDED.instances.secondAccount, account)).toEqual(before);
    const after = await requireCase(record.id);
    expect(after.status).toBe('failed');
    expect(after.failure).toBe(execution.cause);
    expect(after.failure).toMatch(
      /Already done: case prepared\. Containment could not be completed after the failure, for the same reason\. The instance could not be tagged, for the same reason\.$/,
    );
    const closing = threadOf(record.id).at(-1)!;
    expect(closing).toMatch(
      /^:x: Workflow failed\. Step “original configuration recorded” failed: Access denied in account 444444444444/,
    );
    expect(closing).not.toMatch(/failed failed|case workflow failed/i);
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

  it('when isolation and the failure handler both fail, each ENI is back in its own groups and the line says so', async () => {
    const record = await freshCase(SEEDED.instances.multiEni);
    const original = instanceState(world, SEEDED.instances.multiEni).enis.map((e) => [...e.groupIds]);
    world.org.setFaults({
      fail: [
        // calls 4-12: the nine tries into isolation; 13-15 (the way back) pass; from 16 on everything fails
        { operation: 'ModifyNetworkInterfaceAttribute', error: 'UnauthorizedOperation', after: 3, times: 9 },
        { operation: 'ModifyNetworkInterfaceAttribute', error: 'UnauthorizedOperation', after: 15 },
      ],
    });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('FAILED');
    const after = instanceState(world, SEEDED.instances.multiEni).enis.map((e) => [...e.groupIds]);
    expect(groupNames(SEEDED.instances.multiEni).flat()).not.toContain(GROUP_NAMES['allow-all']);
    expect(after).toEqual(original);
    const closing = threadOf(record.id).at(-1)!;
    expect(closing).toMatch(/Network: (eni-\S+ unchanged, in its own security groups(; |\.)){3}/);
    expect(instanceState(world, SEEDED.instances.multiEni).instance.tags.SecurityIncidentStatus).toBe(
      'Failed',
    );
  });

  it('a move into isolation that keeps failing never leaves an ENI in the allow-all group', async () => {
    const record = await freshCase(SEEDED.instances.multiEni);
    const original = instanceState(world, SEEDED.instances.multiEni).enis.map((e) => [...e.groupIds]);
    // All three ENIs reach allow-all (calls 1-3); the next nine moves (three tries each) are refused.
    world.org.setFaults({
      fail: [
        { operation: 'ModifyNetworkInterfaceAttribute', error: 'UnauthorizedOperation', after: 2, times: 6 },
      ],
    });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('FAILED');
    const names = groupNames(SEEDED.instances.multiEni);
    expect(names.flat()).not.toContain(GROUP_NAMES['allow-all']);
    // the failure handler completed the isolation once the refusals stopped
    for (const eni of names) expect(eni).toEqual([GROUP_NAMES.isolation]);
    const closing = threadOf(record.id).at(-1)!;
    expect(closing).toMatch(/Network: eni-\S+ isolated; eni-\S+ isolated; eni-\S+ isolated\./);
    expect(original).toHaveLength(3);
  });

  it('closing a case that waits for approval stops its workflow, disarms the approval card, and nothing acts after', async () => {
    const record = await announceCase(
      await openTestCase(SEEDED.instances.euWest, ['contain'], { region: 'eu-west-1' }),
    );
    const arn = startCase(world, inputOf(record, 'required'));
    await world.sfn.waitForTask(arn);
    const tagsBefore = {
      ...instanceState(world, SEEDED.instances.euWest, MEMBER, 'eu-west-1').instance.tags,
    };
    const approvalTs = (await requireCase(record.id)).slack.approvalTs!;

    await closeCase(record.id, { userId: 'U0CAROL', name: 'carol' });
    const execution = await world.sfn.waitFor(arn);

    expect(execution.status).toBe('ABORTED');
    const card = world.slack.messages('C0COMMANDERS').find((m) => m.ts === approvalTs)!;
    expect(JSON.stringify(card.blocks)).toContain('Case closed');
    expect(JSON.stringify(card.blocks)).not.toMatch(/approval\.(approve|deny)/);
    // a late Approve changes nothing
    await expect(
      decideApproval({ caseId: record.id, actor: { userId: 'U0CAROL', name: 'carol' }, approve: true }),
    ).rejects.toThrow(/does not wait for approval/);
    expect((await requireCase(record.id)).status).toBe('closed');
    const thread = threadOf(record.id);
    expect(thread.at(-1)).toContain('closed by');
    expect(instanceState(world, SEEDED.instances.euWest, MEMBER, 'eu-west-1').instance.tags).toEqual(
      tagsBefore,
    );
  });

  it('a step of a closed case refuses before any AWS call (an execution that raced the stop)', async () => {
    const record = await openTestCase(SEEDED.instances.unmanaged, ['contain']);
    await closeCase(record.id, { userId: 'U0CAROL', name: 'carol' });
    const calls = world.org.calls.length;
    await expect(
      runStep({
        step: 'isolateNetwork',
        caseId: record.id,
        instanceId: SEEDED.instances.unmanaged,
        account: MEMBER,
        region: 'us-east-1',
      }),
    ).rejects.toMatchObject({ name: 'CaseClosedError' });
    expect(world.org.calls.length).toBe(calls);
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

  it('with the SSM agent offline, memory fails, containment and disk complete, and the case says evidence is incomplete', async () => {
    const record = await announcedCase(SEEDED.instances.noEndpoints, ['contain']);
    world.org.setFaults({ ssmOffline: [SEEDED.instances.noEndpoints] });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.status).toBe('evidence-incomplete');
    expect(after.failure).toMatch(/^memory not acquired: The SSM agent of i-\w+ is ConnectionLost/);
    expect(after.outcome).toMatch(
      /^contained; evidence incomplete: 1 disk snapshot secured; memory not acquired: /,
    );
    expect(threadOf(record.id).at(-1)).toMatch(
      /^:warning: Workflow finished: contained; evidence incomplete: 1 disk snapshot secured; memory not acquired: .* Manifest SHA-256 `[0-9a-f]{64}`\.$/,
    );
    expect(threadOf(record.id).join('\n')).not.toMatch(/finished: evidence secured|finished\* failed/i);
    expect((after.evidence as Record<string, string>).memory).toMatch(/^failed: SsmAgentOfflineError/);
    expect((after.evidence as Record<string, string>).disk).toBe('succeeded');
    expect(after.artifacts.filter((a) => a.kind === 'disk-snapshot').length).toBeGreaterThan(0);
    expect(groupNames(SEEDED.instances.noEndpoints).flat()).toEqual([GROUP_NAMES.isolation]);
    expect(instanceState(world, SEEDED.instances.noEndpoints).instance.tags.SecurityIncidentStatus).toBe(
      'Contained',
    );
    expect(
      after.steps.some(
        (s) => s.outcome === 'failed' && /SSM agent of i-\w+ is ConnectionLost/.test(s.detail ?? ''),
      ),
    ).toBe(true);
  });

  it('with the snapshots failing, memory is secured and the case says the disk evidence is missing', async () => {
    const instanceId = SEEDED.instances.autoScaledPeer;
    const record = await announcedCase(instanceId, ['contain']);
    world.org.setFaults({ snapshotError: [instanceId] });

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.status).toBe('evidence-incomplete');
    expect(after.artifacts.map((a) => a.kind)).toEqual(['memory', 'triage']);
    expect(after.failure).toMatch(/^disk not acquired: Snapshot snap-\w+ of i-\w+ failed/);
    expect(threadOf(record.id).at(-1)).toMatch(
      /^:warning: Workflow finished: contained; evidence incomplete: a memory image secured; disk not acquired: /,
    );
  });

  it('an analysis (notify-only) that secures no evidence at all ends failed, saying why for each', async () => {
    const instanceId = SEEDED.instances.unmanaged;
    process.env.ANALYZE_CONTAINMENT = 'notify-only';
    forensicsSettings.reset();
    try {
      const record = await announcedCase(instanceId, ['analyze']);
      world.org.setFaults({ snapshotError: [instanceId] });

      const execution = await runCase(world, {
        ...inputOf(record, 'not-required'),
        Actions: { contain: false, acquireMemory: true, acquireDisk: true },
      });

      expect(execution.status).toBe('SUCCEEDED');
      const after = await requireCase(record.id);
      expect(after.status).toBe('failed');
      expect(after.artifacts).toEqual([]);
      expect(after.outcome).toMatch(
        /^not contained \(a responder can request Contain\); no evidence secured; memory not acquired: .*; disk not acquired: /,
      );
      expect(threadOf(record.id).at(-1)).toMatch(/^:x: Workflow finished: not contained/);
    } finally {
      delete process.env.ANALYZE_CONTAINMENT;
      forensicsSettings.reset();
    }
  });
});

describe('Workflow faults: throttling that outlasts every retry', () => {
  it('names the step it stopped in, in plain words, and what was already done', async () => {
    const record = await freshCase(SEEDED.instances.multiEni);
    // termination protection (the instance-preserving step) is throttled on every call
    world.org.setFaults({
      fail: [{ operation: 'ModifyInstanceAttribute', error: 'RequestLimitExceeded', after: 0 }],
    });

    await runCase(world, inputOf(record, 'not-required'));

    const closing = threadOf(record.id).at(-1)!;
    expect(closing).toMatch(
      /Step “instance preserved” failed: AWS kept throttling it \(RequestLimitExceeded\) through every retry: /,
    );
    expect(closing).toMatch(/Already done: case prepared, original configuration recorded\./);
    expect(closing).not.toMatch(/^:x: Workflow failed\. The workflow failed/);
  });
});
