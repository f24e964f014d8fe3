import type { WebClient } from '@slack/web-api';
import { audit } from './core/case-store.js';
import { authSettings } from './core/settings.js';
import { workspaceSettings } from './core/config.js';
import { describeError } from './core/errors.js';
import { logger } from './core/logger.js';

/**
 * Roles come from Slack user groups (DESIGN.md "Who may do what"): responders analyze, request
 * containment, dismiss and read status; commanders approve or deny, release and close, and may also do
 * everything responders may. Membership is read with usergroups.users.list and cached briefly, so a
 * removal from a group takes effect within the cache time. Authorization is checked on every action.
 */
export type Role = 'responder' | 'commander';

interface Cached {
  users: Set<string>;
  until: number;
}
const cache = new Map<string, Cached>();
const inflight = new Map<string, Promise<Set<string>>>();

async function members(client: WebClient, group: string): Promise<Set<string>> {
  const hit = cache.get(group);
  if (hit && hit.until > Date.now()) return hit.users;
  let pending = inflight.get(group);
  if (!pending) {
    pending = client.usergroups.users
      .list({ usergroup: group })
      .then((out) => {
        const users = new Set(out.users ?? []);
        cache.set(group, { users, until: Date.now() + authSettings().ROLE_CACHE_SECONDS * 1000 });
        return users;
      })
      .finally(() => inflight.delete(group));
    inflight.set(group, pending);
  }
  return pending;
}

/** True when the user holds the role (commanders hold the responder role too). Fails closed. */
export async function hasRole(client: WebClient, userId: string, role: Role): Promise<boolean> {
  const { RESPONDERS_GROUP, COMMANDERS_GROUP } = workspaceSettings();
  try {
    if ((await members(client, COMMANDERS_GROUP)).has(userId)) return true;
    return role === 'responder' && (await members(client, RESPONDERS_GROUP)).has(userId);
  } catch (error) {
    logger.error('Could not read Slack user groups; refusing', { error: describeError(error) });
    return false;
  }
}

/** For tests: forget cached memberships. */
export function resetRoleCache(): void {
  cache.clear();
}

export const ROLE_NAMES: Record<Role, string> = {
  responder: 'responders (or incident commanders)',
  commander: 'incident commanders',
};

export interface Refusal {
  client: WebClient;
  userId: string;
  /** Where the ephemeral refusal appears (the channel of the click or command). */
  channel?: string;
  /** What was attempted, e.g. `approval.approve`. */
  action: string;
  caseId?: string;
  /** Why, in words for the user. */
  text: string;
}

/**
 * Refuses an action: an ephemeral message to the user alone, and an audit event. Never throws (a
 * refusal that fails to post is still audited, and the audit failing is logged).
 */
export async function refuse(r: Refusal): Promise<void> {
  const posting = r.channel
    ? r.client.chat
        .postEphemeral({ channel: r.channel, user: r.userId, text: `:no_entry: ${r.text}` })
        .catch((error) => logger.warn('Could not post a refusal', { error: describeError(error) }))
    : Promise.resolve();
  const auditing = audit({
    caseId: r.caseId,
    actor: r.userId,
    action: r.action,
    outcome: 'refused',
    detail: r.text,
  }).catch((error) => logger.error('Could not audit a refusal', { error: describeError(error) }));
  await Promise.all([posting, auditing]);
}

/**
 * Checks the role; when missing, refuses (ephemeral + audit) and returns false.
 * `await authorize(...) || return` at the top of every listener.
 */
export async function authorize(r: Omit<Refusal, 'text'> & { role: Role; text?: string }): Promise<boolean> {
  if (await hasRole(r.client, r.userId, r.role)) return true;
  await refuse({ ...r, text: r.text ?? `Only ${ROLE_NAMES[r.role]} may do this. The attempt was logged.` });
  return false;
}
