import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { KnownBlock, View } from '@slack/types';
import { z } from 'zod';
import { type FindingClick, loadFindingClick } from '../actions/finding-click.js';
import { authorize } from '../auth.js';
import { withoutFindingActions } from '../blocks/case-card.js';
import { findingCardBlocks } from '../blocks/finding-card.js';
import { dismissFinding } from '../cases/dismiss.js';
import { audit } from '../core/case-store.js';
import { describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';

/**
 * The dismiss modal. It shows the finding being dismissed (rendered from the stored finding) and asks for
 * an optional reason. private_metadata carries the card's place and the button value (the fingerprint),
 * validated again and loaded again on submission: nothing is read back from the rendered blocks.
 */
export const DISMISS_CALLBACK_ID = 'finding.dismiss';
const INTRO_BLOCK = 'dismiss.intro';
const REASON_BLOCK = 'dismiss.reason';
const REASON_ACTION = 'reason';

const MetadataSchema = z.object({ c: z.string().min(1), t: z.string().min(1), v: z.string().max(2000) });

export function dismissModal(input: {
  channel: string;
  ts: string;
  value: string;
  click: FindingClick;
}): View {
  const preview = withoutFindingActions(cardOf(input.click)).slice(0, 40);
  return {
    type: 'modal',
    callback_id: DISMISS_CALLBACK_ID,
    private_metadata: JSON.stringify({ c: input.channel, t: input.ts, v: input.value }),
    title: { type: 'plain_text', text: 'Dismiss finding' },
    submit: { type: 'plain_text', text: 'Dismiss' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        block_id: INTRO_BLOCK,
        text: {
          type: 'mrkdwn',
          text: 'This finding will be marked dismissed and suppressed in Security Hub:',
        },
      },
      ...preview,
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

/** The finding's card as intake last drew it (count and last sighting from the fingerprint). */
function cardOf(click: FindingClick): KnownBlock[] {
  return findingCardBlocks(click.finding, {
    count: click.count,
    lastSeen: click.lastSeen,
    fingerprint: click.fingerprint,
  });
}

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** The modal's text input, trimmed; undefined when empty. */
export function inputValue(
  view: ViewSubmitAction['view'],
  block: string,
  action: string,
): string | undefined {
  const v = view.state.values[block]?.[action]?.value;
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

export async function onDismissSubmit(args: ViewArgs): Promise<void> {
  const { ack, body, view, client } = args;
  await ack();
  const userId = body.user.id;
  let meta: z.infer<typeof MetadataSchema>;
  let click: FindingClick;
  try {
    meta = MetadataSchema.parse(JSON.parse(view.private_metadata));
    click = await loadFindingClick(meta.v);
  } catch (error) {
    await audit({
      actor: userId,
      action: 'finding.dismiss',
      outcome: 'failed',
      detail: describeError(error),
    });
    return;
  }
  if (!(await authorize({ client, userId, channel: meta.c, action: 'finding.dismiss', role: 'responder' })))
    return;
  try {
    await dismissFinding(
      {
        channel: meta.c,
        ts: meta.t,
        blocks: cardOf(click),
        finding: click.finding,
        userId,
        userName: body.user.name,
        reason: inputValue(view, REASON_BLOCK, REASON_ACTION),
        fingerprint: click.fingerprint,
      },
      client,
    );
  } catch (error) {
    logger.error('Dismiss failed', { error: describeError(error) });
    await audit({
      actor: userId,
      action: 'finding.dismiss',
      outcome: 'failed',
      detail: describeError(error),
    });
  }
}
