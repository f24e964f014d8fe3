import { describe, expect, it } from 'vitest';
import { CASE_CARD_EVENT_TYPE } from '../../../bot/blocks/case-card.js';
import { CASE_LIST_NEXT_ACTION } from '../../../bot/blocks/status.js';
import { postCaseLine } from '../../../bot/cases/notify.js';
import { createIncident } from '../../../bot/incidents/store.js';

import { openCase, transition } from '../../../bot/core/case-store.js';
import { handler, useSlackSide } from './harness.js';

/**
 * Many cases at a glance (issue 13, item 4): `/forensics list` pages its open cases newest first with a
 * "Next" button, and the App Home tab shows them to responders — each drawn from the table on request,
 * through signed requests and Bolt as Slack sends them.
 */
const side = useSlackSide();
const { slack } = side;

const HOSTILE = '<!channel> *approved* <https://evil.example|console>';
const text = (v: unknown) => JSON.stringify(v);

async function openCases(n: number, start: Date): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { record } = await openCase(
      {
        severity: { label: 'HIGH', score: 8 },
        title: i === 0 ? HOSTILE : `Finding ${i}`,
        findingIds: [],
        target: {
          account: '333333333333',
          region: 'us-east-1',
          instanceId: `i-0aa${String(i).padStart(14, '0')}`,
        },
        actions: ['analyze'],
        trigger: 'slash-command',
        requester: { userId: 'U0ALICE', name: 'alice' },
      },
      new Date(start.getTime() + i * 1000),
    );
    ids.push(record.id);
  }
  return ids;
}

const caseIdsIn = (blocks: unknown) => [...new Set(text(blocks).match(/CASE-\d{8}-[0-9A-Z]{4}/g) ?? [])];

describe('Open cases at a glance', () => {
  it('/forensics list pages newest first; Next replaces the answer with the rest; outsiders are refused', async () => {
    // Prepare: 17 open cases, the oldest with a hostile title
    const ids = await openCases(17, new Date('2026-12-04T10:00:00Z'));
    const newestFirst = [...ids].reverse();

    // Act: alice lists
    await slack.command(handler, { user: 'alice', channel: 'C0ALERTS', text: 'list' });

    // Assess: the first 15, newest first, and a Next button carrying the last one shown
    const first = slack.ephemerals('C0ALERTS', 'alice').at(-1)!;
    expect(caseIdsIn(first.blocks)).toEqual(newestFirst.slice(0, 15));
    expect(text(first.blocks)).toContain(`"action_id":"${CASE_LIST_NEXT_ACTION}"`);
    expect(text(first.blocks)).toContain(`"value":"${newestFirst[14]}"`);

    // Act: alice clicks Next
    const answer = await slack.click(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      ts: first.ts,
      actionId: CASE_LIST_NEXT_ACTION,
    });

    // Assess: the same ephemeral now shows the last two, the hostile title escaped, and no Next
    expect(answer.status).toBe(200);
    const second = slack.ephemerals('C0ALERTS', 'alice').find((e) => e.ts === first.ts)!;
    expect(caseIdsIn(second.blocks)).toEqual(newestFirst.slice(15));
    expect(text(second.blocks)).not.toContain(CASE_LIST_NEXT_ACTION);
    expect(text(second.blocks)).not.toContain('<!channel>');
    expect(text(second.blocks)).toContain('&lt;!channel&gt;');

    // The text form pages the same way; a malformed one gets usage help
    await slack.command(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: `list after ${newestFirst[14]}`,
    });
    expect(caseIdsIn(slack.ephemerals('C0ALERTS', 'alice').at(-1)!.blocks)).toEqual(newestFirst.slice(15));
    await slack.command(handler, { user: 'alice', channel: 'C0ALERTS', text: 'list after <!channel>' });
    expect(text(slack.ephemerals('C0ALERTS', 'alice').at(-1))).toContain('`after CASE-ID`');

    // mallory (no role) gets a refusal, not a list
    await slack.command(handler, { user: 'mallory', channel: 'C0ALERTS', text: 'list' });
    const refused = slack.ephemerals('C0ALERTS', 'mallory').at(-1)!;
    expect(text(refused)).toContain('Only responders');
    expect(caseIdsIn(refused)).toEqual([]);
  });

  it('the App Home tab: responders see the incidents and open cases, anyone else sees what the bot is and none', async () => {
    // Prepare: an incident (an attack sequence over two instances), its title attacker text
    const incident = await createIncident({
      title: `${HOSTILE} over two instances`,
      severity: { label: 'CRITICAL', score: 9 },
      findingType: 'AttackSequence:EC2/CompromisedInstanceGroup',
      findingId: 'seq-1',
      fingerprint: 'f'.repeat(32),
      requester: { userId: 'U0ALICE', name: 'alice' },
      members: [],
      skipped: [],
      slack: { channel: 'C0ALERTS', cardTs: '1700000000.000100', threadTs: '1700000000.000100' },
    });

    // Act: alice and mallory open the Home tab (the signed app_home_opened event through Bolt)
    const alice = await slack.openHome(handler, { user: 'alice' });
    const mallory = await slack.openHome(handler, { user: 'mallory' });

    // Assess
    expect([alice.status, mallory.status]).toEqual([200, 200]);
    const home = slack.homeOf('alice')!;
    expect(home.type).toBe('home');
    expect(caseIdsIn(home.blocks)).toHaveLength(15);
    expect(text(home.blocks)).toContain(CASE_LIST_NEXT_ACTION);
    expect(text(home.blocks)).toContain(`*${incident.id}* open`);
    expect(text(home.blocks)).not.toContain('<!channel>');
    const outsider = slack.homeOf('mallory')!;
    expect(caseIdsIn(outsider.blocks)).toEqual([]);
    expect(text(outsider.blocks)).not.toContain(incident.id);
    expect(text(outsider.blocks)).toContain('responders and incident commanders only');

    // Act: alice pages in her Home tab (block_actions from the view: no channel, no response_url)
    const next = await slack.clickHome(handler, { user: 'alice', actionId: CASE_LIST_NEXT_ACTION });

    // Assess: her Home view is published again at the next page, the same view id
    expect(next.status).toBe(200);
    const paged = slack.homeOf('alice')!;
    expect(paged.id).toBe(home.id);
    expect(caseIdsIn(paged.blocks)).toHaveLength(2);
    expect(text(paged.blocks)).toContain('(continued)');
  });

  it('every case card carries message metadata (forensics_case: case id, status, target) from its post through every redraw', async () => {
    // Act: a case without a finding gets a card of its own
    await slack.command(handler, { user: 'alice', channel: 'C0ALERTS', text: 'analyze i-0bb00000000000001' });
    const card = slack.messages('C0ALERTS').at(-1)!;

    // Assess
    expect(card.metadata?.event_type).toBe(CASE_CARD_EVENT_TYPE);
    const caseId = card.metadata!.event_payload.case_id as string;
    expect(caseId).toMatch(/^CASE-\d{8}-[0-9A-Z]{4}$/);
    expect(card.metadata!.event_payload).toMatchObject({
      status: 'open',
      instance_id: 'i-0bb00000000000001',
      account: '333333333333',
      region: 'us-east-1',
    });

    // Act: the case moves on and its card is redrawn
    await transition(caseId, 'acquiring');
    await postCaseLine(caseId, { step: 'acquire-memory', outcome: 'started' });

    // Assess: the redraw carries the new status
    const redrawn = slack.messages('C0ALERTS').find((m) => m.ts === card.ts)!;
    expect(redrawn.metadata).toEqual({
      ...card.metadata,
      event_payload: { ...card.metadata!.event_payload, status: 'acquiring' },
    });
  });
});
