import { randomUUID } from 'node:crypto';
import {
  findingCardBlocks,
  findingCardText,
  stormSummaryBlocks,
  stormSummaryText,
  type StormSummary,
} from '../blocks/finding-card.js';
import { workspaceSettings } from '../config.js';
import { describeError, ForensicsBotError } from '../errors.js';
import { type Finding, findingTarget, SOURCE_NAMES } from '../findings/finding.js';
import { openCaseOf } from '../cases/store.js';
import { normalizeEvent } from '../findings/normalize.js';
import { logger } from '../logger.js';
import { defaultStartCase, requestCase, type StartCaseFn } from './case-request.js';
import {
  claimRender,
  type FingerprintRecord,
  fingerprintOf,
  getFingerprint,
  markAggregated,
  markFingerprint,
  markPosted,
  markRenderedArchived,
  recordDelivery,
  releaseClaim,
  waitForOutcome,
} from './fingerprints.js';
import {
  addToStorm,
  claimStormRender,
  getStorm,
  highestLabel,
  msToNextWindow,
  releaseStorm,
  setStormCard,
  type StormRecord,
  stormExists,
  stormKeyOf,
  takePostSlot,
} from './flood.js';
import { decide, type PolicySettings } from './policy.js';
import { markNotified, type NotifyItem } from './securityhub.js';
import { intakeSettings } from './settings.js';
import { permalinkOf, postMessage, updateMessage } from './slack-posts.js';

/**
 * The intake service: one EventBridge event in, Slack cards out. Per finding: policy (ignore, route,
 * archived), fingerprint (count, claim), then exactly one of post / update / aggregate. Findings of one
 * event are handled independently: one failure is logged and counted, the rest still post.
 */

/** Some findings could not be posted; thrown after the rest were handled so that Lambda retries the event. */
export class IntakeIncompleteError extends ForensicsBotError {
  override readonly code = 'INTAKE_INCOMPLETE';
}

export type FindingOutcome =
  | 'posted'
  | 'updated'
  | 'counted'
  | 'aggregated'
  | 'archived'
  | 'ignored'
  | 'failed';

export interface IntakeResult {
  outcomes: Record<FindingOutcome, number>;
  rejected: number;
  ignored: number;
  requests: Record<'started' | 'existing' | 'fallback' | 'failed', number>;
  securityHub: { requests: number; updated: number; failed: number };
}

export interface IntakeDeps {
  startCase?: StartCaseFn;
  now?: () => Date;
}

const emptyResult = (): IntakeResult => ({
  outcomes: { posted: 0, updated: 0, counted: 0, aggregated: 0, archived: 0, ignored: 0, failed: 0 },
  rejected: 0,
  ignored: 0,
  requests: { started: 0, existing: 0, fallback: 0, failed: 0 },
  securityHub: { requests: 0, updated: 0, failed: 0 },
});

/** Handles one event; never throws for bad input (rejections are logged), only reports failures. */
export async function processEvent(event: unknown, deps: IntakeDeps = {}): Promise<IntakeResult> {
  const settings = intakeSettings();
  const policy: PolicySettings = { ...settings, ALERTS_CHANNEL: workspaceSettings().ALERTS_CHANNEL };
  const now = deps.now ?? (() => new Date());
  const result = emptyResult();
  const normalized = normalizeEvent(event, {
    analyzeActionId: settings.ANALYZE_ACTION_ID,
    containActionId: settings.CONTAIN_ACTION_ID,
  });
  for (const r of normalized.rejections) {
    result.rejected++;
    logger.warn('Finding rejected', {
      reason: r.reason,
      path: r.path,
      detailType: r.detailType,
      eventId: r.eventId,
      findingId: r.findingId,
    });
  }
  for (const i of normalized.ignored) {
    result.ignored++;
    logger.info('Event ignored', { reason: i.reason, detailType: i.detailType });
  }

  const notify: NotifyItem[] = [];
  await inPool(normalized.findings, 8, async (finding) => {
    let outcome: FindingOutcome;
    try {
      outcome = await handleFinding(finding, policy, settings, now(), notify);
    } catch (error) {
      outcome = 'failed';
      logger.error('Could not post a finding', {
        findingId: finding.id,
        source: finding.source,
        error: describeError(error),
      });
    }
    result.outcomes[outcome]++;
  });

  for (const intent of normalized.requests) {
    const channel = decide(intent.finding, policy);
    const { outcome } = await requestCase(intent, {
      startCase: deps.startCase ?? defaultStartCase,
      channel: channel.action === 'ignore' ? policy.ALERTS_CHANNEL : channel.channel,
      analyzeApproval: settings.ANALYZE_APPROVAL,
    });
    result.requests[outcome]++;
  }

  if (notify.length && settings.SECURITY_HUB_UPDATES) result.securityHub = await markNotified(notify);
  return result;
}

async function handleFinding(
  finding: Finding,
  policy: PolicySettings,
  settings: ReturnType<typeof intakeSettings>,
  now: Date,
  notify: NotifyItem[],
): Promise<FindingOutcome> {
  const decision = decide(finding, policy);
  if (decision.action === 'ignore') {
    logger.info('Finding ignored', { findingId: finding.id, reason: decision.reason });
    return 'ignored';
  }
  const fingerprint = fingerprintOf(finding);
  if (decision.action === 'update-only') return archive(finding, fingerprint);

  const deliveryId = randomUUID();
  const { record, first } = await recordDelivery(
    fingerprint,
    finding,
    deliveryId,
    now,
    settings.FINGERPRINT_TTL_DAYS,
  );
  if (first) {
    // Once a type overflowed in this channel, the rest of the storm goes to its summary.
    const stormKey = stormKeyOf(decision.channel, finding.type, now, settings.STORM_SUMMARY_SECONDS);
    if (
      !(await stormExists(stormKey)) &&
      (await takePostSlot(decision.channel, now, settings.STORM_WINDOW_SECONDS, settings.STORM_MAX_POSTS))
    ) {
      try {
        const card = await postMessage(
          decision.channel,
          findingCardText(finding),
          findingCardBlocks(finding, { count: record.count, fingerprint }),
        );
        await markPosted(fingerprint, { ...card, count: record.count }, now);
        await queueNotify(finding, card, notify);
        return 'posted';
      } catch (error) {
        // Still rate limited after the client's own Retry-After waits: fold into the summary instead.
        if (!isRateLimited(error)) {
          await releaseClaim(fingerprint, deliveryId);
          throw error;
        }
      }
    }
    const storm = await aggregate(finding, decision.channel, true, deliveryId, now, settings, stormKey);
    await markAggregated(fingerprint, decision.channel, storm.stormKey);
    if (storm.ts) await queueNotify(finding, { channel: storm.channel, ts: storm.ts }, notify);
    return 'aggregated';
  }

  // A repeat (or a concurrent delivery that lost the claim): wait for the card being posted, then update.
  let current: FingerprintRecord | undefined = record;
  let waited = false;
  if (current.status === 'claimed') {
    waited = true;
    current = await waitForOutcome(fingerprint, settings.CLAIM_WAIT_MS);
  }
  if (!current || current.status === 'claimed') {
    logger.warn('Card still being posted by another delivery; this one is counted only', {
      findingId: finding.id,
      fingerprint,
    });
    return 'counted';
  }
  if (current.status === 'aggregated' && current.stormKey) {
    await aggregate(
      finding,
      current.channel ?? decision.channel,
      false,
      deliveryId,
      now,
      settings,
      current.stormKey,
    );
    return 'aggregated';
  }
  const claim = await claimRender(fingerprint, now, waited ? 0 : settings.CARD_UPDATE_SECONDS * 1000);
  if (!claim?.ts || !claim.channel) return 'counted';
  if (await cardOwnedByCase(finding, fingerprint, claim.ts)) return 'counted';
  await updateMessage(
    claim.channel,
    claim.ts,
    findingCardText(finding),
    findingCardBlocks(finding, { count: claim.count, lastSeen: claim.lastSeen, fingerprint }),
  );
  return 'updated';
}

/** An archived or resolved finding: its card (if any) shows so and loses its buttons; nothing is posted. */
async function archive(finding: Finding, fingerprint: string): Promise<FindingOutcome> {
  const record = await getFingerprint(fingerprint);
  if (record?.status !== 'posted' || !record.ts || !record.channel) {
    logger.info('Archived finding has no card; nothing to post', { findingId: finding.id });
    return 'ignored';
  }
  if (record.caseId || record.dismissedBy || (await cardOwnedByCase(finding, fingerprint, record.ts)))
    return 'counted';
  const where =
    finding.source === 'guardduty'
      ? 'archived in GuardDuty'
      : `${(finding.workflowStatus ?? 'archived').toLowerCase()} in ${SOURCE_NAMES[finding.source]}`;
  await updateMessage(
    record.channel,
    record.ts,
    findingCardText(finding),
    findingCardBlocks(finding, {
      count: record.count,
      lastSeen: record.lastSeen,
      fingerprint,
      statusLine: `:white_check_mark: This finding was ${where}.`,
      buttonsEnabled: false,
    }),
  );
  await markRenderedArchived(fingerprint, true);
  return 'archived';
}

async function aggregate(
  finding: Finding,
  channel: string,
  newFinding: boolean,
  deliveryId: string,
  now: Date,
  settings: ReturnType<typeof intakeSettings>,
  existingKey?: string,
): Promise<StormRecord> {
  const stormKey = existingKey ?? stormKeyOf(channel, finding.type, now, settings.STORM_SUMMARY_SECONDS);
  const { record, first } = await addToStorm(stormKey, {
    channel,
    type: finding.type,
    newFinding,
    resourceId: finding.resource.id,
    isInstance: finding.resource.kind === 'ec2-instance',
    label: finding.severity.label,
    deliveryId,
    now,
    ttlSeconds: settings.STORM_SUMMARY_SECONDS + settings.FINGERPRINT_TTL_DAYS * 86_400,
  });
  if (first) {
    const ts = await postSummary(stormKey, channel, deliveryId, settings);
    return ts ? { ...record, ts } : record;
  }
  const claim = await claimStormRender(stormKey, now, settings.SUMMARY_UPDATE_SECONDS * 1000);
  if (
    claim?.ts &&
    (await takePostSlot(`update:${channel}`, now, settings.STORM_WINDOW_SECONDS, settings.STORM_MAX_UPDATES))
  ) {
    const latest = summaryOf(claim);
    await updateMessage(claim.channel, claim.ts, stormSummaryText(latest), stormSummaryBlocks(latest));
  }
  return record;
}

/**
 * Posts the summary card of a new storm within the channel's budget: waits for the next window when it is
 * spent (the storm began because it was), up to STORM_SLOT_WAIT_SECONDS. On giving up, the claim is
 * released and the next finding of the storm posts it; the counts are safe in the table meanwhile.
 */
async function postSummary(
  stormKey: string,
  channel: string,
  deliveryId: string,
  settings: ReturnType<typeof intakeSettings>,
): Promise<string | undefined> {
  const deadline = Date.now() + settings.STORM_SLOT_WAIT_SECONDS * 1000;
  for (;;) {
    const now = new Date();
    if (await takePostSlot(channel, now, settings.STORM_WINDOW_SECONDS, settings.STORM_MAX_POSTS)) {
      try {
        // Counted up to now: render the freshest numbers.
        const record = await getStorm(stormKey);
        const summary = summaryOf(record);
        const card = await postMessage(channel, stormSummaryText(summary), stormSummaryBlocks(summary));
        await setStormCard(stormKey, card.ts, new Date(), record.events);
        return card.ts;
      } catch (error) {
        if (!isRateLimited(error)) {
          await releaseStorm(stormKey, deliveryId);
          throw error;
        }
      }
    }
    const pause = msToNextWindow(new Date(), settings.STORM_WINDOW_SECONDS) + Math.floor(Math.random() * 200);
    if (Date.now() + pause > deadline) {
      await releaseStorm(stormKey, deliveryId);
      logger.warn('Storm summary deferred: no posting slot; the next finding of the storm posts it', {
        stormKey,
      });
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** True for a Slack rate-limit error that survived the client's retries. */
function isRateLimited(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return e?.code === 'slack_webapi_rate_limited_error' || /rate limit/i.test(e?.message ?? '');
}

function summaryOf(r: StormRecord): StormSummary {
  return {
    type: r.type,
    findings: r.findings,
    events: r.events,
    resources: r.resources?.size ?? 0,
    allInstances: !r.nonInstance,
    highest: highestLabel(r.labels),
    firstSeen: r.firstSeen,
    lastSeen: r.lastSeen,
  };
}

async function queueNotify(
  finding: Finding,
  card: { channel: string; ts: string },
  notify: NotifyItem[],
): Promise<void> {
  if (finding.source !== 'securityhub' || !finding.productArn) return;
  if (finding.workflowStatus && finding.workflowStatus !== 'NEW') return; // a human or a rule already moved it
  try {
    notify.push({
      findingId: finding.id,
      productArn: finding.productArn,
      region: finding.region,
      permalink: await permalinkOf(card.channel, card.ts),
    });
  } catch (error) {
    logger.warn('No permalink for the Security Hub note', {
      findingId: finding.id,
      error: describeError(error),
    });
  }
}

/**
 * True when an open case grew from this card (a responder clicked Analyze/Contain): the case card must
 * never be overwritten by a finding card, so the fingerprint is marked and repeats only count from then on.
 */
async function cardOwnedByCase(finding: Finding, fingerprint: string, ts: string): Promise<boolean> {
  const target = findingTarget(finding);
  if (!target) return false;
  const open = await openCaseOf(target).catch(() => undefined);
  if (!open || open.slack.cardTs !== ts) return false;
  await markFingerprint(fingerprint, { caseId: open.id });
  return true;
}

/** Runs `fn` over items with at most `size` in flight. */
async function inPool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

/** Throws IntakeIncompleteError when some findings failed to post, so that Lambda retries the event. */
export function assertComplete(result: IntakeResult): void {
  const failed = result.outcomes.failed + result.requests.failed;
  if (failed)
    throw new IntakeIncompleteError(
      `${failed} finding(s) could not be posted to Slack; the event will be retried`,
    );
}
