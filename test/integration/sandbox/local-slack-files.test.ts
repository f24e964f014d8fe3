import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useLocalSlack } from '../../support/local-slack.js';

/**
 * The local Slack's upload flow (files.getUploadURLExternal → POST → files.completeUploadExternal), as
 * strictly as Slack: what @slack/web-api's files.uploadV2 sends passes, anything Slack refuses is refused.
 */
const world = useLocalSlack();
const { slack } = world;

const api = (method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> =>
  world.client
    .apiCall(method, args)
    .then((out) => out as unknown as Record<string, unknown>)
    .catch((error: { data?: Record<string, unknown> }) => error.data ?? {});

async function root(text = 'case card') {
  const out = await world.client.chat.postMessage({ channel: 'security-alerts', text });
  return out.ts!;
}

describe('Function: LocalSlack files', () => {
  it('files.uploadV2 puts the exact bytes into the thread as a message with files', async () => {
    // Prepare
    const ts = await root();
    const bytes = Buffer.from('# Report\n\nplanted: /etc/ld.so.preload — ünïcode\n');

    // Act
    const out = await world.client.filesUploadV2({
      channel_id: 'C0ALERTS',
      thread_ts: ts,
      file: bytes,
      filename: 'report.md',
      title: 'report.md',
      initial_comment: 'the report',
    });

    // Assess
    expect(out.ok).toBe(true);
    const reply = slack
      .messages('C0ALERTS')
      .find((m) => m.ts === ts)!
      .replies.at(-1)!;
    expect(reply.text).toBe('the report');
    expect(reply.upload).toBe(true);
    const file = reply.files![0]!;
    expect(file).toMatchObject({ name: 'report.md', size: bytes.length, filetype: 'markdown' });
    expect(slack.fileBytes(String(file.id))).toEqual(bytes);
    // url_private needs the bot token, as in Slack
    expect((await fetch(String(file.url_private))).status).toBe(403);
    const got = await fetch(String(file.url_private), {
      headers: { authorization: 'Bearer xoxb-sandbox-token' },
    });
    expect(
      createHash('sha256')
        .update(Buffer.from(await got.arrayBuffer()))
        .digest('hex'),
    ).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(slack.calls.map((c) => c.method)).toEqual(
      expect.arrayContaining(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']),
    );
  });

  it('getUploadURLExternal needs a filename and a length; the URL is on the local server', async () => {
    expect(await api('files.getUploadURLExternal', { length: 3 })).toMatchObject({
      ok: false,
      error: 'invalid_arguments',
    });
    expect(await api('files.getUploadURLExternal', { filename: 'a.md' })).toMatchObject({
      ok: false,
      error: 'invalid_arguments',
    });
    expect(await api('files.getUploadURLExternal', { filename: 'a.md', length: 'x' })).toMatchObject({
      ok: false,
    });
    const out = await api('files.getUploadURLExternal', { filename: 'a.md', length: 3 });
    expect(out.ok).toBe(true);
    expect(String(out.upload_url).startsWith(`${slack.url}/upload/v1/`)).toBe(true);
    expect(out.file_id).toMatch(/^F[0-9A-Z]+$/);
  });

  it('the POST must carry exactly length bytes (raw or multipart); a short one leaves the file unuploaded', async () => {
    // Prepare
    const got = await api('files.getUploadURLExternal', { filename: 'a.md', length: 5 });
    const url = String(got.upload_url);

    // Act
    const short = await fetch(url, { method: 'POST', body: 'abcd' });
    const long = await fetch(url, { method: 'POST', body: 'abcdef' });

    // Assess
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('expected 5 bytes, got 4');
    expect(long.status).toBe(400);
    expect(await api('files.completeUploadExternal', { files: [{ id: got.file_id }] })).toMatchObject({
      ok: false,
      error: 'file_not_found',
    });
    const form = new FormData();
    form.append('file', new Blob(['abcde']), 'a.md');
    expect((await fetch(url, { method: 'POST', body: form })).status).toBe(200);
    expect((await fetch(url, { method: 'POST', body: 'abcde' })).status).toBe(409);
    expect(slack.fileBytes(String(got.file_id))?.toString()).toBe('abcde');
  });

  it('completeUploadExternal refuses missing or unknown ids, a channel the bot is not in, a thread that does not exist', async () => {
    // Prepare
    const got = await api('files.getUploadURLExternal', { filename: 'r.md', length: 2 });
    await fetch(String(got.upload_url), { method: 'POST', body: 'ok' });
    const files = JSON.stringify([{ id: got.file_id, title: 'r.md' }]);
    const ts = await root();

    // Act, Assess
    expect(await api('files.completeUploadExternal', {})).toMatchObject({ error: 'invalid_arguments' });
    expect(await api('files.completeUploadExternal', { files: [{ id: 'F0NOPE' }] })).toMatchObject({
      error: 'file_not_found',
    });
    expect(
      await api('files.completeUploadExternal', { files, channel_id: 'C0NOWHERE', thread_ts: ts }),
    ).toMatchObject({ error: 'channel_not_found' });
    expect(
      await api('files.completeUploadExternal', { files, channel_id: 'C0ALERTS', thread_ts: '1.000001' }),
    ).toMatchObject({ error: 'thread_not_found' });
    slack.setBotMembership('C0ALERTS', false);
    try {
      expect(
        await api('files.completeUploadExternal', { files, channel_id: 'C0ALERTS', thread_ts: ts }),
      ).toMatchObject({ error: 'not_in_channel' });
    } finally {
      slack.setBotMembership('C0ALERTS', true);
    }
    expect(slack.messages('C0ALERTS').find((m) => m.ts === ts)!.replies).toEqual([]);
    // nothing above used the file up: it is shared now, once
    const done = await api('files.completeUploadExternal', { files, channel_id: 'C0ALERTS', thread_ts: ts });
    expect(done.ok).toBe(true);
    expect(slack.messages('C0ALERTS').find((m) => m.ts === ts)!.replies).toHaveLength(1);
    expect(
      await api('files.completeUploadExternal', { files, channel_id: 'C0ALERTS', thread_ts: ts }),
    ).toMatchObject({ error: 'file_not_found' });
  });
});
