import { randomUUID } from 'node:crypto';
import { workspaceSettings } from '../core/config.js';
import { describeError, IntakeIncompleteError } from '../core/errors.js';
import { type Finding, findingTarget, SOURCE_NAMES, securityHubV2Identity } from '../core/finding.js';
import { openCaseOf } from '../core/case-store.js';
import { redrawIncidentLater } from '../incidents/progress.js';
import { cardFor, foldIntoSequence } from '../incidents/sequences.js';
import { normalizeEvent } from '../findings/normalize.js';
import { logger } from '../core/logger.js';
import { type AutoResponseOutcome, autoRespond } from './auto-respond.js';
import { defaultStartCase, requestCase, type StartCaseFn } from './case-request.js';
import {
  claimEvent,
  claimRender,
  type FingerprintRecord,
  fingerprintOf,
  getFingerprint,
  lastObservation,
  markFingerprint,
  markPosted,
  markRenderedArchived,
  observationOf,
  recordDelivery,
  releaseClaim,
  waitForOutcome,
} from './fingerprints.js';
import { stormExists, stormKeyOf, takePostSlot } from './flood.js';
import { decide, type PolicySettings, routeChannel } from './policy.js';
import { isOwnWriteBack, markNotified, type NotifyItem } from './securityhub.js';
import { autoResponseSettings, intakeSettings } from './settings.js';
import { isRateLimited, permalinkOf, postMessage, updateMessage } from './slack-posts.js';
import { aggregate } from './storm-summary.js';

/**
 * The intake service: one EventBridge event in, Slack cards out. Per finding: policy (ignore, route,
 * archived), fingerprint (count, claim), then exactly one of post / update / aggregate. Findings of one
 * event are handled independently: one failure is logged and counted, the rest still post.
 */

/**
 * Waits inside one invocation (a summary's renderer waiting out the re-render interval or an update
 * slot) end by this long after it started: the findings function times out after 60 s
 * (deploy/constructs/bot-functions.ts), which leaves 20 s for the last Slack call and its Retry-After waits.
 */
const WAIT_BUDGET_MS = 40_000;

export type FindingOutcome =
  | 'posted'
  | 'updated'
  | 'counted'
  | 'aggregated'
  | 'archived'
  | 'ignored'
  /** Security Hub's echo of the bot's own write-back: nothing new was observed, nothing counted. */
  | 'unchanged'
  | 'failed';

export interface IntakeResult {
  outcomes: Record<FindingOutcome, number>;
  rejected: number;
  ignored: number;
  requests: Record<'started' | 'existing' | 'fallback' | 'failed', number>;
  securityHub: { requests: number; updated: number; failed: number };
  /** What auto-response rules did with the carded findings (bot/intake/auto-respond.ts). */
  autoResponse: Partial<Record<AutoResponseOutcome, number>>;
}

export interface IntakeDeps {
  startCase?: StartCaseFn;
  now?: () => Date;
}

const emptyResult = (): IntakeResult => ({
  outcomes: {
    posted: 0,
    updated: 0,
    counted: 0,
    aggregated: 0,
    archived: 0,
    ignored: 0,
    unchanged: 0,
    failed: 0,
  },
  rejected: 0,
  ignored: 0,
  requests: { started: 0, existing: 0, fallback: 0, failed: 0 },
  securityHub: { requests: 0, updated: 0, failed: 0 },
  autoResponse: {},
});

/** Handles one event; never throws for bad input (rejections are logged), only reports failures. */
export async function processEvent(event: unknown, deps: IntakeDeps = {}): Promise<IntakeResult> {
  const settings = intakeSettings();
  // Validated before anything is posted: a refused rule (contain without allowUnattendedContainment, a
  // malformed one) fails every invocation, naming it, rather than posting cards as if there were no rules.
  autoResponseSettings();
  const policy: PolicySettings = { ...settings, ALERTS_CHANNEL: workspaceSettings().ALERTS_CHANNEL };
  const now = deps.now ?? (() => new Date());
  const waitUntil = Date.now() + WAIT_BUDGET_MS;
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
      outcome = await handleFinding(finding, policy, settings, now(), notify, waitUntil, normalized.eventId);
    } catch (error) {
      outcome = 'failed';
      logger.error('Could not post a finding', {
        findingId: finding.id,
        source: finding.source,
        error: describeError(error),
      });
    }
    result.outcomes[outcome]++;
    // A finding that reached Slack (card, repeat or storm summary) meets the auto-response rules; each is
    // acted on once (claimed in the table), so a repeat only acts if its first delivery could not.
    if (outcome === 'failed' || outcome === 'ignored' || outcome === 'archived' || outcome === 'unchanged')
      return;
    const auto = await autoRespond(finding, {
      channel: routeChannel(finding, policy),
      startCase: deps.startCase ?? defaultStartCase,
      now: now(),
    }).catch((error): AutoResponseOutcome => {
      // the table or Slack failed before the rule acted: the event is retried (the claim keeps it once)
      logger.error('Auto-response failed', { findingId: finding.id, error: describeError(error) });
      return 'error';
    });
    result.autoResponse[auto] = (result.autoResponse[auto] ?? 0) + 1;
  });

  for (const intent of normalized.requests) {
    const channel = decide(intent.finding, policy);
    const { outcome } = await requestCase(intent, {
      startCase: deps.startCase ?? defaultStartCase,
      channel: channel.action === 'ignore' ? policy.ALERTS_CHANNEL : channel.channel,
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
  waitUntil: number,
  eventId: string | undefined,
): Promise<FindingOutcome> {
  const decision = decide(finding, policy);
  if (decision.action === 'ignore') {
    logger.info('Finding ignored', { findingId: finding.id, reason: decision.reason });
    return 'ignored';
  }
  const fingerprint = fingerprintOf(finding);
  if (decision.action === 'update-only') return archive(finding, fingerprint, now);
  // A constituent of an attack sequence already carded counts on the sequence's card (issue 13).
  const folded = await foldIntoSequence(finding, now, redrawIncidentLater);
  if (folded) return folded;

  // Our write-back (a CSPM note and NOTIFIED, or an OCSF comment) makes Security Hub emit the finding again
  // under a new event id, its own update time, last seen and count as they were. That is no repeat: it is
  // not counted and moves no "last seen". A later real repeat carries our note too, but a new observation.
  if (isOwnWriteBack(finding)) {
    const seen = await getFingerprint(fingerprint);
    if (seen && lastObservation(seen, finding) === observationOf(finding)) {
      logger.info('Security Hub echoed our own write-back; nothing new to count', {
        findingId: finding.id,
        fingerprint,
        eventId,
      });
      return 'unchanged';
    }
  }

  const deliveryId = randomUUID();
  // Count counts distinct events: a duplicate delivery of one event (same id) still posts or updates the
  // card if the first could not, but does not count again. An event without an id always counts.
  const counted = eventId ? await claimEvent(fingerprint, eventId, now) : true;
  const ttlDays = settings.FINGERPRINT_TTL_DAYS;
  const delivery =
    decision.action === 'repeat-only'
      ? await recordDelivery(fingerprint, finding, deliveryId, now, ttlDays, counted, true)
      : await recordDelivery(fingerprint, finding, deliveryId, now, ttlDays, counted);
  if (!delivery) {
    logger.info('Finding has no card and gets none', {
      findingId: finding.id,
      reason: 'reason' in decision ? decision.reason : undefined,
    });
    return 'ignored';
  }
  const { record, first } = delivery;
  if (first) {
    // Once a type overflowed in this channel, the rest of the storm goes to its summary.
    const stormKey = stormKeyOf(decision.channel, finding.type, now, settings.STORM_SUMMARY_SECONDS);
    // An attack sequence is one card for many resources: never folded into a storm summary.
    if (
      finding.sequence ||
      (!(await stormExists(stormKey)) &&
        (await takePostSlot(decision.channel, now, settings.STORM_WINDOW_SECONDS, settings.STORM_MAX_POSTS)))
    ) {
      try {
        const drawn = await cardFor(finding, fingerprint, { count: record.count, fingerprint }, now);
        const card = await postMessage(decision.channel, drawn.text, drawn.blocks);
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
    const storm = await aggregate(
      finding,
      decision.channel,
      fingerprint,
      deliveryId,
      now,
      settings,
      waitUntil,
      stormKey,
    );
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
      undefined,
      deliveryId,
      now,
      settings,
      waitUntil,
      current.stormKey,
    );
    return 'aggregated';
  }
  const claim = await claimRender(fingerprint, now, waited ? 0 : settings.CARD_UPDATE_SECONDS * 1000);
  if (!claim?.ts || !claim.channel) return 'counted';
  if (await cardOwnedByCase(finding, fingerprint, claim.ts)) return 'counted';
  const drawn = await cardFor(
    finding,
    fingerprint,
    { count: claim.count, lastSeen: claim.lastSeen, fingerprint },
    now,
  );
  await updateMessage(claim.channel, claim.ts, drawn.text, drawn.blocks);
  return 'updated';
}

/** An archived or resolved finding: its card (if any) shows so and loses its buttons; nothing is posted. */
async function archive(finding: Finding, fingerprint: string, now: Date): Promise<FindingOutcome> {
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
  const drawn = await cardFor(
    finding,
    fingerprint,
    {
      count: record.count,
      lastSeen: record.lastSeen,
      fingerprint,
      statusLine: `:white_check_mark: This finding was ${where}.`,
      buttonsEnabled: false,
    },
    now,
  );
  await updateMessage(record.channel, record.ts, drawn.text, drawn.blocks);
  await markRenderedArchived(fingerprint, true);
  return 'archived';
}

async function queueNotify(
  finding: Finding,
  card: { channel: string; ts: string },
  notify: NotifyItem[],
): Promise<void> {
  const v2 = securityHubV2Identity(finding);
  if (!v2 && (finding.source !== 'securityhub' || !finding.productArn)) return;
  if (finding.workflowStatus && finding.workflowStatus !== 'NEW') return; // a human or a rule already moved it
  try {
    const permalink = await permalinkOf(card.channel, card.ts);
    notify.push(
      v2
        ? { findingId: finding.id, ocsf: v2.identifier, region: v2.region, permalink }
        : { findingId: finding.id, productArn: finding.productArn!, region: finding.region, permalink },
    );
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
  // Not knowing would risk drawing a finding card over a case card: a failed read fails the delivery (retried).
  const open = await openCaseOf(target);
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
  const failed = result.outcomes.failed + result.requests.failed + (result.autoResponse.error ?? 0);
  if (failed)
    throw new IntakeIncompleteError(
      `${failed} finding(s) could not be posted to Slack; the event will be retried`,
    );
}
