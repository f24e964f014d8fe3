import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  approvalCardBlocks,
  approvalCardText,
  approvalDecidedBlocks,
  approvalReminderText,
  type ApprovalDecision,
} from '../blocks/approval-card.js';
import { mention, verbatim } from '../blocks/case-text.js';
import { workspaceSettings } from '../core/config.js';
import {
  ApprovalAlreadyDecidedError,
  ApprovalTaskGoneError,
  CaseConflictError,
  describeError,
  FourEyesError,
} from '../core/errors.js';
import { approvalExpired } from '../core/approval-expiry.js';
import { logger } from '../core/logger.js';
import { slackWebClient } from '../slack/client.js';
import { messageLink } from '../slack/message-link.js';
import { db, isConditionFailed, tableName } from '../core/table.js';
import { sendApproval, sendDenial } from '../workflow-client.js';
import type { Actor, CaseRecord, Decision } from '../core/case-model.js';
import { postInThread, refreshCard } from './notify.js';
import { approvalSettings } from '../core/settings.js';
import { audit, recordApprovalRequest, requireCase, setSlackRefs, transition } from '../core/case-store.js';
import { expireMember, memberAtGate, remindIncident } from '../incidents/approval.js';

/**
 * The approval gate. The workflow's approval step (`.waitForTaskToken`) calls `requestApproval`; the
 * token is kept in the case record only. A commander's press moves the case out of
 * `awaiting-approval` with a conditional write first, so of two racing presses exactly one answers
 * the workflow, and a second press is harmless.
 */

/**
 * Stores the task token, moves the case to awaiting-approval, posts the approval card in the
 * commanders channel (or redraws it when a reminder round or a retried step asks again) and links it
 * from the thread. The expiry counts from the first request of the cycle, whatever the reminders.
 * A decision that landed between a reminder's timeout and this round (its answer went to the old,
 * timed-out token) is honoured: the new token gets the same answer.
 */
export async function requestApproval(input: {
  caseId: string;
  taskToken: string;
  round?: number;
}): Promise<CaseRecord> {
  const current = await requireCase(input.caseId);
  const fresh = (input.round ?? 0) === 0 && current.status !== 'awaiting-approval';
  if (!fresh && current.decision && current.status !== 'awaiting-approval') {
    await recordApprovalRequest(input.caseId, input.taskToken, false);
    await answerWorkflow(input.taskToken, current.decision, input.caseId);
    return current;
  }
  await recordApprovalRequest(input.caseId, input.taskToken, fresh);
  let record = await transition(input.caseId, 'awaiting-approval');
  // A member of an incident waits like any case, but its approval card is the incident's one.
  if (record.incidentId) {
    await memberAtGate(record);
    return requireCase(record.id);
  }
  const requestedAt = new Date(record.approvalRequestedAt ?? Date.now());
  const slack = await slackWebClient();
  const { APPROVAL_EXPIRE_MINUTES, FOUR_EYES } = approvalSettings();
  const threadLink = await messageLink(slack, record.slack.channel, record.slack.threadTs);
  const blocks = approvalCardBlocks(record, {
    threadLink,
    fourEyes: FOUR_EYES,
    expiresAt: new Date(requestedAt.getTime() + APPROVAL_EXPIRE_MINUTES * 60_000),
  });
  const channel = workspaceSettings().COMMANDERS_CHANNEL;
  if (record.slack.approvalTs && record.slack.approvalChannel) {
    await slack.chat.update({
      channel: record.slack.approvalChannel,
      ts: record.slack.approvalTs,
      text: approvalCardText(record),
      blocks,
    });
  } else {
    const out = await slack.chat.postMessage({ channel, text: approvalCardText(record), blocks });
    if (out.ts) record = await setSlackRefs(record.id, { approvalChannel: channel, approvalTs: out.ts });
    const cardLink = await messageLink(slack, channel, out.ts);
    await postInThread(
      record,
      `:hourglass_flowing_sand: Containment waits for an incident commander's approval${cardLink ? `: <${cardLink}|approval card>` : ' in the commanders channel'}.`,
      undefined,
      slack,
    );
  }
  await Promise.all([
    refreshCard(record, slack),
    audit({ caseId: record.id, actor: 'workflow', action: 'approval.request', outcome: 'ok' }),
  ]);
  return record;
}

/** Gives the waiting workflow the case's decision (a token that is gone already is not an error). */
async function answerWorkflow(taskToken: string, decision: Decision, caseId: string): Promise<void> {
  try {
    if (decision.outcome === 'approved') await sendApproval(taskToken, decision.by?.userId ?? 'unknown');
    else if (decision.outcome === 'expired') await sendDenial(taskToken, 'expired', 'ApprovalExpired');
    else await sendDenial(taskToken, decision.reason || 'Denied by an incident commander');
  } catch (error) {
    if (!(error instanceof ApprovalTaskGoneError)) throw error;
    logger.warn('Approval task already gone', { caseId });
  }
}

/** Who decided the approval and when, in words for a click that came too late. */
function decidedAlready(record: CaseRecord): string {
  const d = record.decision;
  if (!d) return `${record.id} does not wait for approval (it is ${record.status})`;
  const when = d.at.slice(0, 19).replace('T', ' ');
  return d.outcome === 'expired'
    ? `The approval request of ${record.id} expired at ${when} UTC`
    : `${record.id} was already ${d.outcome} by ${mention(d.by ?? 'unknown')} at ${when} UTC`;
}

/**
 * A commander's decision. Checks (in order): the case waits for approval, the request has not
 * expired, the four-eyes rule; then one conditional write (status exactly awaiting-approval) decides,
 * so of racing clicks exactly one is the decision and the others are told who decided. The caller has
 * checked the commander role.
 */
export async function decideApproval(input: {
  caseId: string;
  actor: Actor;
  approve: boolean;
  reason?: string;
  /** When it was decided, if earlier than now (an incident's decision taken by its member cases). */
  at?: string;
  /** false: the caller redraws once for many decisions (an incident's members), so this one does not. */
  redraw?: boolean;
}): Promise<CaseRecord> {
  const { caseId, actor } = input;
  const current = await requireCase(caseId);
  if (current.status !== 'awaiting-approval' || !current.taskToken)
    throw new ApprovalAlreadyDecidedError(decidedAlready(current));
  if (approvalExpired(current)) {
    await expireApproval(caseId);
    throw new ApprovalAlreadyDecidedError(decidedAlready(await requireCase(caseId)));
  }
  // The requester of this round: whoever opened the case, or asked to contain it later ("Contain now").
  const askers = [current.requester.userId, current.containRequests?.at(-1)?.by.userId];
  if (input.approve && approvalSettings().FOUR_EYES && askers.includes(actor.userId))
    throw new FourEyesError(
      'Four-eyes rule: you requested this containment, so another commander must approve it.',
    );
  const decision: Decision = {
    outcome: input.approve ? 'approved' : 'denied',
    by: actor,
    at: input.at ?? new Date().toISOString(),
    ...(input.reason ? { reason: input.reason } : {}),
  };
  let record: CaseRecord;
  try {
    record = input.approve
      ? await transition(caseId, 'containing', { decision }, { from: 'awaiting-approval' })
      : await transition(
          caseId,
          'denied',
          {
            decision,
            failure: `Denied by ${actor.name ?? actor.userId}${input.reason ? `: ${input.reason}` : ''}`,
          },
          { from: 'awaiting-approval' },
        );
  } catch (error) {
    if (error instanceof CaseConflictError)
      throw new ApprovalAlreadyDecidedError(decidedAlready(await requireCase(caseId)), { cause: error });
    throw error;
  }
  await answerWorkflow(current.taskToken, decision, caseId);
  const verb = input.approve
    ? ':white_check_mark: Containment approved'
    : ':no_entry_sign: Containment denied';
  await Promise.all([
    updateApprovalCard(record, cardDecision(decision)),
    postInThread(
      record,
      `${verb} by ${mention(actor)}${input.reason ? `: ${verbatim(input.reason, 500)}` : ''}.`,
    ),
    input.redraw === false ? undefined : refreshCard(record),
    audit({
      caseId,
      actor: actor.userId,
      action: input.approve ? 'approval.approve' : 'approval.deny',
      outcome: 'ok',
      detail: input.reason,
    }),
  ]);
  return record;
}

function cardDecision(decision: Decision): ApprovalDecision {
  const at = new Date(decision.at);
  if (decision.outcome === 'expired') return { kind: 'expired', at };
  const by = decision.by?.userId ?? 'unknown';
  return decision.outcome === 'approved'
    ? { kind: 'approved', by, at }
    : { kind: 'denied', by, at, reason: decision.reason };
}

/** A case closed while it waited for approval: its approval card loses its buttons and says so. */
export async function closeApprovalCard(record: CaseRecord, actor: Actor): Promise<void> {
  await updateApprovalCard(record, { kind: 'closed', by: actor.userId, at: new Date() });
}

async function updateApprovalCard(record: CaseRecord, decision: ApprovalDecision): Promise<void> {
  const { approvalChannel, approvalTs } = record.slack;
  if (!approvalChannel || !approvalTs) return;
  try {
    const slack = await slackWebClient();
    const threadLink = await messageLink(slack, record.slack.channel, record.slack.threadTs);
    await slack.chat.update({
      channel: approvalChannel,
      ts: approvalTs,
      text: approvalCardText(record),
      blocks: approvalDecidedBlocks(record, decision, threadLink),
    });
  } catch (error) {
    logger.error('Could not update the approval card', { caseId: record.id, error: describeError(error) });
  }
}

/** Reminds the commanders once, if the case still waits (idempotent: a marker written conditionally). */
export async function remindApproval(caseId: string): Promise<boolean> {
  const record = await requireCase(caseId);
  if (record.status !== 'awaiting-approval') return false;
  if (record.incidentId) return remindIncident(record);
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'SET approvalRemindedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(approvalRemindedAt)',
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
      }),
    );
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
  const slack = await slackWebClient();
  const { approvalChannel, approvalTs } = record.slack;
  const cardLink = await messageLink(slack, approvalChannel, approvalTs);
  await slack.chat.postMessage({
    channel: approvalChannel ?? workspaceSettings().COMMANDERS_CHANNEL,
    text: `<!subteam^${workspaceSettings().COMMANDERS_GROUP}> ${approvalReminderText(record, cardLink)}`,
  });
  await audit({ caseId, actor: 'workflow', action: 'approval.remind', outcome: 'ok' });
  return true;
}

/**
 * Expires a pending approval: status denied with reason "expired", the card and thread say so, the
 * waiting workflow (if still waiting) is failed with ApprovalExpired. Idempotent.
 */
export async function expireApproval(caseId: string): Promise<boolean> {
  const current = await requireCase(caseId);
  // A member's wait ran out: the incident's one request expires, and with it every member waiting.
  if (current.incidentId && current.status === 'awaiting-approval') return expireMember(current);
  return expireCaseApproval(caseId);
}

/** Expires one case's pending approval (a case's own, or a member's when its incident expired). */
export async function expireCaseApproval(caseId: string): Promise<boolean> {
  const current = await requireCase(caseId);
  if (current.status !== 'awaiting-approval') return false;
  let record: CaseRecord;
  try {
    record = await transition(
      caseId,
      'denied',
      { failure: 'expired', decision: { outcome: 'expired', at: new Date().toISOString() } },
      { from: 'awaiting-approval' },
    );
  } catch (error) {
    if (error instanceof CaseConflictError) return false;
    throw error;
  }
  if (current.taskToken) {
    try {
      await sendDenial(current.taskToken, 'expired', 'ApprovalExpired');
    } catch (error) {
      logger.info('Expired approval task not waiting any more', { caseId, error: describeError(error) });
    }
  }
  await Promise.all([
    updateApprovalCard(record, cardDecision(record.decision!)),
    postInThread(
      record,
      ':hourglass: The approval request expired: nobody decided in time, so the instance was not contained.',
    ),
    refreshCard(record),
    audit({ caseId, actor: 'workflow', action: 'approval.expire', outcome: 'ok', detail: 'expired' }),
  ]);
  return true;
}
