import type { WebClient } from '@slack/web-api';
import { mention } from '../blocks/case-text.js';
import { incidentCardBlocks, incidentCardText } from '../blocks/incident-card.js';
import { sequenceInstances } from '../core/attack-sequence.js';
import type { Actor, CaseRecord } from '../core/case-model.js';
import { audit, openCase, recordExecution, transition } from '../core/case-store.js';
import { describeError, InvalidInputError } from '../core/errors.js';
import { newIncidentId } from '../core/ids.js';
import { logger } from '../core/logger.js';
import { getFingerprint, markFingerprint } from '../intake/fingerprints.js';
import { startCaseWorkflow } from '../workflow-client.js';
import type { IncidentMember, IncidentRecord } from './model.js';
import { memberRecords } from './progress.js';
import { claimSequenceIncident, getSequence } from './sequences.js';
import { createIncident, getIncident } from './store.js';

/**
 * "Contain all N" on an attack-sequence card: one incident, one case per EC2 instance of the sequence,
 * each case's workflow started with approval required — the incident's one approval card is posted by the
 * first member that reaches its gate (bot/incidents/approval.ts). The sequence card becomes the incident
 * card, its thread the incident thread. A double click, or a second responder, opens nothing more: the
 * sequence's incident is claimed with one conditional write before anything is opened.
 *
 * An instance that already has an open case stays with it (its own card, thread and approval) and is
 * listed on the incident card; an instance whose case cannot be opened is listed with the reason. The
 * cases are opened and started a few at a time (Slack waits at most 3 s for this click).
 */

const POOL = 16;

export interface ContainAllResult {
  incidentId: string;
  created: boolean;
  text: string;
}

export async function containAll(
  input: { fingerprint: string; actor: Actor; card: { channel: string; ts: string } },
  slack: WebClient,
): Promise<ContainAllResult> {
  const seq = await getSequence(input.fingerprint);
  const finding = seq?.finding;
  if (!seq || !finding?.sequence)
    throw new InvalidInputError('this card is not an attack sequence the bot keeps', 'value.f');
  if (seq.incidentId) return existing(seq.incidentId);
  // A dismissed sequence card lost its button; a click from a screen drawn before that opens nothing.
  const card = await getFingerprint(input.fingerprint);
  if (card?.dismissedBy)
    throw new InvalidInputError(
      `this attack sequence was dismissed by ${mention(card.dismissedBy)}; nothing was started`,
      'value.f',
    );
  const instances = sequenceInstances(finding.sequence);
  if (!instances.length)
    throw new InvalidInputError('this attack sequence names no EC2 instance', 'sequence');
  const id = newIncidentId();
  if (!(await claimSequenceIncident(input.fingerprint, id))) {
    const now = await getSequence(input.fingerprint);
    return existing(now?.incidentId ?? id);
  }
  const members: IncidentMember[] = [];
  const skipped: IncidentRecord['skipped'] = [];
  const opened: CaseRecord[] = [];
  await inPool(instances, POOL, async (r) => {
    const target = {
      account: r.account ?? finding.account,
      region: r.region ?? finding.region,
      instanceId: r.id,
    };
    try {
      const { record, created } = await openCase({
        target,
        actions: ['contain'],
        trigger: 'slack-button',
        requester: input.actor,
        title: `${finding.title} (${id})`,
        severity: finding.severity,
        findingIds: [finding.id],
        approval: 'required',
        // No card or thread of its own: the channel only groups its outbox rings with the incident card's.
        slack: { channel: input.card.channel },
        incidentId: id,
      });
      members.push({
        caseId: record.id,
        target,
        ...(r.name ? { name: r.name } : {}),
        joined: created ? 'new' : 'existing',
      });
      if (created) opened.push(record);
    } catch (error) {
      logger.error('Could not open a case of the incident', {
        incidentId: id,
        instanceId: r.id,
        error: describeError(error),
      });
      skipped.push({ target, reason: describeError(error) });
    }
  });
  const order = new Map(instances.map((r, n) => [r.id, n]));
  members.sort((a, b) => (order.get(a.target.instanceId) ?? 0) - (order.get(b.target.instanceId) ?? 0));
  const incident = await createIncident({
    id,
    title: finding.title,
    severity: finding.severity,
    findingType: finding.type,
    findingId: finding.id,
    fingerprint: input.fingerprint,
    requester: input.actor,
    members,
    skipped,
    slack: { channel: input.card.channel, cardTs: input.card.ts, threadTs: input.card.ts },
  });
  // Repeats of the sequence count on its fingerprint but never redraw the card: it is the incident's now.
  await markFingerprint(input.fingerprint, { caseId: id });
  // The workflows start after the incident exists: a member's approval gate reads it.
  await inPool(opened, POOL, async (record) => {
    try {
      const { executionArn } = await startCaseWorkflow(record, 'required');
      await recordExecution(record.id, executionArn);
    } catch (error) {
      // Nothing runs for this instance: its case says why on its line; the others go on.
      logger.error('Could not start a member workflow', {
        incidentId: id,
        caseId: record.id,
        error: describeError(error),
      });
      await transition(record.id, 'failed', {
        failure: `the workflow could not start: ${describeError(error)}`,
      });
    }
  });
  const fresh = members.filter((m) => m.joined === 'new').length;
  const others = members.length - fresh;
  await Promise.all([
    slack.chat.update({
      channel: incident.slack.channel,
      ts: incident.slack.cardTs,
      text: incidentCardText(incident),
      blocks: incidentCardBlocks(incident, await memberRecords(incident)),
    }),
    slack.chat.postMessage({
      channel: incident.slack.channel,
      thread_ts: incident.slack.threadTs,
      text: `${id} opened by ${mention(input.actor)}: containment of ${fresh} instance${fresh === 1 ? '' : 's'} asked for with one approval${others ? `; ${others} already had an open case and keep it` : ''}${skipped.length ? `; ${skipped.length} could not be opened` : ''}. Each instance's progress is its line on the card above.`,
      unfurl_links: false,
    }),
    audit({
      caseId: id,
      actor: input.actor.userId,
      action: 'incident.contain_all',
      outcome: 'ok',
      detail: `${fresh} cases`,
    }),
    ...opened.map((r) =>
      audit({
        caseId: r.id,
        actor: input.actor.userId,
        action: 'case.contain',
        outcome: 'ok',
        detail: `incident ${id}`,
      }),
    ),
  ]);
  return {
    incidentId: id,
    created: true,
    text: `${id} opened: ${fresh} case${fresh === 1 ? '' : 's'}, one approval asked of the incident commanders.`,
  };
}

async function existing(id: string): Promise<ContainAllResult> {
  const incident = await getIncident(id);
  // Claimed by a click still opening its cases: this one is told, and starts nothing.
  const state = incident
    ? `already open for this attack sequence (${incident.status})`
    : 'already being opened for this attack sequence';
  return { incidentId: id, created: false, text: `${id} is ${state}; nothing was started again.` };
}

async function inPool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
