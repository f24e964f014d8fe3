import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { resetRoleCache } from '../../../bot/auth.js';
import { DENY_REASON_ACTION, DENY_REASON_BLOCK } from '../../../bot/blocks/reason-modals.js';
import { authSettings, commandSettings } from '../../../bot/core/settings.js';
import { getIncident } from '../../../bot/incidents/store.js';
import { intakeSettings } from '../../../bot/intake/settings.js';
import { handler as progress } from '../../../handlers/progress.js';
import { handler, resetSlackHandler } from '../../../handlers/slack.js';
import { loadEvent } from '../../support/events.js';
import { eventually, instanceState, openTestCase, SEEDED, useWorkflowWorld } from '../workflows/harness.js';
import { constituentEvent, deliverFinding, incidentOfCard, memberCases, sequenceEvent } from './support.js';

/**
 * The incident's approval invariants and its members' independence, on the real path (signed clicks,
 * the deny modal's submission, the real workflows), and how a sequence's constituents and Security Hub
 * copies meet its card. CARD_UPDATE_SECONDS=0: a repeat redraws its card at once.
 */
const world = useWorkflowWorld(
  { FOUR_EYES: 'true', CARD_UPDATE_SECONDS: '0' },
  { onStatusChange: (event) => progress(event) },
);

beforeAll(() => {
  authSettings.reset();
  commandSettings.reset();
  intakeSettings.reset();
  resetRoleCache();
  resetSlackHandler();
});

const alerts = () => world.slack.messages('C0ALERTS');
const cardOf = (id: string) =>
  alerts().find((m) => m.text.includes(id) || JSON.stringify(m.blocks).includes(id));

/** Posts a sequence over `instances`, alice-or-`who` clicks Contain all; the incident and its approval card. */
async function openIncident(instances: string[], who = 'alice') {
  const { event, id } = sequenceEvent(instances);
  await deliverFinding(event);
  const card = cardOf(id)!;
  await world.slack.click(handler, {
    user: who,
    channel: 'C0ALERTS',
    ts: card.ts,
    actionId: 'incident.contain_all',
  });
  const incident = await incidentOfCard(alerts().find((m) => m.ts === card.ts)!.blocks);
  return { incident, ts: card.ts };
}

async function approvalCardOf(incidentId: string) {
  let found: ReturnType<typeof world.slack.messages>[number] | undefined;
  await eventually(() => {
    found = world.slack.messages('C0COMMANDERS').find((m) => JSON.stringify(m.blocks).includes(incidentId));
    return !!found;
  }, 20_000);
  return found!;
}

describe('Function: an incident over many instances', () => {
  it('four-eyes holds for the incident: its requester cannot approve; a denial with a reason reaches every member as a denial, never as an approval, and its words stay literal', async () => {
    const instances = [SEEDED.instances.noEndpoints, SEEDED.instances.unmanaged];
    const before = instances.map((i) => instanceState(world, i).enis.map((e) => [...e.groupIds]));
    const { incident, ts } = await openIncident(instances, 'carol');
    const approval = await approvalCardOf(incident.id);

    // carol asked: she may not approve (four-eyes), and is told so privately
    await world.slack.click(handler, {
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    expect(world.slack.ephemerals('C0COMMANDERS', 'carol').at(-1)?.text).toMatch(/Four-eyes/);
    expect((await getIncident(incident.id))!.status).toBe('awaiting-approval');

    // dave denies through the modal, with markup and a broadcast in his reason
    await world.slack.click(handler, {
      user: 'dave',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.deny',
    });
    const view = world.slack.openViews('dave').at(-1)!;
    await world.slack.submitView(handler, {
      user: 'dave',
      viewId: view.id,
      values: { [DENY_REASON_BLOCK]: { [DENY_REASON_ACTION]: '*Approved* <!channel> false positive' } },
    });
    const cases = await memberCases(incident);
    await Promise.all(cases.map((c) => world.sfn.waitFor(c.executionArn!)));
    const decided = (await getIncident(incident.id))!;
    expect(decided.status).toBe('denied');
    expect(decided.decision).toMatchObject({ outcome: 'denied', by: { userId: 'U0DAVE' } });
    for (const c of await memberCases(incident)) {
      expect(c.status).toBe('denied');
      expect(c.decision?.outcome).toBe('denied');
      expect(c.containedAt).toBeUndefined();
    }
    // nothing was isolated
    expect(instances.map((i) => instanceState(world, i).enis.map((e) => e.groupIds))).toEqual(before);
    // the reason is shown as code, never as markup or a broadcast, on the approval card, incident card and thread
    const commanders = JSON.stringify(
      world.slack.messages('C0COMMANDERS').find((m) => m.ts === approval.ts)!.blocks,
    );
    expect(commanders).toContain('*Denied* by <@U0DAVE>');
    expect(commanders).not.toContain('*Approved* by');
    expect(commanders).toContain('`*Approved* &lt;!channel&gt; false positive`');
    const card = alerts().find((m) => m.ts === ts)!;
    expect(JSON.stringify(card.blocks)).not.toContain('<!channel>');
    expect(card.replies.some((r) => r.text.includes('Containment denied by <@U0DAVE>'))).toBe(true);
    expect(card.replies.map((r) => r.text).join('\n')).not.toContain('<!channel>');
  });

  it('a failure on one instance (AccessDenied in its account) shows on its line; the other instances are still approved and contained', async () => {
    const instances = [
      SEEDED.instances.euWest,
      SEEDED.instances.autoScaledPeer,
      SEEDED.instances.secondAccount,
    ];
    const { event, id } = sequenceEvent(instances);
    // The second account's instance is named with its own account
    const resource = event.detail.service.detection.sequence.resources.find(
      (r: any) => r.uid === SEEDED.instances.secondAccount,
    );
    resource.accountId = '444444444444';
    const eu = event.detail.service.detection.sequence.resources.find(
      (r: any) => r.uid === SEEDED.instances.euWest,
    );
    eu.region = 'eu-west-1';
    world.org.setFaults({ accessDenied: ['444444444444'] });
    try {
      await deliverFinding(event);
      const card = cardOf(id)!;
      await world.slack.click(handler, {
        user: 'alice',
        channel: 'C0ALERTS',
        ts: card.ts,
        actionId: 'incident.contain_all',
      });
      const incident = await incidentOfCard(alerts().find((m) => m.ts === card.ts)!.blocks);
      const failed = incident.members.find((m) => m.target.account === '444444444444')!;
      await eventually(
        async () => (await memberCases(incident)).find((c) => c.id === failed.caseId)?.status === 'failed',
        20_000,
      );
      const approval = await approvalCardOf(incident.id);
      await world.slack.click(handler, {
        user: 'carol',
        channel: 'C0COMMANDERS',
        ts: approval.ts,
        actionId: 'approval.approve',
      });
      const cases = await memberCases(incident);
      await Promise.all(cases.map((c) => world.sfn.waitFor(c.executionArn!)));
      const after = await memberCases(incident);
      const byId = new Map(after.map((c) => [c.target.instanceId, c]));
      expect(byId.get(SEEDED.instances.secondAccount)!.status).toBe('failed');
      expect(byId.get(SEEDED.instances.autoScaledPeer)!.status).toBe('evidence-secured');
      // contained; its evidence may be incomplete here (the test world has no eu-west-1 evidence key)
      expect(byId.get(SEEDED.instances.euWest)!.containedAt).toBeDefined();
      expect(byId.get(SEEDED.instances.euWest)!.target.region).toBe('eu-west-1');
      // its line says it failed and why; the others' say secured
      await eventually(
        () =>
          /evidence secured[\s\S]*(evidence secured|evidence incomplete)|(evidence incomplete)[\s\S]*evidence secured/.test(
            JSON.stringify(alerts().find((m) => m.ts === card.ts)!.blocks),
          ),
        20_000,
      );
      const lines = JSON.stringify(alerts().find((m) => m.ts === card.ts)!.blocks);
      const failedLine = lines.split('\\n').find((l) => l.includes(SEEDED.instances.secondAccount))!;
      expect(failedLine).toMatch(/:x: failed — .*(AccessDenied|access denied|not authorized)/i);
    } finally {
      world.org.setFaults({});
    }
  });

  it('a constituent that comes before its sequence keeps its own card; the sequence counts it; a Security Hub (ASFF) copy of the sequence folds into the sequence card', async () => {
    const { event, arn, id } = sequenceEvent([SEEDED.instances.demo]);
    const early = constituentEvent(arn, SEEDED.instances.demo);
    await deliverFinding(early);
    const own = cardOf(early.detail.id)!;
    expect(JSON.stringify(own.blocks)).toContain('case.contain');
    await deliverFinding(event);
    const seq = cardOf(id)!;
    expect(JSON.stringify(seq.blocks)).toMatch(
      /Constituent findings\*\\n0 \(1 carded before the sequence arrived\)/,
    );
    // a repeat of the early constituent updates its own card, and is not folded
    const repeat = structuredClone(early);
    Object.assign(repeat, { id: randomUUID() });
    repeat.detail.service.count = 5;
    const count = alerts().length;
    await deliverFinding(repeat);
    expect(alerts()).toHaveLength(count);
    await eventually(() => /Count\*\\n5/.test(JSON.stringify(cardOf(early.detail.id)!.blocks)));

    // Security Hub CSPM's copy of the sequence (ASFF: Id = the GuardDuty finding ARN)
    const asff = loadEvent(
      'securityhub',
      'securityhub-findings-imported-guardduty-ec2-sshbruteforce.composed',
    );
    const f = asff.detail.findings[0];
    Object.assign(asff, { id: randomUUID(), account: '333333333333', time: new Date().toISOString() });
    Object.assign(f, {
      Id: arn,
      ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty',
      GeneratorId: arn.replace(/\/finding\/\w+$/, ''),
      AwsAccountId: '333333333333',
      Types: ['TTPs/AttackSequence:EC2-CompromisedInstanceGroup'],
      Title: event.detail.title,
      Severity: { Label: 'CRITICAL', Normalized: 90 },
      UpdatedAt: new Date().toISOString(),
      LastObservedAt: new Date().toISOString(),
    });
    f.Resources[0].Id = `arn:aws:ec2:us-east-1:333333333333:instance/${SEEDED.instances.demo}`;
    await deliverFinding(asff);
    expect(alerts()).toHaveLength(count);
    await eventually(() => /Count\*\\n2/.test(JSON.stringify(cardOf(id)!.blocks)));
    const drawn = JSON.stringify(cardOf(id)!.blocks);
    expect(drawn).toContain('Contain all 1');
    expect(drawn).toContain('Extended Threat Detection');
  });

  it('a dismissed sequence card offers no Contain all, and a click drawn before the dismissal opens nothing', async () => {
    const { event, id } = sequenceEvent([SEEDED.instances.demo]);
    await deliverFinding(event);
    const card = cardOf(id)!;
    const stale = world.slack.clickRequest({
      user: 'alice',
      channel: 'C0ALERTS',
      ts: card.ts,
      actionId: 'incident.contain_all',
    });
    await world.slack.click(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      ts: card.ts,
      actionId: 'finding.dismiss',
    });
    const view = world.slack.openViews('alice').at(-1)!;
    await world.slack.submitView(handler, {
      user: 'alice',
      viewId: view.id,
      values: { 'dismiss.reason': { reason: 'lab' } },
    });
    await eventually(() => JSON.stringify(cardOf(id)!.blocks).includes('Dismissed by'));
    expect(JSON.stringify(cardOf(id)!.blocks)).not.toContain('incident.contain_all');
    await world.slack.deliver(handler, stale);
    expect(world.slack.ephemerals('C0ALERTS', 'alice').at(-1)?.text).toMatch(
      /dismissed by <@U0ALICE>; nothing was started/,
    );
    expect(JSON.stringify(cardOf(id)!.blocks)).not.toMatch(/INC-\d{8}/);
  });

  it("the new Security Hub's OCSF copy of a sequence folds into the sequence card (same fingerprint: finding_info.uid is the GuardDuty ARN)", async () => {
    const { event, arn, id } = sequenceEvent([SEEDED.instances.demo]);
    await deliverFinding(event);
    const count = alerts().length;
    const raw = loadEvent(
      'securityhub-v2',
      'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_and_cspm-control.cruxstack-slack-go',
    )[0];
    raw.cloud = { ...raw.cloud, region: 'us-east-1', account: { ...raw.cloud.account, uid: '333333333333' } };
    raw.metadata.product.uid = 'arn:aws:securityhub:us-east-1::productv2/aws/guardduty';
    raw.finding_info.uid = arn;
    raw.finding_info.uid_alt = id;
    raw.finding_info.types = ['Threats', 'AttackSequence:EC2/CompromisedInstanceGroup'];
    raw.finding_info.modified_time_dt = new Date().toISOString();
    raw.finding_info.last_seen_time_dt = new Date().toISOString();
    Object.assign(raw, { severity: 'Critical', severity_id: 5 });
    await deliverFinding({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Findings Imported V2',
      source: 'aws.securityhub',
      account: '333333333333',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [raw.metadata.uid],
      detail: { findings: [raw] },
    });
    expect(alerts()).toHaveLength(count);
    await eventually(() => /Count\*\\n2/.test(JSON.stringify(cardOf(id)!.blocks)));
    expect(JSON.stringify(cardOf(id)!.blocks)).toContain('Contain all 1');
  });

  it('an instance that already has an open case keeps it: listed on the incident card, outside the incident approval, its own approval card still its own', async () => {
    const own = await openTestCase(SEEDED.instances.autoScaled, ['contain']);
    const { incident, ts } = await openIncident([SEEDED.instances.autoScaled, SEEDED.instances.multiEni]);
    const existing = incident.members.find((m) => m.target.instanceId === SEEDED.instances.autoScaled)!;
    expect(existing).toMatchObject({ caseId: own.id, joined: 'existing' });
    expect((await memberCases(incident)).find((c) => c.id === own.id)?.incidentId).toBeUndefined();
    await eventually(() =>
      JSON.stringify(alerts().find((m) => m.ts === ts)!.blocks).includes(
        `${own.id} (its own case and thread)`,
      ),
    );
    const approval = await approvalCardOf(incident.id);
    expect(approval.text).toContain('contain 1 instance (');
    await world.slack.click(handler, {
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    const fresh = (await memberCases(incident)).find((c) => c.id !== own.id)!;
    await world.sfn.waitFor(fresh.executionArn!);
    expect((await memberCases(incident)).find((c) => c.id === fresh.id)?.decision?.outcome).toBe('approved');
    // the case that was open before is untouched by the incident's decision
    expect((await memberCases(incident)).find((c) => c.id === own.id)?.decision).toBeUndefined();
  });
});
