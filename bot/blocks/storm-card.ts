import type { KnownBlock } from '@slack/types';
import type { Finding } from '../core/finding.js';
import {
  escapeMrkdwn,
  formatTime,
  LIMITS,
  mrkdwnText,
  NONE,
  plainText,
  safeText,
  severityMarker,
} from './common.js';

export interface StormSummary {
  type: string;
  /** Distinct findings folded into the summary. */
  findings: number;
  /** Deliveries counted (findings plus their repeats). */
  events: number;
  /** Distinct resources; `allInstances` when every one is an EC2 instance. */
  resources: number;
  allInstances: boolean;
  highest: Finding['severity']['label'];
  firstSeen?: string;
  lastSeen?: string;
}

/** Header text of a storm summary: "37 more findings of type X on 12 instances". */
export function stormSummaryText(s: StormSummary): string {
  return escapeMrkdwn(stormSummaryWords(s));
}

/** The same words unescaped, for plain_text (which Slack does not parse). */
function stormSummaryWords(s: StormSummary): string {
  const noun = s.allInstances
    ? s.resources === 1
      ? 'instance'
      : 'instances'
    : s.resources === 1
      ? 'resource'
      : 'resources';
  return `${s.findings} more finding${s.findings === 1 ? '' : 's'} of type ${safeText(s.type)} on ${s.resources} ${noun}`;
}

/** The summary card of a burst that exceeded the channel's posting rate. Pure. */
export function stormSummaryBlocks(s: StormSummary): KnownBlock[] {
  return [
    {
      type: 'header',
      block_id: 'storm.header',
      text: {
        type: 'plain_text',
        text: plainText(`${severityMarker(s.highest)} ${stormSummaryWords(s)}`, LIMITS.headerText),
        emoji: true,
      },
    },
    {
      type: 'section',
      block_id: 'storm.body',
      text: {
        type: 'mrkdwn',
        text: mrkdwnText(
          `A burst of findings went over this channel's posting rate, so they are counted here instead of one card each. Highest severity: ${s.highest}. Deliveries counted: ${s.events}.`,
        ),
      },
    },
    {
      type: 'context',
      block_id: 'storm.context',
      elements: [
        {
          type: 'mrkdwn',
          text: `First ${formatTime(s.firstSeen, NONE)} · last ${formatTime(s.lastSeen, NONE)} · type \`${mrkdwnText(s.type, 500)}\``,
        },
      ],
    },
  ];
}
