import { randomUUID } from 'node:crypto';
import {
  findingCardBlocks,
  findingCardText,
  stormSummaryBlocks,
  stormSummaryText,
  type StormSummary,
} from '../blocks/finding-card.js';
import { workspaceSettings } from '../core/config.js';
import { describeError, IntakeIncompleteError } from '../core/errors.js';
import { type Finding, findingTarget, SOURCE_NAMES, securityHubV2Identity } from '../core/finding.js';
import { openCaseOf } from '../core/case-store.js';
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
  claimSummaryRender,
  getStorm,
  highestLabel,
  msToNextWindow,
  releaseStorm,
  releaseSummaryRender,
  reservePostSlot,
  setStormCard,
  type StormRecord,
  stormExists,
  stormKeyOf,
  startSummaryRender,
  takePostSlot,
} from './flood.js';
import { decide, type PolicySettings, routeChannel } from './policy.js';
import { markNotified, type NotifyItem } from './securityhub.js';
import { autoResponseSettings, intakeSettings } from './settings.js';
import { permalinkOf, postMessage, updateMessage } from './slack-posts.js';

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
/** Longer than any invocation can live: a renderer is only replaced once its invocation is surely over. */
const RENDER_LEASE_MS = 90_000;

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
  /** What auto-response rules did with the carded findings (bot/intake/auto-respond.ts). */
  autoResponse: Partial<Record<AutoResponseOutcome, number>>;
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
    if (outcome === 'failed' || outcome === 'ignored' || outcome === 'archived') return;
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
  if (decision.action === 'update-only') return archive(finding, fingerprint);

  const deliveryId = randomUUID();
  // Count counts distinct events: a duplicate delivery of one event (same id) still posts or updates the
  // card if the first could not, but does not count again. An event without an id always counts.
  const counted = eventId ? await claimEvent(fingerprint, eventId, now) : true;
  const { record, first } = await recordDelivery(
    fingerprint,
    finding,
    deliveryId,
    now,
    settings.FINGERPRINT_TTL_DAYS,
    counted,
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

/**
 * Counts a delivery into its storm. `newFingerprint` (a finding's first delivery) is marked aggregated
 * as soon as it is counted, before the summary is posted or re-rendered, so its repeats never wait
 * for those (they would wait out CLAIM_WAIT_MS and be dropped from the counts).
 */
async function aggregate(
  finding: Finding,
  channel: string,
  newFingerprint: string | undefined,
  deliveryId: string,
  now: Date,
  settings: ReturnType<typeof intakeSettings>,
  waitUntil: number,
  existingKey?: string,
): Promise<StormRecord> {
  const stormKey = existingKey ?? stormKeyOf(channel, finding.type, now, settings.STORM_SUMMARY_SECONDS);
  const { record, first } = await addToStorm(stormKey, {
    channel,
    type: finding.type,
    newFinding: newFingerprint !== undefined,
    resourceId: finding.resource.id,
    isInstance: finding.resource.kind === 'ec2-instance',
    label: finding.severity.label,
    deliveryId,
    now,
    ttlSeconds: settings.STORM_SUMMARY_SECONDS + settings.FINGERPRINT_TTL_DAYS * 86_400,
  });
  if (newFingerprint) await markAggregated(newFingerprint, channel, stormKey);
  if (first) {
    const ts = await postSummary(stormKey, channel, deliveryId, settings);
    // Findings counted while the card was being posted are not on it: the poster sees that they get rendered.
    if (ts) await refreshSummary(stormKey, deliveryId, settings, waitUntil);
    return ts ? { ...record, ts } : record;
  }
  await refreshSummary(stormKey, deliveryId, settings, waitUntil, record.renderedAt);
  return record;
}

/**
 * Brings the summary card up to the stored counts, or leaves that to the storm's current renderer
 * (flood.ts, claimSummaryRender): the renderer waits until the card's re-render interval has passed and
 * for the channel's next free update slot, then renders once from the counts stored at that moment. Without a
 * later finding, the last renderer of a burst is the one that shows its last findings.
 */
async function refreshSummary(
  stormKey: string,
  deliveryId: string,
  settings: ReturnType<typeof intakeSettings>,
  waitUntil: number,
  renderedAt?: number,
): Promise<void> {
  const throttleMs = settings.SUMMARY_UPDATE_SECONDS * 1000;
  // This invocation would end before the interval does (a long SUMMARY_UPDATE_SECONDS): leave the role
  // to a delivery that can render, rather than take it only to give it up.
  if (renderedAt !== undefined && renderedAt + throttleMs > waitUntil) return;
  const claim = await claimSummaryRender(stormKey, deliveryId, new Date(), RENDER_LEASE_MS);
  // Nothing new since the last render, no card yet, or another delivery renders after this count.
  if (!claim) return;
  try {
    let due = (claim.renderedAt ?? 0) + throttleMs;
    for (;;) {
      const at = await waitForUpdateSlot(claim.channel, due, waitUntil, settings);
      if (at === undefined) {
        await releaseSummaryRender(stormKey, deliveryId);
        logger.warn('Storm summary update deferred: no time left; the next finding of the storm renders it', {
          stormKey,
        });
        return;
      }
      await sleep(at - Date.now());
      const render = await startSummaryRender(stormKey, deliveryId, new Date(), throttleMs);
      if (!render?.ts) {
        // Another clock's renderedAt, or a takeover after this invocation outlived its lease.
        const current = await getStorm(stormKey);
        if (current.renderBy !== deliveryId) return;
        due = (current.renderedAt ?? 0) + throttleMs;
        continue;
      }
      const latest = summaryOf(render);
      await updateMessage(render.channel, render.ts, stormSummaryText(latest), stormSummaryBlocks(latest));
      return;
    }
  } catch (error) {
    // A failed update fails the finding, so the event is retried and its delivery renders again.
    await releaseSummaryRender(stormKey, deliveryId).catch((releaseError: unknown) =>
      logger.warn('Storm summary render claim not released; the next delivery renders after it expires', {
        stormKey,
        error: describeError(releaseError),
      }),
    );
    throw error;
  }
}

/** Waits until `due`, then reserves the channel's next free update slot up to `waitUntil` (see reservePostSlot). */
async function waitForUpdateSlot(
  channel: string,
  due: number,
  waitUntil: number,
  settings: ReturnType<typeof intakeSettings>,
): Promise<number | undefined> {
  if (due > waitUntil) return undefined;
  await sleep(due - Date.now());
  return reservePostSlot(
    `update:${channel}`,
    new Date(),
    settings.STORM_WINDOW_SECONDS,
    settings.STORM_MAX_UPDATES,
    waitUntil,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const jitter = () => Math.floor(Math.random() * 200);

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
    const pause = msToNextWindow(new Date(), settings.STORM_WINDOW_SECONDS) + jitter();
    if (Date.now() + pause > deadline) {
      await releaseStorm(stormKey, deliveryId);
      logger.warn('Storm summary deferred: no posting slot; the next finding of the storm posts it', {
        stormKey,
      });
      return undefined;
    }
    await sleep(pause);
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
