/**
 * A finding is never dropped because Slack refuses its card (issue 10, item 6): the local Slack refuses
 * blocks over Block Kit's limits as Slack does (`invalid_blocks`), and intake posts the card's short form
 * instead — the escaped fallback text, the card's buttons, and a line saying so.
 */
import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { postMessage, updateMessage } from '../../../bot/intake/slack-posts.js';
import { useCaseTable } from '../../support/table.js';
import { useLocalSlack } from './support.js';

useCaseTable();
const local = useLocalSlack();

const buttons: KnownBlock = {
  type: 'actions',
  block_id: 'finding.actions',
  elements: [
    {
      type: 'button',
      action_id: 'case.contain',
      text: { type: 'plain_text', text: 'Contain' },
      value: '{"f":"0123456789abcdef0123456789abcdef"}',
    },
  ],
};
// a header of 151 UTF-16 units: one over Slack's limit
const refusedCard: KnownBlock[] = [
  { type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } },
  buttons,
];

describe('Intake: a card Slack refuses', () => {
  it('is posted in its short form, with its buttons, and says so', async () => {
    const { ts } = await postMessage(
      'C0ALERTS',
      'HIGH GuardDuty finding &lt;!channel&gt; on i-0123',
      refusedCard,
    );

    const posted = local.slack.messages('C0ALERTS').find((m) => m.ts === ts)!;
    expect(posted.text).toBe('HIGH GuardDuty finding &lt;!channel&gt; on i-0123');
    expect(JSON.stringify(posted.blocks)).toContain('case.contain');
    expect(JSON.stringify(posted.blocks)).toContain('Slack refused the full card (`invalid_blocks`)');
  });

  it('redraws a card in its short form when Slack refuses the update', async () => {
    const { ts } = await postMessage('C0ALERTS', 'a card', [buttons]);
    await updateMessage('C0ALERTS', ts, 'the card, updated', refusedCard);

    const updated = local.slack.messages('C0ALERTS').find((m) => m.ts === ts)!;
    expect(updated.text).toBe('the card, updated');
    expect(JSON.stringify(updated.blocks)).toContain('short form');
  });
});
