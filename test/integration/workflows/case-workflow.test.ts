import { describe, expect, it } from 'vitest';
import { decideApproval } from '../../../bot/cases/approval.js';
import { listAudit, openCaseOf, requireCase } from '../../../bot/core/case-store.js';
import { auditTrailSha256 } from '../../../workflows/steps/manifest.js';
import { GROUP_NAMES } from '../../../workflows/steps/security-groups.js';
import { forensicsSettings } from '../../../workflows/settings.js';
import {
  inputOf,
  instanceState,
  MEMBER,
  openTestCase,
  REGION,
  runCase,
  SEEDED,
  startCase,
  timeline,
  useWorkflowWorld,
} from './harness.js';

const world = useWorkflowWorld();
const carol = { userId: 'U0CAROL', name: 'carol' };

const profileOf = (instanceId: string, account = MEMBER, region = REGION) => {
  const { r } = instanceState(world, instanceId, account, region);
  return [...r.associations.values()].find((a) => a.instanceId === instanceId && a.state === 'associated')
    ?.profileArn;
};
const groupNames = (instanceId: string, account = MEMBER, region = REGION) => {
  const s = instanceState(world, instanceId, account, region);
  return s.enis.map((e) => e.groupIds.map((g) => s.groups(g)?.groupName));
};

describe('Workflow: case', () => {
  it('a Contain tag contains at once, captures memory through the endpoints, then closes them', async () => {
    const record = await openTestCase(SEEDED.instances.demo, ['contain']);

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.status).toBe('evidence-secured');
    expect(groupNames(SEEDED.instances.demo)).toEqual([[GROUP_NAMES.isolation]]);
    expect(profileOf(SEEDED.instances.demo)).toMatch(/ForensicsBot-DenyAll$/);
    expect(instanceState(world, SEEDED.instances.demo).instance.tags.SecurityIncidentStatus).toBe(
      'Contained',
    );
    expect(after.artifacts.map((a) => a.kind).sort()).toEqual([
      'disk-snapshot',
      'disk-snapshot',
      'memory',
      'triage',
    ]);
    expect(after.manifest?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The manifest says which order of volatility ran, and why.
    const bucket = world.org.world.buckets.get(world.org.settings.evidenceBucket)!;
    const manifest = JSON.parse(
      bucket.objects.get(`${record.id}/manifest.json`)!.at(-1)!.body.toString('utf8'),
    );
    expect(manifest.orderOfVolatility).toMatchObject({ order: 'isolate-first', memoryFirst: false });
    expect(manifest.orderOfVolatility.reason).toMatch(/isolation first/);
    const steps = timeline(after);
    expect(steps.indexOf('Network isolated')).toBeLessThan(steps.indexOf('Memory captured'));
    expect(steps.lastIndexOf('Network isolated')).toBeGreaterThan(steps.indexOf('Memory captured'));
  });

  it("a responder's Contain waits for the commander, who approves, and the instance is taken out of service", async () => {
    const record = await openTestCase(SEEDED.instances.autoScaled, ['contain']);
    const before = groupNames(SEEDED.instances.autoScaled);
    const arn = startCase(world, inputOf(record, 'required'));

    await world.sfn.waitForTask(arn);
    expect((await requireCase(record.id)).status).toBe('awaiting-approval');
    expect(groupNames(SEEDED.instances.autoScaled)).toEqual(before);
    expect(world.slack.messages('C0COMMANDERS').length).toBeGreaterThan(0);
    await decideApproval({ caseId: record.id, actor: carol, approve: true });
    const execution = await world.sfn.waitFor(arn);

    expect(execution.status).toBe('SUCCEEDED');
    const { r } = instanceState(world, SEEDED.instances.autoScaled);
    expect(
      r.autoScalingGroups.get(SEEDED.autoScalingGroup)!.instances.map((i) => i.instanceId),
    ).not.toContain(SEEDED.instances.autoScaled);
    expect(groupNames(SEEDED.instances.autoScaled).flat()).toEqual([GROUP_NAMES.isolation]);
    expect((await requireCase(record.id)).decision).toMatchObject({
      outcome: 'approved',
      by: { userId: 'U0CAROL' },
    });
  });

  it('the commander denies: nothing is isolated and the tag says so (second region)', async () => {
    const record = await openTestCase(SEEDED.instances.euWest, ['contain'], { region: 'eu-west-1' });
    const before = groupNames(SEEDED.instances.euWest, MEMBER, 'eu-west-1');
    const arn = startCase(world, inputOf(record, 'required'));

    await world.sfn.waitForTask(arn);
    await decideApproval({ caseId: record.id, actor: carol, approve: false, reason: 'production traffic' });
    const execution = await world.sfn.waitFor(arn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(groupNames(SEEDED.instances.euWest, MEMBER, 'eu-west-1')).toEqual(before);
    const { instance } = instanceState(world, SEEDED.instances.euWest, MEMBER, 'eu-west-1');
    expect(instance.tags.SecurityIncidentStatus).toBe('ContainmentDenied');
    const after = await requireCase(record.id);
    expect(after.status).toBe('denied');
    expect(after.outcome).toBe('not contained (the commander denied containment); no evidence was acquired');
  });

  it('Analyze acquires memory and disk first, then asks the commander, then contains (second account)', async () => {
    const record = await openTestCase(SEEDED.instances.secondAccount, ['analyze'], {
      account: '444444444444',
    });
    const arn = startCase(world, inputOf(record, 'not-required'));

    await world.sfn.waitForTask(arn);
    const waiting = await requireCase(record.id);
    expect(waiting.artifacts.some((a) => a.kind === 'memory')).toBe(true);
    expect(waiting.artifacts.some((a) => a.kind === 'disk-snapshot')).toBe(true);
    await decideApproval({ caseId: record.id, actor: carol, approve: true });
    const execution = await world.sfn.waitFor(arn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(groupNames(SEEDED.instances.secondAccount, '444444444444').flat()).toEqual([
      GROUP_NAMES.isolation,
    ]);
    expect(
      instanceState(world, SEEDED.instances.secondAccount, '444444444444').instance.tags
        .SecurityIncidentStatus,
    ).toBe('Contained');
  });

  it('in a VPC without SSM/S3 endpoints, memory is captured before the instance is isolated', async () => {
    const record = await openTestCase(SEEDED.instances.noEndpoints, ['contain']);

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    const steps = timeline(after);
    expect(steps.indexOf('Memory captured')).toBeGreaterThan(-1);
    expect(steps.indexOf('Memory captured')).toBeLessThan(steps.indexOf('Network isolated'));
    expect(groupNames(SEEDED.instances.noEndpoints).flat()).toEqual([GROUP_NAMES.isolation]);
  });

  it('started from the console without a case id, it opens and announces the case, secures evidence, then asks', async () => {
    const arn = startCase(world, {
      InstanceId: SEEDED.instances.multiEni,
      Account: MEMBER,
      Region: REGION,
      RetainArtefacts: true,
    });

    // The seed framework's console start is an analysis: evidence first, then the commander is asked.
    await world.sfn.waitForTask(arn);
    const record = await openCaseOf({
      account: MEMBER,
      region: REGION,
      instanceId: SEEDED.instances.multiEni,
    });
    expect(record?.trigger).toBe('console');
    expect(world.slack.messages('C0ALERTS').some((m) => JSON.stringify(m).includes(record!.id))).toBe(true);
    const { r } = instanceState(world, SEEDED.instances.multiEni);
    const kept = [...r.snapshots.values()].filter((s) => s.tags['ir-case-id'] === record!.id && !s.deleted);
    expect(kept.length).toBeGreaterThan(0);
    await decideApproval({ caseId: record!.id, actor: carol, approve: false });
    expect((await world.sfn.waitFor(arn)).status).toBe('SUCCEEDED');
    // the manifest, written last, holds the decision and the audit trail's hash as it stood then
    const bucket = world.org.world.buckets.get(world.org.settings.evidenceBucket)!;
    const manifest = JSON.parse(
      bucket.objects.get(`${record!.id}/manifest.json`)!.at(-1)!.body.toString('utf8'),
    );
    const trail = await listAudit(record!.id);
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['approval.request', 'approval.deny']));
    expect(manifest.auditTrail.events).toBeGreaterThan(1);
    expect(manifest.auditTrail.sha256).toBe(auditTrailSha256(trail.slice(0, manifest.auditTrail.events)));
    expect(manifest.decision).toMatchObject({ outcome: 'denied', by: { userId: carol.userId } });
    expect(manifest.approver).toBeNull();
  });

  it('Analyze under the notify-only policy secures evidence and leaves the network alone', async () => {
    process.env.ANALYZE_CONTAINMENT = 'notify-only';
    forensicsSettings.reset();
    try {
      const record = await openTestCase(SEEDED.instances.autoScaledPeer, ['analyze']);
      const before = groupNames(SEEDED.instances.autoScaledPeer);

      const execution = await runCase(world, inputOf(record, 'not-required'));

      expect(execution.status).toBe('SUCCEEDED');
      expect(groupNames(SEEDED.instances.autoScaledPeer)).toEqual(before);
      expect(instanceState(world, SEEDED.instances.autoScaledPeer).instance.tags.SecurityIncidentStatus).toBe(
        'Analyzed',
      );
      const after = await requireCase(record.id);
      expect(after.status).toBe('evidence-secured');
      expect(after.outcome).toBe(
        'not contained (a responder can request Contain); evidence secured: a memory image and 1 disk snapshot',
      );
    } finally {
      delete process.env.ANALYZE_CONTAINMENT;
      forensicsSettings.reset();
    }
  });
});

describe('Workflow: release', () => {
  it('restores the recorded network, profile and attributes, and leaves the evidence', async () => {
    const record = await requireCase(
      (await openCaseOf({ account: MEMBER, region: REGION, instanceId: SEEDED.instances.demo }))!.id,
    );
    const config = record.originalConfig as any;

    const execution = await world.sfn.waitFor(
      world.sfn.startExecution({
        stateMachineArn: world.sfn.stateMachineArn('release'),
        name: `${record.id}-release-1`,
        input: JSON.stringify({
          CaseId: record.id,
          InstanceId: SEEDED.instances.demo,
          Account: MEMBER,
          Region: REGION,
        }),
      }).executionArn,
    );

    expect(execution.status).toBe('SUCCEEDED');
    const s = instanceState(world, SEEDED.instances.demo);
    expect(s.enis.map((e) => e.groupIds)).toEqual(config.networkInterfaces.map((e: any) => e.groups));
    expect([...s.r.addresses.values()].filter((a) => a.instanceId === SEEDED.instances.demo)).toHaveLength(
      config.elasticIps.length,
    );
    expect(profileOf(SEEDED.instances.demo)).toBe(config.instanceProfile.arn);
    expect(s.instance.tags.SecurityIncidentStatus).toBe('Released');
    const after = await requireCase(record.id);
    expect(after.status).toBe('released');
    const bucket = world.org.world.buckets.get(world.org.settings.evidenceBucket)!;
    expect(bucket.objects.has(`${record.id}/manifest.json`)).toBe(true);
  });
});
