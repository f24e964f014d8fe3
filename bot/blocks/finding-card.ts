import type { ActionsBlock, Button, KnownBlock, SectionBlock } from '@slack/types';
import { type Finding, findingTarget, SOURCE_NAMES } from '../core/finding.js';
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
 * The finding card: a pure function of a Finding and the card's state. The slack helper rebuilds it with
 * a status line and the buttons disabled when a case takes over (see `findingCardBlocks`).
 */

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
