import { getCase } from '../core/case-store.js';
import { redrawIncidentCard } from '../incidents/progress.js';
import { logger } from '../core/logger.js';
import { WakeUpSchema } from './queue.js';
import {
  classifySlackFailure,
  drainerSlack,
  type LineRange,
  postLines,
  redrawCard,
  type SlackFailure,
  threadHolds,
} from './slack-delivery.js';
import { cardRedrawn, claimRange, completeRange, dropClaim, type OutboxLine, readOutbox } from './store.js';

/**
 * The drainer: given a batch of rings (one channel's, in order), posts every pending line of each case
 * named — all of them, however many rang, so a case that fell behind gets one message for its backlog
 * instead of one per line — then redraws each case's card once.
 *
 * When Slack answers 429, or is unreachable, the rest of the batch (from the first ring of the case that
 * failed) goes back to the queue, to come back after Retry-After (or a back-off); nothing is awaited here.
 */

export interface RingMessage {
  messageId: string;
  body: string;
  /** ApproximateReceiveCount: sets the back-off of an outage. */
  receiveCount: number;
}

export interface DrainResult {
  /** Rings to return to the queue (the first failed one and all after it). */
  failed: string[];
  /** When they should come back, in seconds. */
  retryAfterSeconds?: number;
  /** Slack posts made, lines delivered by them, cards redrawn. */
  posts: number;
  lines: number;
  cards: number;
}

export interface DrainHooks {
  /** Called after each post reached Slack, before the cursor moves (tests crash the drainer here). */
  afterPost?: (caseId: string, range: LineRange) => void | Promise<void>;
}

/** At most this much in one post: Slack truncates text at 40,000 characters; a post stays readable. */
export const MAX_POST_LINES = 30;
export const MAX_POST_CHARS = 12_000;

class SlackDeliveryError extends Error {
  override name = 'SlackDeliveryError';
  constructor(
    readonly failure: SlackFailure,
    options: { cause: unknown },
  ) {
    super(`Slack: ${failure.kind}`, options);
  }
}

export async function drainOutbox(messages: RingMessage[], hooks: DrainHooks = {}): Promise<DrainResult> {
  const result: DrainResult = { failed: [], posts: 0, lines: 0, cards: 0 };
  const cases: string[] = [];
  const firstIndex = new Map<string, number>();
  messages.forEach((message, index) => {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      body = undefined;
    }
    const ring = WakeUpSchema.safeParse(body);
    if (!ring.success) {
      // It can never be acted on: said once, loudly, and not returned to the queue.
      logger.error('Outbox message is not a ring; dropped', {
        messageId: message.messageId,
        body: message.body,
      });
      return;
    }
    if (!firstIndex.has(ring.data.caseId)) {
      firstIndex.set(ring.data.caseId, index);
      cases.push(ring.data.caseId);
    }
  });
  // Incident cards redrawn in this batch: one redraw shows every member's lines the batch rang for.
  const incidents = new Set<string>();
  for (const caseId of cases) {
    try {
      await deliverCase(caseId, result, hooks, incidents);
    } catch (error) {
      // Only Slack's failures are the batch's to defer; anything else fails the invocation (the queue
      // returns every ring of the batch after its visibility timeout; those already served find nothing).
      if (!(error instanceof SlackDeliveryError)) throw error;
      const from = firstIndex.get(caseId) ?? 0;
      const rest = messages.slice(from);
      result.failed = rest.map((m) => m.messageId);
      const { failure } = error;
      const retries = Math.max(...rest.map((m) => m.receiveCount));
      result.retryAfterSeconds =
        failure?.kind === 'rate-limited'
          ? failure.retryAfterSeconds
          : Math.min(60, 2 ** Math.min(6, retries));
      const log = failure.kind === 'rate-limited' ? logger.info : logger.warn;
      log.call(logger, 'Outbox delivery deferred', {
        caseId,
        rings: rest.length,
        retryAfterSeconds: result.retryAfterSeconds,
        error,
      });
      break;
    }
  }
  return result;
}

/** Posts everything pending of one case, in order, and redraws its card once. */
async function deliverCase(
  caseId: string,
  result: DrainResult,
  hooks: DrainHooks,
  incidents: Set<string>,
): Promise<void> {
  let outbox = await readOutbox(caseId);
  if (!outbox) return;
  let record = await getCase(caseId);
  if (!record) {
    logger.error('Outbox of an unknown case; its lines stay undelivered', { caseId });
    return;
  }
  if (record.incidentId) return deliverToIncident(caseId, record.incidentId, outbox, result, incidents);
  // Lines said before the case had its thread wait for it (the next ring delivers them).
  if (!record.slack.channel || !record.slack.threadTs) return;
  if (outbox.posting) {
    // A drainer stopped between a post and the cursor: the thread says whether that post is there.
    const { posting } = outbox;
    const held = await slack(() => threadHolds(record!, posting)).catch((error: unknown) => {
      // Slack refuses to show the thread (it is gone, or the scope is missing): waiting cannot change
      // that, and holding the ring would hold every case of the channel behind it. The post most likely
      // reached Slack before the drainer stopped, so it counts as delivered: never a line twice.
      if (!(error instanceof SlackDeliveryError) || error.failure.kind !== 'refused') throw error;
      logger.error('Slack refuses to show the thread; the interrupted post counts as delivered', {
        caseId,
        lines: `${posting.from + 1}-${posting.to}`,
        error,
      });
      return true;
    });
    if (held) await completeRange(caseId, posting.to, moveCard(outbox.lines.slice(posting.from, posting.to)));
    else await dropClaim(caseId, posting);
    outbox = (await readOutbox(caseId))!;
  }
  for (const chunk of chunks(outbox.lines, outbox.delivered)) {
    const claim = await claimRange(caseId, chunk.from, chunk.to);
    if (chunk.text) {
      try {
        await postLines(record, chunk.text, chunk);
      } catch (error) {
        const failure = classifySlackFailure(error);
        if (failure?.kind === 'refused') {
          // The thread or channel is gone, or the content refused: retrying cannot help. The lines stay in
          // the case record and its outbox; Slack never shows them, and the log says so.
          logger.error('Slack refused case lines; they are skipped in Slack', {
            caseId,
            lines: `${chunk.from + 1}-${chunk.to}`,
            slackError: failure.error,
          });
          await completeRange(caseId, chunk.to, chunk.card);
          continue;
        }
        // Slack answered and did not post: the claim can go. After a network failure it cannot be known,
        // so the claim stays and the next drainer looks in the thread first.
        if (failure?.kind === 'rate-limited' || isAnswered(error)) await dropClaim(caseId, claim);
        throw failure ? new SlackDeliveryError(failure, { cause: error }) : error;
      }
      result.posts += 1;
      result.lines += chunk.lines;
      await hooks.afterPost?.(caseId, chunk);
    }
    await completeRange(caseId, chunk.to, chunk.card);
  }
  if ((await readOutbox(caseId))?.cardStale) {
    // Redrawn from the record as it is now: the card shows the latest state, whatever lines led there.
    record = (await getCase(caseId)) ?? record;
    try {
      await slack(() => redrawCard(record!));
      result.cards += 1;
    } catch (error) {
      // A card Slack refuses (deleted, or its blocks refused) keeps its last drawing; retrying cannot help,
      // and holding the ring would hold every case of the channel behind it. The thread still gets its lines.
      if (!(error instanceof SlackDeliveryError) || error.failure.kind !== 'refused') throw error;
      logger.error('Slack refused the case card; it keeps its last drawing', { caseId, error });
    }
    await cardRedrawn(caseId);
  }
}

/**
 * A member of an incident: its lines are in its case record (`/forensics status`), and Slack shows them
 * as its line on the incident card — so they are delivered by redrawing that card, once per batch
 * whatever the number of members and lines, never by posting in a thread. The card stays stale (and the
 * ring comes back) until a redraw reached Slack.
 */
async function deliverToIncident(
  caseId: string,
  incidentId: string,
  outbox: NonNullable<Awaited<ReturnType<typeof readOutbox>>>,
  result: DrainResult,
  incidents: Set<string>,
): Promise<void> {
  // Nothing of a member is ever posted, so an interrupted range is complete as it stands.
  if (outbox.posting) await completeRange(caseId, outbox.posting.to, true);
  const current = outbox.posting ? (await readOutbox(caseId))! : outbox;
  if (current.delivered < current.lines.length) {
    await claimRange(caseId, current.delivered, current.lines.length);
    await completeRange(caseId, current.lines.length, moveCard(current.lines.slice(current.delivered)));
  }
  if (!(await readOutbox(caseId))?.cardStale) return;
  if (!incidents.has(incidentId)) {
    try {
      await slack(async () => redrawIncidentCard(incidentId, await drainerSlack()));
      result.cards += 1;
    } catch (error) {
      // As for a case card: one Slack refuses keeps its last drawing; waiting cannot change that.
      if (!(error instanceof SlackDeliveryError) || error.failure.kind !== 'refused') throw error;
      logger.error('Slack refused the incident card; it keeps its last drawing', { incidentId, error });
    }
    incidents.add(incidentId);
  }
  await cardRedrawn(caseId);
}

/** A Slack call whose failure is classified for the batch. */
async function slack<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = classifySlackFailure(error);
    throw failure ? new SlackDeliveryError(failure, { cause: error }) : error;
  }
}

/** Slack answered (an HTTP response with a body): the post did not happen. */
function isAnswered(error: unknown): boolean {
  return (error as { code?: string })?.code === 'slack_webapi_platform_error';
}

const moveCard = (lines: OutboxLine[]) => lines.some((l) => l.card);

interface Chunk extends LineRange {
  text: string;
  lines: number;
  card: boolean;
}

/** The pending lines (from `delivered`) cut into posts of at most MAX_POST_LINES / MAX_POST_CHARS. */
export function chunks(lines: OutboxLine[], delivered: number): Chunk[] {
  const out: Chunk[] = [];
  let current: Chunk | undefined;
  for (let i = delivered; i < lines.length; i++) {
    const line = lines[i]!;
    const text = line.text ?? '';
    const joined = current?.text && text ? `${current.text}\n${text}` : (current?.text ?? '') + text;
    if (!current || current.lines >= MAX_POST_LINES || joined.length > MAX_POST_CHARS) {
      current = { from: i, to: i + 1, text, lines: text ? 1 : 0, card: line.card };
      out.push(current);
      continue;
    }
    current.to = i + 1;
    current.text = joined;
    current.lines += text ? 1 : 0;
    current.card ||= line.card;
  }
  return out;
}
