import { createSlackHandler, type FunctionUrlResponse } from '../bot/app.js';
import type { FunctionUrlEventLike } from '../bot/slack/request-guard.js';
import { slackSecrets } from '../bot/slack/secrets.js';

/**
 * Slack's Function URL (interactivity and /forensics). The Bolt app is built once per cold start, with
 * the secrets resolved once (environment, or Secrets Manager ARNs).
 */
let app: Promise<ReturnType<typeof createSlackHandler>> | undefined;

export async function handler(event: FunctionUrlEventLike, context?: unknown): Promise<FunctionUrlResponse> {
  app ??= slackSecrets()
    .then(createSlackHandler)
    .catch((error) => {
      app = undefined; // a failed cold start must not poison the container
      throw error;
    });
  return (await app)(event, context);
}

/** For tests: build the app again on the next request (after settings change). */
export function resetSlackHandler(): void {
  app = undefined;
}
