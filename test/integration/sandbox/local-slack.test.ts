import { App, AwsLambdaReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { useLocalSlack } from '../../support/local-slack.js';

const world = useLocalSlack();
const { slack } = world;

const card = (value = 'CASE-20240101-ABCD') => [
  { type: 'header', text: { type: 'plain_text', text: 'SSH brute force' } },
  {
    type: 'actions',
    block_id: 'finding-actions',
    elements: [
      { type: 'button', action_id: 'analyze', text: { type: 'plain_text', text: 'Analyze' }, value },
      {
        type: 'button',
        action_id: 'contain',
        style: 'danger',
        text: { type: 'plain_text', text: 'Contain' },
        value,
        confirm: {
          title: { type: 'plain_text', text: 'Contain?' },
          text: { type: 'mrkdwn', text: 'Isolates the instance.' },
          confirm: { type: 'plain_text', text: 'Contain' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    ],
  },
];

describe('Function: LocalSlack Web API', () => {
  it('posts a card by channel name and answers with the channel id and a Slack ts', async () => {
    // Act
    const out = await world.client.chat.postMessage({
      channel: 'security-alerts',
      text: 'finding',
      blocks: card(),
    });

    // Assess
    expect(out.ok).toBe(true);
    expect(out.channel).toBe('C0ALERTS');
    expect(out.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(out.message?.bot_id).toBe('B0FORENSIC');
    const stored = slack.messages('C0ALERTS').find((m) => m.ts === out.ts);
    expect(stored?.blocks?.[0]?.block_id).toBeTruthy(); // Slack fills missing block ids
  });

  it('generates strictly increasing timestamps', async () => {
    const a = await world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'a' });
    const b = await world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'b' });
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
  });

  it('threads a reply under its root and counts it, and a broadcast reply also shows in the channel', async () => {
    // Prepare
    const root = await world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'root' });

    // Act
    await world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'step 1', thread_ts: root.ts! });
    await world.client.chat.postMessage({
      channel: 'C0ALERTS',
      text: 'done',
      thread_ts: root.ts!,
      reply_broadcast: true,
    });

    // Assess
    const messages = slack.messages('security-alerts');
    const stored = messages.find((m) => m.ts === root.ts);
    expect(stored?.replies.map((r) => r.text)).toEqual(['step 1', 'done']);
    expect(stored?.reply_count).toBe(2);
    expect(messages.some((m) => m.subtype === 'thread_broadcast' && m.text === 'done')).toBe(true);
  });

  it('updates a message, keeping fields left out, and refuses an unknown ts with message_not_found', async () => {
    const posted = await world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'v1', blocks: card() });
    await world.client.chat.update({ channel: 'C0ALERTS', ts: posted.ts!, text: 'v2' });
    const stored = slack.messages('C0ALERTS').find((m) => m.ts === posted.ts);
    expect(stored?.text).toBe('v2');
    expect(stored?.blocks).toHaveLength(2);
    await expect(
      world.client.chat.update({ channel: 'C0ALERTS', ts: '1.000001', text: 'x' }),
    ).rejects.toMatchObject({
      data: { ok: false, error: 'message_not_found' },
    });
  });

  it('keeps ephemeral messages for their user only', async () => {
    const out = await world.client.chat.postEphemeral({
      channel: 'C0ALERTS',
      user: 'U0MALLORY',
      text: 'not allowed',
    });
    expect(out.message_ts).toBeTruthy();
    expect(slack.ephemerals('security-alerts', 'mallory').map((e) => e.text)).toContain('not allowed');
    expect(slack.ephemerals('security-alerts', 'alice').map((e) => e.text)).not.toContain('not allowed');
  });

  it('answers permalinks, user groups, users, channels, auth.test and views.open with real shapes', async () => {
    const posted = await world.client.chat.postMessage({ channel: 'C0COMMANDERS', text: 'approve?' });
    const link = await world.client.chat.getPermalink({ channel: 'C0COMMANDERS', message_ts: posted.ts! });
    expect(link.permalink).toBe(`${slack.url}/archives/C0COMMANDERS/p${posted.ts!.replace('.', '')}`);
    expect((await world.client.usergroups.users.list({ usergroup: 'S0COMMANDERS' })).users).toEqual([
      'U0CAROL',
      'U0DAVE',
    ]);
    expect((await world.client.usergroups.users.list({ usergroup: 'S0RESPONDERS' })).users).toEqual([
      'U0ALICE',
      'U0CAROL',
      'U0DAVE',
    ]);
    expect((await world.client.users.info({ user: 'U0ALICE' })).user?.name).toBe('alice');
    expect((await world.client.conversations.info({ channel: 'C0COMMANDERS' })).channel?.name).toBe(
      'ir-commanders',
    );
    expect(await world.client.auth.test()).toMatchObject({ user_id: 'U0FORENSIC', bot_id: 'B0FORENSIC' });
    const click = slack.buildBlockActionsPayload({
      user: 'alice',
      channel: 'C0COMMANDERS',
      ts: (await world.client.chat.postMessage({ channel: 'C0COMMANDERS', text: 'x', blocks: card() })).ts!,
      actionId: 'analyze',
    });
    const modal = {
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: 'Case' },
      blocks: [],
    };
    const view = await world.client.views.open({ trigger_id: String(click.trigger_id), view: modal });
    expect(view.view?.id).toMatch(/^V0/);
    expect(view.view).toMatchObject({
      root_view_id: view.view?.id,
      app_id: 'A0FORENSIC',
      state: { values: {} },
    });
    expect(slack.views.map((v) => v.id)).toContain(view.view?.id);
    expect(slack.openViews('alice').map((v) => v.id)).toContain(view.view?.id);
    expect(slack.openViews('carol').map((v) => v.id)).not.toContain(view.view?.id);
  });

  it('opens a modal only with a trigger_id from an interaction, once', async () => {
    const modal = {
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: 'Case' },
      blocks: [],
    };
    await expect(world.client.views.open({ trigger_id: '1.2.made-up', view: modal })).rejects.toMatchObject({
      data: { error: 'invalid_trigger_id' },
    });
    const { trigger_id } = slack.buildSlashCommand({ user: 'carol', channel: 'C0ALERTS', text: 'help' });
    await world.client.views.open({ trigger_id: trigger_id!, view: modal });
    await expect(world.client.views.open({ trigger_id: trigger_id!, view: modal })).rejects.toMatchObject({
      data: { error: 'exchanged_trigger_id' },
    });
  });

  it('rejects a wrong bot token with invalid_auth and an unknown method with unknown_method', async () => {
    const wrong = new WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    await expect(wrong.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    await expect(world.client.apiCall('chat.explode', {})).rejects.toMatchObject({
      data: { error: 'unknown_method' },
    });
  });

  it('accepts a JSON body with the token as a parameter', async () => {
    const response = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'xoxb-sandbox-token', channel: 'C0ALERTS', text: 'json' }),
    });
    expect(await response.json()).toMatchObject({ ok: true, channel: 'C0ALERTS' });
  });

  it('rejects Block Kit that Slack would reject', async () => {
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    await expect(
      world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'x', blocks: tooMany }),
    ).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
    await expect(
      world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'x', blocks: card('v'.repeat(2001)) }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    await expect(
      world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'x'.repeat(40_001) }),
    ).rejects.toMatchObject({
      data: { error: 'msg_too_long' },
    });
    await expect(world.client.chat.postMessage({ channel: 'C0NOPE', text: 'x' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
  });

  it('answers 429 with Retry-After when told to rate-limit, then lets calls through', async () => {
    slack.rateLimit({ method: 'chat.postMessage', times: 1, retryAfterSeconds: 1 });
    await expect(world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 1,
    });
    expect((await world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'x' })).ok).toBe(true);
  });

  it('fails the next call of a method with the given error', async () => {
    slack.failNext('users.info', 'user_not_visible');
    await expect(world.client.users.info({ user: 'U0ALICE' })).rejects.toMatchObject({
      data: { error: 'user_not_visible' },
    });
    expect((await world.client.users.info({ user: 'U0ALICE' })).ok).toBe(true);
  });

  it('limits chat.postMessage bursts per channel in realistic mode', async () => {
    slack.setRealisticRateLimits({ burst: 2, perSecond: 1 });
    try {
      await world.client.chat.postMessage({ channel: 'C0COMMANDERS', text: '1' });
      await world.client.chat.postMessage({ channel: 'C0COMMANDERS', text: '2' });
      await expect(
        world.client.chat.postMessage({ channel: 'C0COMMANDERS', text: '3' }),
      ).rejects.toMatchObject({
        code: 'slack_webapi_rate_limited_error',
      });
      expect((await world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'other channel' })).ok).toBe(
        true,
      );
    } finally {
      slack.setRealisticRateLimits(false);
    }
  });

  it('limits chat.update for the workspace in realistic mode (Tier 3: a burst of 10, then ~50 a minute)', async () => {
    const posted = await world.client.chat.postMessage({ channel: 'C0ALERTS', text: 'card' });
    slack.setRealisticRateLimits(true);
    try {
      for (let i = 0; i < 10; i++)
        expect(
          (await world.client.chat.update({ channel: 'C0ALERTS', ts: posted.ts!, text: `v${i}` })).ok,
        ).toBe(true);
      await expect(
        world.client.chat.update({ channel: 'C0ALERTS', ts: posted.ts!, text: 'v10' }),
      ).rejects.toMatchObject({
        code: 'slack_webapi_rate_limited_error',
      });
    } finally {
      slack.setRealisticRateLimits(false);
    }
  });

  it('records the calls without the token', async () => {
    const call = slack.calls.find((c) => c.method === 'auth.test');
    expect(call).toBeDefined();
    expect(JSON.stringify(slack.calls)).not.toContain('xoxb-sandbox-token');
  });
});

describe('Function: LocalSlack requests to the app', () => {
  it('builds the block_actions payload of the button actually in the message', async () => {
    // Prepare
    const posted = await world.client.chat.postMessage({
      channel: 'C0ALERTS',
      text: 'finding',
      blocks: card(),
    });

    // Act
    const payload = slack.buildBlockActionsPayload({
      user: 'alice',
      channel: 'security-alerts',
      ts: posted.ts!,
      actionId: 'contain',
    });

    // Assess
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T0SANDBOX' },
      container: { type: 'message', message_ts: posted.ts, channel_id: 'C0ALERTS', is_ephemeral: false },
      channel: { id: 'C0ALERTS', name: 'security-alerts' },
      message: { ts: posted.ts, text: 'finding' },
      actions: [
        {
          action_id: 'contain',
          block_id: 'finding-actions',
          value: 'CASE-20240101-ABCD',
          type: 'button',
          style: 'danger',
        },
      ],
    });
    expect(payload.response_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/response\//);
    expect(payload.trigger_id).toBeTruthy();
    expect(() =>
      slack.buildBlockActionsPayload({
        user: 'alice',
        channel: 'C0ALERTS',
        ts: posted.ts!,
        actionId: 'nope',
      }),
    ).toThrow(/no button/);
  });

  it('delivers a signed click to a Bolt app behind AwsLambdaReceiver, whose listener acks and responds', async () => {
    // Prepare
    const receiver = new AwsLambdaReceiver({ signingSecret: slack.signingSecret });
    const app = new App({
      token: slack.botToken,
      receiver,
      tokenVerificationEnabled: false,
      botId: 'B0FORENSIC',
      botUserId: 'U0FORENSIC',
      clientOptions: { slackApiUrl: slack.apiUrl },
    });
    const seen: string[] = [];
    app.action('analyze', async ({ ack, body, respond }) => {
      await ack();
      seen.push(body.user.id);
      await respond({ response_type: 'ephemeral', text: 'Analysis requested' });
    });
    app.command('/forensics', async ({ ack, command, respond }) => {
      await ack();
      await respond({ text: `status of ${command.text}` });
    });
    const handler = await receiver.start();
    const posted = await world.client.chat.postMessage({
      channel: 'C0ALERTS',
      text: 'finding',
      blocks: card(),
    });

    // Act
    const click = await slack.click(handler as never, {
      user: 'U0ALICE',
      channel: 'C0ALERTS',
      ts: posted.ts!,
      actionId: 'analyze',
    });
    const command = await slack.command(handler as never, {
      user: 'carol',
      channel: 'C0ALERTS',
      text: 'status CASE-20240101-ABCD',
    });

    // Assess
    expect(click.status).toBe(200);
    expect(command.status).toBe(200);
    expect(seen).toEqual(['U0ALICE']);
    expect(slack.ephemerals('C0ALERTS', 'alice').map((e) => e.text)).toContain('Analysis requested');
    expect(slack.ephemerals('C0ALERTS', 'carol').map((e) => e.text)).toContain(
      'status of status CASE-20240101-ABCD',
    );
  });

  it('a request signed with another secret is refused by Bolt', async () => {
    const receiver = new AwsLambdaReceiver({ signingSecret: 'another-secret' });
    new App({ token: slack.botToken, receiver, tokenVerificationEnabled: false });
    const handler = await receiver.start();
    const result = await slack.command(handler as never, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: 'status',
    });
    expect(result.status).toBe(401);
  });

  it('replaces the original message through its response_url', async () => {
    const posted = await world.client.chat.postMessage({
      channel: 'C0ALERTS',
      text: 'finding',
      blocks: card(),
    });
    const payload = slack.buildBlockActionsPayload({
      user: 'alice',
      channel: 'C0ALERTS',
      ts: posted.ts!,
      actionId: 'analyze',
    });
    const response = await fetch(String(payload.response_url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replace_original: true, text: 'Case opened' }),
    });
    expect(response.status).toBe(200);
    const stored = slack.messages('C0ALERTS').find((m) => m.ts === posted.ts);
    expect(stored?.text).toBe('Case opened');
    expect(stored?.blocks).toBeUndefined();
  });
  it('runs a modal as Slack does: opened for the clicker, checked, submitted signed, errors kept open, then closed', async () => {
    // Prepare: a button opens a modal with a required note; the app refuses "no" with response_action errors.
    const receiver = new AwsLambdaReceiver({ signingSecret: slack.signingSecret });
    const app = new App({
      token: slack.botToken,
      receiver,
      tokenVerificationEnabled: false,
      botId: 'B0FORENSIC',
      botUserId: 'U0FORENSIC',
      clientOptions: { slackApiUrl: slack.apiUrl },
    });
    const submitted: { user: string; metadata: string; note: unknown }[] = [];
    app.action('analyze', async ({ ack, body, client: web }) => {
      await ack();
      await web.views.open({
        trigger_id: (body as { trigger_id: string }).trigger_id,
        view: {
          type: 'modal',
          callback_id: 'note',
          private_metadata: 'case-1',
          title: { type: 'plain_text', text: 'Add a note' },
          submit: { type: 'plain_text', text: 'Save' },
          blocks: [
            {
              type: 'input',
              block_id: 'note.block',
              label: { type: 'plain_text', text: 'Note' },
              element: { type: 'plain_text_input', action_id: 'note', max_length: 20 },
            },
          ],
        },
      });
    });
    app.view('note', async ({ ack, body, view }) => {
      const note = view.state.values['note.block']?.note?.value;
      if (note === 'no') {
        await ack({ response_action: 'errors', errors: { 'note.block': 'Say more than no' } });
        return;
      }
      await ack();
      submitted.push({ user: body.user.id, metadata: view.private_metadata, note });
    });
    const handler = (await receiver.start()) as never;
    const posted = await world.client.chat.postMessage({
      channel: 'C0ALERTS',
      text: 'finding',
      blocks: card(),
    });

    // Act: carol clicks; the modal is hers
    await slack.click(handler, { user: 'carol', channel: 'C0ALERTS', ts: posted.ts!, actionId: 'analyze' });
    const [opened] = slack.openViews('carol').filter((v) => v.view.callback_id === 'note');
    expect(opened).toBeDefined();
    const viewId = opened!.id;

    // Assess: nobody else can submit it; the client refuses an empty or too long note without sending
    await expect(slack.submitView(handler, { user: 'alice', viewId })).rejects.toThrow(/no open view/);
    expect(await slack.submitView(handler, { user: 'carol', viewId })).toMatchObject({
      outcome: 'invalid',
      errors: { 'note.block': expect.stringMatching(/required/) },
    });
    const long = await slack.submitView(handler, {
      user: 'carol',
      viewId,
      values: { 'note.block': { note: 'x'.repeat(21) } },
    });
    expect(long.outcome).toBe('invalid');
    expect(long.delivery).toBeUndefined();
    expect(submitted).toEqual([]);

    // the app's own errors keep the modal open with what was typed
    const refused = await slack.submitView(handler, {
      user: 'carol',
      viewId,
      values: { 'note.block': { note: 'no' } },
    });
    expect(refused).toMatchObject({ outcome: 'errors', errors: { 'note.block': 'Say more than no' } });
    expect(slack.openViews('carol').find((v) => v.id === viewId)).toMatchObject({
      errors: { 'note.block': 'Say more than no' },
      view: { state: { values: { 'note.block': { note: { type: 'plain_text_input', value: 'no' } } } } },
    });

    // a valid submission reaches the listener with the view's metadata, and closes the modal
    const saved = await slack.submitView(handler, {
      user: 'carol',
      viewId,
      values: { 'note.block': { note: 'lateral movement' } },
    });
    expect(saved.outcome).toBe('closed');
    expect(saved.delivery?.status).toBe(200);
    expect(submitted).toEqual([{ user: 'U0CAROL', metadata: 'case-1', note: 'lateral movement' }]);
    expect(slack.openViews('carol').map((v) => v.id)).not.toContain(viewId);
    await expect(slack.submitView(handler, { user: 'carol', viewId })).rejects.toThrow(/no open view/);
  });

  it('closes a modal without telling the app, unless the view asked to be notified', async () => {
    const seen: string[] = [];
    const handler = async (event: { body?: string; isBase64Encoded: boolean }) => {
      const body = event.isBase64Encoded ? Buffer.from(event.body!, 'base64').toString() : event.body!;
      seen.push(JSON.parse(new URLSearchParams(body).get('payload')!).type);
      return { statusCode: 200, body: '' };
    };
    const open = async (notify: boolean) => {
      const { trigger_id } = slack.buildSlashCommand({ user: 'alice', channel: 'C0ALERTS', text: '' });
      const opened = await world.client.views.open({
        trigger_id: trigger_id!,
        view: {
          type: 'modal',
          title: { type: 'plain_text', text: 'Case' },
          notify_on_close: notify,
          blocks: [],
        },
      });
      return opened.view!.id!;
    };
    await slack.closeView(handler, { user: 'alice', viewId: await open(false) });
    expect(seen).toEqual([]);
    await slack.closeView(handler, { user: 'alice', viewId: await open(true) });
    expect(seen).toEqual(['view_closed']);
  });
});
