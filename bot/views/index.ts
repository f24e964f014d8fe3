import type { App } from '@slack/bolt';
import { DENY_CALLBACK_ID } from '../blocks/deny-modal.js';
import { onDenySubmit } from './deny.js';
import { DISMISS_CALLBACK_ID, onDismissSubmit } from './dismiss.js';

/** Modal submissions: the dismiss reason and the deny reason. */
export function registerViews(app: App): void {
  app.view(DISMISS_CALLBACK_ID, onDismissSubmit);
  app.view(DENY_CALLBACK_ID, onDenySubmit);
}
