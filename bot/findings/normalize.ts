import type { z } from 'zod';
import { ACCOUNT_ID_RE, INSTANCE_ID_RE, REGION_RE } from '../core/ids.js';
import { normalizeAsff } from './asff.js';
import {
  AsffFindingSchema,
  DETAIL_TYPES,
  type Envelope,
  EnvelopeSchema,
  GuardDutyDetailSchema,
  OcsfFindingSchema,
  SecurityHubDetailSchema,
  TagChangeDetailSchema,
} from './events.js';
import { type Finding, findingTarget } from '../core/finding.js';
import { normalizeGuardDuty } from './guardduty.js';
import { ec2InstanceLink } from './links.js';
import { normalizeOcsf } from './ocsf.js';
import { compareLabels } from '../core/severity.js';

/** The tag whose value asks for a case, and the values that count (case-sensitive, as the runbook says). */
export const INCIDENT_TAG = 'SecurityIncidentStatus';
const TAG_ACTIONS: Record<string, 'analyze' | 'contain'> = { Analyze: 'analyze', Contain: 'contain' };

/** Something in the event that cannot be acted on: why, and where (the zod path of the failing field). */
export interface Rejection {
  reason: string;
  path: string;
  detailType?: string;
  eventId?: string;
  findingId?: string;
}

/** Something valid that is deliberately not acted on (another tag changed, an unrelated event). */
export interface Ignored {
  reason: string;
  detailType?: string;
  findingId?: string;
}

/** A human asked for a case: by tagging an instance, or with a Security Hub custom action. */
export interface CaseRequestIntent {
  action: 'analyze' | 'contain';
  trigger: 'tag' | 'security-hub-action';
  /** How the trigger reads on a card and as the requester's name, e.g. "tag SecurityIncidentStatus=Contain". */
  triggerLabel: string;
  /** The finding that represents the request (for a custom action, the most severe one selected). */
  finding: Finding;
  findingIds: string[];
}

export interface NormalizedEvent {
  /** The EventBridge event id: a duplicate delivery of one event carries the same id. */
  eventId?: string;
  findings: Finding[];
  requests: CaseRequestIntent[];
  rejections: Rejection[];
  ignored: Ignored[];
}

export interface NormalizeOptions {
  /** Custom action ids (the last part of the action target ARN) that mean Analyze / Contain. */
  analyzeActionId: string;
  containActionId: string;
}

export const DEFAULT_NORMALIZE_OPTIONS: NormalizeOptions = {
  analyzeActionId: 'ForensicsAnalyze',
  containActionId: 'ForensicsContain',
};

/** `detail.findings[2].AwsAccountId` from a zod issue path under a prefix. */
export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out;
}

function rejectionsOf(error: z.ZodError, prefix: string, extra: Partial<Rejection>): Rejection[] {
  return error.issues.slice(0, 5).map((issue) => ({
    ...extra,
    reason: issue.message,
    path: formatPath(prefix, issue.path),
  }));
}

type Reader = (
  e: Envelope,
  out: NormalizedEvent,
  base: Partial<Rejection>,
  options: NormalizeOptions,
) => void;

/** The reader of each detail-type the intake handles (a Map: the detail-type is the sender's text). */
const READERS = new Map<string, Reader>([
  [DETAIL_TYPES.guardDuty, guardDuty],
  [DETAIL_TYPES.securityHubImported, (e, out, base) => securityHub(e, out, base, undefined)],
  [DETAIL_TYPES.securityHubImportedV2, securityHubV2],
  [DETAIL_TYPES.securityHubCustomAction, customAction],
  [DETAIL_TYPES.tagChange, tagChange],
]);

/**
 * One EventBridge event as findings, case requests, rejections and ignored items. Never throws: every
 * problem becomes a rejection with its reason and path, and one bad finding in a Security Hub batch does
 * not stop the others.
 */
export function normalizeEvent(
  event: unknown,
  options: NormalizeOptions = DEFAULT_NORMALIZE_OPTIONS,
): NormalizedEvent {
  const out: NormalizedEvent = { findings: [], requests: [], rejections: [], ignored: [] };
  const envelope = EnvelopeSchema.safeParse(event);
  if (!envelope.success) {
    out.rejections.push(...rejectionsOf(envelope.error, '', { reason: '' }));
    return out;
  }
  const e = envelope.data;
  const base = { detailType: e['detail-type'], eventId: typeof e.id === 'string' ? e.id : undefined };
  if (base.eventId) out.eventId = base.eventId;
  const read = READERS.get(e['detail-type']);
  if (read) read(e, out, base, options);
  else out.ignored.push({ ...base, reason: `not an event the intake handles ("${e['detail-type']}")` });
  return out;
}

/** The envelope's account and region, when they look like an account and a region. */
function envelopeScope(e: Envelope): { account: string; region: string } {
  return {
    account: e.account && ACCOUNT_ID_RE.test(e.account) ? e.account : '',
    region: e.region && REGION_RE.test(e.region) ? e.region : 'us-east-1',
  };
}

function guardDuty(e: Envelope, out: NormalizedEvent, base: Partial<Rejection>): void {
  const parsed = GuardDutyDetailSchema.safeParse(e.detail);
  const findingId = typeof e.detail.id === 'string' ? e.detail.id : undefined;
  if (!parsed.success) {
    out.rejections.push(...rejectionsOf(parsed.error, 'detail', { ...base, findingId }));
    return;
  }
  const scope = envelopeScope(e);
  if (!parsed.data.accountId && !scope.account) {
    out.rejections.push({
      ...base,
      findingId,
      reason: 'no 12-digit account id in the finding or the event',
      path: 'account',
    });
    return;
  }
  out.findings.push(normalizeGuardDuty(parsed.data, scope));
}

/** Every finding in `detail.findings`, each validated on its own. */
function securityHub(
  e: Envelope,
  out: NormalizedEvent,
  base: Partial<Rejection>,
  onFinding: ((finding: Finding) => void) | undefined,
): void {
  const detail = SecurityHubDetailSchema.safeParse(e.detail);
  if (!detail.success) {
    out.rejections.push(...rejectionsOf(detail.error, 'detail', base));
    return;
  }
  const scope = envelopeScope(e);
  detail.data.findings.forEach((raw, index) => {
    const parsed = AsffFindingSchema.safeParse(raw);
    const prefix = `detail.findings[${index}]`;
    if (!parsed.success) {
      const id = (raw as { Id?: unknown } | null)?.Id;
      out.rejections.push(
        ...rejectionsOf(parsed.error, prefix, {
          ...base,
          findingId: typeof id === 'string' ? id : undefined,
        }),
      );
      return;
    }
    const finding = normalizeAsff(parsed.data, scope);
    if (onFinding) onFinding(finding);
    else out.findings.push(finding);
  });
}

/** Every OCSF finding in `detail.findings` (Security Hub sends one per event), each validated on its own. */
function securityHubV2(e: Envelope, out: NormalizedEvent, base: Partial<Rejection>): void {
  const detail = SecurityHubDetailSchema.safeParse(e.detail);
  if (!detail.success) {
    out.rejections.push(...rejectionsOf(detail.error, 'detail', base));
    return;
  }
  const scope = envelopeScope(e);
  detail.data.findings.forEach((raw, index) => {
    const parsed = OcsfFindingSchema.safeParse(raw);
    if (!parsed.success) {
      const uid = (raw as { finding_info?: { uid?: unknown } } | null)?.finding_info?.uid;
      out.rejections.push(
        ...rejectionsOf(parsed.error, `detail.findings[${index}]`, {
          ...base,
          findingId: typeof uid === 'string' ? uid : undefined,
        }),
      );
      return;
    }
    out.findings.push(normalizeOcsf(parsed.data, scope));
  });
}

/** The action id from the action target ARN (`arn:aws:securityhub:<region>:<account>:action/custom/<id>`). */
export function customActionId(e: Pick<Envelope, 'resources'>): string | undefined {
  const arn = e.resources?.find((r) => r.includes(':action/custom/'));
  return arn?.split('/').pop() || undefined;
}

/** Analyze or Contain for an action id: the configured ids first, then ids that contain the word. */
export function actionOfCustomAction(
  id: string,
  options: NormalizeOptions,
): 'analyze' | 'contain' | undefined {
  const lower = id.toLowerCase();
  if (lower === options.containActionId.toLowerCase()) return 'contain';
  if (lower === options.analyzeActionId.toLowerCase()) return 'analyze';
  if (lower.includes('contain')) return 'contain';
  if (lower.includes('analyze') || lower.includes('analyse')) return 'analyze';
  return undefined;
}

function customAction(
  e: Envelope,
  out: NormalizedEvent,
  base: Partial<Rejection>,
  options: NormalizeOptions,
): void {
  const actionId = customActionId(e);
  const action = actionId ? actionOfCustomAction(actionId, options) : undefined;
  if (!actionId || !action) {
    out.rejections.push({
      ...base,
      path: 'resources[0]',
      reason: actionId
        ? `custom action "${actionId}" is neither Analyze nor Contain (expected ${options.analyzeActionId} or ${options.containActionId})`
        : 'no custom action target ARN in resources',
    });
    return;
  }
  const byInstance = new Map<string, Finding[]>();
  securityHub(e, out, base, (finding) => {
    const target = findingTarget(finding);
    if (!target) {
      out.rejections.push({
        ...base,
        findingId: finding.id,
        path: 'detail.findings',
        reason: `custom action "${actionId}" on a finding whose resource is not an EC2 instance (${finding.resource.kind} ${finding.resource.id})`,
      });
      return;
    }
    const key = `${target.account}/${target.region}/${target.instanceId}`;
    byInstance.set(key, [...(byInstance.get(key) ?? []), finding]);
  });
  for (const findings of byInstance.values()) {
    const worst = [...findings].sort((a, b) => compareLabels(b.severity.label, a.severity.label))[0]!;
    out.requests.push({
      action,
      trigger: 'security-hub-action',
      triggerLabel: `Security Hub action ${actionId}`,
      finding: { ...worst, source: 'custom-action', requested: action },
      findingIds: findings.map((f) => f.id),
    });
  }
}

function tagChange(e: Envelope, out: NormalizedEvent, base: Partial<Rejection>): void {
  const parsed = TagChangeDetailSchema.safeParse(e.detail);
  if (!parsed.success) {
    out.rejections.push(...rejectionsOf(parsed.error, 'detail', base));
    return;
  }
  const d = parsed.data;
  if (d.service !== 'ec2' || d['resource-type'] !== 'instance') {
    out.ignored.push({
      ...base,
      reason: `tag change on ${d.service} ${d['resource-type']}, not an EC2 instance`,
    });
    return;
  }
  if (!d['changed-tag-keys'].includes(INCIDENT_TAG)) {
    out.ignored.push({
      ...base,
      reason: `${INCIDENT_TAG} did not change (changed: ${d['changed-tag-keys'].join(', ')})`,
    });
    return;
  }
  const value = d.tags[INCIDENT_TAG];
  const action = value === undefined ? undefined : TAG_ACTIONS[value];
  if (!action) {
    out.ignored.push({
      ...base,
      reason: `${INCIDENT_TAG}=${value ?? '(removed)'} is not Analyze or Contain (case-sensitive)`,
    });
    return;
  }
  const arn = e.resources?.find((r) => r.includes(':instance/')) ?? '';
  const instanceId = arn.split('/').pop() ?? '';
  const [, , , arnRegion, arnAccount] = arn.split(':');
  const scope = envelopeScope(e);
  const account = arnAccount && ACCOUNT_ID_RE.test(arnAccount) ? arnAccount : scope.account;
  const region = arnRegion && REGION_RE.test(arnRegion) ? arnRegion : scope.region;
  if (!INSTANCE_ID_RE.test(instanceId) || !account) {
    out.rejections.push({
      ...base,
      path: 'resources[0]',
      reason: `tag change names no EC2 instance in a 12-digit account ("${arn || 'no resources'}")`,
    });
    return;
  }
  const triggerLabel = `tag ${INCIDENT_TAG}=${value}`;
  const finding: Finding = {
    source: 'tag',
    id: `${account}/${region}/${instanceId}/${INCIDENT_TAG}=${value}@${e.time ?? ''}`,
    type: `${INCIDENT_TAG}=${value}`,
    title: `${value} requested on ${instanceId} by ${triggerLabel}`,
    description: `The instance was tagged ${INCIDENT_TAG}=${value}.`,
    severity: { label: 'HIGH', score: 7 },
    account,
    region,
    resource: {
      kind: 'ec2-instance',
      id: instanceId,
      instance: { instanceId, name: d.tags.Name || undefined, privateIps: [], publicIps: [], tags: d.tags },
    },
    firstSeen: isoOrUndefined(e.time),
    lastSeen: isoOrUndefined(e.time),
    count: 1,
    links: [ec2InstanceLink(region, instanceId)],
    archived: false,
    requested: action,
  };
  out.requests.push({ action, trigger: 'tag', triggerLabel, finding, findingIds: [finding.id] });
}

function isoOrUndefined(value: string | undefined): string | undefined {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
