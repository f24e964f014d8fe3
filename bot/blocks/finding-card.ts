import type { ActionsBlock, Button, KnownBlock, SectionBlock } from '@slack/types';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { type Finding, findingTarget, fingerprintOf, SOURCE_NAMES } from '../core/finding.js';
import { formatPath } from '../findings/normalize.js';
import {
  escapeMrkdwn,
  field,
  formatTime,
  LIMITS,
  mrkdwnText,
  NONE,
  plainText,
  safeText,
  severityMarker,
  truncate,
} from './common.js';

/**
 * The finding card: a pure function of a Finding and the card's state. The slack helper rebuilds it with
 * a status line and the buttons disabled when a case takes over (see `findingCardBlocks`).
 */

/** Action ids the Slack listeners register (exactly these). */
export const FINDING_ACTIONS = {
  analyze: 'case.analyze',
  contain: 'case.contain',
  dismiss: 'finding.dismiss',
} as const;
/** Link buttons still send a block_actions payload: listeners should acknowledge `/^finding\.link\./`. */
export const FINDING_LINK_ACTION_PREFIX = 'finding.link.';

/** Block ids of the card's parts, so an update can find or replace one part. */
export const FINDING_CARD_BLOCKS = {
  header: 'finding.header',
  fields: 'finding.fields',
  instance: 'finding.instance',
  description: 'finding.description',
  status: 'finding.status',
  context: 'finding.context',
  actions: 'finding.actions',
  links: 'finding.links',
} as const;

/**
 * What a card button carries back: the finding's fingerprint, nothing else. The listener loads the finding
 * from the table, so nothing a client sends back (or edits) decides which instance a case acts on.
 */
export const FindingButtonValueSchema = z.object({
  f: z.string().regex(/^[0-9a-f]{32}$/, 'not a finding fingerprint'),
});
export type FindingButtonValue = z.infer<typeof FindingButtonValueSchema>;

/** Parses and validates a button value; throws InvalidInputError naming the failing field. */
export function parseFindingButtonValue(value: unknown): FindingButtonValue {
  let json: unknown;
  try {
    json = typeof value === 'string' ? JSON.parse(value) : undefined;
  } catch {
    json = undefined;
  }
  if (json === undefined) throw new InvalidInputError('the button value is not JSON', 'value');
  const parsed = FindingButtonValueSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(
      `the button value is invalid: ${issue.message}`,
      formatPath('value', issue.path),
    );
  }
  return parsed.data;
}

/** The compact JSON a button carries. */
export function findingButtonValue(finding: Finding, fingerprint?: string): string {
  return JSON.stringify({ f: fingerprint ?? fingerprintOf(finding) } satisfies FindingButtonValue);
}

export interface FindingCardState {
  /** Occurrences to show; the larger of this and the finding's own count is shown. */
  count?: number;
  /** ISO time of the latest occurrence. */
  lastSeen?: string;
  /** A line under the description (mrkdwn, already formatted by the caller): case status, dismissal. */
  statusLine?: string;
  /** Analyze / Contain / Dismiss shown (default true). Links always stay. */
  buttonsEnabled?: boolean;
  /** Carried in the button values. */
  fingerprint?: string;
}

/** Notification text (shown in notifications and where blocks cannot be rendered). */
export function findingCardText(finding: Finding): string {
  // Slack parses the fallback as mrkdwn (mentions, links, <!channel>): the finding's text is escaped.
  return truncate(
    escapeMrkdwn(
      `${finding.severity.label} ${SOURCE_NAMES[finding.source]} finding: ${safeText(finding.title)} (${resourceText(finding)})`,
    ),
    500,
  );
}

/** The header line: marker, label and title. */
export function findingHeader(finding: Finding): string {
  return plainText(
    `${severityMarker(finding.severity.label)} ${finding.severity.label} · ${safeText(finding.title)}`,
    LIMITS.headerText,
  );
}

/** The resource as one line: "i-0abc (web-1)", "access key AKIA… (alice)", "S3 bucket logs". */
export function resourceText(finding: Finding): string {
  const r = finding.resource;
  const id = safeText(r.id);
  switch (r.kind) {
    case 'ec2-instance':
      return r.instance?.name ? `${id} (${r.instance.name})` : id;
    case 'iam-access-key':
      return r.label ? `access key ${id} (${r.label})` : `access key ${id}`;
    case 's3-bucket':
      return `S3 bucket ${id}`;
    case 'aws-account':
      return `AWS account ${id}`;
    default:
      return r.label && r.label !== id ? `${r.label} ${id}` : id;
  }
}

/** The card's blocks. Pure; stays within Block Kit limits whatever the finding carries. */
export function findingCardBlocks(finding: Finding, state: FindingCardState = {}): KnownBlock[] {
  const count = Math.max(finding.count, Number.isFinite(state.count) ? (state.count as number) : 0);
  const lastSeen = state.lastSeen ?? finding.lastSeen;
  const main: SectionBlock['fields'] = [
    field('Type', finding.type),
    field('Severity', `${finding.severity.label} (${finding.severity.score}/10)`),
    field('Account', finding.account),
    field('Region', finding.region),
    field('Resource', resourceText(finding)),
    field('Count', count),
  ];
  if (finding.firstSeen) main.push(field('First seen', formatTime(finding.firstSeen)));
  if (lastSeen) main.push(field('Last seen', formatTime(lastSeen)));
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      block_id: FINDING_CARD_BLOCKS.header,
      text: { type: 'plain_text', text: findingHeader(finding), emoji: true },
    },
    { type: 'section', block_id: FINDING_CARD_BLOCKS.fields, fields: main.slice(0, LIMITS.sectionFields) },
  ];
  const instance = instanceFields(finding);
  if (instance.length)
    blocks.push({ type: 'section', block_id: FINDING_CARD_BLOCKS.instance, fields: instance });
  if (finding.description) {
    blocks.push({
      type: 'section',
      block_id: FINDING_CARD_BLOCKS.description,
      text: { type: 'mrkdwn', text: mrkdwnText(finding.description, 700) },
    });
  }
  if (state.statusLine) {
    blocks.push({
      type: 'context',
      block_id: FINDING_CARD_BLOCKS.status,
      elements: [{ type: 'mrkdwn', text: truncate(state.statusLine, LIMITS.sectionText) }],
    });
  }
  blocks.push({
    type: 'context',
    block_id: FINDING_CARD_BLOCKS.context,
    elements: [
      {
        type: 'mrkdwn',
        text: truncate(
          `${escapeMrkdwn(SOURCE_NAMES[finding.source])} · finding \`${escapeMrkdwn(safeText(finding.id))}\``,
          LIMITS.sectionText,
        ),
      },
    ],
  });
  if (state.buttonsEnabled !== false) blocks.push(actionButtons(finding, state.fingerprint));
  const links = linkButtons(finding);
  if (links) blocks.push(links);
  return blocks;
}

function instanceFields(finding: Finding): NonNullable<SectionBlock['fields']> {
  const i = finding.resource.instance;
  if (finding.resource.kind !== 'ec2-instance' || !i) return [];
  const out = [field('Instance', i.name ? `${i.instanceId} (${i.name})` : i.instanceId)];
  if (i.privateIps.length) out.push(field('Private IPs', i.privateIps.slice(0, 10)));
  if (i.publicIps.length) out.push(field('Public IPs', i.publicIps.slice(0, 10)));
  if (i.vpcId) out.push(field('VPC', i.vpcId));
  if (i.subnetId) out.push(field('Subnet', i.subnetId));
  if (i.imageId) out.push(field('Image', i.imageId));
  if (i.launchTime) out.push(field('Launched', formatTime(i.launchTime)));
  return out.slice(0, LIMITS.sectionFields);
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text, emoji: true },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}

function actionButtons(finding: Finding, fingerprint?: string): ActionsBlock {
  const value = findingButtonValue(finding, fingerprint);
  const target = findingTarget(finding);
  const elements: Button[] = [];
  if (target) {
    const who = finding.resource.instance?.name
      ? `${target.instanceId} (${finding.resource.instance.name})`
      : target.instanceId;
    // Analyze is not read-only: it changes instance attributes and runs a capture on the instance.
    elements.push({
      ...button('Analyze', FINDING_ACTIONS.analyze, value, 'primary'),
      confirm: {
        title: { type: 'plain_text', text: 'Analyze this instance?' },
        text: {
          type: 'mrkdwn',
          text: truncate(
            `Analysis changes *${escapeMrkdwn(who)}* (${target.account}, ${target.region}): termination protection on, shutdown stops it, volumes kept; memory is captured through SSM (a process runs on the instance) and the disks are snapshotted. The network is left as it is.`,
            LIMITS.confirmText,
          ),
        },
        confirm: { type: 'plain_text', text: 'Start the analysis' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    });
    elements.push({
      ...button('Contain', FINDING_ACTIONS.contain, value, 'danger'),
      confirm: {
        title: { type: 'plain_text', text: 'Contain this instance?' },
        text: {
          type: 'mrkdwn',
          text: truncate(
            `Containment isolates *${escapeMrkdwn(who)}* in account ${target.account} (${target.region}) from the network and detaches its IAM role. An incident commander must approve it first.`,
            LIMITS.confirmText,
          ),
        },
        confirm: { type: 'plain_text', text: 'Request containment' },
        deny: { type: 'plain_text', text: 'Cancel' },
        style: 'danger',
      },
    });
  }
  elements.push(button('Dismiss', FINDING_ACTIONS.dismiss, value));
  return { type: 'actions', block_id: FINDING_CARD_BLOCKS.actions, elements };
}

function linkButtons(finding: Finding): ActionsBlock | undefined {
  const elements: Button[] = finding.links
    .filter((l) => /^https:\/\//.test(l.url) && l.url.length <= LIMITS.buttonUrl)
    .slice(0, 5)
    .map((l, n) => ({
      type: 'button',
      text: { type: 'plain_text', text: plainText(`${l.label} ↗`, LIMITS.buttonText), emoji: true },
      action_id: `${FINDING_LINK_ACTION_PREFIX}${n}`,
      url: l.url,
    }));
  return elements.length ? { type: 'actions', block_id: FINDING_CARD_BLOCKS.links, elements } : undefined;
}

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
