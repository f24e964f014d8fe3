import type { WebClient } from '@slack/web-api';
import { incidentCardBlocks, incidentCardText, MEMBER_ENDED } from '../blocks/incident-card.js';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { type CaseRecord, CaseRecordSchema } from '../core/case-model.js';
import { db, tableName } from '../core/table.js';
import { getCase } from '../core/case-store.js';
import { describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { sayLater } from '../outbox/enqueue.js';
import { outboxEnabled } from '../outbox/settings.js';
import { slackWebClient } from '../slack/client.js';
import type { IncidentRecord } from './model.js';
import { claimOnce, getIncident, releaseClaim } from './store.js';

/**
 * How an incident shows its members' progress: its one card (a line per instance), redrawn from the
 * records as they are — never from the lines that moved them, so one redraw covers any number of lines.
 *
 * - A member's step lines go through the outbox like any case's (durable, never awaited by a step); the
 *   drainer delivers a member's lines by redrawing the incident card once per batch (bot/outbox/drain.ts),
 *   not by posting them in a thread: the incident has one thread, not N.
 * - A member's direct card refresh (an approval decision, a retry) rings the outbox too; without the
 *   outbox (tests, the benchmarks' baseline) redraws are coalesced in this process.
 * - When every member's workflow has ended, the thread gets one summary line (once: a conditional write).
 */

/**
 * The member cases of an incident, by case id: one consistent BatchGetItem per 100 (a redraw of a
 * 50-instance card is one read, not 50); keys DynamoDB leaves unprocessed are read one by one. A missing
 * case is left out (its line says it cannot be read).
 */
export async function memberRecords(incident: IncidentRecord): Promise<Map<string, CaseRecord>> {
  const ids = incident.members.map((m) => m.caseId);
  const found = new Map<string, CaseRecord>();
  for (let i = 0; i < ids.length; i += 100) {
    const keys = ids.slice(i, i + 100).map((id) => ({ pk: `CASE#${id}`, sk: 'CASE' }));
    const out = await db().send(
      new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: keys, ConsistentRead: true } } }),
    );
    for (const item of out.Responses?.[tableName()] ?? []) {
      const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = item;
      const record = CaseRecordSchema.parse(rest);
      found.set(record.id, record);
    }
    for (const key of out.UnprocessedKeys?.[tableName()]?.Keys ?? []) {
      const record = await getCase(String(key.pk).slice('CASE#'.length));
      if (record) found.set(record.id, record);
    }
  }
  return found;
}

/** Redraws the incident card with this client (the drainer's never waits out a 429: it throws). */
export async function redrawIncidentCard(incidentId: string, slack: WebClient): Promise<void> {
  const incident = await getIncident(incidentId);
  if (!incident) {
    logger.error('Incident of a member case not found; its card is not redrawn', { incidentId });
    return;
  }
  const records = await memberRecords(incident);
  await slack.chat.update({
    channel: incident.slack.channel,
    ts: incident.slack.cardTs,
    text: incidentCardText(incident),
    blocks: incidentCardBlocks(incident, records),
  });
  await summarizeIfEnded(incident, records, slack);
}

/** The closing line of the incident thread, once every new member's workflow has ended. */
async function summarizeIfEnded(
  incident: IncidentRecord,
  records: Map<string, CaseRecord>,
  slack: WebClient,
): Promise<void> {
  if (incident.summaryPostedAt) return;
  const mine = incident.members.filter((m) => m.joined === 'new');
  const ended = mine.map((m) => records.get(m.caseId)).filter((r) => r && MEMBER_ENDED.includes(r.status));
  if (!mine.length || ended.length < mine.length) return;
  if (!(await claimOnce(incident.id, 'summaryPostedAt'))) return;
  const by = new Map<string, number>();
  for (const r of ended) by.set(r!.status, (by.get(r!.status) ?? 0) + 1);
  const words = [...by.entries()].map(([status, n]) => `${n} ${status}`).join(', ');
  try {
    await slack.chat.postMessage({
      channel: incident.slack.channel,
      thread_ts: incident.slack.threadTs,
      text: `:checkered_flag: ${incident.id}: every workflow ended — ${words}. Each case's steps, evidence and manifest: \`/forensics status CASE-ID\`.`,
      unfurl_links: false,
    });
  } catch (error) {
    // Given back so that the next redraw (a retry of the ring) posts it.
    await releaseClaim(incident.id, 'summaryPostedAt');
    throw error;
  }
}

const scheduled = new Map<string, Promise<void>>();

/**
 * A member's card moved outside its step lines (a decision, a retry, a fold into the sequence): the
 * incident card is to be redrawn. Through the outbox when it is on (one ring of that member; the drainer
 * coalesces); otherwise once in this process for every call within a quarter second.
 */
export async function redrawIncidentLater(
  incidentId: string,
  member?: Pick<CaseRecord, 'id' | 'slack'>,
): Promise<void> {
  if (member && outboxEnabled()) {
    await sayLater(member, { card: true });
    return;
  }
  const pending = scheduled.get(incidentId);
  if (pending) return pending;
  const run = new Promise<void>((resolve) => setTimeout(resolve, 250))
    .then(async () => {
      scheduled.delete(incidentId);
      await redrawIncidentCard(incidentId, await slackWebClient());
    })
    .catch((error) => {
      scheduled.delete(incidentId);
      logger.error('Could not redraw the incident card', { incidentId, error: describeError(error) });
    });
  scheduled.set(incidentId, run);
  return run;
}
