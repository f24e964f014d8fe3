import type { HomeView, KnownBlock } from '@slack/types';
import type { OpenCasesPage } from '../core/case-store.js';
import type { IncidentRecord } from '../incidents/model.js';
import { cut, duration, esc } from './case-text.js';
import { caseListBlocks } from './status.js';

/**
 * The App Home tab, a pure function of what it shows: for responders the open cases with their stage
 * (newest first, paged as `/forensics list` is), for anyone else what the bot is and who may see cases
 * (the list names instances and findings, so it is not shown to every member of the workspace).
 */
export function homeView(
  shown:
    | { kind: 'cases'; page: OpenCasesPage; first: boolean; incidents?: IncidentRecord[] }
    | { kind: 'no-role' },
  now = Date.now(),
): HomeView {
  const intro: KnownBlock = {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: '*forensics-bot* turns GuardDuty and Security Hub findings into cases: Analyze acquires evidence, Contain isolates the instance once an incident commander approves. Type `/forensics help` for the commands.',
    },
  };
  if (shown.kind === 'no-role')
    return {
      type: 'home',
      blocks: [
        intro,
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: 'Open cases are shown to responders and incident commanders only.' },
          ],
        },
      ],
    };
  return {
    type: 'home',
    blocks: [
      intro,
      { type: 'divider' },
      ...incidentBlocks(shown.first ? (shown.incidents ?? []) : [], now),
      ...caseListBlocks(shown.page, { now, first: shown.first }),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `As of <!date^${Math.floor(now / 1000)}^{date_short} {time}|${new Date(now).toISOString()}>; reopen the tab to refresh. \`/forensics status CASE-ID\` for one case.`,
          },
        ],
      },
    ],
  };
}

/** The newest incidents (one attack over many instances, one approval), each a line: stage, size, title, age. */
function incidentBlocks(incidents: IncidentRecord[], now: number): KnownBlock[] {
  if (!incidents.length) return [];
  const lines = incidents.map(
    (i) =>
      `*${i.id}* ${esc(i.status)} · ${i.members.length} instance${i.members.length === 1 ? '' : 's'} · ${esc(cut(i.title, 80))} · ${duration(Math.max(0, now - Date.parse(i.createdAt)))} ago`,
  );
  return [
    { type: 'section', text: { type: 'mrkdwn', text: `*Incidents*, newest first\n${lines.join('\n')}` } },
    { type: 'divider' },
  ];
}
