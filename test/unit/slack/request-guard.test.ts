import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSignature, normalizeRequest } from '../../../bot/slack/request-guard.js';

const secret = 'test-signing-secret';
const sign = (body: string, ts: number) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

describe('Function: checkSignature', () => {
  const now = 1_700_000_000;
  const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

  it('accepts a fresh, correct signature', () => {
    expect(checkSignature(secret, body, sign(body, now - 10), String(now - 10), now)).toBe('ok');
  });
  it('refuses a request older, or further in the future, than 5 minutes', () => {
    expect(checkSignature(secret, body, sign(body, now - 301), String(now - 301), now)).toBe('stale');
    expect(checkSignature(secret, body, sign(body, now + 301), String(now + 301), now)).toBe('stale');
  });
  it('refuses a forged or truncated signature, and missing headers', () => {
    expect(checkSignature(secret, `${body}x`, sign(body, now), String(now), now)).toBe('forged');
    expect(checkSignature(secret, body, sign(body, now).slice(0, 20), String(now), now)).toBe('forged');
    expect(checkSignature(secret, body, undefined, String(now), now)).toBe('missing');
    expect(checkSignature(secret, body, sign(body, now), 'yesterday', now)).toBe('missing');
  });
});

describe('Function: normalizeRequest', () => {
  it('decodes a base64 body as UTF-8 and drops content-type parameters', () => {
    const text = 'text=st%C3%A1tus&user=%C3%BC 🔒';
    const { event, rawBody, header } = normalizeRequest({
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
        'X-Slack-Retry-Num': '1',
      },
      body: Buffer.from(text, 'utf8').toString('base64'),
      isBase64Encoded: true,
    });
    expect(rawBody).toBe(text);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(header('x-slack-retry-num')).toBe('1');
  });
});
