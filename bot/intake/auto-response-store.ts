import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, isConditionFailed, tableName } from '../core/table.js';

/**
 * What auto-response keeps in the case table, shared by every concurrent findings Lambda:
 *
 * | item                         | pk                                  | sk      |
 * |------------------------------|-------------------------------------|---------|
 * | the hour's automatic cases   | `AUTORESPONSE#hour#<yyyy-mm-ddThh>`  | `CAP`   |
 * | a finding a rule acted on    | `AUTORESPONSE#fp#<fingerprint>`      | `CLAIM` |
 *
 * The hour's budget is one conditional ADD (`cases < max`), so two Lambdas never both take the last case;
 * the first delivery the budget refuses also claims the hour's one summary line (`summaryPosted`).
 * A finding's claim is a conditional put: a repeat or a duplicate delivery never acts a second time.
 */

const hourItem = (hour: string) => ({ pk: `AUTORESPONSE#hour#${hour}`, sk: 'CAP' });
const claimItem = (fingerprint: string) => ({ pk: `AUTORESPONSE#fp#${fingerprint}`, sk: 'CLAIM' });

/** The UTC clock hour of `now`, e.g. `2026-12-04T19`. */
export const hourOf = (now: Date): string => now.toISOString().slice(0, 13);

/** The start of the next UTC hour. */
export const nextHour = (now: Date): Date =>
  new Date((Math.floor(now.getTime() / 3_600_000) + 1) * 3_600_000);

export type SlotOutcome =
  | { taken: true; cases: number }
  | { taken: false; refused: number; postSummary: boolean; cases: number };

/**
 * Takes one automatic case from the hour's budget. Refused: counts the refusal, and `postSummary` is true
 * for exactly one refused delivery of the hour (the summary line's poster).
 */
export async function takeHourSlot(now: Date, max: number): Promise<SlotOutcome> {
  const ttl = Math.floor(now.getTime() / 1000) + 3 * 86_400;
  const Key = hourItem(hourOf(now));
  try {
    const out = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression: 'ADD cases :one SET expiresAt = :ttl',
        ConditionExpression: 'attribute_not_exists(cases) OR cases < :max',
        ExpressionAttributeValues: { ':one': 1, ':max': max, ':ttl': ttl },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { taken: true, cases: Number(out.Attributes?.cases ?? 1) };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
  const counted = await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key,
      UpdateExpression: 'ADD refused :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'ALL_NEW',
    }),
  );
  const cases = Number(counted.Attributes?.cases ?? max);
  const refused = Number(counted.Attributes?.refused ?? 1);
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression: 'SET summaryPosted = :at',
        ConditionExpression: 'attribute_not_exists(summaryPosted)',
        ExpressionAttributeValues: { ':at': now.toISOString() },
      }),
    );
    return { taken: false, refused, cases, postSummary: true };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return { taken: false, refused, cases, postSummary: false };
  }
}

/** Gives the hour's summary line back (its post failed): the next refused delivery posts it. */
export async function releaseSummary(now: Date): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: hourItem(hourOf(now)),
      UpdateExpression: 'REMOVE summaryPosted',
    }),
  );
}

/** Gives a case back to the hour's budget (the case could not be opened, the event is retried). */
export async function returnHourSlot(now: Date): Promise<void> {
  await db()
    .send(
      new UpdateCommand({
        TableName: tableName(),
        Key: hourItem(hourOf(now)),
        UpdateExpression: 'ADD cases :minus',
        ConditionExpression: 'cases > :zero',
        ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
      }),
    )
    .catch((error) => {
      if (!isConditionFailed(error)) throw error;
    });
}

/** The hour's counts (for `/forensics rules`). */
export async function hourCounts(now: Date): Promise<{ cases: number; refused: number }> {
  const out = await db().send(new GetCommand({ TableName: tableName(), Key: hourItem(hourOf(now)) }));
  return { cases: Number(out.Item?.cases ?? 0), refused: Number(out.Item?.refused ?? 0) };
}

/**
 * Claims the finding for its rule: true for the one delivery that acts; false when a rule already acted
 * on this finding (a repeat, a duplicate delivery, a concurrent Lambda).
 */
export async function claimFinding(
  fingerprint: string,
  claim: { rule: string; action: string; dryRun: boolean; now: Date; ttlDays: number },
): Promise<boolean> {
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...claimItem(fingerprint),
          rule: claim.rule,
          action: claim.action,
          dryRun: claim.dryRun,
          at: claim.now.toISOString(),
          expiresAt: Math.floor(claim.now.getTime() / 1000) + claim.ttlDays * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** Forgets a claim whose action failed, so the retried event acts again. */
export async function releaseFinding(fingerprint: string): Promise<void> {
  await db().send(new DeleteCommand({ TableName: tableName(), Key: claimItem(fingerprint) }));
}

/** What a rule did with the finding, if any. */
export async function findingClaim(
  fingerprint: string,
): Promise<{ rule: string; action: string; dryRun: boolean; at: string } | undefined> {
  const out = await db().send(new GetCommand({ TableName: tableName(), Key: claimItem(fingerprint) }));
  return out.Item as { rule: string; action: string; dryRun: boolean; at: string } | undefined;
}
