import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { WebClient } from '@slack/web-api';
import {
  approvalCardBlocks,
  approvalCardText,
  approvalDecidedBlocks,
  approvalReminderText,
  type ApprovalDecision,
} from '../blocks/approval-card.js';
import { mention } from '../blocks/case-text.js';
import { workspaceSettings } from '../config.js';
import { CaseConflictError, describeError, ForensicsBotError } from '../errors.js';
import { logger } from '../logger.js';
import { slackWebClient } from '../slack/client.js';
import { db, isConditionFailed, tableName } from '../store/table.js';
import { ApprovalTaskGoneError, sendApproval, sendDenial } from '../workflow-client.js';
import type { Actor, CaseRecord } from './model.js';
import { postInThread, refreshCard } from './notify.js';
import { approvalSettings } from './settings.js';
import { audit, requireCase, setSlackRefs, transition, updateCase } from './store.js';

/**
 * The approval gate. The workflow's approval step (`.waitForTaskToken`) calls `requestApproval`; the
 * token is kept in the case record only. A commander's press moves the case out of
 * `awaiting-approval` with a conditional write first, so of two racing presses exactly one answers
 * the workflow, and a second press is harmless.
 */

/** The requester may not approve their own containment (four-eyes rule). */
export class FourEyesError extends ForensicsBotError {
  override readonly code = 'FOUR_EYES';
}

/** The approval was already decided (or expired); the press changed nothing. */
export class ApprovalAlreadyDecidedError extends ForensicsBotError {
  override readonly code = 'APPROVAL_ALREADY_DECIDED';
}

async function link(slack: WebClient, channel?: string, ts?: string): Promise<string | undefined> {
  if (!channel || !ts) return undefined;
  try {
    return (await slack.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch (error) {
    logger.warn('No permalink', { error: describeError(error) });
    return undefined;
  }
}

/**
 * Stores the task token, moves the case to awaiting-approval, posts the approval card in the
 * commanders channel (or redraws it when a retried step asks again) and links it from the thread.
 */
export async function requestApproval(input: { caseId: string; taskToken: string }): Promise<CaseRecord> {
  const requestedAt = new Date();
  await updateCase(input.caseId, {
    taskToken: input.taskToken,
    approvalRequestedAt: requestedAt.toISOString(),
  });
  let record = await transition(input.caseId, 'awaiting-approval');
  const slack = await slackWebClient();
  const { APPROVAL_EXPIRE_MINUTES, FOUR_EYES } = approvalSettings();
  const threadLink = await link(slack, record.slack.channel, record.slack.threadTs);
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
    const cardLink = await link(slack, channel, out.ts);
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

/**
 * A commander's decision. Checks (in order): the case waits for approval, the four-eyes rule, then
 * moves the case conditionally and answers the workflow. The caller has checked the commander role.
 */
export async function decideApproval(input: {
  caseId: string;
  actor: Actor;
  approve: boolean;
  reason?: string;
}): Promise<CaseRecord> {
  const { caseId, actor } = input;
  const current = await requireCase(caseId);
  if (current.status !== 'awaiting-approval' || !current.taskToken)
    throw new ApprovalAlreadyDecidedError(`${caseId} does not wait for approval (it is ${current.status})`);
  if (input.approve && approvalSettings().FOUR_EYES && current.requester.userId === actor.userId)
    throw new FourEyesError(
      'Four-eyes rule: you requested this containment, so another commander must approve it.',
    );
  let record: CaseRecord;
  try {
    record = input.approve
      ? await transition(caseId, 'containing', { approver: actor })
      : await transition(caseId, 'denied', {
          approver: actor,
          failure: `Denied by ${actor.name ?? actor.userId}${input.reason ? `: ${input.reason}` : ''}`,
        });
  } catch (error) {
    if (error instanceof CaseConflictError)
      throw new ApprovalAlreadyDecidedError(`${caseId} was decided meanwhile`, { cause: error });
    throw error;
  }
  try {
    if (input.approve) await sendApproval(current.taskToken, actor.userId);
    else await sendDenial(current.taskToken, input.reason || 'Denied by an incident commander');
  } catch (error) {
    if (!(error instanceof ApprovalTaskGoneError)) throw error;
    logger.warn('Approval task already gone', { caseId });
  }
  const decision: ApprovalDecision = input.approve
    ? { kind: 'approved', by: actor.userId, at: new Date() }
    : { kind: 'denied', by: actor.userId, at: new Date(), reason: input.reason };
  const verb = input.approve
    ? ':white_check_mark: Containment approved'
    : ':no_entry_sign: Containment denied';
  await Promise.all([
    updateApprovalCard(record, decision),
    postInThread(record, `${verb} by ${mention(actor)}${input.reason ? `: ${input.reason}` : ''}.`),
    refreshCard(record),
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

async function updateApprovalCard(record: CaseRecord, decision: ApprovalDecision): Promise<void> {
  const { approvalChannel, approvalTs } = record.slack;
  if (!approvalChannel || !approvalTs) return;
  try {
    const slack = await slackWebClient();
    const threadLink = await link(slack, record.slack.channel, record.slack.threadTs);
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
  const cardLink = await link(slack, approvalChannel, approvalTs);
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
  if (current.status !== 'awaiting-approval') return false;
  let record: CaseRecord;
  try {
    record = await transition(caseId, 'denied', { failure: 'expired' });
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
    updateApprovalCard(record, { kind: 'expired', at: new Date() }),
    postInThread(
      record,
      ':hourglass: The approval request expired: nobody decided in time, so the instance was not contained.',
    ),
    refreshCard(record),
    audit({ caseId, actor: 'workflow', action: 'approval.expire', outcome: 'ok', detail: 'expired' }),
  ]);
  return true;
}
