import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { authorize } from '../auth.js';
import { CASE_LIST_NEXT_ACTION, caseListBlocks } from '../blocks/status.js';
import { audit, openCasesPage } from '../core/case-store.js';
import { isCaseId } from '../core/ids.js';
import { publishHome } from '../home.js';
import { type ButtonArgs, clickPlace, ephemeral } from './finding.js';

/**
 * "Next" under a page of open cases (responders): in `/forensics list`'s answer the page is replaced
 * through the click's response_url; on the App Home the home view is published again at that page. The
 * button carries the last case shown and nothing else; it is checked by the one case-id regex.
 */
export async function onCaseListNext(args: ButtonArgs): Promise<void> {
  const { ack, body, client, action, respond } = args;
  await ack();
  const userId = body.user.id;
  const { channel } = clickPlace(body);
  if (!(await authorize({ client, userId, channel, action: action.action_id, role: 'responder' }))) return;
  const after = isCaseId(action.value) ? action.value : undefined;
  await audit({
    actor: userId,
    action: action.action_id,
    outcome: after ? 'ok' : 'failed',
    ...(after ? {} : { detail: 'invalid case id in button value' }),
  });
  if (!after) return ephemeral(args, ':warning: This button is not valid.');
  if (body.view?.type === 'home') return publishHome(client, userId, after);
  await respond({
    replace_original: true,
    response_type: 'ephemeral',
    text: 'Open cases',
    blocks: caseListBlocks(await openCasesPage({ after }), { first: false }),
  });
}

export function registerCaseListActions(app: App): void {
  app.action<BlockAction<ButtonAction>>(CASE_LIST_NEXT_ACTION, onCaseListNext);
}
