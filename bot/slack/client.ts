import { LogLevel, WebClient } from '@slack/web-api';
import { slackSettings } from '../core/config.js';
import { slackSecrets } from './secrets.js';

let pending: Promise<WebClient> | undefined;

/**
 * The Slack Web API client used outside Bolt (intake, progress, workflow steps). `SLACK_API_URL` points
 * it at the sandbox or a test server. Rate-limited calls wait for Retry-After and retry, so a 429 delays
 * a post rather than losing it.
 */
export function slackWebClient(): Promise<WebClient> {
  pending ??= slackSecrets().then(({ botToken }) => new WebClient(botToken, webClientOptions()));
  return pending;
}

export function webClientOptions() {
  const url = slackSettings().SLACK_API_URL;
  return {
    ...(url ? { slackApiUrl: url.endsWith('/') ? url : `${url}/` } : {}),
    logLevel: LogLevel.ERROR,
    rejectRateLimitedCalls: false,
    retryConfig: { retries: 4, factor: 2, minTimeout: 200, maxTimeout: 5_000 },
    timeout: 10_000,
  };
}

/** For tests: forget the cached client. */
export function resetSlackWebClient(): void {
  pending = undefined;
}
