/**
 * The local Slack's in-memory workspace: users, groups, channels, messages with threads, ephemeral
 * messages, opened views, and a change counter the sandbox page watches.
 */
import { randomBytes } from 'node:crypto';
import type { OpenedView, Trigger } from './views.js';
import {
  type EphemeralMessage,
  type MessageWithReplies,
  SEED_CHANNELS,
  SEED_GROUPS,
  SEED_USERS,
  type SlackChannel,
  type SlackUser,
  type SlackUserGroup,
  type StoredMessage,
} from './workspace.js';

interface ChannelState extends SlackChannel {
  /** Every message of the channel (top level and replies), in order of ts. */
  messages: StoredMessage[];
  ephemerals: EphemeralMessage[];
  /** Whether the bot is a member (Slack refuses a post or a file share otherwise). */
  botMember: boolean;
}

/** A file as the local Slack keeps it, from its upload URL to its shares. */
export interface LocalFile {
  id: string;
  /** The secret part of its upload URL. */
  uploadKey: string;
  name: string;
  title?: string;
  length: number;
  altText?: string;
  /** `pending` until the bytes arrive, `uploaded` then, `completed` once completeUploadExternal took it. */
  status: 'pending' | 'uploaded' | 'completed';
  bytes?: Buffer;
  /** Seconds, as Slack's `created`. */
  created: number;
  shares: { channel: string; ts: string; threadTs?: string }[];
}

export class WorkspaceState {
  readonly users = new Map<string, SlackUser>();
  readonly groups = new Map<string, SlackUserGroup>();
  readonly channels = new Map<string, ChannelState>();
  /** Modals opened with views.open (and pushed by submissions), in order. */
  readonly views: OpenedView[] = [];
  /** trigger_ids handed out in interaction payloads, by id: whose they are. */
  readonly triggers = new Map<string, Trigger>();
  /** Each user's App Home view, as the app last published it (views.publish), by user id. */
  readonly homes = new Map<string, Record<string, unknown>>();
  /** Files from files.getUploadURLExternal on, by id. */
  readonly files = new Map<string, LocalFile>();
  private lastMicros = 0n;
  private listeners = new Set<() => void>();
  version = 0;

  constructor(private readonly clock: () => number = Date.now) {
    for (const user of SEED_USERS) this.users.set(user.id, { ...user });
    for (const group of SEED_GROUPS) this.groups.set(group.id, { ...group, users: [...group.users] });
    for (const channel of SEED_CHANNELS)
      this.channels.set(channel.id, { ...channel, messages: [], ephemerals: [], botMember: true });
  }

  /** A new message ts (`"1700000000.000100"` form): seconds.micro, strictly increasing. */
  nextTs(): string {
    let micros = BigInt(this.clock()) * 1000n;
    if (micros <= this.lastMicros) micros = this.lastMicros + 100n;
    this.lastMicros = micros;
    const s = micros.toString().padStart(7, '0');
    return `${s.slice(0, -6)}.${s.slice(-6)}`;
  }

  /** A trigger id like Slack's (`<n>.<n>.<hex>`), remembered as this user's for views.open. */
  triggerId(user?: string): string {
    const id = `${this.nextTs().replace('.', '')}.${Math.floor(Math.random() * 1e9)}.${randomBytes(16).toString('hex')}`;
    if (user) {
      this.triggers.set(id, { user, used: false });
      // Slack's trigger_ids live 3 seconds; keep the latest few so a long bench does not grow this forever.
      if (this.triggers.size > 1000) this.triggers.delete(this.triggers.keys().next().value!);
    }
    return id;
  }

  /** An open modal by view id, when it is this user's. */
  openView(viewId: string, user: string): OpenedView | undefined {
    return this.views.find((v) => v.view.id === viewId && v.user === user && v.status === 'open');
  }

  /** A channel by id (`C0ALERTS`), name (`security-alerts`) or `#name`. */
  channel(ref: unknown): ChannelState | undefined {
    if (typeof ref !== 'string' || !ref) return undefined;
    const byId = this.channels.get(ref);
    if (byId) return byId;
    const name = ref.replace(/^#/, '');
    return [...this.channels.values()].find((c) => c.name === name);
  }

  /** A user by id (`U0ALICE`) or name (`alice`). */
  user(ref: unknown): SlackUser | undefined {
    if (typeof ref !== 'string' || !ref) return undefined;
    return this.users.get(ref) ?? [...this.users.values()].find((u) => u.name === ref.replace(/^@/, ''));
  }

  group(ref: unknown): SlackUserGroup | undefined {
    if (typeof ref !== 'string' || !ref) return undefined;
    return this.groups.get(ref) ?? [...this.groups.values()].find((g) => g.handle === ref);
  }

  message(channel: ChannelState, ts: unknown): StoredMessage | undefined {
    return channel.messages.find((m) => m.ts === ts && m.subtype !== 'thread_broadcast');
  }

  /** Top-level messages with their replies (thread broadcasts appear in both places, as in Slack). */
  messagesWithReplies(channel: ChannelState): MessageWithReplies[] {
    const top = channel.messages.filter(
      (m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast',
    );
    return top.map((m) => ({
      ...structuredClone(m),
      replies:
        m.subtype === 'thread_broadcast'
          ? []
          : channel.messages
              .filter((r) => r.thread_ts === m.ts && r.ts !== m.ts && r.subtype !== 'thread_broadcast')
              .map((r) => structuredClone(r)),
    }));
  }

  addMessage(channel: ChannelState, message: StoredMessage, broadcast = false): void {
    channel.messages.push(message);
    if (message.thread_ts && message.thread_ts !== message.ts) {
      const root = this.message(channel, message.thread_ts);
      if (root) {
        root.thread_ts = root.ts;
        root.reply_count = (root.reply_count ?? 0) + 1;
        root.latest_reply = message.ts;
      }
      if (broadcast) channel.messages.push({ ...structuredClone(message), subtype: 'thread_broadcast' });
    }
    this.changed();
  }

  /** Whether this ts is a top-level message that can start a thread. */
  isThreadRoot(channel: ChannelState, ts: string): boolean {
    const m = this.message(channel, ts);
    return Boolean(m && (!m.thread_ts || m.thread_ts === m.ts));
  }

  addEphemeral(channel: ChannelState, message: EphemeralMessage): void {
    channel.ephemerals.push(message);
    this.changed();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    this.version++;
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // a broken watcher must not break the Web API
      }
    }
  }
}

export type { ChannelState };
