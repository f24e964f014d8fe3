/**
 * The Web API methods forensics-bot calls, answered from the local workspace with Slack's response
 * shapes and error codes.
 */
import { randomBytes } from 'node:crypto';
import { checkMessage } from './block-kit-limits.js';
import { completeUploadExternal, getUploadURLExternal } from './files.js';
import { truthy } from './http.js';
import type { ChannelState, WorkspaceState } from './state.js';
import { storedView } from './views.js';
import { BOT, channelObject, type StoredMessage, TEAM, userObject } from './workspace.js';

type Json = Record<string, unknown>;
export type MethodResult = Json & { ok: boolean };

export interface MethodContext {
  state: WorkspaceState;
  /** Base of permalinks, e.g. `http://127.0.0.1:3000` → `http://127.0.0.1:3000/archives/C0ALERTS/p…`. */
  permalinkBase: string;
  /** This server's own address (upload URLs, `url_private`). */
  baseUrl: string;
}

type Method = (ctx: MethodContext, args: Json) => MethodResult;

const fail = (error: string, extra: Json = {}): MethodResult => ({ ok: false, error, ...extra });

/** Slack gives every block a block_id when the app did not. */
export function withBlockIds(blocks: unknown): Json[] | undefined {
  if (!Array.isArray(blocks)) return undefined;
  return blocks.map((block: Json) =>
    block.block_id
      ? structuredClone(block)
      : { ...structuredClone(block), block_id: randomBytes(3).toString('base64url').slice(0, 4) },
  );
}

function checkContent(args: Json, requireContent = true): MethodResult | undefined {
  const problem = checkMessage(args, requireContent);
  if (!problem) return undefined;
  if (problem.error === 'invalid_blocks')
    return fail('invalid_blocks', {
      errors: problem.errors,
      response_metadata: { messages: problem.errors.map((e) => `[ERROR] ${e}`) },
    });
  return fail(problem.error);
}

function publicMessage(message: StoredMessage): Json {
  const { channel: _channel, ...rest } = message;
  return {
    ...structuredClone(rest),
    bot_profile: { id: BOT.botId, app_id: BOT.appId, name: BOT.name, deleted: false, team_id: TEAM.id },
  };
}

function requireChannel(ctx: MethodContext, args: Json): ChannelState | MethodResult {
  if (args.channel === undefined || args.channel === '') return fail('channel_not_found');
  return ctx.state.channel(args.channel) ?? fail('channel_not_found');
}

const isFailure = (value: ChannelState | MethodResult): value is MethodResult => 'ok' in value;

function permalink(ctx: MethodContext, channel: ChannelState, message: StoredMessage): string {
  const base = `${ctx.permalinkBase}/archives/${channel.id}/p${message.ts.replace('.', '')}`;
  return message.thread_ts && message.thread_ts !== message.ts
    ? `${base}?thread_ts=${message.thread_ts}&cid=${channel.id}`
    : base;
}

/**
 * `metadata` as Slack takes it: `{event_type, event_payload}` (an object, or its JSON in a form post);
 * event_type a short snake-case name, event_payload an object. `null` when absent, a failure when invalid.
 */
function metadataOf(args: Json): StoredMessage['metadata'] | null | MethodResult {
  let value = args.metadata;
  if (value === undefined || value === '') return null;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return fail('invalid_metadata_format');
    }
  }
  const m = value as { event_type?: unknown; event_payload?: unknown };
  if (
    typeof m !== 'object' ||
    m === null ||
    typeof m.event_type !== 'string' ||
    !/^[a-z0-9_.-]{1,255}$/i.test(m.event_type) ||
    typeof m.event_payload !== 'object' ||
    m.event_payload === null ||
    Array.isArray(m.event_payload)
  )
    return fail('invalid_metadata_schema');
  return {
    event_type: m.event_type,
    event_payload: structuredClone(m.event_payload as Record<string, unknown>),
  };
}

const postMessage: Method = (ctx, args) => {
  const channel = requireChannel(ctx, args);
  if (isFailure(channel)) return channel;
  if (!channel.botMember) return fail('not_in_channel');
  const invalid = checkContent(args);
  if (invalid) return invalid;
  const metadata = metadataOf(args);
  if (metadata && 'ok' in metadata) return metadata;
  const threadTs = typeof args.thread_ts === 'string' && args.thread_ts ? args.thread_ts : undefined;
  if (threadTs && !ctx.state.message(channel, threadTs)) return fail('thread_not_found');
  // A reply to a reply joins the parent's thread, as in Slack.
  const rootTs = threadTs ? (ctx.state.message(channel, threadTs)?.thread_ts ?? threadTs) : undefined;
  const ts = ctx.state.nextTs();
  const message: StoredMessage = {
    type: 'message',
    ts,
    user: BOT.userId,
    bot_id: BOT.botId,
    app_id: BOT.appId,
    team: TEAM.id,
    text: typeof args.text === 'string' ? args.text : '',
    ...(Array.isArray(args.blocks) ? { blocks: withBlockIds(args.blocks) } : {}),
    ...(Array.isArray(args.attachments) ? { attachments: structuredClone(args.attachments) } : {}),
    ...(rootTs ? { thread_ts: rootTs } : {}),
    ...(metadata ? { metadata } : {}),
    channel: channel.id,
  };
  ctx.state.addMessage(channel, message, truthy(args.reply_broadcast));
  return { ok: true, channel: channel.id, ts, message: publicMessage(message) };
};

const update: Method = (ctx, args) => {
  const channel = requireChannel(ctx, args);
  if (isFailure(channel)) return channel;
  const message = ctx.state.message(channel, args.ts);
  if (!message) return fail('message_not_found');
  if (message.user !== BOT.userId) return fail('cant_update_message');
  const invalid = checkContent(args, false);
  if (invalid) return invalid;
  const metadata = metadataOf(args);
  if (metadata && 'ok' in metadata) return metadata;
  // Fields left out keep their value, as chat.update does.
  if (metadata) message.metadata = metadata;
  if (typeof args.text === 'string') message.text = args.text;
  if (Array.isArray(args.blocks)) message.blocks = withBlockIds(args.blocks);
  if (Array.isArray(args.attachments)) message.attachments = structuredClone(args.attachments);
  message.edited = { user: BOT.userId, ts: ctx.state.nextTs() };
  for (const copy of channel.messages)
    if (copy !== message && copy.ts === message.ts)
      Object.assign(copy, structuredClone(message), { subtype: copy.subtype });
  ctx.state.changed();
  return {
    ok: true,
    channel: channel.id,
    ts: message.ts,
    text: message.text,
    message: publicMessage(message),
  };
};

const postEphemeral: Method = (ctx, args) => {
  const channel = requireChannel(ctx, args);
  if (isFailure(channel)) return channel;
  const user = ctx.state.user(args.user);
  if (!user) return fail('user_not_found');
  const invalid = checkContent(args);
  if (invalid) return invalid;
  const ts = ctx.state.nextTs();
  ctx.state.addEphemeral(channel, {
    type: 'message',
    ts,
    channel: channel.id,
    user: user.id,
    sender: BOT.userId,
    text: typeof args.text === 'string' ? args.text : '',
    ...(Array.isArray(args.blocks) ? { blocks: withBlockIds(args.blocks) } : {}),
    ...(typeof args.thread_ts === 'string' && args.thread_ts ? { thread_ts: args.thread_ts } : {}),
  });
  return { ok: true, message_ts: ts };
};

const deleteMessage: Method = (ctx, args) => {
  const channel = requireChannel(ctx, args);
  if (isFailure(channel)) return channel;
  const message = ctx.state.message(channel, args.ts);
  if (!message) return fail('message_not_found');
  channel.messages = channel.messages.filter((m) => m.ts !== message.ts);
  ctx.state.changed();
  return { ok: true, channel: channel.id, ts: message.ts };
};

const getPermalink: Method = (ctx, args) => {
  const channel = requireChannel(ctx, args);
  if (isFailure(channel)) return channel;
  const message = ctx.state.message(channel, args.message_ts);
  if (!message) return fail('message_not_found');
  return { ok: true, channel: channel.id, permalink: permalink(ctx, channel, message) };
};

const usergroupUsers: Method = (ctx, args) => {
  const group = ctx.state.group(args.usergroup);
  if (!group) return fail('no_such_subteam');
  return { ok: true, users: [...group.users] };
};

const usersInfo: Method = (ctx, args) => {
  const user = ctx.state.user(args.user);
  return user ? { ok: true, user: userObject(user) } : fail('user_not_found');
};

const conversationsInfo: Method = (ctx, args) => {
  const channel = requireChannel(ctx, args);
  if (isFailure(channel)) return channel;
  return { ok: true, channel: channelObject(channel) };
};

const conversationsReplies: Method = (ctx, args) => {
  const channel = requireChannel(ctx, args);
  if (isFailure(channel)) return channel;
  const root = ctx.state.message(channel, args.ts);
  if (!root) return fail('thread_not_found');
  const rootTs = root.thread_ts ?? root.ts;
  const thread = channel.messages.filter(
    (m) => (m.ts === rootTs || m.thread_ts === rootTs) && m.subtype !== 'thread_broadcast',
  );
  // Metadata is returned only to an app that asks for it, as Slack does.
  const withMetadata = truthy(args.include_all_metadata);
  const messages = thread.map(publicMessage).map((m) => {
    if (withMetadata) return m;
    const { metadata: _metadata, ...rest } = m;
    return rest;
  });
  return { ok: true, messages, has_more: false };
};

const viewsOpen: Method = (ctx, args) => {
  if (typeof args.trigger_id !== 'string' || !args.trigger_id) return fail('invalid_trigger_id');
  // Only a trigger_id from an interaction opens a modal, once, for the user who interacted. (Slack also
  // expires them after 3 seconds; the sandbox does not, so a busy machine cannot make a modal fail.)
  const trigger = ctx.state.triggers.get(args.trigger_id);
  if (!trigger) return fail('invalid_trigger_id');
  if (trigger.used) return fail('exchanged_trigger_id');
  const view = args.view as Json | undefined;
  if (!view || typeof view !== 'object' || view.type !== 'modal' || !view.title)
    return fail('invalid_arguments');
  const invalid = checkContent({ blocks: view.blocks }, false);
  if (invalid) return invalid;
  trigger.used = true;
  const opened = storedView({ ...view, blocks: withBlockIds(view.blocks) ?? [] });
  ctx.state.views.push({ view: opened, user: trigger.user, status: 'open' });
  ctx.state.changed();
  return { ok: true, view: structuredClone(opened) };
};

/**
 * views.publish: the App Home of one user. Slack takes only a `home` view for a user of the workspace, with
 * the same block checks as a message; the published view replaces that user's previous one.
 */
const viewsPublish: Method = (ctx, args) => {
  const user = typeof args.user_id === 'string' ? ctx.state.users.get(args.user_id) : undefined;
  if (!user) return fail('user_not_found');
  const view = args.view as Json | undefined;
  if (!view || typeof view !== 'object' || view.type !== 'home') return fail('invalid_arguments');
  const invalid = checkContent({ blocks: view.blocks }, false);
  if (invalid) return invalid;
  const previous = ctx.state.homes.get(user.id);
  const published = {
    ...storedView({ ...view, blocks: withBlockIds(view.blocks) ?? [] }),
    ...(previous ? { id: previous.id } : {}),
    type: 'home',
  };
  ctx.state.homes.set(user.id, published);
  ctx.state.changed();
  return { ok: true, view: structuredClone(published) };
};

const authTest: Method = (ctx) => ({
  ok: true,
  url: `${ctx.permalinkBase}/`,
  team: TEAM.name,
  user: BOT.name,
  team_id: TEAM.id,
  user_id: BOT.userId,
  bot_id: BOT.botId,
  is_enterprise_install: false,
});

/** Every method the local Slack answers; anything else is `unknown_method`. */
export const WEB_API_METHODS: Record<string, Method> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'chat.delete': deleteMessage,
  'chat.getPermalink': getPermalink,
  'usergroups.users.list': usergroupUsers,
  'users.info': usersInfo,
  'conversations.info': conversationsInfo,
  'conversations.replies': conversationsReplies,
  'views.open': viewsOpen,
  'views.publish': viewsPublish,
  'auth.test': authTest,
  'files.getUploadURLExternal': getUploadURLExternal,
  'files.completeUploadExternal': completeUploadExternal,
};
