import { beforeAll, describe, expect, it } from 'vitest';
import { resetRoleCache } from '../../../bot/auth.js';
import { listAudit } from '../../../bot/core/case-store.js';
import { authSettings, commandSettings } from '../../../bot/core/settings.js';
import { getIncident, listIncidents } from '../../../bot/incidents/store.js';
import { handler as progress } from '../../../handlers/progress.js';
import { handler, resetSlackHandler } from '../../../handlers/slack.js';
import { eventually, SEEDED, useWorkflowWorld } from '../workflows/harness.js';
import {
  constituentEvent,
  deliverFinding,
  incidentOfCard,
  memberCases,
  listOpenCases,
  SEQUENCE_INSTANCES,
  sequenceEvent,
} from './support.js';

/**
 * An attack sequence is one incident (issue 13, item 2), on the real path: the composed GuardDuty
 * `AttackSequence:EC2/CompromisedInstanceGroup` event through handlers/findings.ts, signed Slack clicks
 * through handlers/slack.ts (Bolt), the real case workflow per instance in the local Step Functions with
 * handlers/steps.ts against the simulated organization, status changes through handlers/progress.ts.
 */
const world = useWorkflowWorld({ FOUR_EYES: 'true' }, { onStatusChange: (event) => progress(event) });

beforeAll(() => {
  authSettings.reset();
  commandSettings.reset();
  resetRoleCache();
  resetSlackHandler();
});

const alerts = () => world.slack.messages('C0ALERTS');
const commanders = () => world.slack.messages('C0COMMANDERS');

describe('Function: attack sequence -> one card -> one incident with one approval', () => {
  it('the sequence is one card listing its instances, role and key; a constituent folds into it; Contain all opens one incident; one approval contains every instance, each a case with its own workflow and evidence, shown as one card and one thread', async () => {
    const { slack, sfn } = world;
    // Prepare: the sequence arrives, then one of its constituent findings
    const { event, arn } = sequenceEvent();
    await deliverFinding(event);
    expect(alerts()).toHaveLength(1);
    const card = alerts()[0]!;
    const drawn = JSON.stringify(card.blocks);
    for (const instanceId of SEQUENCE_INSTANCES) expect(drawn).toContain(instanceId);
    expect(drawn).toContain('Roles (1)');
    expect(drawn).toContain('arn:aws:iam::333333333333:role/web-role');
    expect(drawn).toContain('Access keys (1)');
    expect(drawn).toContain('ASIAEXAMPLESTOLENKEY');
    expect(drawn).toContain('Contain all 3');
    // the fixture's "C&C" and "ATT&CK" are escaped in blocks and fallback
    expect(drawn).toContain('ATT&amp;CK');
    expect(drawn).not.toMatch(/ATT&CK/);

    await deliverFinding(constituentEvent(arn, SEQUENCE_INSTANCES[2]!));
    // Assess: no card of its own; counted on the sequence's
    expect(alerts()).toHaveLength(1);
    await eventually(() => /Constituent findings\*\\n1/.test(JSON.stringify(alerts()[0]!.blocks)));

    // Act: mallory (no role) tries Contain all; refused. alice clicks it twice.
    await slack.click(handler, {
      user: 'mallory',
      channel: 'C0ALERTS',
      ts: card.ts,
      actionId: 'incident.contain_all',
    });
    expect(slack.ephemerals('C0ALERTS', 'mallory').at(-1)?.text).toMatch(/Only/);
    // A double click: both requests are built from the card as it was, then delivered at once.
    const click = { user: 'alice', channel: 'C0ALERTS', ts: card.ts, actionId: 'incident.contain_all' };
    const twice = [slack.clickRequest(click), slack.clickRequest(click)];
    const answers = await Promise.all(twice.map((r) => slack.deliver(handler, r)));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const incident = await incidentOfCard(alerts()[0]!.blocks);
    expect(incident.id).toMatch(/^INC-\d{8}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(incident.members.map((m) => m.target.instanceId)).toEqual(SEQUENCE_INSTANCES);
    expect((await listIncidents()).map((i) => i.id)).toEqual([incident.id]);
    expect(slack.ephemerals('C0ALERTS', 'alice').at(-1)?.text).toMatch(
      /already (open|being opened) for this attack sequence; nothing was started again/,
    );
    expect((await listOpenCases(50)).filter((c) => c.incidentId)).toHaveLength(3);

    // Assess: one case per instance, each its own workflow, all waiting at their gate; ONE approval card
    const cases = await memberCases(incident);
    expect(new Set(cases.map((c) => c.id)).size).toBe(3);
    for (const c of cases) expect(c.incidentId).toBe(incident.id);
    for (const c of cases) await sfn.waitForTask(c.executionArn!);
    await eventually(async () =>
      (await memberCases(incident)).every((c) => c.status === 'awaiting-approval'),
    );
    await eventually(() => commanders().length === 1);
    const approval = commanders()[0]!;
    expect(JSON.stringify(approval.blocks)).toContain(incident.id);
    expect(approval.text).toContain('contain 3 instances');

    // Act: alice (the requester, not a commander) and mallory are refused; carol approves; dave is late
    await slack.click(handler, {
      user: 'alice',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    await slack.click(handler, {
      user: 'mallory',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    expect((await getIncident(incident.id))!.status).toBe('awaiting-approval');
    // dave's click left his screen before carol's landed (built from the card as it was)
    const late = slack.clickRequest({
      user: 'dave',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    await slack.click(handler, {
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    await slack.deliver(handler, late);
    expect(slack.ephemerals('C0COMMANDERS', 'dave').at(-1)?.text).toMatch(/already approved by <@U0CAROL>/);

    // Assess: every workflow ran to the end; each case holds carol's one decision, its evidence, its manifest
    const ends = await Promise.all(cases.map((c) => sfn.waitFor(c.executionArn!)));
    expect(ends.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const after = await memberCases(incident);
    const decided = (await getIncident(incident.id))!;
    for (const c of after) {
      expect(c.status).toBe('evidence-secured');
      expect(c.decision).toEqual(decided.decision);
      expect(c.manifest?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(
        world.org.world.region('333333333333', 'us-east-1').instances.get(c.target.instanceId)!.tags
          .SecurityIncidentStatus,
      ).toBeDefined();
    }
    expect(decided.decision).toMatchObject({ outcome: 'approved', by: { userId: 'U0CAROL' } });

    // One card and one thread in the alerts channel: every instance's line shows it secured
    await eventually(
      () => (JSON.stringify(alerts()[0]!.blocks).match(/evidence secured/g) ?? []).length >= 3,
    );
    expect(alerts()).toHaveLength(1);
    const thread = alerts()[0]!.replies.map((r) => r.text);
    expect(thread.some((l) => l.includes(`${incident.id} opened by <@U0ALICE>`))).toBe(true);
    expect(thread.filter((l) => l.includes('Containment approved by <@U0CAROL>'))).toHaveLength(1);
    await eventually(() =>
      alerts()[0]!.replies.some((r) => r.text.includes('every workflow ended — 3 evidence-secured')),
    );
    expect(alerts()[0]!.replies.filter((r) => r.text.includes('every workflow ended'))).toHaveLength(1);
    // One approval card, decided, without buttons
    expect(commanders().filter((m) => JSON.stringify(m.blocks).includes(incident.id))).toHaveLength(1);
    expect(JSON.stringify(commanders()[0]!.blocks)).toMatch(/\*Approved\* by <@U0CAROL>/);
    expect(JSON.stringify(commanders()[0]!.blocks)).not.toContain('approval.approve');

    // /forensics status of a member case works as for any case
    const status = await slack.command(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: `status ${after[0]!.id}`,
    });
    const blocks = JSON.stringify(JSON.parse(status.body).blocks);
    expect(blocks).toContain(after[0]!.id);
    expect(blocks).toContain(after[0]!.manifest!.sha256);
    expect(blocks).toContain(`*Incident*\\n${incident.id}`);
    // audited: the refusals and the decision on the incident, the approval on each case
    const trail = await listAudit(incident.id);
    expect(trail.some((e) => e.actor === 'U0MALLORY' && e.outcome === 'refused')).toBe(true);
    expect(trail.filter((e) => e.action === 'approval.approve' && e.outcome === 'ok')).toHaveLength(1);
    for (const c of after)
      expect(
        (await listAudit(c.id)).some((e) => e.action === 'approval.approve' && e.actor === 'U0CAROL'),
      ).toBe(true);
  });
});
