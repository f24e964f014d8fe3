import type { KnownBlock } from '@slack/types';
import type { ExaminationFinding, ExaminationRecord } from '../core/case-model.js';
import { escapeMrkdwn, LIMITS, truncate } from './common.js';
import { FINDING_ACTIONS } from './finding-buttons.js';

/**
 * The examination's triage summary for the case thread (issue 12), a pure function of the examination
 * record: the responder's questions in their order (is the actor still active, how did they get in,
 * persistence, credentials at risk, what was executed, then the rest), each finding with its path, time
 * and evidence, then the evidence with its hashes. At most 50 blocks.
 *
 * Everything that comes from the examined disk (file names, contents, titles that quote them) is
 * attacker-controlled: it goes only into `plain_text` objects with `emoji: false`, which Slack renders
 * literally (no mentions such as `<!channel>`, no `*bold*`, no links, no `:emoji:`). Only the bot's own
 * words and numbers are mrkdwn, and they are escaped too.
 */

/**
 * The next-action buttons at the end of the summary. "Contain now" is the case card's Contain (the same
 * action id and listener, so the same approval path); every button's value is the case id only.
 */
export const NEXT_ACTIONS = {
  containNow: FINDING_ACTIONS.contain,
  closeFalsePositive: 'case.close-false-positive',
  openWorkstation: 'case.open-workstation',
} as const;
export const NEXT_ACTIONS_BLOCK_ID = 'examination-next';

/** Which next actions the summary offers (the caller decides from the case; the builder only draws). */
export interface NextActions {
  /** The case is not contained yet: containment can still be asked for. */
  containNow?: boolean;
  /** The case is open: a commander may close it as a false positive. */
  closeFalsePositive?: boolean;
  /** The case is open and has a raw disk image: a responder may open a workstation (for `hours`) with its evidence. */
  openWorkstation?: { hours: number };
}

export const SUMMARY_SECTIONS = [
  { title: 'Is the actor still active?', categories: ['activity'] },
  { title: 'How did they get in?', categories: ['access'] },
  { title: 'Persistence', categories: ['persistence'] },
  { title: 'Credentials at risk', categories: ['credentials'] },
  { title: 'What was executed', categories: ['execution'] },
  { title: 'Also found', categories: ['malware', 'integrity', 'ioc', 'deleted'] },
] as const;

const MARK: Record<ExaminationFinding['severity'], string> = {
  critical: '🔴 CRITICAL',
  high: '🟠 HIGH',
  medium: '🟡 MEDIUM',
  low: '⚪ LOW',
  info: '⚪ INFO',
};

/** Findings shown per section (the rest are counted and are in report.md). */
const PER_SECTION = 5;

const plain = (text: string) => ({
  type: 'plain_text' as const,
  text: truncate(text, LIMITS.sectionText),
  emoji: false,
});
const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text: truncate(text, LIMITS.sectionText) });

function findingBlock(f: ExaminationFinding): KnownBlock {
  const where = [f.path ?? '(no path)', f.time ? `${f.time.slice(0, 16).replace('T', ' ')} UTC` : undefined]
    .filter(Boolean)
    .join(' · ');
  return {
    type: 'section',
    text: plain(`${MARK[f.severity]}  ${f.title}\n${where}\n${f.evidence}  (${f.source})`),
  };
}

function nextActionsBlock(caseId: string, next: NextActions): KnownBlock | undefined {
  const elements = [];
  if (next.containNow)
    elements.push({
      type: 'button' as const,
      action_id: NEXT_ACTIONS.containNow,
      text: { type: 'plain_text' as const, text: 'Contain now' },
      style: 'danger' as const,
      value: caseId,
      confirm: {
        title: { type: 'plain_text' as const, text: 'Ask to contain?' },
        text: {
          type: 'mrkdwn' as const,
          text: `The incident commanders are asked to approve containment of *${escapeMrkdwn(caseId)}*: the instance loses its network and IAM access once one approves.`,
        },
        confirm: { type: 'plain_text' as const, text: 'Ask to contain' },
        deny: { type: 'plain_text' as const, text: 'Cancel' },
      },
    });
  if (next.openWorkstation)
    elements.push({
      type: 'button' as const,
      action_id: NEXT_ACTIONS.openWorkstation,
      text: { type: 'plain_text' as const, text: 'Open workstation' },
      value: caseId,
      confirm: {
        title: { type: 'plain_text' as const, text: 'Open a workstation?' },
        text: {
          type: 'mrkdwn' as const,
          text: `A forensic worker with the evidence of *${escapeMrkdwn(caseId)}* starts in the forensics account, reachable through Session Manager only, and is terminated after ${next.openWorkstation.hours} hours.`,
        },
        confirm: { type: 'plain_text' as const, text: 'Open' },
        deny: { type: 'plain_text' as const, text: 'Cancel' },
      },
    });
  if (next.closeFalsePositive)
    elements.push({
      type: 'button' as const,
      action_id: NEXT_ACTIONS.closeFalsePositive,
      text: { type: 'plain_text' as const, text: 'Close as false positive' },
      value: caseId,
    });
  return elements.length ? { type: 'actions', block_id: NEXT_ACTIONS_BLOCK_ID, elements } : undefined;
}

export function examinationSummaryBlocks(
  caseId: string,
  e: ExaminationRecord,
  next: NextActions = {},
): KnownBlock[] {
  const c = e.counts ?? {};
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`Examination of ${caseId}`, LIMITS.headerText),
        emoji: false,
      },
    },
    {
      type: 'section',
      text: mrkdwn(
        escapeMrkdwn(
          `${c.critical ?? 0} critical, ${c.high ?? 0} high, ${c.medium ?? 0} medium findings (${e.total ?? 0} in all)` +
            (e.window ? `; timeline from ${e.window.since}` : ''),
        ),
      ),
    },
  ];
  for (const section of SUMMARY_SECTIONS) {
    const all = e.findings.filter((f) => (section.categories as readonly string[]).includes(f.category));
    const worth = all.filter((f) => f.severity !== 'low' && f.severity !== 'info');
    const list = worth.slice(0, PER_SECTION);
    const more = all.length - list.length;
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `*${escapeMrkdwn(section.title)}*${list.length ? '' : ' nothing found'}${more > 0 ? ` (${more} more in report.md)` : ''}`,
      ),
    });
    for (const f of list) blocks.push(findingBlock(f));
  }
  const evidence = [
    ...e.inputs.map((i) => `${i.name} ${i.uri} sha256 ${i.sha256} (verified)`),
    ...e.outputs.map((o) => `${o.name} ${o.uri} sha256 ${o.sha256}`),
  ];
  blocks.push({ type: 'section', text: mrkdwn(`*Evidence*\n${escapeMrkdwn(evidence.join('\n'))}`) });
  if (e.notExamined.length)
    blocks.push({
      type: 'context',
      elements: [plain(`Not examined: ${e.notExamined.join('; ')}`)],
    });
  // The cap is Slack's: 50 blocks a message (6 section heads, 5 findings each, 5 fixed blocks and the
  // buttons fit); the buttons are the last block whatever else is cut.
  const actions = nextActionsBlock(caseId, next);
  return actions ? [...blocks.slice(0, LIMITS.blocks - 1), actions] : blocks.slice(0, LIMITS.blocks);
}

/** Notification text (mrkdwn is parsed here too: only numbers and the case id). */
export function examinationSummaryText(caseId: string, e: ExaminationRecord): string {
  const c = e.counts ?? {};
  return `${caseId} examined: ${c.critical ?? 0} critical, ${c.high ?? 0} high findings`;
}
