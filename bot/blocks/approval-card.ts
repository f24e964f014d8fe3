import type { KnownBlock } from '@slack/types';
import type { CaseRecord } from '../core/case-model.js';
import { cut, esc, mention, verbatim } from './case-text.js';

/**
 * The approval card in the commanders channel. Button values carry the case id only: the task token
 * lives in the case record and never reaches Slack.
 */
export const APPROVE_ACTION_ID = 'approval.approve';
export const DENY_ACTION_ID = 'approval.deny';

export type ApprovalDecision =
  | { kind: 'approved'; by: string; at: Date }
  | { kind: 'denied'; by: string; at: Date; reason?: string }
  | { kind: 'expired'; at: Date }
  | { kind: 'closed'; by: string; at: Date };

function summary(record: CaseRecord, threadLink?: string): KnownBlock[] {
  const thread = threadLink ? ` · <${threadLink}|case thread>` : '';
  return [
    {
      type: 'header',
      text: { type: 'plain_text', text: cut(`Approve containment of ${record.target.instanceId}?`, 150) },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*${record.id}*: ${esc(cut(record.title, 500))}${thread}` },
      fields: [
        { type: 'mrkdwn', text: `*Instance*\n\`${record.target.instanceId}\`` },
        { type: 'mrkdwn', text: `*Account / region*\n${record.target.account} / ${record.target.region}` },
        { type: 'mrkdwn', text: `*Severity*\n${esc(record.severity.label)} (${record.severity.score})` },
        { type: 'mrkdwn', text: `*Requested by*\n${mention(record.requester)}` },
      ],
    },
  ];
}

const when = (at: Date) =>
  `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${at.toISOString()}>`;

/**
 * Approve (with Slack's confirm dialog saying what it does) and Deny, each carrying only the id of what is
 * decided (a case, or an incident): the listener loads it again and checks the role before anything.
 */
export function approvalActions(a: {
  id: string;
  approve: string;
  title: string;
  consequence: string;
}): KnownBlock {
  return {
    type: 'actions',
    block_id: 'approval',
    elements: [
      {
        type: 'button',
        action_id: APPROVE_ACTION_ID,
        text: { type: 'plain_text', text: a.approve },
        style: 'primary',
        value: a.id,
        confirm: {
          title: { type: 'plain_text', text: a.title },
          text: { type: 'mrkdwn', text: `${a.consequence} Evidence is acquired first where possible.` },
          confirm: { type: 'plain_text', text: 'Approve' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
      {
        type: 'button',
        action_id: DENY_ACTION_ID,
        text: { type: 'plain_text', text: 'Deny' },
        style: 'danger',
        value: a.id,
      },
    ],
  };
}

/** The pending card: Approve / Deny, who may press them, when it expires. */
export function approvalCardBlocks(
  record: CaseRecord,
  opts: { threadLink?: string; fourEyes: boolean; expiresAt?: Date },
): KnownBlock[] {
  const rules = [
    'Only incident commanders may decide.',
    opts.fourEyes ? `The requester (${mention(record.requester)}) may not approve their own request.` : '',
    opts.expiresAt ? `Expires ${when(opts.expiresAt)} if nobody decides.` : '',
  ].filter(Boolean);
  return [
    ...summary(record, opts.threadLink),
    approvalActions({
      id: record.id,
      approve: 'Approve containment',
      title: 'Contain the instance?',
      consequence: `\`${record.target.instanceId}\` will lose its network and IAM access.`,
    }),
    { type: 'context', elements: [{ type: 'mrkdwn', text: rules.join(' ') }] },
  ];
}

/** The card after the decision: no buttons, the decision, by whom and when. */
export function approvalDecidedBlocks(
  record: CaseRecord,
  decision: ApprovalDecision,
  threadLink?: string,
): KnownBlock[] {
  const text =
    decision.kind === 'approved'
      ? `:white_check_mark: *Approved* by ${mention(decision.by)} ${when(decision.at)}`
      : decision.kind === 'denied'
        ? `:no_entry_sign: *Denied* by ${mention(decision.by)} ${when(decision.at)}${decision.reason ? `: ${verbatim(decision.reason, 500)}` : ''}`
        : decision.kind === 'closed'
          ? `:checkered_flag: *Case closed* by ${mention(decision.by)} ${when(decision.at)} before anyone decided: nothing was contained.`
          : `:hourglass: *Expired* ${when(decision.at)}: nobody decided in time, so the containment was not performed.`;
  return [
    ...summary(record, threadLink),
    { type: 'section', block_id: 'approval', text: { type: 'mrkdwn', text } },
  ];
}

/** Notification text of the approval card. */
export function approvalCardText(record: CaseRecord): string {
  return `Approval needed: contain ${record.target.instanceId} (${record.id})`;
}

/** The reminder posted in the commanders channel when an approval waits too long. */
export function approvalReminderText(record: CaseRecord, link?: string): string {
  const where = link ? ` <${link}|Open the approval card>.` : '';
  return `:alarm_clock: ${record.id} still waits for an incident commander's approval to contain \`${record.target.instanceId}\`.${where}`;
}
