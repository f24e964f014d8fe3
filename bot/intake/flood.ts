import { createHash } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SeverityLabel } from '../core/severity.js';
import { SEVERITY_LABELS } from '../core/severity.js';
import { db, isConditionFailed, tableName, updateIf } from '../core/table.js';

/**
 * Flood control, shared by every concurrent Lambda through the case table:
 *
 * - a posting budget per channel: at most `max` new cards per fixed window (`FP#rate:<channel>:<n>`,
 *   sk `RATE`), taken with one conditional ADD, so Slack's ~1 message per second per channel holds
 *   across all instances of the function;
 * - storm summaries: findings that find the budget spent are folded into one summary card per channel
 *   and type (`FP#storm:<key>`, sk `STORM`), counted with atomic ADDs, re-rendered at most every few
 *   seconds by the one delivery that holds the render role (see claimSummaryRender).
 */

/** The one item of a storm (`FP#storm:<key>`, sk `STORM`). */
const stormItem = (stormKey: string) => ({ pk: `FP#storm:${stormKey}`, sk: 'STORM' });

/** Takes one post from the channel's budget; false when the window's budget is spent. */
export async function takePostSlot(
  channel: string,
  now: Date,
  windowSeconds: number,
  max: number,
): Promise<boolean> {
  const window = Math.floor(now.getTime() / 1000 / windowSeconds);
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: `FP#rate:${channel}:${window}`, sk: 'RATE' },
        UpdateExpression: 'ADD posts :one SET expiresAt = :ttl',
        ConditionExpression: 'attribute_not_exists(posts) OR posts < :max',
        ExpressionAttributeValues: {
          ':one': 1,
          ':max': max,
          ':ttl': Math.floor(now.getTime() / 1000) + windowSeconds * 2 + 60,
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/**
 * Takes one post from the earliest window of the channel's budget that has one left, from now up to
 * `latest` (ms): callers that wait queue up in the order they ask instead of racing for each new window,
 * so none starves while others keep winning. Returns when to post (ms): now, or the start of a later window.
 */
export async function reservePostSlot(
  channel: string,
  now: Date,
  windowSeconds: number,
  max: number,
  latest: number,
): Promise<number | undefined> {
  const windowMs = windowSeconds * 1000;
  let at = now.getTime();
  while (at <= latest) {
    if (await takePostSlot(channel, new Date(at), windowSeconds, max)) return at;
    at = (Math.floor(at / windowMs) + 1) * windowMs;
  }
  return undefined;
}

export interface StormRecord {
  stormKey: string;
  channel: string;
  type: string;
  claimedBy: string;
  findings: number;
  events: number;
  resources?: Set<string>;
  labels?: Set<string>;
  nonInstance?: number;
  firstSeen: string;
  lastSeen: string;
  ts?: string;
  renderedAt?: number;
  renderedEvents?: number;
  /** The delivery that re-renders the card next (see claimSummaryRender), and until when it may. */
  renderBy?: string;
  renderLease?: number;
}

/** One summary per channel and type per `summarySeconds` period. */
export function stormKeyOf(channel: string, type: string, now: Date, summarySeconds: number): string {
  const typeHash = createHash('sha256').update(type).digest('hex').slice(0, 16);
  return `${channel}:${typeHash}:${Math.floor(now.getTime() / 1000 / summarySeconds)}`;
}

/**
 * Counts a delivery into a storm: a new finding adds to `findings` and its resource to `resources`; a
 * repeat only adds to `events`. The first delivery of the storm becomes its `claimedBy` and posts the card.
 */
export async function addToStorm(
  stormKey: string,
  input: {
    channel: string;
    type: string;
    newFinding: boolean;
    resourceId: string;
    isInstance: boolean;
    label: SeverityLabel;
    deliveryId: string;
    now: Date;
    ttlSeconds: number;
  },
): Promise<{ record: StormRecord; first: boolean }> {
  const newOnes = input.newFinding ? 1 : 0;
  const out = await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: stormItem(stormKey),
      UpdateExpression:
        'ADD findings :n, events :one, resources :res, labels :label, nonInstance :nonInstance ' +
        'SET stormKey = :key, channel = :channel, #type = :type, claimedBy = if_not_exists(claimedBy, :me), ' +
        'firstSeen = if_not_exists(firstSeen, :now), lastSeen = :now, expiresAt = :ttl',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: {
        ':n': newOnes,
        ':one': 1,
        ':res': new Set([input.resourceId || 'unknown']),
        ':label': new Set([input.label]),
        ':nonInstance': input.isInstance ? 0 : 1,
        ':key': stormKey,
        ':channel': input.channel,
        ':type': input.type,
        ':me': input.deliveryId,
        ':now': input.now.toISOString(),
        ':ttl': Math.floor(input.now.getTime() / 1000) + input.ttlSeconds,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  const record = out.Attributes as StormRecord;
  return { record, first: record.claimedBy === input.deliveryId && !record.ts };
}

/** The storm as stored now (consistent read). */
export async function getStorm(stormKey: string): Promise<StormRecord> {
  const out = await db().send(
    new GetCommand({
      TableName: tableName(),
      Key: stormItem(stormKey),
      ConsistentRead: true,
    }),
  );
  return out.Item as StormRecord;
}

/** True when the storm exists (a type already overflowed in this channel and period). */
export async function stormExists(stormKey: string): Promise<boolean> {
  const out = await db().send(
    new GetCommand({
      TableName: tableName(),
      Key: stormItem(stormKey),
      ProjectionExpression: 'pk',
    }),
  );
  return out.Item !== undefined;
}

/** Milliseconds until the next posting window of the channel starts. */
export function msToNextWindow(now: Date, windowSeconds: number): number {
  const windowMs = windowSeconds * 1000;
  return windowMs - (now.getTime() % windowMs);
}

export async function setStormCard(stormKey: string, ts: string, now: Date, events: number): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: stormItem(stormKey),
      UpdateExpression: 'SET ts = :ts, renderedAt = :now, renderedEvents = :events',
      ExpressionAttributeValues: { ':ts': ts, ':now': now.getTime(), ':events': events },
    }),
  );
}

/** The summary could not be posted: let the next delivery claim it. */
export async function releaseStorm(stormKey: string, deliveryId: string): Promise<void> {
  await updateIf({
    Key: stormItem(stormKey),
    UpdateExpression: 'REMOVE claimedBy',
    ConditionExpression: 'claimedBy = :me AND attribute_not_exists(ts)',
    ExpressionAttributeValues: { ':me': deliveryId },
  });
}

/**
 * Summary re-renders, exact in the end and within the budget, with no timer (Lambda has none after an
 * invocation): whenever the counts moved past what the card shows, exactly one delivery is the storm's
 * renderer (`renderBy`, a conditional write). It waits until `renderedAt` + the re-render interval, then
 * `startSummaryRender` records what it renders and gives the role up in the same write. A delivery
 * counted before that write is in the render; one counted after it finds no renderer and becomes the
 * next. So the last findings of a burst are shown at most one interval late, and a card is re-rendered
 * at most once per interval. `renderLease` lets a later delivery take over from a renderer whose
 * invocation died.
 */
export async function claimSummaryRender(
  stormKey: string,
  deliveryId: string,
  now: Date,
  leaseMs: number,
): Promise<StormRecord | undefined> {
  return updateIf<StormRecord>({
    Key: stormItem(stormKey),
    UpdateExpression: 'SET renderBy = :me, renderLease = :lease',
    // No card yet: its poster renders what came in while it posted.
    ConditionExpression:
      'attribute_exists(ts) AND renderedEvents < events AND ' +
      '(attribute_not_exists(renderBy) OR renderLease < :now)',
    ExpressionAttributeValues: {
      ':me': deliveryId,
      ':now': now.getTime(),
      ':lease': now.getTime() + leaseMs,
    },
  });
}

/**
 * The renderer's interval has passed: records the counts it is about to show and releases the role, in
 * one write (see claimSummaryRender). Undefined when the role was taken over or the interval has not
 * passed yet.
 */
export async function startSummaryRender(
  stormKey: string,
  deliveryId: string,
  now: Date,
  throttleMs: number,
): Promise<StormRecord | undefined> {
  return updateIf<StormRecord>({
    Key: stormItem(stormKey),
    UpdateExpression: 'SET renderedAt = :now, renderedEvents = events REMOVE renderBy, renderLease',
    ConditionExpression: 'renderBy = :me AND renderedAt <= :threshold',
    ExpressionAttributeValues: {
      ':me': deliveryId,
      ':now': now.getTime(),
      ':threshold': now.getTime() - throttleMs,
    },
  });
}

/** The renderer gives up (no time left, or an error): the next delivery of the storm becomes renderer. */
export async function releaseSummaryRender(stormKey: string, deliveryId: string): Promise<void> {
  await updateIf({
    Key: stormItem(stormKey),
    UpdateExpression: 'REMOVE renderBy, renderLease',
    ConditionExpression: 'renderBy = :me',
    ExpressionAttributeValues: { ':me': deliveryId },
  });
}

/** The highest severity label seen in a storm. */
export function highestLabel(labels: Iterable<string> | undefined): SeverityLabel {
  let best = 0;
  for (const l of labels ?? []) best = Math.max(best, SEVERITY_LABELS.indexOf(l as SeverityLabel));
  return SEVERITY_LABELS[best] ?? 'INFORMATIONAL';
}
