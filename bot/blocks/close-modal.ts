import type { View } from '@slack/types';

/**
 * The "Close as false positive" modal: a required reason (it is what the case, its thread and its audit
 * trail will say), the case id and the click's channel in private_metadata (validated again on submission).
 */
export const CLOSE_FALSE_POSITIVE_CALLBACK_ID = 'case.close-false-positive';
export const CLOSE_REASON_BLOCK = 'close.reason';
export const CLOSE_REASON_ACTION = 'reason';

export function closeFalsePositiveModal(
  caseId: string,
  channel: string,
  opts: { contained?: boolean } = {},
): View {
  return {
    type: 'modal',
    callback_id: CLOSE_FALSE_POSITIVE_CALLBACK_ID,
    private_metadata: JSON.stringify({ caseId, channel }),
    title: { type: 'plain_text', text: 'Close as false positive' },
    submit: { type: 'plain_text', text: 'Close case' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text:
            `*${caseId}* will be closed as a false positive: its workflow stops, the instance may get a new case, the evidence stays.` +
            (opts.contained
              ? `\n:warning: The instance is contained and stays so: a closed case cannot be released, so run \`/forensics release ${caseId}\` first if it should go back into service.`
              : ''),
        },
      },
      {
        type: 'input',
        block_id: CLOSE_REASON_BLOCK,
        label: { type: 'plain_text', text: 'Why is it a false positive?' },
        element: {
          type: 'plain_text_input',
          action_id: CLOSE_REASON_ACTION,
          multiline: true,
          min_length: 3,
          max_length: 500,
        },
      },
    ],
  };
}
