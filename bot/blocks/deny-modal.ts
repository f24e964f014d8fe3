import type { View } from '@slack/types';

/** The deny modal: an optional reason, the case id in private_metadata (validated by the one regex). */
export const DENY_CALLBACK_ID = 'approval.deny';
export const DENY_REASON_BLOCK = 'deny.reason';
export const DENY_REASON_ACTION = 'reason';

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
        block_id: DENY_REASON_BLOCK,
        optional: true,
        label: { type: 'plain_text', text: 'Reason (optional)' },
        element: {
          type: 'plain_text_input',
          action_id: DENY_REASON_ACTION,
          multiline: true,
          max_length: 500,
        },
      },
    ],
  };
}
