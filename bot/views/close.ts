import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { authorize } from '../auth.js';
import { CLOSE_REASON_ACTION, CLOSE_REASON_BLOCK } from '../blocks/reason-modals.js';
import { closeCase } from '../cases/service.js';
import { audit } from '../core/case-store.js';
import { CaseConflictError, describeError } from '../core/errors.js';
import { isCaseId } from '../core/ids.js';
import { logger } from '../core/logger.js';
import { inputValue } from './dismiss.js';

/**
 * The "Close as false positive" submission: the commander's role is checked again (the modal may have
 * stayed open while it was taken away), the reason is required, and the case is closed through the case
 * service with the reason recorded in the case, the thread and the audit trail.
 */
export async function onCloseFalsePositiveSubmit(
  args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs,
): Promise<void> {
  const { ack, body, view, client } = args;
  const reason = inputValue(view, CLOSE_REASON_BLOCK, CLOSE_REASON_ACTION);
  if (!reason) {
    await ack({
      response_action: 'errors',
      errors: { [CLOSE_REASON_BLOCK]: 'Say why it is a false positive.' },
    });
    return;
  }
  await ack();
  let meta: { caseId?: unknown; channel?: unknown } = {};
  try {
    meta = JSON.parse(view.private_metadata) as typeof meta;
  } catch {
    logger.warn('Close view with unreadable private_metadata; ignored', { callbackId: view.callback_id });
  }
  if (!isCaseId(meta.caseId)) return;
  const caseId = meta.caseId;
  const userId = body.user.id;
  const channel = typeof meta.channel === 'string' && meta.channel ? meta.channel : undefined;
  const action = 'case.close-false-positive';
  if (!(await authorize({ client, userId, channel, caseId, action, role: 'commander' }))) return;
  try {
    await closeCase(caseId, { userId, name: body.user.name }, { as: 'false-positive', reason });
  } catch (error) {
    const conflict = error instanceof CaseConflictError;
    if (!conflict) logger.error('Close as false positive failed', { caseId, error: describeError(error) });
    await audit({
      caseId,
      actor: userId,
      action,
      outcome: conflict ? 'refused' : 'failed',
      detail: describeError(error),
    });
    if (channel)
      await client.chat
        .postEphemeral({
          channel,
          user: userId,
          text: `:warning: ${caseId} was not closed: ${describeError(error)}.`,
        })
        .catch((e) => logger.warn('Ephemeral answer not posted', { caseId, error: describeError(e) }));
  }
}
