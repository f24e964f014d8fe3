import type { KnownBlock } from '@slack/types';
import type { CaseRecord } from '../core/case-model.js';
import { findingCardBlocks } from './finding-card.js';
import { actionWords, awsPrincipalWords, casePlan, caseStatusLine, cut, esc, mention } from './case-text.js';

/**
 * The case's root card (the finding card it came from, or a card of its own) and the thread's first
 * reply. Pure functions of the case record, so the progress handler can redraw the card at any time.
 */

/** Action ids of the finding card buttons that act on the finding (removed once a case exists). */
// `incident.contain_all` is the attack-sequence card's (bot/blocks/sequence-card.ts): a dismissed sequence offers none.
export const FINDING_ACTION_IDS = [
  'case.analyze',
  'case.contain',
  'finding.dismiss',
  'incident.contain_all',
] as const;
export const CASE_STATUS_BLOCK_ID = 'case-status';
export const DISMISSED_BLOCK_ID = 'finding-dismissed';

type AnyBlock = KnownBlock | { type: string; block_id?: string; [k: string]: unknown };

/**
 * The card's blocks without the buttons that start or dismiss (so nobody starts the case twice) and
 * without an earlier case status section. Link buttons (consoles) stay.
 */
export function withoutFindingActions(blocks: readonly AnyBlock[]): KnownBlock[] {
  const out: AnyBlock[] = [];
  for (const block of blocks) {
    if (block.block_id === CASE_STATUS_BLOCK_ID || block.block_id === DISMISSED_BLOCK_ID) continue;
    if (block.type === 'actions' && Array.isArray(block.elements)) {
      const elements = (block.elements as { action_id?: string }[]).filter(
        (e) => !FINDING_ACTION_IDS.includes(e.action_id as (typeof FINDING_ACTION_IDS)[number]),
      );
      if (elements.length > 0) out.push({ ...block, elements });
      continue;
    }
    out.push(block);
  }
  return out as KnownBlock[];
}

const SEVERITY_EMOJI: Record<string, string> = {
  CRITICAL: ':red_circle:',
  HIGH: ':large_orange_circle:',
  MEDIUM: ':large_yellow_circle:',
  LOW: ':large_green_circle:',
  INFORMATIONAL: ':white_circle:',
};

/** A card for a case that has no finding card (slash command, console start). */
export function caseSummaryBlocks(record: CaseRecord): KnownBlock[] {
  const sev = SEVERITY_EMOJI[record.severity.label] ?? ':white_circle:';
  return [
    { type: 'header', text: { type: 'plain_text', text: cut(`${record.id}: ${record.title}`, 150) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Instance*\n\`${record.target.instanceId}\`` },
        { type: 'mrkdwn', text: `*Account / region*\n${record.target.account} / ${record.target.region}` },
        {
          type: 'mrkdwn',
          text: `*Severity*\n${sev} ${esc(record.severity.label)} (${record.severity.score})`,
        },
        {
          type: 'mrkdwn',
          text: `*Requested*\n${actionWords(record)} by ${mention(record.requester)}${awsPrincipalWords(record) ? ` · ${awsPrincipalWords(record)}` : ''}`,
        },
      ],
    },
  ];
}

/** The status section at the bottom of the root card. */
export function caseStatusBlock(record: CaseRecord): KnownBlock {
  return {
    type: 'section',
    block_id: CASE_STATUS_BLOCK_ID,
    text: {
      type: 'mrkdwn',
      text: cut(
        `${caseStatusLine(record)}${record.examination?.status === 'completed' ? ` · examined: ${(record.examination.counts?.critical ?? 0) + (record.examination.counts?.high ?? 0)} high findings` : ''}`,
        3000,
      ),
    },
  };
}

/**
 * The root card: the case's finding rendered as its card without the finding buttons (a pure function of
 * the stored finding), or a summary of the case when it has none, followed by the status section.
 */
export function caseCardBlocks(record: CaseRecord): KnownBlock[] {
  const base = record.finding
    ? withoutFindingActions(findingCardBlocks(record.finding, { buttonsEnabled: false }))
    : caseSummaryBlocks(record);
  return [...base.slice(0, 48), { type: 'divider' }, caseStatusBlock(record)];
}

/** Notification text of the root card (shown where blocks are not). */
export function caseCardText(record: CaseRecord): string {
  return `${record.id} (${record.status}): ${esc(cut(record.title, 500))}`;
}

/** The event type of the message metadata every case card carries (other apps can follow cases by it). */
export const CASE_CARD_EVENT_TYPE = 'forensics_case';

/**
 * The root card as one message: its text, blocks and message metadata (`forensics_case` with the case id,
 * its status and target, all ours: ids checked by their regexes, never finding text), so that a post and
 * every redraw send the same three.
 */
export function caseCardMessage(record: CaseRecord): {
  text: string;
  blocks: KnownBlock[];
  metadata: { event_type: string; event_payload: Record<string, string> };
} {
  return {
    text: caseCardText(record),
    blocks: caseCardBlocks(record),
    metadata: {
      event_type: CASE_CARD_EVENT_TYPE,
      event_payload: {
        case_id: record.id,
        status: record.status,
        instance_id: record.target.instanceId,
        account: record.target.account,
        region: record.target.region,
      },
    },
  };
}

/** The thread's first reply: what the case is and what will happen. */
export function caseOpeningBlocks(record: CaseRecord, approval: boolean): KnownBlock[] {
  const plan = casePlan(record, approval)
    .map((s, i) => `${i + 1}. ${s}`)
    .join('\n');
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `:briefcase: *${record.id}* opened by ${mention(record.requester)} for ${actionWords(record)}` +
          ` of \`${record.target.instanceId}\` (${record.target.account}, ${record.target.region}).\n` +
          `*${esc(cut(record.title, 300))}* · severity ${esc(record.severity.label)} (${record.severity.score})`,
      },
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Plan*\n${plan}` } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text:
            'Each step reports here with its result and duration. `/forensics status ' +
            record.id +
            '` shows the case.',
        },
      ],
    },
  ];
}

/** A finding card marked dismissed: no finding buttons, who dismissed it and why. */
export function dismissedCardBlocks(
  blocks: readonly AnyBlock[],
  userId: string,
  reason: string | undefined,
  at: Date,
): KnownBlock[] {
  const why = reason ? `: ${esc(cut(reason, 500))}` : '';
  return [
    ...withoutFindingActions(blocks).slice(0, 49),
    {
      type: 'context',
      block_id: DISMISSED_BLOCK_ID,
      elements: [
        {
          type: 'mrkdwn',
          text: `:wastebasket: Dismissed by ${mention(userId)} <!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${at.toISOString()}>${why}`,
        },
      ],
    },
  ];
}
