import { createHmac, timingSafeEqual } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { db, isConditionFailed, tableName } from '../core/table.js';

/**
 * What stands between the Function URL and Bolt (STACK.md traps, issue 3 "Security"):
 * - the body is decoded to a UTF-8 string here (Bolt would decode base64 as ASCII and the signature
 *   over non-ASCII text would fail), and `content-type` loses its parameters (Bolt throws on
 *   `; charset=utf-8`);
 * - the signature is checked before the body is parsed: forged, and older (or newer) than 5 minutes,
 *   are refused with 401;
 * - an identical signed request seen before is a replay and refused: each signature is remembered with a
 *   conditional put (TTL 10 minutes, past the 5 minute window). The unsigned `X-Slack-Retry-Num` header
 *   never skips this check: a repeat that carries it gets 200 and is not processed again.
 */

export const MAX_AGE_SECONDS = 5 * 60;

export interface FunctionUrlEventLike {
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** A Slack request as the listeners must see it: headers lower-cased, UTF-8 body, plain content type. */
export interface NormalizedRequest<E extends FunctionUrlEventLike> {
  event: E & { headers: Record<string, string>; body: string; isBase64Encoded: false };
  rawBody: string;
  header(name: string): string | undefined;
}

export function normalizeRequest<E extends FunctionUrlEventLike>(event: E): NormalizedRequest<E> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {}))
    if (typeof v === 'string') headers[k.toLowerCase()] = v;
  const type = headers['content-type'];
  if (type) headers['content-type'] = type.split(';')[0]!.trim().toLowerCase();
  const raw = event.body ?? '';
  const rawBody = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  return {
    event: { ...event, headers, body: rawBody, isBase64Encoded: false },
    rawBody,
    header: (name) => headers[name.toLowerCase()],
  };
}

export type SignatureCheck = 'ok' | 'missing' | 'stale' | 'forged';

/** Slack's v0 signature over `v0:<timestamp>:<body>`, and the request's age (both ways) within 5 minutes. */
export function checkSignature(
  signingSecret: string,
  rawBody: string,
  signature: string | undefined,
  timestamp: string | undefined,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureCheck {
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return 'missing';
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_AGE_SECONDS) return 'stale';
  const expected = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  return a.length === b.length && timingSafeEqual(a, b) ? 'ok' : 'forged';
}

/**
 * Remembers a signature; false when it was seen before (a replay). The item expires after the replay
 * window (DynamoDB TTL `expiresAt`); until TTL deletes it, the condition also checks the time.
 */
export async function rememberSignature(signature: string, timestamp: string): Promise<boolean> {
  const now = Math.floor(Date.now() / 1000);
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          pk: `SLACKREQ#${signature}`,
          sk: 'SLACKREQ',
          expiresAt: Number(timestamp) + 2 * MAX_AGE_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
