import type { KnownBlock } from '@slack/types';
import type { CaseRecord } from '../core/case-model.js';
import {
  actionWords,
  awsPrincipalWords,
  cut,
  decisionWords,
  duration,
  esc,
  mention,
  STATUS_EMOJI,
  STATUS_LABEL,
  stepLine,
} from './case-text.js';

/**
 * `/forensics status` and `/forensics list` answers (ephemeral). Pure functions of case records; text
 * fields are cut to Block Kit limits (3000 characters a section).
 */

const time = (iso: string) => {
  const s = Math.floor(Date.parse(iso) / 1000);
  return Number.isFinite(s) ? `<!date^${s}^{date_short} {time_secs}|${iso}>` : esc(iso);
};

/** Joins lines into one text of at most `max` characters, saying how many were left out. */
function lines(items: string[], max = 2900): string {
  const out: string[] = [];
  let size = 0;
  for (const [i, item] of items.entries()) {
    if (size + item.length + 1 > max) {
      out.push(`…and ${items.length - i} more`);
      break;
    }
    out.push(item);
    size += item.length + 1;
  }
  return out.join('\n');
}

/** Lines in sections of at most `max` characters (at most `limit` sections; the rest are counted). */
function pages(items: string[], max = 2900, limit = 6): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const [i, item] of items.entries()) {
    const line = cut(item, max - 40);
    if (size + line.length + 1 > max && current.length) {
      if (out.length === limit - 1) {
        current.push(`…and ${items.length - i} more`);
        break;
      }
      out.push(current.join('\n'));
      current = [];
      size = 0;
    }
    current.push(line);
    size += line.length + 1;
  }
  if (current.length) out.push(current.join('\n'));
  return out;
}

export function caseStatusBlocks(record: CaseRecord, threadLink?: string): KnownBlock[] {
  const timeline = record.steps.length
    ? pages(record.steps.map((s) => `${time(s.at)} ${stepLine(s)}`))
    : ['_No step has reported yet._'];
  const artifacts = record.artifacts.length
    ? lines(
        record.artifacts.map(
          (a) =>
            `• *${a.kind}* \`${esc(a.uri)}\`${a.bytes !== undefined ? ` (${a.bytes} bytes)` : ''}${a.sha256 ? `\n   SHA-256 \`${a.sha256}\`` : a.kind === 'disk-snapshot' ? '' : '\n   SHA-256 pending'}`,
        ),
      )
    : '_No artifact yet._';
  const manifest = record.manifest
    ? `\n*Manifest* \`${esc(record.manifest.uri)}\` SHA-256 \`${record.manifest.sha256}\``
    : '';
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(`${record.id}: ${record.title}`, 150) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Status*\n${STATUS_EMOJI[record.status]} ${STATUS_LABEL[record.status]}` },
        {
          type: 'mrkdwn',
          text: `*Target*\n\`${record.target.instanceId}\`\n${record.target.account} / ${record.target.region}`,
        },
        {
          type: 'mrkdwn',
          text: `*Requester*\n${mention(record.requester)} (${actionWords(record)}, ${record.trigger})${awsPrincipalWords(record) ? `\n${awsPrincipalWords(record)}` : ''}`,
        },
        { type: 'mrkdwn', text: `*Decision*\n${record.decision ? decisionWords(record.decision) : '—'}` },
        { type: 'mrkdwn', text: `*Opened*\n${time(record.createdAt)}` },
        ...(record.externalRef
          ? [{ type: 'mrkdwn' as const, text: `*External reference*\n${esc(cut(record.externalRef, 128))}` }]
          : []),
        // A member of an incident: its approval was the incident's, its progress a line on the incident card.
        ...(record.incidentId
          ? [
              {
                type: 'mrkdwn' as const,
                text: `*Incident*\n${record.incidentId} (one approval, one card for its instances)`,
              },
            ]
          : []),
        { type: 'mrkdwn', text: `*Severity*\n${esc(record.severity.label)} (${record.severity.score})` },
      ],
    },
  ];
  if (record.failure)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Failure*\n${esc(cut(record.failure, 2900))}` },
    });
  blocks.push(
    ...timeline.map(
      (text, i): KnownBlock => ({
        type: 'section',
        text: { type: 'mrkdwn', text: i === 0 ? `*Timeline*\n${text}` : text },
      }),
    ),
    { type: 'section', text: { type: 'mrkdwn', text: cut(`*Artifacts*\n${artifacts}${manifest}`, 3000) } },
  );
  if (threadLink)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${threadLink}|Open the case thread>` }],
    });
  return blocks;
}

export function caseStatusText(record: CaseRecord): string {
  return `${record.id}: ${STATUS_LABEL[record.status]} (${record.target.instanceId})`;
}

/** Open cases, one line each. */
/** Action id of the open-case list's "Next" button; its value is the last case shown. */
export const CASE_LIST_NEXT_ACTION = 'cases.list.next';

/** One open case as a line: stage, instance, account, title (escaped, cut), age. */
export function caseListLine(r: CaseRecord, now: number): string {
  return `${STATUS_EMOJI[r.status]} *${r.id}* ${STATUS_LABEL[r.status]} · \`${r.target.instanceId}\` (${r.target.account}) · ${esc(cut(r.title, 80))} · ${duration(Math.max(0, now - Date.parse(r.createdAt)))} ago`;
}

/**
 * A page of open cases, newest first, with a "Next" button when more follow (`page.next`, the last case
 * shown: the button carries only that id, which the listener validates and looks up again).
 */
export function caseListBlocks(
  page: { records: CaseRecord[]; next?: string },
  opts: { now?: number; first?: boolean } = {},
): KnownBlock[] {
  const { records, next } = page;
  const first = opts.first ?? true;
  if (records.length === 0)
    return [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: first ? ':sunny: No open case.' : 'No more open cases.' },
      },
    ];
  const now = opts.now ?? Date.now();
  const heading = first ? '*Open cases*, newest first' : '*Open cases* (continued)';
  return [
    { type: 'section', text: { type: 'mrkdwn', text: heading } },
    { type: 'section', text: { type: 'mrkdwn', text: lines(records.map((r) => caseListLine(r, now))) } },
    ...(next
      ? [
          {
            type: 'actions',
            block_id: 'cases.list.more',
            elements: [
              {
                type: 'button',
                text: { type: 'plain_text', text: `Next ${records.length} ›` },
                action_id: CASE_LIST_NEXT_ACTION,
                value: next,
              },
            ],
          } satisfies KnownBlock,
        ]
      : []),
  ];
}
