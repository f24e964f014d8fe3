import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { authorize, type Role } from '../auth.js';
import { closeFalsePositiveModal } from '../blocks/reason-modals.js';
import { NEXT_ACTIONS } from '../blocks/examination-summary.js';
import { audit, getCase } from '../core/case-store.js';
import { describeError } from '../core/errors.js';
import { isCaseId } from '../core/ids.js';
import { openWorkstation, WORKSTATION_DEFAULT_HOURS } from '../cases/workstation.js';
import { type ButtonArgs, clickPlace, ephemeral } from './finding.js';

/**
 * Acknowledges a next-action click and returns the case id its button carries, once the id passed the one
 * case-id regex (a forged value is audited and the user told) and the clicker holds `role` (a refusal is
 * posted and audited by `authorize`); undefined when the click ends there.
 */
async function clickedCase(args: ButtonArgs, role: Role): Promise<string | undefined> {
  const { ack, body, client, action } = args;
  await ack();
  const userId = body.user.id;
  const { channel } = clickPlace(body);
  const caseId = isCaseId(action.value) ? action.value : undefined;
  if (!caseId) {
    await audit({
      actor: userId,
      action: action.action_id,
      outcome: 'failed',
      detail: 'invalid case id in button value',
    });
    await ephemeral(args, ':warning: This button is not valid.');
    return undefined;
  }
  return (await authorize({ client, userId, channel, caseId, action: action.action_id, role }))
    ? caseId
    : undefined;
}

/**
 * The examination summary's next-action buttons other than "Contain now" (which is the case card's
 * Contain listener, bot/actions/finding.ts). "Close as false positive": commanders only; the button's
 * value is the case id only, the case is loaded from the table, and a modal asks for the reason
 * (bot/views/close.ts closes the case with it).
 */
export async function onCloseFalsePositive(args: ButtonArgs): Promise<void> {
  const { body, client, action } = args;
  const userId = body.user.id;
  const { channel } = clickPlace(body);
  // Authorized before the modal opens: nobody without the role sees the form.
  const caseId = await clickedCase(args, 'commander');
  if (!caseId) return;
  try {
    const record = await getCase(caseId);
    if (!record) return ephemeral(args, `No case ${caseId}.`);
    if (record.status === 'closed' || record.status === 'released')
      return ephemeral(args, `${caseId} is ${record.status} already; nothing to close.`);
    await Promise.all([
      client.views.open({
        trigger_id: body.trigger_id,
        view: closeFalsePositiveModal(caseId, channel ?? '', { contained: Boolean(record.containedAt) }),
      }),
      audit({ caseId, actor: userId, action: 'case.close-false-positive.ask', outcome: 'ok' }),
    ]);
  } catch (error) {
    await audit({
      caseId,
      actor: userId,
      action: action.action_id,
      outcome: 'failed',
      detail: describeError(error),
    });
    await ephemeral(args, `:warning: Cannot close ${caseId}: ${describeError(error)}.`);
  }
}

/**
 * "Open workstation" (responders): the same as `/forensics workstation CASE-ID` with the default hours. The
 * button carries the case id only; the case is loaded again and checked (closed, no raw image) before anything.
 */
export async function onOpenWorkstation(args: ButtonArgs): Promise<void> {
  const { body, action } = args;
  const userId = body.user.id;
  const caseId = await clickedCase(args, 'responder');
  if (!caseId) return;
  try {
    const record = await getCase(caseId);
    if (!record) return ephemeral(args, `No case ${caseId}.`);
    await ephemeral(args, await openWorkstation(record, WORKSTATION_DEFAULT_HOURS, userId));
  } catch (error) {
    await audit({
      caseId,
      actor: userId,
      action: action.action_id,
      outcome: 'failed',
      detail: describeError(error),
    });
    await ephemeral(args, `:warning: No workstation for ${caseId}: ${describeError(error)}.`);
  }
}

export function registerNextActions(app: App): void {
  app.action<BlockAction<ButtonAction>>(NEXT_ACTIONS.closeFalsePositive, onCloseFalsePositive);
  app.action<BlockAction<ButtonAction>>(NEXT_ACTIONS.openWorkstation, onOpenWorkstation);
}
