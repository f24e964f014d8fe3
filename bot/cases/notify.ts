import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { caseCardMessage } from '../blocks/case-card.js';
import { stepLine } from '../blocks/case-text.js';
import { describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { slackWebClient } from '../slack/client.js';
import type { CaseRecord } from '../core/case-model.js';
import { appendStep } from '../core/case-store.js';
import { type CaseLine, timelineEntry } from './case-line.js';
import { redrawIncidentLater } from '../incidents/progress.js';

/**
 * Everything the bot says about a case after it opened: one line per step in the case thread, and the
 * root card's status line. Slack is best effort here: the case record is written first and a Slack
 * failure is logged, never allowed to fail a workflow step. The Web API client waits out 429s
 * (about one post per second per channel); the lines of one case come in sequence anyway.
 */

/** Posts in the case thread (text, or blocks with text as the notification). */
export async function postInThread(
  record: CaseRecord,
  text: string,
  blocks?: KnownBlock[],
  client?: WebClient,
): Promise<string | undefined> {
  const { channel, threadTs } = record.slack;
  // A member of an incident has no thread: its progress is its line on the incident card, which the
  // incident thread's own lines (opened, approval, decision, summary) accompany (bot/incidents/).
  // (The card refresh that goes with a line redraws that card.)
  if (record.incidentId) return undefined;
  if (!channel || !threadTs) {
    logger.warn('Case has no thread yet; line not posted', { caseId: record.id });
    return undefined;
  }
  try {
    const slack = client ?? (await slackWebClient());
    const out = await slack.chat.postMessage({
      channel,
      thread_ts: threadTs,
      text,
      ...(blocks ? { blocks } : {}),
      unfurl_links: false,
    });
    return out.ts;
  } catch (error) {
    logger.error('Could not post in the case thread', { caseId: record.id, error: describeError(error) });
    return undefined;
  }
}

/** Redraws the root card from the record (status line: stage, step n/m). */
export async function refreshCard(record: CaseRecord, client?: WebClient): Promise<void> {
  if (record.incidentId) return redrawIncidentLater(record.incidentId, record);
  const { channel, cardTs } = record.slack;
  if (!channel || !cardTs) return;
  try {
    const slack = client ?? (await slackWebClient());
    await slack.chat.update({
      channel,
      ts: cardTs,
      ...caseCardMessage(record),
    });
  } catch (error) {
    logger.error('Could not update the case card', { caseId: record.id, error: describeError(error) });
  }
}

/**
 * A workflow step reports: appended to the timeline, one concise line in the thread (not for
 * `started`, which only moves the card), and the root card's status line moves.
 */
export async function postCaseLine(caseId: string, line: CaseLine): Promise<CaseRecord> {
  const record = await appendStep(caseId, timelineEntry(line));
  await Promise.all([
    line.outcome === 'started' ? Promise.resolve(undefined) : postInThread(record, stepLine(line)),
    refreshCard(record),
  ]);
  return record;
}

export type { CaseLine } from './case-line.js';
