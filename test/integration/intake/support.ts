import type { InitializeHandler, InitializeHandlerArguments } from '@smithy/types';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { onAwsClientCreated, type HookableClient } from '../../../bot/core/aws-clients.js';
import { slackSettings, workspaceSettings } from '../../../bot/core/config.js';
import { intakeSettings } from '../../../bot/intake/settings.js';
import { resetSlackPosts } from '../../../bot/intake/slack-posts.js';
import { resetSlackWebClient } from '../../../bot/slack/client.js';
import { resetSlackSecrets } from '../../../bot/slack/secrets.js';
import { LocalSlack } from '../../../sandbox/slack/local-slack.js';
import { SimulatedOrganization } from '../../../sandbox/aws/organization.js';

/** Intake settings a test sets, on top of the defaults; applied before each test. */
export function setIntakeEnv(vars: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  intakeSettings.reset();
}

const INTAKE_VARS = [
  'MIN_SEVERITY',
  'CHANNEL_ROUTES',
  'IGNORE_FINDING_TYPES',
  'IGNORE_ACCOUNTS',
  'IGNORE_TAG',
  'STORM_WINDOW_SECONDS',
  'STORM_MAX_POSTS',
  'STORM_MAX_UPDATES',
  'STORM_SLOT_WAIT_SECONDS',
  'SUMMARY_UPDATE_SECONDS',
  'CARD_UPDATE_SECONDS',
  'CLAIM_WAIT_MS',
  'SECURITY_HUB_UPDATES',
];

/** A LocalSlack for this file, with the bot's Slack settings pointing at it; intake settings reset per test. */
export function useLocalSlack(): { readonly slack: LocalSlack } {
  const holder = { slack: new LocalSlack() };
  beforeAll(async () => {
    const { apiUrl } = await holder.slack.start();
    Object.assign(process.env, {
      SLACK_API_URL: apiUrl,
      SLACK_BOT_TOKEN: holder.slack.botToken,
      SLACK_SIGNING_SECRET: holder.slack.signingSecret,
      ALERTS_CHANNEL: 'C0ALERTS',
      COMMANDERS_CHANNEL: 'C0COMMANDERS',
      RESPONDERS_GROUP: 'S0RESPONDERS',
      COMMANDERS_GROUP: 'S0COMMANDERS',
    });
    slackSettings.reset();
    workspaceSettings.reset();
    resetSlackSecrets();
    resetSlackWebClient();
    resetSlackPosts();
  });
  // Tests post many cards within seconds: a large channel budget unless a test is about storms.
  beforeEach(() =>
    setIntakeEnv({
      ...Object.fromEntries(INTAKE_VARS.map((k) => [k, undefined])),
      STORM_MAX_POSTS: '1000',
      STORM_MAX_UPDATES: '1000',
    }),
  );
  afterAll(() => holder.slack.stop());
  return holder;
}

export interface SecurityHubUpdate {
  findingId: string;
  productArn: string;
  workflowStatus?: string;
  note?: { text: string; updatedBy: string };
  /** BatchUpdateFindingsV2 only: the OCSF status_id given, and which API was called. */
  statusId?: number;
  api?: 'BatchUpdateFindings' | 'BatchUpdateFindingsV2';
}

export interface SecurityHubTwin {
  updates(): SecurityHubUpdate[];
  fail?: Error;
  org: SimulatedOrganization;
  /** The event, its findings now held by the twin's Security Hub (as if it imported them): updates echo. */
  imported<T>(event: T): T;
  /** The events Security Hub emitted for the findings it updated since the last call, oldest first. */
  echoes(): Record<string, any>[];
}

/**
 * Security Hub as the simulated organization answers it (BatchUpdateFindings recorded per account and
 * region), plus one switch for the failure test: `fail` makes the call throw before it reaches the
 * simulation (a tiny middleware on SecurityHubClient only). Nothing reaches AWS.
 */
export function useSecurityHub(): SecurityHubTwin {
  const org = new SimulatedOrganization().seedDefault();
  const state: SecurityHubTwin = {
    updates: () => collect(org.state(), 'securityHubUpdates') as SecurityHubUpdate[],
    org,
    imported(event) {
      org.recordSecurityHubFindingsOf(event);
      return event;
    },
    echoes: () => org.takeEvents() as ReturnType<SecurityHubTwin['echoes']>,
  };
  let remove: (() => void) | undefined;
  beforeAll(() => {
    remove = onAwsClientCreated((client: HookableClient) => {
      if (client.constructor.name !== 'SecurityHubClient') return;
      client.middlewareStack.add(
        (next: InitializeHandler<any, any>) => async (args: InitializeHandlerArguments<any>) => {
          if (state.fail) throw state.fail;
          return next(args);
        },
        { step: 'initialize', name: 'intakeTestSecurityHubFailure', priority: 'high' },
      );
    });
    org.install();
  });
  beforeEach(() => {
    state.fail = undefined;
  });
  afterAll(() => {
    remove?.();
    org.uninstall();
  });
  return state;
}

function collect(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => collect(v, key));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === key && Array.isArray(v) ? v : collect(v, key)));
}

/** The value of a field ("*Count*\n3") on a card. */
export function cardField(blocks: unknown, label: string): string | undefined {
  const text = JSON.stringify(blocks);
  const match = text.match(new RegExp(`\\*${label}\\*\\\\n([^"]*)"`));
  return match?.[1];
}
