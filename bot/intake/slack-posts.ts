import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { slackWebClient } from '../slack/client.js';

/**
 * The intake's few Slack calls. The WebClient honours 429 Retry-After (it waits and retries), so a rate
 * limited post is delayed, never lost. Permalinks are built from auth.test's workspace URL, fetched once
 * per cold start, instead of one chat.getPermalink per card.
 */

/** What Slack answers when it refuses a message's blocks (not the channel, the token or a rate limit). */
const REFUSED_BLOCKS = new Set([
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'msg_blocks_too_long',
]);

function refusedBlocks(error: unknown): string | undefined {
  const code = (error as { data?: { error?: unknown } })?.data?.error;
  return typeof code === 'string' && REFUSED_BLOCKS.has(code) ? code : undefined;
}

/**
 * The card Slack still takes when it refused the full one: the (escaped) fallback text, the card's own
 * buttons, and a line saying so. A finding is never dropped because a field broke a Block Kit limit.
 */
export function minimalBlocks(text: string, blocks: KnownBlock[], refused: string): KnownBlock[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text: shortText(text) || 'Finding' } },
    ...blocks.filter((b) => b.type === 'actions').slice(0, 2),
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `Slack refused the full card (\`${refused}\`); this is its short form.` },
      ],
    },
  ];
}

/** The fallback text cut well inside Slack's limits, by code points (an emoji is never split). */
const shortText = (text: string): string =>
  [...text].length > 2900 ? `${[...text].slice(0, 2899).join('')}…` : text;

/** Posts a message; if Slack refuses its blocks, posts the minimal form instead (logged). */
export async function postMessage(
  channel: string,
  text: string,
  blocks: KnownBlock[],
): Promise<{ channel: string; ts: string }> {
  const client = await slackWebClient();
  const post = (b: KnownBlock[], t = text) =>
    client.chat.postMessage({ channel, text: t, blocks: b, unfurl_links: false, unfurl_media: false });
  let out: Awaited<ReturnType<typeof post>>;
  try {
    out = await post(blocks);
  } catch (error) {
    const refused = refusedBlocks(error);
    if (!refused) throw error;
    logger.warn('Slack refused the card; posting its minimal form', {
      channel,
      refused,
      error: describeError(error),
    });
    out = await post(minimalBlocks(text, blocks, refused), shortText(text));
  }
  if (!out.ts) throw new Error('chat.postMessage returned no ts');
  return { channel: out.channel ?? channel, ts: out.ts };
}

/** Redraws a message; if Slack refuses the new blocks, redraws it in the minimal form (logged). */
export async function updateMessage(
  channel: string,
  ts: string,
  text: string,
  blocks: KnownBlock[],
): Promise<void> {
  const client = await slackWebClient();
  try {
    await client.chat.update({ channel, ts, text, blocks });
  } catch (error) {
    const refused = refusedBlocks(error);
    if (!refused) throw error;
    logger.warn('Slack refused the card update; redrawing its minimal form', { channel, ts, refused });
    await client.chat.update({
      channel,
      ts,
      text: shortText(text),
      blocks: minimalBlocks(text, blocks, refused),
    });
  }
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

/** True for a Slack rate-limit error that survived the client's retries. */
export function isRateLimited(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return e?.code === 'slack_webapi_rate_limited_error' || /rate limit/i.test(e?.message ?? '');
}
