/**
 * Slack's current file upload flow, as strictly as Slack answers it (what `files.uploadV2` of
 * @slack/web-api calls): `files.getUploadURLExternal` (filename and length required) hands out an upload
 * URL on the local server and a file id; the bytes are POSTed there (raw, or as the one file of a
 * multipart form, as the SDK sends them) and must be exactly `length` bytes; `files.completeUploadExternal`
 * shares uploaded files — only ids handed out and uploaded, into a channel the bot is in and a thread that
 * exists — and the file appears as a message with `files`.
 */
import { randomBytes } from 'node:crypto';
import type { ChannelState, LocalFile, WorkspaceState } from './state.js';

export type { LocalFile } from './state.js';
import { BOT, type StoredMessage, TEAM } from './workspace.js';

type Json = Record<string, unknown>;

export interface FilesContext {
  state: WorkspaceState;
  /** This server's address: where upload URLs and `url_private` point. */
  baseUrl: string;
  permalinkBase: string;
}

const fail = (error: string, messages?: string[]) => ({
  ok: false,
  error,
  ...(messages ? { response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } } : {}),
});

const MIME: Record<string, string> = {
  md: 'text/markdown',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
};

function typeOf(name: string): { filetype: string; mimetype: string } {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  return {
    filetype: ext === 'md' ? 'markdown' : ext || 'binary',
    mimetype: MIME[ext] ?? 'application/octet-stream',
  };
}

/** The file object of Slack's answers and messages. */
export function fileObject(
  ctx: Pick<FilesContext, 'state' | 'baseUrl' | 'permalinkBase'>,
  file: LocalFile,
): Json {
  const name = encodeURIComponent(file.name);
  const publicShares: Record<string, Json[]> = {};
  for (const share of file.shares) {
    const channel = ctx.state.channel(share.channel);
    publicShares[share.channel] ??= [];
    publicShares[share.channel]!.push({
      ts: share.ts,
      ...(share.threadTs ? { thread_ts: share.threadTs } : {}),
      channel_name: channel?.name,
      team_id: TEAM.id,
    });
  }
  return {
    id: file.id,
    created: file.created,
    timestamp: file.created,
    name: file.name,
    title: file.title ?? file.name,
    ...typeOf(file.name),
    user: BOT.userId,
    user_team: TEAM.id,
    size: file.length,
    mode: 'hosted',
    is_external: false,
    is_public: file.shares.length > 0,
    url_private: `${ctx.baseUrl}/files-pri/${TEAM.id}-${file.id}/${name}`,
    url_private_download: `${ctx.baseUrl}/files-pri/${TEAM.id}-${file.id}/download/${name}`,
    permalink: `${ctx.permalinkBase}/files/${BOT.userId}/${file.id}/${name}`,
    channels: [...new Set(file.shares.map((s) => s.channel))],
    shares: file.shares.length ? { public: publicShares } : {},
    ...(file.altText ? { alt_txt: file.altText } : {}),
  };
}

/** files.getUploadURLExternal: filename and a length in bytes are required. */
export function getUploadURLExternal(ctx: FilesContext, args: Json) {
  const filename = typeof args.filename === 'string' ? args.filename.trim() : '';
  if (!filename) return fail('invalid_arguments', ['missing required field: filename']);
  if (args.length === undefined || args.length === '')
    return fail('invalid_arguments', ['missing required field: length']);
  const length = Number(args.length);
  if (!Number.isSafeInteger(length) || length < 1)
    return fail('invalid_arguments', ['invalid value for field: length (a positive number of bytes)']);
  const id = `F0${randomBytes(5).toString('hex').toUpperCase()}`;
  const uploadKey = randomBytes(18).toString('base64url');
  ctx.state.files.set(id, {
    id,
    uploadKey,
    name: filename,
    length,
    ...(typeof args.alt_text === 'string' && args.alt_text ? { altText: args.alt_text } : {}),
    status: 'pending',
    created: Math.floor(Date.now() / 1000),
    shares: [],
  });
  return { ok: true, upload_url: `${ctx.baseUrl}/upload/v1/${uploadKey}`, file_id: id };
}

/**
 * The POST of the bytes to an upload URL: the raw body, or the single file part of a multipart form.
 * Anything but exactly the announced length is refused, and the file stays unuploaded.
 */
export async function receiveUpload(
  state: WorkspaceState,
  uploadKey: string,
  contentType: string | undefined,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  const file = [...state.files.values()].find((f) => f.uploadKey === uploadKey);
  if (!file) return { status: 404, text: 'no such upload' };
  if (file.status !== 'pending') return { status: 409, text: 'already uploaded' };
  let bytes = body;
  if ((contentType ?? '').toLowerCase().startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), {
        headers: { 'content-type': contentType! },
      }).formData();
    } catch {
      return { status: 400, text: 'unreadable multipart body' };
    }
    const parts = [...form.values()].filter((v) => typeof v !== 'string') as Blob[];
    if (parts.length !== 1) return { status: 400, text: `expected one file part, got ${parts.length}` };
    bytes = Buffer.from(await parts[0]!.arrayBuffer());
  }
  if (bytes.length !== file.length)
    return { status: 400, text: `length mismatch: expected ${file.length} bytes, got ${bytes.length}` };
  file.bytes = bytes;
  file.status = 'uploaded';
  return { status: 200, text: `OK - ${bytes.length}` };
}

function filesArgument(value: unknown): { id: string; title?: string }[] | undefined {
  let parsed = value;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  const out: { id: string; title?: string }[] = [];
  for (const entry of parsed as Json[]) {
    if (!entry || typeof entry !== 'object' || typeof entry.id !== 'string' || !entry.id) return undefined;
    out.push({ id: entry.id, ...(typeof entry.title === 'string' ? { title: entry.title } : {}) });
  }
  return out;
}

/**
 * files.completeUploadExternal: every id must be one handed out and uploaded; with `channel_id` (a
 * channel the bot is in) the files are shared there as one message, as a reply when `thread_ts` names a
 * message of that channel. Nothing changes when any of it fails.
 */
export function completeUploadExternal(ctx: FilesContext, args: Json) {
  const entries = filesArgument(args.files);
  if (!entries)
    return fail('invalid_arguments', ['missing required field: files (an array of {id, title?})']);
  const files: LocalFile[] = [];
  for (const entry of entries) {
    const file = ctx.state.files.get(entry.id);
    if (!file || file.status !== 'uploaded') return fail('file_not_found');
    files.push(file);
  }
  const channelRef = typeof args.channel_id === 'string' && args.channel_id ? args.channel_id : undefined;
  const threadTs = typeof args.thread_ts === 'string' && args.thread_ts ? args.thread_ts : undefined;
  let channel: ChannelState | undefined;
  let rootTs: string | undefined;
  if (threadTs && !channelRef) return fail('invalid_arguments', ['thread_ts needs channel_id']);
  if (channelRef) {
    channel = ctx.state.channel(channelRef);
    if (!channel) return fail('channel_not_found');
    if (!channel.botMember) return fail('not_in_channel');
    if (threadTs) {
      const parent = ctx.state.message(channel, threadTs);
      if (!parent) return fail('thread_not_found');
      rootTs = parent.thread_ts ?? parent.ts;
    }
  }
  for (const [i, file] of files.entries()) {
    file.status = 'completed';
    if (entries[i]!.title) file.title = entries[i]!.title;
  }
  if (channel) {
    const ts = ctx.state.nextTs();
    for (const file of files)
      file.shares.push({ channel: channel.id, ts, ...(rootTs ? { threadTs: rootTs } : {}) });
    const message: StoredMessage = {
      type: 'message',
      ts,
      user: BOT.userId,
      bot_id: BOT.botId,
      app_id: BOT.appId,
      team: TEAM.id,
      text: typeof args.initial_comment === 'string' ? args.initial_comment : '',
      files: files.map((f) => fileObject(ctx, f)),
      upload: true,
      ...(rootTs ? { thread_ts: rootTs } : {}),
      channel: channel.id,
    };
    ctx.state.addMessage(channel, message);
  }
  return { ok: true, files: files.map((f) => fileObject(ctx, f)) };
}
