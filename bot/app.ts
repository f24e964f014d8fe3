import { App, AwsLambdaReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { registerApprovalActions } from './actions/approval.js';
import { registerCaseListActions } from './actions/case-list.js';
import { registerFindingActions } from './actions/finding.js';
import { registerIncidentActions } from './actions/incident.js';
import { registerNextActions } from './actions/next-actions.js';
import { registerForensicsCommand } from './commands/forensics.js';
import { registerHome } from './home.js';
import { slackSettings } from './core/config.js';
import { describeError } from './core/errors.js';
import { logger } from './core/logger.js';
import {
  checkSignature,
  type FunctionUrlEventLike,
  normalizeRequest,
  rememberSignature,
} from './slack/request-guard.js';
import { webClientOptions } from './slack/client.js';
import { registerViews } from './views/index.js';

/**
 * The Bolt app on AwsLambdaReceiver, built once per cold start. Listeners are registered by surface
 * (actions, commands, views); each one authorizes, calls a service and replies. `handle` puts the
 * request guard (UTF-8 body, content type, signature, age, replay) in front of Bolt.
 */

export interface SlackAppSecrets {
  signingSecret: string;
  botToken: string;
}

export interface FunctionUrlResponse {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

/** Bolt's logger interface over the Powertools logger (Bolt's own chatter only at warn and above). */
function boltLogger(): BoltLogger {
  let level = LogLevel.WARN;
  return {
    debug: () => {},
    info: () => {},
    warn: (...m: unknown[]) => logger.warn(`bolt: ${m.map(String).join(' ')}`),
    error: (...m: unknown[]) => logger.error(`bolt: ${m.map(String).join(' ')}`),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** The Bolt app with every listener registered (for tests that call it directly). */
export function createBoltApp(secrets: SlackAppSecrets): { app: App; receiver: AwsLambdaReceiver } {
  const settings = slackSettings();
  const log = boltLogger();
  const receiver = new AwsLambdaReceiver({ signingSecret: secrets.signingSecret, logger: log });
  const app = new App({
    token: secrets.botToken,
    receiver,
    // Without this the constructor calls auth.test (and hangs offline); the ids come from configuration.
    tokenVerificationEnabled: false,
    botId: settings.SLACK_BOT_ID,
    botUserId: settings.SLACK_BOT_USER_ID,
    clientOptions: webClientOptions(),
    logger: log,
  });
  registerFindingActions(app);
  registerApprovalActions(app);
  registerIncidentActions(app);
  registerNextActions(app);
  registerViews(app);
  registerForensicsCommand(app);
  registerCaseListActions(app);
  registerHome(app);
  app.error(async (error) => {
    logger.error('Listener failed', { error: describeError(error) });
  });
  return { app, receiver };
}

/** Slack's URL check when the request URL is saved: it changes nothing, so it needs no replay record. */
function isUrlVerification(body: string): boolean {
  if (!body.startsWith('{')) return false;
  try {
    return (JSON.parse(body) as { type?: unknown }).type === 'url_verification';
  } catch {
    return false; // not JSON: an interaction or a command, which the replay check covers
  }
}

/** The guarded Function URL handler: the request guard, then Bolt. */
export function createSlackHandler(secrets: SlackAppSecrets) {
  const { receiver } = createBoltApp(secrets);
  const bolt = receiver.toHandler();
  return async function handle(event: FunctionUrlEventLike, context?: unknown): Promise<FunctionUrlResponse> {
    const request = normalizeRequest(event);
    const signature = request.header('x-slack-signature');
    const timestamp = request.header('x-slack-request-timestamp');
    const check = checkSignature(secrets.signingSecret, request.rawBody, signature, timestamp);
    if (check !== 'ok') {
      logger.warn('Slack request refused', { reason: check });
      return { statusCode: 401, body: '' };
    }
    // Every request is processed at most once: its signature is remembered whatever its headers (the
    // retry headers are not signed, so they cannot open a way past the replay check). A delivery seen
    // before that says it is a Slack retry gets 200 and no side effect; any other repeat is a replay.
    if (!isUrlVerification(request.rawBody)) {
      let first: boolean;
      try {
        first = await rememberSignature(signature!, timestamp!);
      } catch (error) {
        logger.error('Replay check unavailable; refusing', { error: describeError(error) });
        return { statusCode: 503, body: '' };
      }
      if (!first) {
        const retry = request.header('x-slack-retry-num');
        if (retry) {
          logger.info('Slack retry of a request already processed: answered, not processed again', {
            retry,
            reason: request.header('x-slack-retry-reason'),
          });
          return { statusCode: 200, body: '' };
        }
        logger.warn('Slack request refused', { reason: 'replayed' });
        return { statusCode: 401, body: '' };
      }
    }
    try {
      return (await bolt(
        request.event as unknown as Parameters<typeof bolt>[0],
        context,
      )) as FunctionUrlResponse;
    } catch (error) {
      // A correctly signed body Bolt cannot parse: Slack never sends one.
      logger.warn('Slack request not understood', { error: describeError(error) });
      return { statusCode: 400, body: '' };
    }
  };
}
