import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Finding } from '../core/finding.js';
import { db, isConditionFailed, tableName, updateIf } from '../core/table.js';

/**
 * Alert fingerprints in the case table (pk `FP#<fingerprint>`, sk `FP`, TTL `expiresAt`): one item per
 * finding, written with conditional updates so that any number of concurrent deliveries agree on who
 * posts the card. Counting is an atomic ADD, so a repeat is one write.
 *
 * Status: `claimed` (the first delivery is posting), `posted` (card `channel`/`ts`), `aggregated`
 * (folded into the storm summary `stormKey`). The slack helper marks `caseId` / `dismissedBy` with
 * `markFingerprint`; from then on repeats only count, so they never overwrite a case card.
 */

export interface FingerprintRecord {
  fingerprint: string;
  status: 'claimed' | 'posted' | 'aggregated';
  claimedBy: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** The latest delivery's finding: enough to rebuild the card. */
  finding: Finding;
  findingId: string;
  channel?: string;
  ts?: string;
  stormKey?: string;
  renderedAt?: number;
  renderedCount?: number;
  archived?: boolean;
  caseId?: string;
  dismissedBy?: string;
}

const key = (fingerprint: string) => ({ pk: `FP#${fingerprint}`, sk: 'FP' });

export { fingerprintOf } from '../core/finding.js';

/**
 * What a delivery saw of the finding at its source: the source's own last update, last seen and count. A
 * customer's BatchUpdateFindings(V2) (workflow, note, comment) moves none of them; a new observation moves
 * at least one.
 */
export function observationOf(finding: Finding): string {
  return JSON.stringify([finding.updatedAt ?? null, finding.lastSeen ?? null, finding.count]);
}

/**
 * The record keeps the last observation per source (`observed:<source>`: one attribute each, so the item
 * stays small however many repeats there are), which is what an echo of the bot's write-back repeats.
 */
const observedAttribute = (finding: Finding) => `observed:${finding.source}`;

/** The last observation recorded for this finding's source, if any. */
export function lastObservation(record: FingerprintRecord, finding: Finding): string | undefined {
  const value = (record as unknown as Record<string, unknown>)[observedAttribute(finding)];
  return typeof value === 'string' ? value : undefined;
}

const ttl = (now: Date, days: number) => Math.floor(now.getTime() / 1000) + days * 86_400;

/**
 * EventBridge delivers at least once and its target retries an event for up to a day: the same event
 * (same id) may arrive twice. The first delivery of an event id for a fingerprint claims it (a marker item
 * kept two days, one conditional put); true then, false for a duplicate, which must not add to Count.
 */
export async function claimEvent(fingerprint: string, eventId: string, now: Date): Promise<boolean> {
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: { pk: `FPEV#${fingerprint}#${eventId}`, sk: 'FPEV', expiresAt: ttl(now, 2) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/**
 * Records one delivery and claims the card for it when it is the first: one atomic update. `first` is
 * true for exactly one delivery of a fingerprint (until the claim is released). `counted` false (a
 * duplicate of an event already counted) leaves Count as it is (a record that does not exist yet starts at 0:
 * its claimer adds the event); the record returned counts at least 1, the event in hand.
 *
 * `repeatOnly` (a finding that may count on a card but never gets one, bot/intake/policy.ts): the update
 * is conditional on the record existing, so it never starts one; undefined when there is none.
 */
export async function recordDelivery(
  fingerprint: string,
  finding: Finding,
  deliveryId: string,
  now: Date,
  ttlDays: number,
  counted?: boolean,
): Promise<{ record: FingerprintRecord; first: boolean }>;
export async function recordDelivery(
  fingerprint: string,
  finding: Finding,
  deliveryId: string,
  now: Date,
  ttlDays: number,
  counted: boolean,
  repeatOnly: true,
): Promise<{ record: FingerprintRecord; first: boolean } | undefined>;
export async function recordDelivery(
  fingerprint: string,
  finding: Finding,
  deliveryId: string,
  now: Date,
  ttlDays: number,
  counted = true,
  repeatOnly = false,
): Promise<{ record: FingerprintRecord; first: boolean } | undefined> {
  // Only the delivery that claimed the event adds to Count. A duplicate may get here first (concurrent
  // deliveries of one event id): it must not start Count at 1, or the claimer's ADD makes it 2.
  const count = counted ? 'ADD #count :one SET ' : 'SET #count = if_not_exists(#count, :zero), ';
  let out: { Attributes?: Record<string, unknown> };
  try {
    out = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(fingerprint),
        UpdateExpression:
          `${count}#status = if_not_exists(#status, :claimed), claimedBy = if_not_exists(claimedBy, :me), ` +
          'firstSeen = if_not_exists(firstSeen, :now), lastSeen = :now, finding = :finding, findingId = :id, ' +
          'fingerprint = :fp, expiresAt = :ttl, archived = :archived, #observed = :observed',
        ...(repeatOnly ? { ConditionExpression: 'attribute_exists(pk)' } : {}),
        ExpressionAttributeNames: {
          '#count': 'count',
          '#status': 'status',
          '#observed': observedAttribute(finding),
        },
        ExpressionAttributeValues: {
          ...(counted ? { ':one': 1 } : { ':zero': 0 }),
          ':claimed': 'claimed',
          ':me': deliveryId,
          ':now': now.toISOString(),
          ':finding': finding,
          ':id': finding.id,
          ':fp': fingerprint,
          ':ttl': ttl(now, ttlDays),
          ':archived': finding.archived,
          ':observed': observationOf(finding),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
  } catch (error) {
    if (repeatOnly && isConditionFailed(error)) return undefined;
    throw error;
  }
  const stored = out.Attributes as unknown as FingerprintRecord;
  // A card stands for at least the event it was posted for, even before its claimer has counted it (or
  // when the claimer stopped between the claim and this update).
  const record = { ...stored, count: Math.max(1, stored.count ?? 0) };
  return { record, first: record.claimedBy === deliveryId && record.status === 'claimed' };
}

export async function getFingerprint(fingerprint: string): Promise<FingerprintRecord | undefined> {
  const out = await db().send(
    new GetCommand({ TableName: tableName(), Key: key(fingerprint), ConsistentRead: true }),
  );
  return out.Item as FingerprintRecord | undefined;
}

/** The claimer posted the card. */
export async function markPosted(
  fingerprint: string,
  card: { channel: string; ts: string; count: number },
  now: Date,
): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key(fingerprint),
      UpdateExpression:
        'SET #status = :posted, channel = :channel, ts = :ts, renderedAt = :now, renderedCount = :count',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':posted': 'posted',
        ':channel': card.channel,
        ':ts': card.ts,
        ':now': now.getTime(),
        ':count': card.count,
      },
    }),
  );
}

/** The claimer folded the finding into a storm summary. */
export async function markAggregated(fingerprint: string, channel: string, stormKey: string): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key(fingerprint),
      UpdateExpression: 'SET #status = :aggregated, channel = :channel, stormKey = :storm',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':aggregated': 'aggregated', ':channel': channel, ':storm': stormKey },
    }),
  );
}

/** Posting failed: forget the claim so that the next delivery (a retry) posts. */
export async function releaseClaim(fingerprint: string, deliveryId: string): Promise<void> {
  try {
    await db().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: key(fingerprint),
        ConditionExpression: 'claimedBy = :me AND #status = :claimed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':me': deliveryId, ':claimed': 'claimed' },
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
}

/**
 * Claims the right to re-render a posted card, returning the record to render (with the count to show)
 * or undefined when someone rendered this count already or rendered too recently. `throttleMs` 0 skips
 * the interval (a delivery that waited for the card being posted renders once it exists).
 */
export async function claimRender(
  fingerprint: string,
  now: Date,
  throttleMs: number,
): Promise<FingerprintRecord | undefined> {
  return updateIf<FingerprintRecord>({
    Key: key(fingerprint),
    UpdateExpression: 'SET renderedAt = :now, renderedCount = #count',
    ConditionExpression:
      '#status = :posted AND attribute_not_exists(caseId) AND attribute_not_exists(dismissedBy) AND ' +
      '(attribute_not_exists(renderedCount) OR renderedCount < #count) AND ' +
      '(attribute_not_exists(renderedAt) OR renderedAt <= :threshold)',
    ExpressionAttributeNames: { '#count': 'count', '#status': 'status' },
    ExpressionAttributeValues: {
      ':now': now.getTime(),
      ':posted': 'posted',
      ':threshold': now.getTime() - throttleMs,
    },
  });
}

/** Records that the card now shows the archived (or active) state. */
export async function markRenderedArchived(fingerprint: string, archived: boolean): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key(fingerprint),
      UpdateExpression: 'SET renderedArchived = :a',
      ExpressionAttributeValues: { ':a': archived },
    }),
  );
}

/**
 * For the Slack side: a case took over the card, or a responder dismissed it. From then on repeats of
 * the finding are counted but never re-render the card.
 */
export async function markFingerprint(
  fingerprint: string,
  mark: { caseId?: string; dismissedBy?: string },
): Promise<void> {
  const sets: string[] = [];
  const values: Record<string, string> = {};
  if (mark.caseId) {
    sets.push('caseId = :case');
    values[':case'] = mark.caseId;
  }
  if (mark.dismissedBy) {
    sets.push('dismissedBy = :by');
    values[':by'] = mark.dismissedBy;
  }
  if (!sets.length) return;
  await updateIf({
    Key: key(fingerprint),
    UpdateExpression: `SET ${sets.join(', ')}`,
    ExpressionAttributeValues: values,
    // A card intake never recorded (a case opened by tag or command) has nothing to mark; never
    // create a half record that intake would later misread.
    ConditionExpression: 'attribute_exists(pk)',
  });
}

/** Polls (consistent reads, growing pauses) until the record leaves `claimed` or the time is up. */
export async function waitForOutcome(
  fingerprint: string,
  maxMs: number,
): Promise<FingerprintRecord | undefined> {
  const deadline = Date.now() + maxMs;
  let pause = 25;
  for (;;) {
    const record = await getFingerprint(fingerprint);
    if (!record || record.status !== 'claimed') return record;
    if (Date.now() + pause > deadline) return record;
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 400);
  }
}
