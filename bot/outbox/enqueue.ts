import { stepLine } from '../blocks/case-text.js';
import type { CaseRecord } from '../core/case-model.js';
import { appendStep } from '../core/case-store.js';
import { logger } from '../core/logger.js';
import { type CaseLine, timelineEntry } from '../cases/case-line.js';
import { ringOutbox } from './queue.js';
import { appendLine, type OutboxLine } from './store.js';

/**
 * Says something about a case without waiting for Slack: the line is stored in the case's outbox (one
 * DynamoDB write, durable before this returns) and the queue is rung; the drainer posts it later, in
 * order, within Slack's limits. Returns the line's number.
 *
 * A ring that fails after the SDK's retries is logged, not thrown: the line is stored, and the case's
 * next ring (its next line, or the workflow's closing line) delivers it with the others.
 */
export async function sayLater(
  record: Pick<CaseRecord, 'id' | 'slack'>,
  line: Omit<OutboxLine, 'at'>,
): Promise<number> {
  const n = await appendLine(record.id, { ...line, at: new Date().toISOString() });
  try {
    await ringOutbox(record.id, n, record.slack.channel);
  } catch (error) {
    logger.error('Could not ring the outbox; the line waits for the next ring', {
      caseId: record.id,
      line: n,
      error,
    });
  }
  return n;
}

/**
 * The outbox's `postCaseLine`: the step's line joins the case timeline (as `postCaseLine` does) and the
 * outbox; `started` lines only move the card, as they do when posted at once.
 */
export async function postCaseLineLater(caseId: string, line: CaseLine): Promise<CaseRecord> {
  const record = await appendStep(caseId, timelineEntry(line));
  await sayLater(record, { ...(line.outcome === 'started' ? {} : { text: stepLine(line) }), card: true });
  return record;
}
