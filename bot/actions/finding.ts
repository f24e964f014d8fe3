import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
} from '@slack/bolt';
import { authorize } from '../auth.js';
import { FINDING_ACTIONS, FINDING_LINK_ACTION_PREFIX } from '../blocks/finding-buttons.js';
import type { CaseAction } from '../core/case-model.js';
import { startCase } from '../cases/service.js';
import { audit } from '../core/case-store.js';
import { CaseConflictError, CaseNotFoundError, describeError, InvalidInputError } from '../core/errors.js';
import { isCaseId } from '../core/ids.js';
import { requestContainment } from '../cases/contain-request.js';
import { logger } from '../core/logger.js';
import { dismissModal } from '../views/dismiss.js';
import { clickTarget, type FindingClick, loadFindingClick } from './finding-click.js';

/**
 * The finding card's buttons: Analyze and Contain open a case (once per instance) and start its
 * workflow; Dismiss opens the reason modal. Each listener acknowledges, authorizes, calls the service,
 * and says what happened (ephemeral) when the card itself does not show it.
 */
export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Where the click happened: channel and message of the card. */
export function clickPlace(body: BlockAction): { channel?: string; ts?: string } {
  const container = body.container as { channel_id?: string; message_ts?: string } | undefined;
  return {
    channel: body.channel?.id ?? container?.channel_id,
    ts: body.message?.ts ?? container?.message_ts,
  };
}

export async function ephemeral(args: ButtonArgs, text: string): Promise<void> {
  const { channel } = clickPlace(args.body);
  if (!channel) return;
  try {
    await args.client.chat.postEphemeral({ channel, user: args.body.user.id, text });
  } catch (error) {
    logger.warn('Could not post an ephemeral reply', { error: describeError(error) });
  }
}

/** Analyze / Contain: open the case and start the workflow. */
export function startCaseFromCard(kind: CaseAction) {
  return async function onStartCase(args: ButtonArgs): Promise<void> {
    const { ack, body, client, action } = args;
    await ack();
    const userId = body.user.id;
    const { channel, ts } = clickPlace(body);
    if (!(await authorize({ client, userId, channel, action: action.action_id, role: 'responder' }))) return;
    // The examination summary's "Contain now" is this button on a case that exists: its value is the case id.
    if (kind === 'contain' && isCaseId(action.value)) return containExistingCase(args, action.value);
    let click: FindingClick;
    let target: ReturnType<typeof clickTarget>;
    try {
      click = await loadFindingClick(action.value);
      target = clickTarget(click);
    } catch (error) {
      await audit({
        actor: userId,
        action: action.action_id,
        outcome: 'failed',
        detail: describeError(error),
      });
      return ephemeral(args, `:warning: Cannot act on this card: ${describeError(error)}.`);
    }
    try {
      const { record, created } = await startCase(
        {
          target,
          actions: [kind],
          trigger: 'slack-button',
          requester: { userId, name: body.user.name },
          title: click.finding.title,
          severity: click.finding.severity,
          findingIds: [click.finding.id],
          approval: kind === 'contain' ? 'required' : 'not-required',
          finding: click.finding,
          ...(channel && ts ? { card: { channel, ts, fingerprint: click.fingerprint } } : {}),
        },
        client,
      );
      if (!created)
        await ephemeral(
          args,
          `${record.id} is already open for \`${record.target.instanceId}\` (${record.status}); nothing was started again. \`/forensics status ${record.id}\``,
        );
    } catch (error) {
      logger.error('Could not open the case', { error: describeError(error) });
      await audit({
        actor: userId,
        action: action.action_id,
        outcome: 'failed',
        detail: describeError(error),
      });
      await ephemeral(args, `:x: Could not open the case: ${describeError(error)}. Try again in a moment.`);
    }
  };
}

/** Contain on an existing case: the request goes through the case workflow's approval gate. */
async function containExistingCase(args: ButtonArgs, caseId: string): Promise<void> {
  const { body, action } = args;
  const userId = body.user.id;
  try {
    const { text } = await requestContainment(caseId, { userId, name: body.user.name });
    await ephemeral(args, text);
  } catch (error) {
    if (!(error instanceof CaseConflictError || error instanceof CaseNotFoundError))
      logger.error('Could not request containment', { caseId, error: describeError(error) });
    await audit({
      caseId: error instanceof CaseNotFoundError ? undefined : caseId,
      actor: userId,
      action: action.action_id,
      outcome: error instanceof CaseConflictError ? 'refused' : 'failed',
      detail: describeError(error),
    });
    await ephemeral(args, `:warning: ${describeError(error)}.`);
  }
}

/** Dismiss: the modal asks for an optional reason; the submission dismisses (views/dismiss.ts). */
export async function onDismiss(args: ButtonArgs): Promise<void> {
  const { ack, body, client, action } = args;
  await ack();
  const userId = body.user.id;
  const { channel, ts } = clickPlace(body);
  if (!(await authorize({ client, userId, channel, action: action.action_id, role: 'responder' }))) return;
  try {
    const click = await loadFindingClick(action.value);
    if (!channel || !ts) throw new InvalidInputError('the card is not a channel message', 'container');
    await Promise.all([
      client.views.open({
        trigger_id: body.trigger_id,
        view: dismissModal({ channel, ts, value: action.value ?? '', click }),
      }),
      audit({ actor: userId, action: 'finding.dismiss.ask', outcome: 'ok', detail: click.finding.id }),
    ]);
  } catch (error) {
    await audit({ actor: userId, action: action.action_id, outcome: 'failed', detail: describeError(error) });
    await ephemeral(args, `:warning: Cannot dismiss this card: ${describeError(error)}.`);
  }
}

export function registerFindingActions(app: App): void {
  app.action<BlockAction<ButtonAction>>(FINDING_ACTIONS.analyze, startCaseFromCard('analyze'));
  app.action<BlockAction<ButtonAction>>(FINDING_ACTIONS.contain, startCaseFromCard('contain'));
  app.action<BlockAction<ButtonAction>>(FINDING_ACTIONS.dismiss, onDismiss);
  // Console link buttons also send block_actions; acknowledge them so Slack shows no error.
  app.action(new RegExp(`^${FINDING_LINK_ACTION_PREFIX.replace('.', '\\.')}`), async ({ ack }) => {
    await ack();
  });
}
