import type { App } from '@slack/bolt';
import { CLOSE_FALSE_POSITIVE_CALLBACK_ID, DENY_CALLBACK_ID } from '../blocks/reason-modals.js';
import { onCloseFalsePositiveSubmit } from './close.js';
import { onDenySubmit } from './deny.js';
import { DISMISS_CALLBACK_ID, onDismissSubmit } from './dismiss.js';

/** Modal submissions: the dismiss reason, the deny reason, the false positive's reason. */
export function registerViews(app: App): void {
  app.view(DISMISS_CALLBACK_ID, onDismissSubmit);
  app.view(DENY_CALLBACK_ID, onDenySubmit);
  app.view(CLOSE_FALSE_POSITIVE_CALLBACK_ID, onCloseFalsePositiveSubmit);
}
