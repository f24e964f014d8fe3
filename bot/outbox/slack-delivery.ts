import { ErrorCode, WebClient } from '@slack/web-api';
import { caseCardMessage } from '../blocks/case-card.js';
import type { CaseRecord } from '../core/case-model.js';
import { webClientOptions } from '../slack/client.js';
import { slackSecrets } from '../slack/secrets.js';

/**
 * The drainer's Slack calls. Unlike the shared client, this one neither waits out a 429 nor retries: the
 * drainer hands the wait to the queue (the messages come back after Retry-After) instead of holding a
 * Lambda, and an outage is retried by the queue with back-off.
 *
 * Each post carries message metadata `forensics_case_lines {case_id, from, to}`: the thread itself then
 * says which lines it holds, which is how a drainer that crashed after posting is not repeated.
 */

export const LINES_EVENT_TYPE = 'forensics_case_lines';

let pending: Promise<WebClient> | undefined;

export function drainerSlack(): Promise<WebClient> {
  pending ??= slackSecrets().then(
    ({ botToken }) =>
      new WebClient(botToken, {
        ...webClientOptions(),
        rejectRateLimitedCalls: true,
        retryConfig: { retries: 0 },
      }),
  );
  return pending;
}

/** For tests: forget the client. */
export function resetDrainerSlack(): void {
  pending = undefined;
}

export interface LineRange {
  from: number;
  to: number;
}

export async function postLines(record: CaseRecord, text: string, range: LineRange): Promise<void> {
  const { channel, threadTs } = record.slack;
  if (!channel || !threadTs) throw new Error(`${record.id} has no thread`);
  await (await drainerSlack()).chat.postMessage({
    channel,
    thread_ts: threadTs,
    text,
    unfurl_links: false,
    metadata: { event_type: LINES_EVENT_TYPE, event_payload: { case_id: record.id, ...range } },
  });
}

/** Whether the case's thread already holds a post of exactly this range (by its metadata). */
export async function threadHolds(record: CaseRecord, range: LineRange): Promise<boolean> {
  const { channel, threadTs } = record.slack;
  if (!channel || !threadTs) return false;
  const slack = await drainerSlack();
  let cursor: string | undefined;
  do {
    const page = await slack.conversations.replies({
      channel,
      ts: threadTs,
      include_all_metadata: true,
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    for (const message of page.messages ?? []) {
      const metadata = message.metadata as
        | { event_type?: string; event_payload?: Record<string, unknown> }
        | undefined;
      const payload = metadata?.event_payload;
      if (
        metadata?.event_type === LINES_EVENT_TYPE &&
        payload?.case_id === record.id &&
        Number(payload.from) === range.from &&
        Number(payload.to) === range.to
      )
        return true;
    }
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return false;
}

export async function redrawCard(record: CaseRecord): Promise<void> {
  const { channel, cardTs } = record.slack;
  if (!channel || !cardTs) return;
  await (await drainerSlack()).chat.update({
    channel,
    ts: cardTs,
    ...caseCardMessage(record),
  });
}

/** What a failed Slack call means for the lines. */
export type SlackFailure =
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  /** Slack is down or failing: retry everything later. */
  | { kind: 'unavailable'; error: string }
  /** Slack refused this case's post (the thread or channel is gone, the content is refused). */
  | { kind: 'refused'; error: string };

const TRANSIENT = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

export function classifySlackFailure(error: unknown): SlackFailure | undefined {
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string }; message?: string };
  if (e?.code === ErrorCode.RateLimitedError)
    return { kind: 'rate-limited', retryAfterSeconds: Math.max(1, Number(e.retryAfter) || 1) };
  if (e?.code === ErrorCode.RequestError || e?.code === ErrorCode.HTTPError)
    return { kind: 'unavailable', error: e.message ?? String(error) };
  if (e?.code === ErrorCode.PlatformError) {
    const code = e.data?.error ?? 'unknown_error';
    return TRANSIENT.has(code) ? { kind: 'unavailable', error: code } : { kind: 'refused', error: code };
  }
  return undefined;
}
