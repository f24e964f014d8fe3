import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { authorize } from '../auth.js';
import { parseFindingButtonValue } from '../blocks/finding-buttons.js';
import { CONTAIN_ALL_ACTION_ID } from '../blocks/sequence-card.js';
import { audit } from '../core/case-store.js';
import { describeError, InvalidInputError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { containAll } from '../incidents/open.js';
import { type ButtonArgs, clickPlace, ephemeral } from './finding.js';

/**
 * "Contain all N" on an attack-sequence card (responders): opens the sequence's one incident
 * (bot/incidents/open.ts). The button carries the sequence's fingerprint only; what is contained is read
 * from the table, never from the click.
 */
export async function onContainAll(args: ButtonArgs): Promise<void> {
  const { ack, body, client, action } = args;
  await ack();
  const userId = body.user.id;
  const { channel, ts } = clickPlace(body);
  if (!(await authorize({ client, userId, channel, action: action.action_id, role: 'responder' }))) return;
  try {
    if (!channel || !ts) throw new InvalidInputError('the card is not a channel message', 'container');
    const { f } = parseFindingButtonValue(action.value);
    const { created, text } = await containAll(
      { fingerprint: f, actor: { userId, name: body.user.name }, card: { channel, ts } },
      client,
    );
    if (!created) await ephemeral(args, text);
  } catch (error) {
    const invalid = error instanceof InvalidInputError;
    if (!invalid) logger.error('Could not open the incident', { error: describeError(error) });
    await audit({ actor: userId, action: action.action_id, outcome: 'failed', detail: describeError(error) });
    await ephemeral(args, `:warning: Could not contain this attack sequence: ${describeError(error)}.`);
  }
}

export function registerIncidentActions(app: App): void {
  app.action<BlockAction<ButtonAction>>(CONTAIN_ALL_ACTION_ID, onContainAll);
}
