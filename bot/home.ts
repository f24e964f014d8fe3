import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { hasRole } from './auth.js';
import { homeView } from './blocks/home.js';
import { openCasesPage } from './core/case-store.js';
import { listIncidents } from './incidents/store.js';

/**
 * The App Home tab: drawn each time a user opens it (`app_home_opened`), with `views.publish` for that
 * user alone. Responders see the open cases; the role is checked on every draw, so a user removed from
 * the group stops seeing them at the next open.
 */
export async function publishHome(client: WebClient, userId: string, after?: string): Promise<void> {
  const view = (await hasRole(client, userId, 'responder'))
    ? homeView({
        kind: 'cases',
        page: await openCasesPage({ after }),
        first: !after,
        ...(after ? {} : { incidents: await listIncidents(5) }),
      })
    : homeView({ kind: 'no-role' });
  await client.views.publish({ user_id: userId, view });
}

async function onHomeOpened({
  event,
  client,
}: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> {
  // The Messages tab opens the same event; only the Home tab is ours to draw.
  if (event.tab !== 'home') return;
  await publishHome(client, event.user);
}

export function registerHome(app: App): void {
  app.event('app_home_opened', onHomeOpened);
}
