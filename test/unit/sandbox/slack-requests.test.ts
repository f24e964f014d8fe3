import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../../sandbox/slack/block-kit-limits.js';
import { functionUrlEvent, readFunctionUrlResult } from '../../../sandbox/slack/function-url.js';
import { signRequest } from '../../../sandbox/slack/payloads.js';

describe('Function: functionUrlEvent', () => {
  it('builds a payload v2 event with lower-cased headers and a base64 form body, as AWS does', () => {
    // Act
    const event = functionUrlEvent({
      method: 'post',
      url: '/slack/events?retry=1',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Slack-Retry-Num': '1',
        Cookie: 'a=1; b=2',
      },
      body: 'payload=%7B%7D',
    });

    // Assess
    expect(event.version).toBe('2.0');
    expect(event.rawPath).toBe('/slack/events');
    expect(event.rawQueryString).toBe('retry=1');
    expect(event.queryStringParameters).toEqual({ retry: '1' });
    expect(event.requestContext.http.method).toBe('POST');
    expect(event.headers['x-slack-retry-num']).toBe('1');
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').toString('utf8')).toBe('payload=%7B%7D');
  });

  it('keeps a JSON body as text', () => {
    const event = functionUrlEvent({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe('{"a":1}');
  });

  it('reads handler results as Lambda does', () => {
    expect(readFunctionUrlResult({ statusCode: 401, body: '' }).status).toBe(401);
    expect(readFunctionUrlResult('{"ok":true}')).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(readFunctionUrlResult(undefined).status).toBe(200);
  });
});

describe('Function: signRequest', () => {
  it('signs v0:timestamp:body with HMAC-SHA256 of the signing secret', () => {
    const expected = createHmac('sha256', 'secret').update('v0:1700000000:a=b').digest('hex');
    expect(signRequest('secret', 'a=b', 1700000000)).toEqual({
      'x-slack-signature': `v0=${expected}`,
      'x-slack-request-timestamp': '1700000000',
    });
  });
});

describe('Function: checkMessage', () => {
  const button = (over: Record<string, unknown> = {}) => ({
    type: 'actions',
    elements: [
      { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' }, value: 'v', ...over },
    ],
  });

  it('accepts a well-formed card', () => {
    expect(checkMessage({ text: 'x', blocks: [{ type: 'divider' }, button()] })).toBeUndefined();
  });

  it('rejects what Slack rejects, naming the place', () => {
    expect(checkMessage({ text: 'x', blocks: [button({ action_id: 'a'.repeat(256) })] })).toMatchObject({
      error: 'invalid_blocks',
      errors: [expect.stringContaining('/blocks/0/elements/0/action_id')],
    });
    expect(
      checkMessage({ blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] }),
    ).toMatchObject({
      error: 'invalid_blocks',
    });
    expect(
      checkMessage({
        blocks: [
          { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        ],
      }),
    ).toMatchObject({
      error: 'invalid_blocks',
    });
    expect(checkMessage({ blocks: [{ type: 'fancy' }] })).toMatchObject({ error: 'invalid_blocks' });
    expect(checkMessage({})).toEqual({ error: 'no_text' });
    expect(checkMessage({ text: 'x', blocks: 'not json' })).toEqual({ error: 'invalid_blocks_format' });
  });
});
