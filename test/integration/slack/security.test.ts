import { describe, expect, it } from 'vitest';
import { listDayAudit } from '../../../bot/core/case-store.js';
import {
  deliver,
  ec2Finding,
  formEncode,
  handler,
  interactionBody,
  LocalSlack,
  postFindingCard,
  useSlackSide,
} from './harness.js';

const side = useSlackSide();
const { slack } = side;

const starts = () => side.sfn.calls.filter((c) => c.command === 'StartExecution').length;

async function analyzeBody(): Promise<string> {
  const ts = await postFindingCard(ec2Finding());
  return interactionBody(
    slack.buildBlockActionsPayload({ user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.analyze' }),
  );
}

describe('Function: handlers/slack (request security)', () => {
  it('refuses a forged signature before anything runs', async () => {
    const body = await analyzeBody();
    const before = starts();
    const answer = await deliver(slack, body, { headers: { 'x-slack-signature': `v0=${'0'.repeat(64)}` } });
    expect(answer.status).toBe(401);
    expect(starts()).toBe(before);
  });

  it('refuses a body changed after signing', async () => {
    const body = await analyzeBody();
    const request = slack.request(body);
    const answer = await slack.deliver(handler, { ...request, body: body.replace('alice', 'carol') });
    expect(answer.status).toBe(401);
  });

  it('refuses a correctly signed request older than 5 minutes', async () => {
    const body = await analyzeBody();
    const before = starts();
    const answer = await deliver(slack, body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(answer.status).toBe(401);
    expect(starts()).toBe(before);
  });

  it('refuses a request without signature headers, and one signed with another secret', async () => {
    const body = await analyzeBody();
    const bare = await slack.deliver(handler, {
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(bare.status).toBe(401);
    const other = new LocalSlack({ signingSecret: 'another-workspace-secret' });
    expect((await slack.deliver(handler, other.request(body))).status).toBe(401);
  });

  it('refuses a replayed request (identical signature) and starts nothing twice', async () => {
    const request = slack.request(await analyzeBody());
    const before = starts();
    const first = await slack.deliver(handler, request);
    const replay = await slack.deliver(handler, request);
    expect(first.status).toBe(200);
    expect(replay.status).toBe(401);
    expect(starts()).toBe(before + 1);
  });

  it('an added X-Slack-Retry-Num (unsigned) opens no way past the replay check: a captured contain or command does nothing again', async () => {
    const ts = await postFindingCard(ec2Finding());
    const click = slack.clickRequest({ user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.contain' });
    const command = slack.commandRequest({
      user: 'alice',
      channel: 'C0ALERTS',
      text: 'contain i-0123456789abcdef0',
    });
    const before = starts();
    expect((await slack.deliver(handler, click)).status).toBe(200);
    expect((await slack.deliver(handler, command)).status).toBe(200);
    const afterFirst = starts();
    expect(afterFirst).toBeGreaterThan(before);
    for (const captured of [click, command])
      for (const n of ['1', '2', '3']) {
        const replay = await slack.deliver(handler, {
          ...captured,
          headers: { ...captured.headers, 'x-slack-retry-num': n, 'x-slack-retry-reason': 'http_timeout' },
        });
        expect(replay.status).toBe(200);
        expect(replay.body).toBe('');
      }
    expect(starts()).toBe(afterFirst);
  });

  it('lets a Slack retry (X-Slack-Retry-Num) through to the idempotent path, without repeating side effects', async () => {
    const request = slack.request(await analyzeBody());
    const before = starts();
    const posts = () => slack.calls.filter((c) => c.method === 'chat.postMessage').length;
    await slack.deliver(handler, request);
    const postsAfterFirst = posts();
    const retry = await slack.deliver(handler, {
      ...request,
      headers: { ...request.headers, 'x-slack-retry-num': '1' },
    });
    expect(retry.status).toBe(200);
    expect(starts()).toBe(before + 1);
    expect(posts()).toBe(postsAfterFirst);
  });

  it('accepts a content-type with "; charset=utf-8"', async () => {
    const request = slack.commandRequest({ user: 'alice', channel: 'C0ALERTS', text: 'help' });
    request.headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
    const answer = await slack.deliver(handler, request);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('/forensics status CASE-ID');
  });

  it('checks the signature over the real UTF-8 bytes of a base64 body', async () => {
    const fields = slack.buildSlashCommand({ user: 'alice', channel: 'C0ALERTS', text: 'státus ünïcödé 🔒' });
    let base64 = false;
    const answer = await deliver(slack, formEncode(fields), { event: (e) => (base64 = e.isBase64Encoded) });
    expect(base64).toBe(true);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Unknown subcommand');
  });

  it('refuses an outsider on every surface, ephemerally, and audits it', async () => {
    const ts = await postFindingCard(ec2Finding());
    const before = starts();
    await slack.click(handler, { user: 'mallory', channel: 'C0ALERTS', ts, actionId: 'case.contain' });
    await slack.click(handler, { user: 'mallory', channel: 'C0ALERTS', ts, actionId: 'finding.dismiss' });
    const command = await slack.command(handler, { user: 'mallory', channel: 'C0ALERTS', text: 'list' });
    const close = await slack.command(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: 'close CASE-20250101-ABCD',
    });
    expect(starts()).toBe(before);
    expect(command.body).toBe('');
    expect(close.body).toBe('');
    const refusals = slack.ephemerals('C0ALERTS', 'mallory').map((e) => e.text);
    expect(refusals).toHaveLength(3);
    expect(slack.ephemerals('C0ALERTS', 'alice').at(-1)?.text).toContain('Only incident commanders');
    const day = new Date().toISOString().slice(0, 10);
    const audited = (await listDayAudit(day)).filter((e) => e.outcome === 'refused');
    expect(audited.map((e) => e.action)).toEqual(
      expect.arrayContaining(['case.contain', 'finding.dismiss', 'command.list']),
    );
  });

  it('answers malformed commands and ids with usage help, never an error', async () => {
    for (const text of [
      '',
      'status',
      'status not-a-case',
      'analyze i-xyz',
      'contain i-0123456789abcdef0 12345',
      'release CASE-2025-ABCD',
      'rm -rf /',
    ]) {
      const answer = await slack.command(handler, { user: 'alice', channel: 'C0ALERTS', text });
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('Usage');
    }
  });

  it('refuses an approval button whose value is not a case id', async () => {
    const client = await (await import('../../../bot/slack/client.js')).slackWebClient();
    const posted = await client.chat.postMessage({
      channel: 'C0COMMANDERS',
      text: 'forged',
      blocks: [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'approval.approve',
              text: { type: 'plain_text', text: 'Approve' },
              value: 'arn:aws:states:::token',
            },
          ],
        },
      ],
    });
    const answer = await slack.click(handler, {
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: posted.ts!,
      actionId: 'approval.approve',
    });
    expect(answer.status).toBe(200);
    expect(side.sfn.calls.some((c) => c.command === 'SendTaskSuccess')).toBe(false);
    expect(slack.ephemerals('C0COMMANDERS', 'carol').at(-1)?.text).toContain('not valid');
  });
});
