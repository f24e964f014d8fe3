import type { WebClient } from '@slack/web-api';
import { describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';

/**
 * A message's permalink for a line that points at it (an approval card, a thread). A link is a courtesy:
 * when Slack does not give one the line goes out without it, and the miss is logged with what it was for.
 */
export async function messageLink(
  slack: WebClient,
  channel: string | undefined,
  ts: string | undefined,
  context: Record<string, unknown> = {},
): Promise<string | undefined> {
  if (!channel || !ts) return undefined;
  try {
    return (await slack.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch (error) {
    logger.warn('No permalink', { ...context, channel, ts, error: describeError(error) });
    return undefined;
  }
}
