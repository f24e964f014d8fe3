import { stormSummaryBlocks, stormSummaryText, type StormSummary } from '../blocks/storm-card.js';
import { describeError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { logger } from '../core/logger.js';
import { markAggregated } from './fingerprints.js';
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
  startSummaryRender,
  stormKeyOf,
  takePostSlot,
} from './flood.js';
import type { intakeSettings } from './settings.js';
import { isRateLimited, postMessage, updateMessage } from './slack-posts.js';

/**
 * A storm's summary card (flood.ts keeps its counts): a burst of one finding type that went over the
 * channel's posting rate is counted into one card, posted within the channel's budget and re-rendered at
 * most every SUMMARY_UPDATE_SECONDS by one renderer at a time.
 */

/** Longer than any invocation can live: a renderer is only replaced once its invocation is surely over. */
const RENDER_LEASE_MS = 90_000;

/**
 * Counts a delivery into its storm. `newFingerprint` (a finding's first delivery) is marked aggregated
 * as soon as it is counted, before the summary is posted or re-rendered, so its repeats never wait
 * for those (they would wait out CLAIM_WAIT_MS and be dropped from the counts).
 */
export async function aggregate(
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
