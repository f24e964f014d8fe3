import type { KnownBlock } from '@slack/types';
import {
  ACTION_WORDS,
  type AutoResponseConfig,
  type AutoResponseRule,
  actionScope,
} from '../intake/auto-response.js';
import { cut, esc } from './case-text.js';

/**
 * `/forensics rules`: the auto-response rules in the order they are tried, with what each matches and does,
 * the dry runs, the hourly cap and this hour's count. Pure; every configured text is escaped (a rule's
 * name, types and tags are the deployment's, but still never become mentions, links or formatting).
 */
export interface RulesView {
  config: AutoResponseConfig;
  allowUnattendedContainment: boolean;
  hour: { cases: number; refused: number };
}

/** At most this many rule sections (Block Kit allows 50 blocks in a message). */
const MAX_RULES_SHOWN = 45;

/** Inline code that cannot be broken out of: backticks become quotes, then mrkdwn is escaped. */
const code = (s: string): string => `\`${esc(cut(s.replaceAll('`', "'"), 200))}\``;

/** The rule's criteria in words, escaped: "types `CryptoCurrency:EC2/*`, severity ≥ HIGH". */
export function ruleCriteria(rule: AutoResponseRule): string {
  const parts: string[] = [];
  if (rule.types) parts.push(`types ${rule.types.map(code).join(' or ')}`);
  if (rule.minSeverity !== undefined) parts.push(`severity ≥ ${esc(String(rule.minSeverity))}`);
  if (rule.accounts) parts.push(`accounts ${rule.accounts.join(', ')}`);
  if (rule.tags) parts.push(`tags ${rule.tags.map((t) => code(`${t.key}=${t.value}`)).join(' and ')}`);
  if (rule.resourceTypes) parts.push(`resources ${rule.resourceTypes.join(' or ')}`);
  return parts.length ? parts.join(', ') : 'every finding';
}

export function rulesText(view: RulesView): string {
  const n = view.config.rules.length;
  return n ? `${n} auto-response rule${n === 1 ? '' : 's'}, first match wins` : 'No auto-response rules';
}

export function rulesBlocks(view: RulesView): KnownBlock[] {
  const { config } = view;
  const context: KnownBlock = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: [
          `At most ${config.maxCasesPerHour} automatic cases an hour (this hour: ${view.hour.cases}${view.hour.refused ? `, ${view.hour.refused} refused` : ''})`,
          config.dryRun ? '*dry run*: no rule acts, each says what it would have done' : undefined,
          view.allowUnattendedContainment
            ? 'unattended containment allowed'
            : 'unattended containment refused',
          'configured in cdk.json `autoResponse`',
        ]
          .filter(Boolean)
          .join(' · '),
      },
    ],
  };
  if (!config.rules.length)
    return [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*No auto-response rules*: every finding gets its card and waits for a responder.',
        },
      },
      context,
    ];
  const shown = config.rules.slice(0, MAX_RULES_SHOWN).map(
    (rule, i): KnownBlock => ({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: cut(
          `*${i + 1}. ${esc(rule.name)}* → \`${rule.action}\`${rule.dryRun || config.dryRun ? ' (dry run)' : ''}: ${ACTION_WORDS[rule.action]}; acts on ${actionScope(rule.action)}\nWhen ${ruleCriteria(rule)}`,
          3000,
        ),
      },
    }),
  );
  const rest = config.rules.length - shown.length;
  return [
    { type: 'section', text: { type: 'mrkdwn', text: `*${esc(rulesText(view))}*` } },
    ...shown,
    ...(rest > 0
      ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: `and ${rest} more` }] }]
      : []),
    context,
  ];
}
