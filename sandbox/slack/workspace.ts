/**
 * The local Slack workspace's seed: the users, user groups, channels and bot every part of forensics-bot
 * agrees on (see the shared brief, "Accounts and names"), and the shapes the local Slack stores.
 */

export const TEAM = { id: 'T0SANDBOX', domain: 'forensics-sandbox', name: 'Forensics Sandbox' } as const;
export const BOT = { userId: 'U0FORENSIC', botId: 'B0FORENSIC', appId: 'A0FORENSIC', name: 'forensics-bot' };
export const DEFAULT_BOT_TOKEN = 'xoxb-sandbox-token';
export const DEFAULT_SIGNING_SECRET = 'sandbox-signing-secret';
export const VERIFICATION_TOKEN = 'sandbox-verification-token';

export interface SlackUser {
  id: string;
  name: string;
  realName: string;
  title: string;
  isBot?: boolean;
}

export interface SlackChannel {
  id: string;
  name: string;
  topic: string;
}

export interface SlackUserGroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
}

export const SEED_USERS: SlackUser[] = [
  { id: 'U0ALICE', name: 'alice', realName: 'Alice Responder', title: 'Security responder' },
  { id: 'U0CAROL', name: 'carol', realName: 'Carol Commander', title: 'Incident commander' },
  // A second commander, so a commander's own containment can be approved under the four-eyes rule.
  { id: 'U0DAVE', name: 'dave', realName: 'Dave Commander', title: 'Incident commander' },
  { id: 'U0MALLORY', name: 'mallory', realName: 'Mallory Outsider', title: 'Developer (no role)' },
  { id: BOT.userId, name: BOT.name, realName: 'Forensics Bot', title: 'Bot', isBot: true },
];

export const SEED_GROUPS: SlackUserGroup[] = [
  { id: 'S0RESPONDERS', handle: 'responders', name: 'Responders', users: ['U0ALICE', 'U0CAROL', 'U0DAVE'] },
  { id: 'S0COMMANDERS', handle: 'commanders', name: 'Incident commanders', users: ['U0CAROL', 'U0DAVE'] },
];

export const SEED_CHANNELS: SlackChannel[] = [
  { id: 'C0ALERTS', name: 'security-alerts', topic: 'Findings from GuardDuty and Security Hub' },
  { id: 'C0COMMANDERS', name: 'ir-commanders', topic: 'Approvals for disruptive actions' },
];

/** A message as the local Slack stores it (and as the Web API returns it). */
export interface StoredMessage {
  type: 'message';
  subtype?: string;
  ts: string;
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  text: string;
  blocks?: Record<string, unknown>[];
  attachments?: unknown[];
  /** Shared files (files.completeUploadExternal), with `upload: true`. */
  files?: Record<string, unknown>[];
  upload?: boolean;
  thread_ts?: string;
  reply_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
  /** Message metadata (`event_type`, `event_payload`), returned by history/replies only when asked. */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Not Slack's: the channel, for convenience of inspection. */
  channel: string;
}

/** A top-level message with its thread, as `LocalSlack.messages()` returns it. */
export interface MessageWithReplies extends StoredMessage {
  replies: StoredMessage[];
}

export interface EphemeralMessage {
  type: 'message';
  ts: string;
  channel: string;
  /** Who sees it. */
  user: string;
  text: string;
  blocks?: Record<string, unknown>[];
  thread_ts?: string;
  /** Who sent it (the bot). */
  sender: string;
}

/** One Web API call the bot made, in order. */
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
}

/** `users.info`'s user object. */
export function userObject(user: SlackUser) {
  return {
    id: user.id,
    team_id: TEAM.id,
    name: user.name,
    deleted: false,
    real_name: user.realName,
    tz: 'Europe/London',
    tz_label: 'Greenwich Mean Time',
    tz_offset: 0,
    profile: {
      title: user.title,
      real_name: user.realName,
      real_name_normalized: user.realName,
      display_name: user.name,
      display_name_normalized: user.name,
      team: TEAM.id,
    },
    is_admin: false,
    is_owner: false,
    is_bot: Boolean(user.isBot),
    is_app_user: false,
    updated: 1700000000,
  };
}

/** `conversations.info`'s channel object. */
export function channelObject(channel: SlackChannel) {
  return {
    id: channel.id,
    name: channel.name,
    name_normalized: channel.name,
    is_channel: true,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: false,
    is_archived: false,
    is_general: false,
    is_member: true,
    is_shared: false,
    is_ext_shared: false,
    is_org_shared: false,
    created: 1700000000,
    creator: 'U0CAROL',
    context_team_id: TEAM.id,
    topic: { value: channel.topic, creator: 'U0CAROL', last_set: 1700000000 },
    purpose: { value: channel.topic, creator: 'U0CAROL', last_set: 1700000000 },
  };
}
