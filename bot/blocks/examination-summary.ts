import type { KnownBlock } from '@slack/types';
import type { ExaminationFinding, ExaminationRecord } from '../core/case-model.js';
import { escapeMrkdwn, LIMITS, truncate } from './common.js';

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

export function examinationSummaryBlocks(caseId: string, e: ExaminationRecord): KnownBlock[] {
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
  // The cap is Slack's: 50 blocks a message (6 section heads, 5 findings each and 5 fixed blocks fit).
  return blocks.slice(0, LIMITS.blocks);
}

/** Notification text (mrkdwn is parsed here too: only numbers and the case id). */
export function examinationSummaryText(caseId: string, e: ExaminationRecord): string {
  const c = e.counts ?? {};
  return `${caseId} examined: ${c.critical ?? 0} critical, ${c.high ?? 0} high findings`;
}
