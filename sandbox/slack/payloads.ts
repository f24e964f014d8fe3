/**
 * The requests Slack sends to an app, built as Slack builds them: `block_actions` interaction payloads
 * (from the button actually present in a stored message), slash-command form fields, and the
 * `X-Slack-Signature` over `v0:<timestamp>:<body>`.
 */
import { createHmac } from 'node:crypto';
import {
  BOT,
  type EphemeralMessage,
  type SlackChannel,
  type SlackUser,
  type StoredMessage,
  TEAM,
  VERIFICATION_TOKEN,
} from './workspace.js';

type Json = Record<string, unknown>;

/** The button a click refers to is not in that message. */
export class ButtonNotFoundError extends Error {
  override name = 'ButtonNotFoundError';
}

export interface FoundButton {
  blockId: string;
  element: Json;
}

/** Finds the button (actions block element or section accessory) with this action_id (and value). */
export function findButton(
  blocks: Json[] | undefined,
  actionId: string,
  value?: string,
): FoundButton | undefined {
  for (const block of blocks ?? []) {
    const candidates: Json[] =
      block.type === 'actions'
        ? ((block.elements as Json[] | undefined) ?? [])
        : block.type === 'section' && block.accessory
          ? [block.accessory as Json]
          : [];
    for (const element of candidates) {
      if (element.action_id !== actionId) continue;
      if (value !== undefined && element.value !== value) continue;
      return { blockId: String(block.block_id ?? ''), element };
    }
  }
  return undefined;
}

export interface BlockActionsInput {
  user: SlackUser;
  channel: SlackChannel;
  message: StoredMessage | EphemeralMessage;
  isEphemeral: boolean;
  actionId: string;
  value?: string;
  responseUrl: string;
  triggerId: string;
  actionTs: string;
}

/** The `block_actions` payload Slack posts when this user clicks that button. */
export function blockActionsPayload(input: BlockActionsInput): Json {
  const found = findButton(input.message.blocks, input.actionId, input.value);
  if (!found)
    throw new ButtonNotFoundError(
      `no button with action_id "${input.actionId}"${input.value === undefined ? '' : ` and value "${input.value}"`} in message ${input.message.ts} of ${input.channel.name}`,
    );
  const { element, blockId } = found;
  const action: Json = {
    action_id: element.action_id,
    block_id: blockId,
    text: { emoji: true, ...(element.text as Json) },
    ...(element.value === undefined ? {} : { value: element.value }),
    ...(element.style === undefined ? {} : { style: element.style }),
    ...(element.url === undefined ? {} : { url: element.url }),
    type: element.type ?? 'button',
    action_ts: input.actionTs,
  };
  const threadTs =
    input.message.thread_ts && input.message.thread_ts !== input.message.ts
      ? input.message.thread_ts
      : undefined;
  const payload: Json = {
    type: 'block_actions',
    user: { id: input.user.id, username: input.user.name, name: input.user.name, team_id: TEAM.id },
    api_app_id: BOT.appId,
    token: VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: input.message.ts,
      channel_id: input.channel.id,
      is_ephemeral: input.isEphemeral,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    trigger_id: input.triggerId,
    team: { id: TEAM.id, domain: TEAM.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel.id, name: input.channel.name },
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [action],
  };
  // Slack leaves the message out of ephemeral containers.
  if (!input.isEphemeral) {
    const { channel: _channel, ...message } = input.message as StoredMessage;
    payload.message = message;
  }
  return payload;
}

/**
 * The `block_actions` payload of a click on a button of the user's App Home view: Slack's container is the
 * view (`type: view`), the payload carries the view and no channel or response_url.
 */
export function homeActionsPayload(input: {
  user: SlackUser;
  view: Json;
  actionId: string;
  value?: string;
  triggerId: string;
  actionTs: string;
}): Json {
  const found = findButton(input.view.blocks as Json[] | undefined, input.actionId, input.value);
  if (!found)
    throw new ButtonNotFoundError(
      `no button with action_id "${input.actionId}" in the Home view of ${input.user.name}`,
    );
  const { element, blockId } = found;
  return {
    type: 'block_actions',
    user: { id: input.user.id, username: input.user.name, name: input.user.name, team_id: TEAM.id },
    api_app_id: BOT.appId,
    token: VERIFICATION_TOKEN,
    container: { type: 'view', view_id: input.view.id },
    trigger_id: input.triggerId,
    team: { id: TEAM.id, domain: TEAM.domain },
    enterprise: null,
    is_enterprise_install: false,
    view: structuredClone(input.view),
    actions: [
      {
        action_id: element.action_id,
        block_id: blockId,
        text: { emoji: true, ...(element.text as Json) },
        ...(element.value === undefined ? {} : { value: element.value }),
        type: element.type ?? 'button',
        action_ts: input.actionTs,
      },
    ],
  };
}

export interface SlashCommandInput {
  user: SlackUser;
  channel: SlackChannel;
  command: string;
  text: string;
  responseUrl: string;
  triggerId: string;
}

/** The form fields of a slash command, in Slack's order. */
export function slashCommandFields(input: SlashCommandInput): Record<string, string> {
  return {
    token: VERIFICATION_TOKEN,
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: input.channel.id,
    channel_name: input.channel.name,
    user_id: input.user.id,
    user_name: input.user.name,
    command: input.command,
    text: input.text,
    api_app_id: BOT.appId,
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: input.triggerId,
  };
}

/** `application/x-www-form-urlencoded` body: Slack writes spaces as `+`. */
export function formEncode(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** The body Slack posts for an interaction: `payload=<json>`. */
export function interactionBody(payload: Json): string {
  return formEncode({ payload: JSON.stringify(payload) });
}

/** Slack's request signature headers for a body (timestamp in seconds, default now). */
export function signRequest(
  signingSecret: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestamp) };
}
