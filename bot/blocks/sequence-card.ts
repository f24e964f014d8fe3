import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { type SequenceResource, sequenceInstances } from '../core/attack-sequence.js';
import { type Finding, SOURCE_NAMES } from '../core/finding.js';
import {
  escapeMrkdwn,
  field,
  formatTime,
  LIMITS,
  mrkdwnText,
  plainText,
  safeText,
  severityMarker,
  truncate,
} from './common.js';
import { FINDING_ACTIONS, FINDING_LINK_ACTION_PREFIX, findingButtonValue } from './finding-buttons.js';

/**
 * The attack-sequence card: one GuardDuty `AttackSequence:*` finding with everything it names — its
 * instances, roles, access keys and other resources, the signals and indicators GuardDuty correlated,
 * how many constituent findings folded into it — and "Contain all N" for its EC2 instances. Pure; every
 * text from the finding is escaped (mrkdwnText, escapeMrkdwn) in the blocks and in the fallback text.
 */

export const CONTAIN_ALL_ACTION_ID = 'incident.contain_all';

export const SEQUENCE_CARD_BLOCKS = {
  header: 'sequence.header',
  fields: 'sequence.fields',
  description: 'sequence.description',
  resources: 'sequence.resources',
  indicators: 'sequence.indicators',
  status: 'sequence.status',
  context: 'sequence.context',
  actions: 'sequence.actions',
  links: 'sequence.links',
} as const;

export interface SequenceCardState {
  count?: number;
  lastSeen?: string;
  fingerprint?: string;
  /** Constituent findings folded into this card, and how many of them had a card of their own first. */
  constituents?: { folded: number; carded: number };
  statusLine?: string;
  /** "Contain all" and Dismiss shown (default true). Links always stay. */
  buttonsEnabled?: boolean;
}

/** Resources listed per kind before "and N more". */
const PER_KIND = 15;

const KIND_TITLES: Record<SequenceResource['kind'], string> = {
  'ec2-instance': 'Instances',
  'iam-role': 'Roles',
  'iam-access-key': 'Access keys',
  'iam-instance-profile': 'Instance profiles',
  's3-bucket': 'S3 buckets',
  other: 'Other resources',
};

export function sequenceCardText(finding: Finding): string {
  const n = finding.sequence ? sequenceInstances(finding.sequence).length : 0;
  return truncate(
    escapeMrkdwn(
      `${finding.severity.label} GuardDuty attack sequence: ${safeText(finding.title)} (${n} instance${n === 1 ? '' : 's'})`,
    ),
    500,
  );
}

/** One resource as a line: `` `i-0abc` web-1 · 333333333333/us-east-1 ``. */
export function resourceLine(r: SequenceResource): string {
  const where = r.account ? ` · ${r.account}${r.region ? `/${r.region}` : ''}` : '';
  const name = r.name ? ` ${escapeMrkdwn(truncate(r.name, 80))}` : '';
  return `\`${escapeMrkdwn(truncate(r.id, 200)).replaceAll('`', "'")}\`${name}${escapeMrkdwn(where)}`;
}

export function sequenceCardBlocks(finding: Finding, state: SequenceCardState = {}): KnownBlock[] {
  const sequence = finding.sequence;
  const instances = sequence ? sequenceInstances(sequence) : [];
  const count = Math.max(finding.count, Number.isFinite(state.count) ? (state.count as number) : 0);
  const folded = state.constituents?.folded ?? 0;
  const carded = state.constituents?.carded ?? 0;
  const fields = [
    field('Type', finding.type),
    field('Severity', `${finding.severity.label} (${finding.severity.score}/10)`),
    field('Account', finding.account),
    field('Region', finding.region),
    field('Signals', sequence?.signalCount ?? 0),
    field(
      'Constituent findings',
      carded ? `${folded} (${carded} carded before the sequence arrived)` : folded,
    ),
    field('Count', count),
  ];
  if (finding.firstSeen) fields.push(field('First seen', formatTime(finding.firstSeen)));
  if (state.lastSeen ?? finding.lastSeen)
    fields.push(field('Last seen', formatTime(state.lastSeen ?? finding.lastSeen)));
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      block_id: SEQUENCE_CARD_BLOCKS.header,
      text: {
        type: 'plain_text',
        text: plainText(
          `${severityMarker(finding.severity.label)} ${finding.severity.label} · ${safeText(finding.title)}`,
          LIMITS.headerText,
        ),
        emoji: true,
      },
    },
    { type: 'section', block_id: SEQUENCE_CARD_BLOCKS.fields, fields: fields.slice(0, LIMITS.sectionFields) },
  ];
  const description = sequence?.description || finding.description;
  if (description)
    blocks.push({
      type: 'section',
      block_id: SEQUENCE_CARD_BLOCKS.description,
      text: { type: 'mrkdwn', text: mrkdwnText(description, 700) },
    });
  blocks.push({
    type: 'section',
    block_id: SEQUENCE_CARD_BLOCKS.resources,
    text: { type: 'mrkdwn', text: resourcesText(sequence?.resources ?? [], instances) },
  });
  const indicators = indicatorsText(finding);
  if (indicators)
    blocks.push({
      type: 'context',
      block_id: SEQUENCE_CARD_BLOCKS.indicators,
      elements: [{ type: 'mrkdwn', text: indicators }],
    });
  if (state.statusLine)
    blocks.push({
      type: 'context',
      block_id: SEQUENCE_CARD_BLOCKS.status,
      elements: [{ type: 'mrkdwn', text: truncate(state.statusLine, LIMITS.sectionText) }],
    });
  blocks.push({
    type: 'context',
    block_id: SEQUENCE_CARD_BLOCKS.context,
    elements: [
      {
        type: 'mrkdwn',
        text: truncate(
          `${escapeMrkdwn(SOURCE_NAMES[finding.source])} Extended Threat Detection · finding \`${escapeMrkdwn(safeText(finding.id))}\``,
          LIMITS.sectionText,
        ),
      },
    ],
  });
  if (state.buttonsEnabled !== false) blocks.push(actions(finding, instances.length, state.fingerprint));
  const links = finding.links
    .filter((l) => /^https:\/\//.test(l.url) && l.url.length <= LIMITS.buttonUrl)
    .slice(0, 5)
    .map(
      (l, n): Button => ({
        type: 'button',
        text: { type: 'plain_text', text: plainText(`${l.label} ↗`, LIMITS.buttonText), emoji: true },
        action_id: `${FINDING_LINK_ACTION_PREFIX}${n}`,
        url: l.url,
      }),
    );
  if (links.length) blocks.push({ type: 'actions', block_id: SEQUENCE_CARD_BLOCKS.links, elements: links });
  return blocks;
}

/** Every kind of resource with its first PER_KIND entries; instances first, as they are what is acted on. */
function resourcesText(resources: SequenceResource[], instances: SequenceResource[]): string {
  if (!resources.length) return '_GuardDuty named no resources in this sequence._';
  const kinds = Object.keys(KIND_TITLES) as SequenceResource['kind'][];
  const parts: string[] = [];
  for (const kind of kinds) {
    const list = kind === 'ec2-instance' ? instances : resources.filter((r) => r.kind === kind);
    if (!list.length) continue;
    const lines = list.slice(0, PER_KIND).map((r) => `• ${resourceLine(r)}`);
    if (list.length > PER_KIND) lines.push(`• _and ${list.length - PER_KIND} more_`);
    parts.push(`*${KIND_TITLES[kind]} (${list.length})*\n${lines.join('\n')}`);
  }
  // Whole entries are dropped rather than cut mid-line when the kinds together exceed a section.
  let out = '';
  for (const part of parts) {
    const next = out ? `${out}\n${part}` : part;
    if (next.length > LIMITS.sectionText - 40) return `${out}\n_… more resources in GuardDuty_`;
    out = next;
  }
  return out;
}

function indicatorsText(finding: Finding): string | undefined {
  const s = finding.sequence;
  if (!s) return undefined;
  const parts = s.indicators
    .slice(0, 6)
    .map((i) => `*${escapeMrkdwn(i.title ?? i.key)}*: ${escapeMrkdwn(safeText(i.values.slice(0, 6)))}`);
  if (s.endpoints.length)
    parts.push(`*Endpoints*: ${escapeMrkdwn(safeText(s.endpoints.slice(0, 6).map((e) => e.label)))}`);
  if (s.actors.length)
    parts.push(`*Actors*: ${escapeMrkdwn(safeText(s.actors.slice(0, 6).map((a) => a.label)))}`);
  return parts.length ? truncate(parts.join(' · '), LIMITS.sectionText) : undefined;
}

function actions(finding: Finding, instances: number, fingerprint?: string): ActionsBlock {
  const value = findingButtonValue(finding, fingerprint);
  const elements: Button[] = [];
  if (instances > 0)
    elements.push({
      type: 'button',
      text: { type: 'plain_text', text: `Contain all ${instances}`, emoji: true },
      action_id: CONTAIN_ALL_ACTION_ID,
      value,
      style: 'danger',
      confirm: {
        title: { type: 'plain_text', text: `Contain all ${instances} instances?` },
        text: {
          type: 'mrkdwn',
          text: truncate(
            `Opens one incident: each of the ${instances} EC2 instances of this sequence gets its case, and one incident commander's approval contains them all (network isolation, IAM role detached, memory and disks acquired).`,
            LIMITS.confirmText,
          ),
        },
        confirm: { type: 'plain_text', text: 'Request containment' },
        deny: { type: 'plain_text', text: 'Cancel' },
        style: 'danger',
      },
    });
  elements.push({
    type: 'button',
    text: { type: 'plain_text', text: 'Dismiss', emoji: true },
    action_id: FINDING_ACTIONS.dismiss,
    value,
  });
  return { type: 'actions', block_id: SEQUENCE_CARD_BLOCKS.actions, elements };
}
