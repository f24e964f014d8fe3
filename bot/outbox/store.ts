import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, isConditionFailed, tableName } from '../core/table.js';

/**
 * A case's outbox, one item in the case table (`pk = OUTBOX#<caseId>`, `sk = OUTBOX`):
 *
 * - `lines`: every line said about the case, in order (appended atomically by `list_append`, so two steps
 *   of one case that report at once keep the order DynamoDB applied them in);
 * - `delivered`: how many of them are in Slack — the cursor, moved only forward and only by the drainer;
 * - `posting`: the range a drainer is posting now. A drainer that crashed leaves it behind; the next one
 *   looks in the thread for a message carrying that range in its metadata before posting it again, so a
 *   crash between Slack's answer and the cursor's move neither loses nor repeats a line;
 * - `cardStale`: lines moved the root card and it has not been redrawn since.
 *
 * The queue (queue.ts) only says "this case has lines"; order and exactly-once live here, so any number of
 * a case's pending lines can be read at once and coalesced into one post.
 */

export interface OutboxLine {
  /** The thread line (mrkdwn, already escaped); absent for a line that only moves the card. */
  text?: string;
  /** Whether the root card is to be redrawn after this line. */
  card: boolean;
  at: string;
}

export interface PostingRange {
  from: number;
  to: number;
  at: string;
}

export interface Outbox {
  caseId: string;
  lines: OutboxLine[];
  delivered: number;
  posting?: PostingRange;
  cardStale?: boolean;
}

const key = (caseId: string) => ({ pk: `OUTBOX#${caseId}`, sk: 'OUTBOX' });

/** A DynamoDB item holds at most 400 KB: one line's text is capped well below what a case could fill. */
export const MAX_LINE_CHARS = 3_000;

/** Appends a line; returns its number (1-based) in the case's outbox. */
export async function appendLine(caseId: string, line: OutboxLine): Promise<number> {
  const text =
    line.text && line.text.length > MAX_LINE_CHARS ? `${line.text.slice(0, MAX_LINE_CHARS - 1)}…` : line.text;
  const out = await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key(caseId),
      UpdateExpression:
        'SET #lines = list_append(if_not_exists(#lines, :empty), :line), #delivered = if_not_exists(#delivered, :zero)',
      ExpressionAttributeNames: { '#lines': 'lines', '#delivered': 'delivered' },
      ExpressionAttributeValues: {
        ':empty': [],
        ':line': [{ ...line, ...(text !== undefined ? { text } : {}) }],
        ':zero': 0,
      },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return (out.Attributes?.lines as unknown[] | undefined)?.length ?? 0;
}

export async function readOutbox(caseId: string): Promise<Outbox | undefined> {
  const out = await db().send(
    new GetCommand({ TableName: tableName(), Key: key(caseId), ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  const item = out.Item as Record<string, unknown>;
  return {
    caseId,
    lines: (item.lines as OutboxLine[] | undefined) ?? [],
    delivered: Number(item.delivered ?? 0),
    ...(item.posting ? { posting: item.posting as PostingRange } : {}),
    ...(item.cardStale ? { cardStale: true } : {}),
  };
}

/** Thrown when another drainer moved the outbox meanwhile (a redelivered batch running beside its first). */
export class OutboxMovedError extends Error {
  override name = 'OutboxMovedError';
}

/** Claims lines `from..to` (0-based, end exclusive) for posting; fails when the cursor is not at `from`. */
export async function claimRange(caseId: string, from: number, to: number): Promise<PostingRange> {
  const posting = { from, to, at: new Date().toISOString() };
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(caseId),
        UpdateExpression: 'SET #posting = :posting',
        ConditionExpression: '#delivered = :from AND attribute_not_exists(#posting)',
        ExpressionAttributeNames: { '#posting': 'posting', '#delivered': 'delivered' },
        ExpressionAttributeValues: { ':posting': posting, ':from': from },
      }),
    );
    return posting;
  } catch (error) {
    if (isConditionFailed(error)) throw new OutboxMovedError(`${caseId}: the outbox moved past line ${from}`);
    throw error;
  }
}

/** Moves the cursor to `to` and releases the claim (only the claim of that range). */
export async function completeRange(caseId: string, to: number, card: boolean): Promise<void> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(caseId),
        UpdateExpression: `SET #delivered = :to${card ? ', #cardStale = :true' : ''} REMOVE #posting`,
        ConditionExpression: '#posting.#to = :to',
        ExpressionAttributeNames: {
          '#posting': 'posting',
          '#delivered': 'delivered',
          '#to': 'to',
          ...(card ? { '#cardStale': 'cardStale' } : {}),
        },
        ExpressionAttributeValues: { ':to': to, ...(card ? { ':true': true } : {}) },
      }),
    );
  } catch (error) {
    if (isConditionFailed(error))
      throw new OutboxMovedError(`${caseId}: the claim of lines to ${to} is gone`);
    throw error;
  }
}

/** Drops a claim whose post never reached Slack (the thread does not hold it), so it is posted again. */
export async function dropClaim(caseId: string, posting: PostingRange): Promise<void> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(caseId),
        UpdateExpression: 'REMOVE #posting',
        ConditionExpression: '#posting.#to = :to AND #posting.#at = :at',
        ExpressionAttributeNames: { '#posting': 'posting', '#to': 'to', '#at': 'at' },
        ExpressionAttributeValues: { ':to': posting.to, ':at': posting.at },
      }),
    );
  } catch (error) {
    if (isConditionFailed(error)) throw new OutboxMovedError(`${caseId}: the claim changed meanwhile`);
    throw error;
  }
}

/** The card was redrawn from a record read after the lines that moved it. */
export async function cardRedrawn(caseId: string): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key(caseId),
      UpdateExpression: 'REMOVE #cardStale',
      ExpressionAttributeNames: { '#cardStale': 'cardStale' },
    }),
  );
}
