import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { authorize, refuse } from '../auth.js';
import { APPROVE_ACTION_ID, DENY_ACTION_ID } from '../blocks/approval-card.js';
import { decideApproval } from '../cases/approval.js';
import { audit } from '../core/case-store.js';
import { ApprovalAlreadyDecidedError, describeError, FourEyesError } from '../core/errors.js';
import { isCaseId, isIncidentId } from '../core/ids.js';
import { decideIncident } from '../incidents/approval.js';
import { logger } from '../core/logger.js';
import { denyModal } from '../blocks/reason-modals.js';
import { type ButtonArgs, clickPlace, ephemeral } from './finding.js';

/**
 * Approve / Deny on the approval card. Only commanders; the button value is the case id only (checked
 * with the one regex) — or an incident id on an incident's one approval card, decided on the same path
 * (bot/incidents/approval.ts); Deny asks for an optional reason in a modal. A second press is harmless.
 */

export interface DecisionInput {
  client: WebClient;
  userId: string;
  userName?: string;
  channel?: string;
  caseId: string;
  approve: boolean;
  reason?: string;
}

/** Authorizes a commander and records the decision; every outcome is said (ephemeral) and audited. */
export async function decideApprovalAs(input: DecisionInput): Promise<void> {
  const { client, userId, channel, caseId } = input;
  const action = input.approve ? APPROVE_ACTION_ID : DENY_ACTION_ID;
  if (!(await authorize({ client, userId, channel, caseId, action, role: 'commander' }))) return;
  const say = async (text: string) => {
    // The decision is made and audited whatever Slack answers; a lost private note is logged, not fatal.
    if (channel)
      await client.chat
        .postEphemeral({ channel, user: userId, text })
        .catch((error) =>
          logger.warn('Ephemeral answer not posted', { caseId, error: describeError(error) }),
        );
  };
  try {
    const actor = { userId, name: input.userName };
    if (isIncidentId(caseId))
      await decideIncident({ incidentId: caseId, actor, approve: input.approve, reason: input.reason });
    else await decideApproval({ caseId, actor, approve: input.approve, reason: input.reason });
  } catch (error) {
    if (error instanceof FourEyesError)
      return refuse({ client, userId, channel, caseId, action, text: error.message });
    if (error instanceof ApprovalAlreadyDecidedError) {
      await audit({ caseId, actor: userId, action, outcome: 'duplicate', detail: error.message });
      return say(`${error.message}; nothing changed.`);
    }
    logger.error('Approval decision failed', { caseId, error: describeError(error) });
    await audit({ caseId, actor: userId, action, outcome: 'failed', detail: describeError(error) });
    return say(`:x: Could not record the decision on ${caseId}: ${describeError(error)}.`);
  }
}

async function caseIdOf(args: ButtonArgs): Promise<string | undefined> {
  const value = args.action.value;
  if (isCaseId(value) || isIncidentId(value)) return value;
  await audit({
    actor: args.body.user.id,
    action: args.action.action_id,
    outcome: 'failed',
    detail: 'invalid case id in button value',
  });
  await ephemeral(args, ':warning: This approval card is not valid.');
  return undefined;
}

export async function onApprove(args: ButtonArgs): Promise<void> {
  await args.ack();
  const caseId = await caseIdOf(args);
  if (!caseId) return;
  await decideApprovalAs({
    client: args.client,
    userId: args.body.user.id,
    userName: args.body.user.name,
    channel: clickPlace(args.body).channel,
    caseId,
    approve: true,
  });
}

export async function onDeny(args: ButtonArgs): Promise<void> {
  const { ack, body, client } = args;
  await ack();
  const caseId = await caseIdOf(args);
  if (!caseId) return;
  const { channel } = clickPlace(body);
  // Authorize before the modal opens too: nobody without the role sees the form.
  if (
    !(await authorize({
      client,
      userId: body.user.id,
      channel,
      caseId,
      action: DENY_ACTION_ID,
      role: 'commander',
    }))
  )
    return;
  try {
    await Promise.all([
      client.views.open({ trigger_id: body.trigger_id, view: denyModal(caseId, channel ?? '') }),
      audit({ caseId, actor: body.user.id, action: 'approval.deny.ask', outcome: 'ok' }),
    ]);
  } catch (error) {
    logger.warn('Deny modal did not open; denying without a reason', { error: describeError(error) });
    await decideApprovalAs({
      client,
      userId: body.user.id,
      userName: body.user.name,
      channel,
      caseId,
      approve: false,
    });
  }
}

export function registerApprovalActions(app: App): void {
  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION_ID, onApprove);
  app.action<BlockAction<ButtonAction>>(DENY_ACTION_ID, onDeny);
}
