/**
 * `response_url`s the local Slack hands out in interaction and command payloads, and what a POST to one
 * does: replace or delete the original message, post an ephemeral (the default) or an in-channel message.
 */
import { checkMessage } from './block-kit-limits.js';
import { truthy } from './http.js';
import type { WorkspaceState } from './state.js';
import { BOT, TEAM } from './workspace.js';

export interface ResponseTarget {
  id: string;
  channel: string;
  user: string;
  /** The message the interaction came from (absent for slash commands). */
  messageTs?: string;
  isEphemeral: boolean;
  uses: number;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

/** Slack allows five responses per response_url. */
const MAX_USES = 5;

export function answerResponseUrl(
  state: WorkspaceState,
  target: ResponseTarget | undefined,
  body: Record<string, unknown>,
): { status: number; body: Record<string, unknown> } {
  if (!target) return { status: 404, body: { ok: false, error: 'expired_url' } };
  if (target.uses >= MAX_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
  const channel = state.channel(target.channel);
  if (!channel) return { status: 404, body: { ok: false, error: 'channel_not_found' } };
  const problem = checkMessage(body, !truthy(body.delete_original));
  if (problem) return { status: 400, body: { ok: false, ...problem } };
  target.uses++;
  const text = typeof body.text === 'string' ? body.text : '';
  const blocks = Array.isArray(body.blocks) ? (body.blocks as Record<string, unknown>[]) : undefined;

  if (truthy(body.delete_original) || truthy(body.replace_original)) {
    if (!target.messageTs) return { status: 404, body: { ok: false, error: 'message_not_found' } };
    const replace = (m: { text: string; blocks?: Record<string, unknown>[] }) => {
      m.text = text;
      if (blocks) m.blocks = structuredClone(blocks);
      else delete m.blocks;
    };
    if (target.isEphemeral) {
      const index = channel.ephemerals.findIndex((e) => e.ts === target.messageTs && e.user === target.user);
      if (index < 0) return { status: 404, body: { ok: false, error: 'message_not_found' } };
      if (truthy(body.delete_original)) channel.ephemerals.splice(index, 1);
      else replace(channel.ephemerals[index]!);
    } else {
      const message = state.message(channel, target.messageTs);
      if (!message) return { status: 404, body: { ok: false, error: 'message_not_found' } };
      if (truthy(body.delete_original))
        channel.messages = channel.messages.filter((m) => m.ts !== message.ts);
      else {
        replace(message);
        message.edited = { user: BOT.userId, ts: state.nextTs() };
      }
    }
    state.changed();
    return { status: 200, body: { ok: true } };
  }

  const threadTs = typeof body.thread_ts === 'string' && body.thread_ts ? body.thread_ts : undefined;
  const ts = state.nextTs();
  if (body.response_type === 'in_channel') {
    state.addMessage(channel, {
      type: 'message',
      ts,
      user: BOT.userId,
      bot_id: BOT.botId,
      app_id: BOT.appId,
      team: TEAM.id,
      text,
      ...(blocks ? { blocks: structuredClone(blocks) } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      channel: channel.id,
    });
  } else {
    state.addEphemeral(channel, {
      type: 'message',
      ts,
      channel: channel.id,
      user: target.user,
      sender: BOT.userId,
      text,
      ...(blocks ? { blocks: structuredClone(blocks) } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
  }
  return { status: 200, body: { ok: true } };
}
