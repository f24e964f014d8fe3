import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { decideApprovalAs } from '../actions/approval.js';
import { isCaseId, isIncidentId } from '../core/ids.js';
import { logger } from '../core/logger.js';
import { DENY_REASON_ACTION, DENY_REASON_BLOCK } from '../blocks/reason-modals.js';
import { inputValue } from './dismiss.js';

/** The deny modal's submission: the commander's denial, with the reason they gave (optional). */
export async function onDenySubmit(
  args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs,
): Promise<void> {
  const { ack, body, view, client } = args;
  await ack();
  let meta: { caseId?: unknown; channel?: unknown } = {};
  try {
    meta = JSON.parse(view.private_metadata) as typeof meta;
  } catch {
    logger.warn('Deny view with unreadable private_metadata; ignored', { callbackId: view.callback_id });
  }
  if (!isCaseId(meta.caseId) && !isIncidentId(meta.caseId)) return;
  await decideApprovalAs({
    client,
    userId: body.user.id,
    userName: body.user.name,
    channel: typeof meta.channel === 'string' ? meta.channel : undefined,
    caseId: meta.caseId,
    approve: false,
    reason: inputValue(view, DENY_REASON_BLOCK, DENY_REASON_ACTION),
  });
}
