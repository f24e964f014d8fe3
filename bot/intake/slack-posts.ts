import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { slackWebClient } from '../slack/client.js';

/**
 * The intake's few Slack calls. The WebClient honours 429 Retry-After (it waits and retries), so a rate
 * limited post is delayed, never lost. Permalinks are built from auth.test's workspace URL, fetched once
 * per cold start, instead of one chat.getPermalink per card.
 */

export async function postMessage(
  channel: string,
  text: string,
  blocks: KnownBlock[],
): Promise<{ channel: string; ts: string }> {
  const client = await slackWebClient();
  const out = await client.chat.postMessage({
    channel,
    text,
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  });
  if (!out.ts) throw new Error('chat.postMessage returned no ts');
  return { channel: out.channel ?? channel, ts: out.ts };
}

export async function updateMessage(
  channel: string,
  ts: string,
  text: string,
  blocks: KnownBlock[],
): Promise<void> {
  const client = await slackWebClient();
  await client.chat.update({ channel, ts, text, blocks });
}

let workspaceUrl: Promise<string | undefined> | undefined;

/** The message's permalink; chat.getPermalink only when auth.test gave no workspace URL. */
export async function permalinkOf(channel: string, ts: string): Promise<string> {
  const client = await slackWebClient();
  workspaceUrl ??= teamUrl(client);
  const base = await workspaceUrl;
  if (base) return `${base.endsWith('/') ? base : `${base}/`}archives/${channel}/p${ts.replace('.', '')}`;
  const out = await client.chat.getPermalink({ channel, message_ts: ts });
  return out.permalink ?? `${channel}/${ts}`;
}

async function teamUrl(client: WebClient): Promise<string | undefined> {
  try {
    const out = await client.auth.test();
    return typeof out.url === 'string' && out.url ? out.url : undefined;
  } catch {
    workspaceUrl = undefined; // try again next time
    return undefined;
  }
}

/** For tests: forget the workspace URL. */
export function resetSlackPosts(): void {
  workspaceUrl = undefined;
}
