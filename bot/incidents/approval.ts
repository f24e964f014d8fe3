import type { ApprovalDecision } from '../blocks/approval-card.js';
import { mention, verbatim } from '../blocks/case-text.js';
import {
  incidentApprovalBlocks,
  incidentApprovalText,
  incidentDecidedBlocks,
  incidentReminderText,
} from '../blocks/incident-card.js';
import { decideApproval, expireCaseApproval } from '../cases/approval.js';
import { approvalExpired } from '../core/approval-expiry.js';
import type { Actor, CaseRecord, Decision } from '../core/case-model.js';
import { audit, requireCase } from '../core/case-store.js';
import { workspaceSettings } from '../core/config.js';
import { ApprovalAlreadyDecidedError, describeError, FourEyesError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { approvalSettings } from '../core/settings.js';
import { slackWebClient } from '../slack/client.js';
import { messageLink } from '../slack/message-link.js';
import type { IncidentRecord } from './model.js';
import { memberRecords, redrawIncidentLater } from './progress.js';
import { claimOnce, moveIncident, patchIncident, releaseClaim, requireIncident } from './store.js';

/**
 * One approval for every instance of an incident, on the case approval path (bot/cases/approval.ts):
 * each member's workflow waits at its own approval gate (`.waitForTaskToken`, reminders, expiry), and
 * its token stays in its case. What is the incident's:
 * - the approval card: one, posted by the first member that reaches its gate (a conditional claim);
 * - the decision: one conditional write on the incident (status exactly `awaiting-approval`), after the
 *   same checks a case makes (commander role at the listener, expiry, four-eyes on the requester). Then
 *   every member waiting at its gate gets that decision through `decideApproval` — its conditional write,
 *   its answer to its workflow, its audit — and a member that reaches its gate later finds the incident
 *   decided and takes the same decision there. A denial or an expiry is never recorded as an approval;
 * - the reminder (once) and the expiry (the first member whose wait runs out expires the incident).
 */

const expiresAt = (incident: IncidentRecord) =>
  incident.approvalRequestedAt
    ? new Date(Date.parse(incident.approvalRequestedAt) + approvalSettings().APPROVAL_EXPIRE_MINUTES * 60_000)
    : undefined;

/**
 * A member reached its approval gate (its token is recorded and it waits, as any case): the incident's
 * card is posted if nobody has, and a decision already taken is applied to it.
 */
export async function memberAtGate(member: CaseRecord): Promise<void> {
  let incident = await requireIncident(member.incidentId!);
  if (!incident.decision && !incident.slack.approvalTs && (await claimOnce(incident.id, 'approvalClaim')))
    incident = await postApprovalCard(incident);
  // Read again after this member waits: a decision written meanwhile may have missed it.
  incident = await requireIncident(incident.id);
  if (incident.decision) await applyToMember(incident, member.id);
  await redrawIncidentLater(incident.id, member);
}

async function postApprovalCard(incident: IncidentRecord): Promise<IncidentRecord> {
  const slack = await slackWebClient();
  const requestedAt = new Date().toISOString();
  const waiting =
    (await moveIncident(incident.id, 'open', 'awaiting-approval', { approvalRequestedAt: requestedAt })) ??
    incident;
  const channel = workspaceSettings().COMMANDERS_CHANNEL;
  try {
    const threadLink = await messageLink(slack, incident.slack.channel, incident.slack.threadTs);
    const out = await slack.chat.postMessage({
      channel,
      text: incidentApprovalText(waiting),
      blocks: incidentApprovalBlocks(waiting, {
        threadLink,
        fourEyes: approvalSettings().FOUR_EYES,
        expiresAt: expiresAt(waiting),
      }),
    });
    const posted =
      (await patchIncident(incident.id, {
        slack: { ...waiting.slack, approvalChannel: channel, approvalTs: out.ts },
      })) ?? waiting;
    const cardLink = await messageLink(slack, channel, out.ts);
    await slack.chat.postMessage({
      channel: incident.slack.channel,
      thread_ts: incident.slack.threadTs,
      text: `:hourglass_flowing_sand: Containment of every instance waits for one incident commander's approval${cardLink ? `: <${cardLink}|approval card>` : ' in the commanders channel'}.`,
      unfurl_links: false,
    });
    await audit({ caseId: incident.id, actor: 'workflow', action: 'approval.request', outcome: 'ok' });
    return posted;
  } catch (error) {
    // The next member at its gate (or this step's retry) posts it.
    await releaseClaim(incident.id, 'approvalClaim');
    throw error;
  }
}

/** A member waiting at its gate takes the incident's decision (a member not waiting yet takes it there). */
async function applyToMember(incident: IncidentRecord, caseId: string): Promise<void> {
  const d = incident.decision!;
  try {
    if (d.outcome === 'expired') await expireCaseApproval(caseId);
    else
      await decideApproval({
        caseId,
        actor: d.by ?? { userId: 'unknown' },
        approve: d.outcome === 'approved',
        ...(d.reason ? { reason: d.reason } : {}),
        at: d.at,
        // the incident card is redrawn once for all of them (announce, memberAtGate)
        redraw: false,
      });
  } catch (error) {
    // Another caller applied it first, or the member is not at its gate yet: it takes it there.
    if (!(error instanceof ApprovalAlreadyDecidedError)) throw error;
  }
}

function cardDecision(decision: Decision): ApprovalDecision {
  const at = new Date(decision.at);
  if (decision.outcome === 'expired') return { kind: 'expired', at };
  const by = decision.by?.userId ?? 'unknown';
  return decision.outcome === 'approved'
    ? { kind: 'approved', by, at }
    : { kind: 'denied', by, at, reason: decision.reason };
}

/**
 * A commander's decision on the incident (the listener checked the role). Same rules as a case: the
 * incident waits for approval, the request has not expired (a late click expires it), the requester may
 * not approve (four-eyes); then one conditional write decides, and each waiting member takes it.
 */
export async function decideIncident(input: {
  incidentId: string;
  actor: Actor;
  approve: boolean;
  reason?: string;
}): Promise<IncidentRecord> {
  const current = await requireIncident(input.incidentId);
  if (current.status !== 'awaiting-approval') throw new ApprovalAlreadyDecidedError(decidedAlready(current));
  if (approvalExpired(current)) {
    await expireIncident(current.id);
    throw new ApprovalAlreadyDecidedError(decidedAlready(await requireIncident(current.id)));
  }
  if (input.approve && approvalSettings().FOUR_EYES && current.requester.userId === input.actor.userId)
    throw new FourEyesError(
      'Four-eyes rule: you requested this containment, so another commander must approve it.',
    );
  const decision: Decision = {
    outcome: input.approve ? 'approved' : 'denied',
    by: input.actor,
    at: new Date().toISOString(),
    ...(input.reason ? { reason: input.reason } : {}),
  };
  const decided = await moveIncident(current.id, 'awaiting-approval', input.approve ? 'approved' : 'denied', {
    decision,
  });
  if (!decided) throw new ApprovalAlreadyDecidedError(decidedAlready(await requireIncident(current.id)));
  await announce(
    decided,
    `${input.approve ? ':white_check_mark: Containment approved' : ':no_entry_sign: Containment denied'} by ${mention(input.actor)}${input.reason ? `: ${verbatim(input.reason, 500)}` : ''}.`,
  );
  await audit({
    caseId: decided.id,
    actor: input.actor.userId,
    action: input.approve ? 'approval.approve' : 'approval.deny',
    outcome: 'ok',
    detail: input.reason,
  });
  return decided;
}

/**
 * A member's wait ran out (its workflow's expiry check): the incident's one request expires, and with it
 * every member waiting. A member still waiting while its incident was decided otherwise (its decision
 * could not be applied when it was taken) takes that decision now, rather than expiring against it.
 */
export async function expireMember(member: CaseRecord): Promise<boolean> {
  const incident = await requireIncident(member.incidentId!);
  if (incident.status === 'awaiting-approval') await expireIncident(incident.id);
  else if (incident.decision) await applyToMember(incident, member.id);
  return (await requireCase(member.id)).status === 'denied';
}

/** Expires the incident's request (once) and every member waiting at its gate. */
export async function expireIncident(incidentId: string): Promise<boolean> {
  const expired = await moveIncident(incidentId, 'awaiting-approval', 'expired', {
    decision: { outcome: 'expired', at: new Date().toISOString() },
  });
  if (!expired) return false;
  await announce(
    expired,
    ':hourglass: The approval request expired: nobody decided in time, so no instance was contained.',
  );
  await audit({
    caseId: incidentId,
    actor: 'workflow',
    action: 'approval.expire',
    outcome: 'ok',
    detail: 'expired',
  });
  return true;
}

/** Members that take a decision at once: each is a conditional write and an answer to its workflow. */
const FAN_OUT = 50;

/**
 * The decision reaches every member waiting at its gate first — all at once, up to FAN_OUT: each member's
 * workflow resumes as soon as its own answer is sent, so none waits behind the others or behind Slack —
 * then the approval card and the thread. The incident card is redrawn through the outbox (one member's
 * ring; the drainer coalesces) when it is on, so this click never waits out Slack's card-update limit.
 */
async function announce(incident: IncidentRecord, line: string): Promise<void> {
  const slack = await slackWebClient();
  const members = await memberRecords(incident);
  const queue = incident.members
    .filter((m) => m.joined === 'new')
    .map((m) => members.get(m.caseId))
    .filter((r): r is CaseRecord => r?.status === 'awaiting-approval');
  await Promise.all(
    Array.from({ length: Math.min(FAN_OUT, queue.length) }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) await applyToMember(incident, r.id);
    }),
  );
  const threadLink = await messageLink(slack, incident.slack.channel, incident.slack.threadTs);
  const { approvalChannel, approvalTs } = incident.slack;
  const ringer = [...members.values()][0];
  await Promise.all([
    approvalChannel && approvalTs
      ? slack.chat
          .update({
            channel: approvalChannel,
            ts: approvalTs,
            text: incidentApprovalText(incident),
            blocks: incidentDecidedBlocks(incident, cardDecision(incident.decision!), threadLink),
          })
          .catch((error) =>
            logger.error('Could not update the incident approval card', {
              incidentId: incident.id,
              error: describeError(error),
            }),
          )
      : undefined,
    slack.chat.postMessage({
      channel: incident.slack.channel,
      thread_ts: incident.slack.threadTs,
      text: line,
      unfurl_links: false,
    }),
    redrawIncidentLater(incident.id, ringer),
  ]);
}

function decidedAlready(incident: IncidentRecord): string {
  const d = incident.decision;
  if (!d) return `${incident.id} does not wait for approval (it is ${incident.status})`;
  const when = d.at.slice(0, 19).replace('T', ' ');
  return d.outcome === 'expired'
    ? `The approval request of ${incident.id} expired at ${when} UTC`
    : `${incident.id} was already ${d.outcome} by ${mention(d.by ?? 'unknown')} at ${when} UTC`;
}

/** Reminds the commanders once for the whole incident (a member's reminder round). */
export async function remindIncident(member: CaseRecord): Promise<boolean> {
  const incident = await requireIncident(member.incidentId!);
  if (incident.status !== 'awaiting-approval' || !(await claimOnce(incident.id, 'approvalRemindedAt')))
    return false;
  const slack = await slackWebClient();
  const { approvalChannel, approvalTs } = incident.slack;
  const link = await messageLink(slack, approvalChannel, approvalTs);
  await slack.chat.postMessage({
    channel: approvalChannel ?? workspaceSettings().COMMANDERS_CHANNEL,
    text: `<!subteam^${workspaceSettings().COMMANDERS_GROUP}> ${incidentReminderText(incident, link)}`,
  });
  await audit({ caseId: incident.id, actor: 'workflow', action: 'approval.remind', outcome: 'ok' });
  return true;
}
