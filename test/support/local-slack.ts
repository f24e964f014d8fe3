import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll } from 'vitest';
import { LocalSlack } from '../../sandbox/slack/local-slack.js';

/**
 * A local Slack for one test file and a bot-token WebClient on it that neither retries nor waits out a
 * 429 (the test sees exactly what the local Slack answered). `client` is set before the first test.
 */
export function useLocalSlack(): { slack: LocalSlack; client: WebClient } {
  const world = { slack: new LocalSlack(), client: undefined as unknown as WebClient };
  beforeAll(async () => {
    const { apiUrl } = await world.slack.start();
    world.client = new WebClient('xoxb-sandbox-token', {
      slackApiUrl: apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
  });
  afterAll(() => world.slack.stop());
  return world;
}
