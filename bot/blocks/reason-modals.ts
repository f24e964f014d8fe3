import type { View } from '@slack/types';

/**
 * The modals that ask a person why (deny a containment, close a case as a false positive): one shape, a
 * section saying what will happen and a reason input; the case id and the click's channel travel in
 * private_metadata and are validated again on submission (bot/views/).
 */
interface ReasonModal {
  callbackId: string;
  caseId: string;
  channel: string;
  title: string;
  submit: string;
  /** What will happen (mrkdwn; the case id is ours, never user text). */
  intro: string;
  block: string;
  action: string;
  label: string;
  /** A required reason has at least three characters: it is what the case and its audit trail will say. */
  required: boolean;
}

function reasonModal(m: ReasonModal): View {
  return {
    type: 'modal',
    callback_id: m.callbackId,
    private_metadata: JSON.stringify({ caseId: m.caseId, channel: m.channel }),
    title: { type: 'plain_text', text: m.title },
    submit: { type: 'plain_text', text: m.submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: m.intro } },
      {
        type: 'input',
        block_id: m.block,
        ...(m.required ? {} : { optional: true }),
        label: { type: 'plain_text', text: m.label },
        element: {
          type: 'plain_text_input',
          action_id: m.action,
          multiline: true,
          ...(m.required ? { min_length: 3 } : {}),
          max_length: 500,
        },
      },
    ],
  };
}

export const DENY_CALLBACK_ID = 'approval.deny';
export const DENY_REASON_BLOCK = 'deny.reason';
export const DENY_REASON_ACTION = 'reason';

/** The deny modal: an optional reason. */
export function denyModal(caseId: string, channel: string): View {
  return reasonModal({
    callbackId: DENY_CALLBACK_ID,
    caseId,
    channel,
    title: 'Deny containment',
    submit: 'Deny',
    intro: `The workflow of *${caseId}* will stop without containing the instance.`,
    block: DENY_REASON_BLOCK,
    action: DENY_REASON_ACTION,
    label: 'Reason (optional)',
    required: false,
  });
}

export const CLOSE_FALSE_POSITIVE_CALLBACK_ID = 'case.close-false-positive';
export const CLOSE_REASON_BLOCK = 'close.reason';
export const CLOSE_REASON_ACTION = 'reason';

/** "Close as false positive": a required reason; a contained instance is said to stay contained. */
export function closeFalsePositiveModal(
  caseId: string,
  channel: string,
  opts: { contained?: boolean } = {},
): View {
  return reasonModal({
    callbackId: CLOSE_FALSE_POSITIVE_CALLBACK_ID,
    caseId,
    channel,
    title: 'Close as false positive',
    submit: 'Close case',
    intro:
      `*${caseId}* will be closed as a false positive: its workflow stops, the instance may get a new case, the evidence stays.` +
      (opts.contained
        ? `\n:warning: The instance is contained and stays so: a closed case cannot be released, so run \`/forensics release ${caseId}\` first if it should go back into service.`
        : ''),
    block: CLOSE_REASON_BLOCK,
    action: CLOSE_REASON_ACTION,
    label: 'Why is it a false positive?',
    required: true,
  });
}
