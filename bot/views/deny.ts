import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { View } from '@slack/types';
import { decideApprovalAs } from '../actions/approval.js';
import { isCaseId } from '../core/ids.js';
import { logger } from '../core/logger.js';
import { inputValue } from './dismiss.js';

/** The deny modal: an optional reason, the case id in private_metadata (validated by the one regex). */
export const DENY_CALLBACK_ID = 'approval.deny';
const REASON_BLOCK = 'deny.reason';
const REASON_ACTION = 'reason';

export function denyModal(caseId: string, channel: string): View {
  return {
    type: 'modal',
    callback_id: DENY_CALLBACK_ID,
    private_metadata: JSON.stringify({ caseId, channel }),
    title: { type: 'plain_text', text: 'Deny containment' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `The workflow of *${caseId}* will stop without containing the instance.`,
        },
      },
      {
        type: 'input',
        block_id: REASON_BLOCK,
        optional: true,
        label: { type: 'plain_text', text: 'Reason (optional)' },
        element: { type: 'plain_text_input', action_id: REASON_ACTION, multiline: true, max_length: 500 },
      },
    ],
  };
}

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
  if (!isCaseId(meta.caseId)) return;
  await decideApprovalAs({
    client,
    userId: body.user.id,
    userName: body.user.name,
    channel: typeof meta.channel === 'string' ? meta.channel : undefined,
    caseId: meta.caseId,
    approve: false,
    reason: inputValue(view, REASON_BLOCK, REASON_ACTION),
  });
}
