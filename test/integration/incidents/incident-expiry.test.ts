import { beforeAll, describe, expect, it } from 'vitest';
import { resetRoleCache } from '../../../bot/auth.js';
import { authSettings, commandSettings } from '../../../bot/core/settings.js';
import { getIncident } from '../../../bot/incidents/store.js';
import { handler as progress } from '../../../handlers/progress.js';
import { handler, resetSlackHandler } from '../../../handlers/slack.js';
import { eventually, instanceState, SEEDED, useWorkflowWorld } from '../workflows/harness.js';
import { deliverFinding, incidentOfCard, memberCases, sequenceEvent } from './support.js';

// As for one case (approval-timing.test.ts): each member's wait times out after 0.3 s, and the request
// expires 1.8 s after it was first made, several reminder rounds later. Real time, nothing backdated.
const world = useWorkflowWorld(
  { FOUR_EYES: 'true', APPROVAL_EXPIRE_MINUTES: '0.03' },
  { taskTimeoutSeconds: 0.3, onStatusChange: (event) => progress(event) },
);

beforeAll(() => {
  authSettings.reset();
  commandSettings.reset();
  resetRoleCache();
  resetSlackHandler();
});

describe('Function: an incident whose approval nobody answers', () => {
  it('reminds the commanders once for the whole incident, then expires every member at once; a click after that decides nothing; nothing is contained', async () => {
    const instances = [SEEDED.instances.demo, SEEDED.instances.multiEni, SEEDED.instances.autoScaled];
    const before = instances.map((i) => instanceState(world, i).enis.map((e) => [...e.groupIds]));
    const { event, id } = sequenceEvent(instances);
    await deliverFinding(event);
    const card = world.slack.messages('C0ALERTS').find((m) => JSON.stringify(m.blocks).includes(id))!;
    await world.slack.click(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      ts: card.ts,
      actionId: 'incident.contain_all',
    });
    const incident = await incidentOfCard(
      world.slack.messages('C0ALERTS').find((m) => m.ts === card.ts)!.blocks,
    );
    let approvalTs = '';
    await eventually(() => {
      const found = world.slack
        .messages('C0COMMANDERS')
        .find((m) => JSON.stringify(m.blocks).includes(incident.id));
      approvalTs = found?.ts ?? '';
      return !!found;
    }, 20_000);
    // carol's click leaves before the expiry and lands after it
    const late = world.slack.clickRequest({
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: approvalTs,
      actionId: 'approval.approve',
    });

    const cases = await memberCases(incident);
    const ends = await Promise.all(cases.map((c) => world.sfn.waitFor(c.executionArn!)));
    expect(ends.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    await world.slack.deliver(handler, late);

    const expired = (await getIncident(incident.id))!;
    expect(expired.status).toBe('expired');
    expect(expired.decision).toMatchObject({ outcome: 'expired' });
    expect(expired.decision?.by).toBeUndefined();
    for (const c of await memberCases(incident)) {
      expect(c.status).toBe('denied');
      expect(c.failure).toBe('expired');
      expect(c.decision?.outcome).toBe('expired');
    }
    expect(instances.map((i) => instanceState(world, i).enis.map((e) => e.groupIds))).toEqual(before);
    expect(world.slack.ephemerals('C0COMMANDERS', 'carol').at(-1)?.text).toMatch(/expired/);
    const commanders = world.slack.messages('C0COMMANDERS');
    // one approval card, decided "Expired", without buttons; one reminder for the incident (not one per instance)
    const approval = commanders.find((m) => m.ts === approvalTs)!;
    expect(JSON.stringify(approval.blocks)).toMatch(/\*Expired\*/);
    expect(JSON.stringify(approval.blocks)).not.toContain('approval.approve');
    expect(commanders.filter((m) => m.text.includes(incident.id) && /still waits/.test(m.text))).toHaveLength(
      1,
    );
    const thread = world.slack
      .messages('C0ALERTS')
      .find((m) => m.ts === card.ts)!
      .replies.map((r) => r.text);
    expect(thread.filter((t) => t.includes('approval request expired'))).toHaveLength(1);
  });
});
