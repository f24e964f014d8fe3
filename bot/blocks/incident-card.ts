import type { KnownBlock } from '@slack/types';
import type { CaseRecord, CaseStatus } from '../core/case-model.js';
import type { IncidentMember, IncidentRecord } from '../incidents/model.js';
import { type ApprovalDecision, approvalActions } from './approval-card.js';
import { cut, esc, mention, verbatim } from './case-text.js';
import { LIMITS, severityMarker, truncate } from './common.js';

/**
 * The incident's two cards, pure functions of the incident and its member cases: the incident card (the
 * sequence card it replaced: one line per instance with its case, stage and last step — a failure on its
 * own line) and the one approval card in the commanders channel. Every text from outside (names, titles,
 * step details, AWS errors, a deny reason) is escaped; lines are cut whole so the card stays under
 * Slack's 50 blocks and 3,000 characters a section, whatever the number of instances.
 */

/** Sections of instance lines at most (the rest is summarised: `/forensics status` shows every case). */
const MAX_LINE_SECTIONS = 40;

const STAGES: Record<CaseStatus, string> = {
  open: ':white_circle: starting',
  'awaiting-approval': ':hourglass_flowing_sand: waiting for approval',
  containing: ':large_orange_circle: containing',
  contained: ':large_blue_circle: contained',
  acquiring: ':large_blue_circle: acquiring evidence',
  'evidence-secured': ':white_check_mark: evidence secured',
  'evidence-incomplete': ':warning: contained, evidence incomplete',
  closed: ':checkered_flag: closed',
  denied: ':no_entry_sign: not contained',
  failed: ':x: failed',
  released: ':unlock: released',
};

/** Statuses in which a member's workflow has ended (the incident's summary waits for all of them). */
export const MEMBER_ENDED: readonly CaseStatus[] = [
  'evidence-secured',
  'evidence-incomplete',
  'closed',
  'denied',
  'failed',
  'released',
];

function where(m: IncidentMember): string {
  const name = m.name ? ` ${esc(cut(m.name, 60))}` : '';
  return `\`${m.target.instanceId}\`${name} · ${m.target.account}/${m.target.region}`;
}

/** One instance's line: where, its case, its stage, and its last step or its failure. */
export function memberLine(m: IncidentMember, record: CaseRecord | undefined): string {
  if (!record) return `• ${where(m)} · ${m.caseId} · _case not readable_`;
  const own = m.joined === 'existing' ? ' (its own case and thread)' : '';
  const last = record.steps.filter((s) => s.outcome !== 'started').at(-1);
  const detail =
    record.status === 'failed' && record.failure
      ? ` — ${esc(cut(record.failure, 180))}`
      : last
        ? ` — ${esc(cut(last.step, 60))} ${last.outcome}${last.durationMs !== undefined ? ` (${(last.durationMs / 1000).toFixed(1)} s)` : ''}`
        : '';
  return `• ${where(m)} · ${record.id}${own} · ${STAGES[record.status]}${detail}`;
}

function counts(members: IncidentMember[], records: Map<string, CaseRecord>): string {
  const by = new Map<string, number>();
  for (const m of members) {
    const status = records.get(m.caseId)?.status;
    const label = status ? STAGES[status] : '_unknown_';
    by.set(label, (by.get(label) ?? 0) + 1);
  }
  return [...by.entries()].map(([label, n]) => `${label}: *${n}*`).join(' · ') || '_no instances_';
}

function decisionText(incident: IncidentRecord): string {
  const d = incident.decision;
  if (d?.outcome === 'approved')
    return `:white_check_mark: Containment approved by ${mention(d.by ?? 'unknown')}`;
  if (d?.outcome === 'denied')
    return `:no_entry_sign: Containment denied by ${mention(d.by ?? 'unknown')}${d.reason ? `: ${verbatim(d.reason, 300)}` : ''}`;
  if (d?.outcome === 'expired') return ':hourglass: The approval request expired: nothing was contained';
  if (incident.status === 'awaiting-approval')
    return ":hourglass_flowing_sand: Waiting for an incident commander's approval";
  return ':arrow_forward: Opening the cases';
}

/** Whole lines into sections of at most 3,000 characters, at most MAX_LINE_SECTIONS of them. */
function lineSections(lines: string[]): { texts: string[]; left: number } {
  const texts: string[] = [];
  let current = '';
  let used = 0;
  for (const raw of lines) {
    const line = truncate(raw, 600);
    if (current && current.length + 1 + line.length > LIMITS.sectionText) {
      if (texts.length + 1 >= MAX_LINE_SECTIONS) break;
      texts.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
    used++;
  }
  if (current) texts.push(current);
  return { texts, left: lines.length - used };
}

export function incidentCardText(incident: IncidentRecord): string {
  return truncate(
    esc(
      `${incident.severity.label} incident ${incident.id}: ${incident.title} (${incident.members.length} instances)`,
    ),
    500,
  );
}

export function incidentCardBlocks(incident: IncidentRecord, records: Map<string, CaseRecord>): KnownBlock[] {
  const lines = incident.members.map((m) => memberLine(m, records.get(m.caseId)));
  for (const s of incident.skipped)
    lines.push(
      `• \`${s.target.instanceId}\` · ${s.target.account}/${s.target.region} · :x: no case: ${esc(cut(s.reason, 200))}`,
    );
  const { texts, left } = lineSections(lines);
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      block_id: 'incident.header',
      text: {
        type: 'plain_text',
        text: cut(
          `${severityMarker(incident.severity.label)} ${incident.id} · ${incident.members.length} instances · ${incident.title}`,
          LIMITS.headerText,
        ),
        emoji: true,
      },
    },
    {
      type: 'section',
      block_id: 'incident.summary',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `${decisionText(incident)}.\n*${esc(cut(incident.findingType, 120))}* · requested by ${mention(incident.requester)} · ${counts(incident.members, records)}`,
          LIMITS.sectionText,
        ),
      },
    },
    ...texts.map(
      (text, n): KnownBlock => ({
        type: 'section',
        block_id: `incident.lines.${n}`,
        text: { type: 'mrkdwn', text },
      }),
    ),
  ];
  blocks.push({
    type: 'context',
    block_id: 'incident.context',
    elements: [
      {
        type: 'mrkdwn',
        text: truncate(
          `${left ? `_and ${left} more instances_ · ` : ''}One case per instance: \`/forensics status CASE-ID\` shows its steps, evidence and manifest · finding \`${esc(cut(incident.findingId, 100))}\``,
          LIMITS.sectionText,
        ),
      },
    ],
  });
  return blocks;
}

const when = (at: Date) =>
  `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${at.toISOString()}>`;

function approvalSummary(incident: IncidentRecord, threadLink?: string): KnownBlock[] {
  const fresh = incident.members.filter((m) => m.joined === 'new');
  const accounts = [...new Set(fresh.map((m) => m.target.account))].join(', ');
  const listed = lineSections(fresh.map((m) => `• ${where(m)} · ${m.caseId}`));
  const thread = threadLink ? ` · <${threadLink}|incident thread>` : '';
  return [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: cut(`Approve containment of ${instances(fresh.length)}? (${incident.id})`, LIMITS.headerText),
      },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(`*${incident.id}*: ${esc(cut(incident.title, 500))}${thread}`, LIMITS.sectionText),
      },
      fields: [
        { type: 'mrkdwn', text: `*Instances*\n${fresh.length}` },
        { type: 'mrkdwn', text: truncate(`*Accounts*\n${esc(accounts) || '—'}`, LIMITS.fieldText) },
        { type: 'mrkdwn', text: `*Severity*\n${esc(incident.severity.label)} (${incident.severity.score})` },
        { type: 'mrkdwn', text: `*Requested by*\n${mention(incident.requester)}` },
      ],
    },
    // The list a commander approves, capped so the card stays under 50 blocks (the incident card has all).
    ...listed.texts
      .slice(0, 5)
      .map((text): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } })),
  ];
}

/** The one pending approval card of the incident: Approve / Deny carry the incident id only. */
export function incidentApprovalBlocks(
  incident: IncidentRecord,
  opts: { threadLink?: string; fourEyes: boolean; expiresAt?: Date },
): KnownBlock[] {
  const n = incident.members.filter((m) => m.joined === 'new').length;
  const rules = [
    'Only incident commanders may decide; one decision covers every instance.',
    opts.fourEyes ? `The requester (${mention(incident.requester)}) may not approve their own request.` : '',
    opts.expiresAt ? `Expires ${when(opts.expiresAt)} if nobody decides.` : '',
  ].filter(Boolean);
  return [
    ...approvalSummary(incident, opts.threadLink),
    approvalActions({
      id: incident.id,
      approve: `Approve containment of ${n}`,
      title: `Contain ${n} instances?`,
      consequence: `All ${n} instances of ${incident.id} will lose their network and IAM access.`,
    }),
    { type: 'context', elements: [{ type: 'mrkdwn', text: rules.join(' ') }] },
  ];
}

/** The approval card after the decision: no buttons; the decision, by whom, when. */
export function incidentDecidedBlocks(
  incident: IncidentRecord,
  decision: ApprovalDecision,
  threadLink?: string,
): KnownBlock[] {
  const text =
    decision.kind === 'approved'
      ? `:white_check_mark: *Approved* by ${mention(decision.by)} ${when(decision.at)}: every instance is being contained`
      : decision.kind === 'denied'
        ? `:no_entry_sign: *Denied* by ${mention(decision.by)} ${when(decision.at)}${decision.reason ? `: ${verbatim(decision.reason, 500)}` : ''}`
        : decision.kind === 'closed'
          ? `:checkered_flag: *Closed* by ${mention(decision.by)} ${when(decision.at)} before anyone decided`
          : `:hourglass: *Expired* ${when(decision.at)}: nobody decided in time, so nothing was contained.`;
  return [
    ...approvalSummary(incident, threadLink),
    { type: 'section', block_id: 'approval', text: { type: 'mrkdwn', text } },
  ];
}

const instances = (n: number) => `${n} instance${n === 1 ? '' : 's'}`;

export function incidentApprovalText(incident: IncidentRecord): string {
  return `Approval needed: contain ${instances(incident.members.filter((m) => m.joined === 'new').length)} (${incident.id})`;
}

export function incidentReminderText(incident: IncidentRecord, link?: string): string {
  const where = link ? ` <${link}|Open the approval card>.` : '';
  return `:alarm_clock: ${incident.id} still waits for an incident commander's approval to contain ${incident.members.filter((m) => m.joined === 'new').length} instances.${where}`;
}
