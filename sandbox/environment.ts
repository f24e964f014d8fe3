/**
 * The environment the bot's handlers read, set for the sandbox before they are imported: every AWS and
 * Slack endpoint is local, credentials are fake, and the names match the seeded workspace and the
 * simulated organization. Only the signing secret and the log level may come from the caller.
 */
import { DEFAULT_MIN_SEVERITY } from '../bot/intake/event-patterns.js';
import type { SimulatedOrganization } from './aws/organization.js';
import { evidenceKeyArn, KEYS } from './aws/seed.js';
import { SANDBOX_AVML } from './aws/services/ssm.js';

export const SANDBOX = {
  region: 'us-east-1',
  securityAccount: '111111111111',
  forensicsAccount: '222222222222',
  memberAccounts: ['333333333333', '444444444444'],
  table: 'forensics-bot-cases',
  caseStateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:forensics-bot-case',
  releaseStateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:forensics-bot-release',
  evidenceBucket: 'forensics-evidence-222222222222',
  /**
   * The sandbox models a deployment with an evidence bucket in each region where its instances run: the
   * eu-west-1 VPC reaches S3 only through its endpoint, which serves eu-west-1 buckets only.
   */
  regionalEvidenceBuckets: { 'eu-west-1': 'forensics-evidence-222222222222-eu-west-1' } as Record<
    string,
    string
  >,
  externalId: 'forensics-bot-sandbox',
  botToken: 'xoxb-sandbox-token',
  signingSecret: 'sandbox-signing-secret',
} as const;

export interface SandboxEndpoints {
  dynamoEndpoint: string;
  slackApiUrl: string;
  signingSecret: string;
  externalId?: string;
  evidenceBucket?: string;
}

/** The variables set for the handlers (exported for the start-up banner and tests). */
export function sandboxVariables(endpoints: SandboxEndpoints): Record<string, string> {
  return {
    AWS_REGION: SANDBOX.region,
    AWS_DEFAULT_REGION: SANDBOX.region,
    // Fake credentials of the security account: the simulated organization answers every AWS call.
    AWS_ACCESS_KEY_ID: 'AKIASANDBOX000000000',
    AWS_SECRET_ACCESS_KEY: 'sandbox-secret-not-real',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoEndpoint,
    // Safety net: a client the simulated organization does not answer fails here, on a closed local port,
    // instead of reaching AWS.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_EC2_METADATA_DISABLED: 'true',
    CASE_TABLE: SANDBOX.table,
    SLACK_API_URL: endpoints.slackApiUrl,
    SLACK_BOT_TOKEN: SANDBOX.botToken,
    SLACK_SIGNING_SECRET: endpoints.signingSecret,
    SLACK_BOT_ID: 'B0FORENSIC',
    SLACK_BOT_USER_ID: 'U0FORENSIC',
    ALERTS_CHANNEL: 'C0ALERTS',
    COMMANDERS_CHANNEL: 'C0COMMANDERS',
    RESPONDERS_GROUP: 'S0RESPONDERS',
    COMMANDERS_GROUP: 'S0COMMANDERS',
    CASE_STATE_MACHINE_ARN: SANDBOX.caseStateMachineArn,
    RELEASE_STATE_MACHINE_ARN: SANDBOX.releaseStateMachineArn,
    IR_ROLE_NAME: 'IRAutomation',
    IR_EXTERNAL_ID: endpoints.externalId ?? SANDBOX.externalId,
    EVIDENCE_BUCKET: endpoints.evidenceBucket ?? SANDBOX.evidenceBucket,
    EVIDENCE_BUCKETS: Object.entries(SANDBOX.regionalEvidenceBuckets)
      .map(([region, bucket]) => `${region}=${bucket}`)
      .join(','),
    FORENSICS_ACCOUNT: SANDBOX.forensicsAccount,
    // The simulated forensics account's snapshot key in each region where the seeded instances run.
    SNAPSHOT_KMS_KEY_ARN: ['us-east-1', 'eu-west-1']
      .map((region) => KEYS.forensics(region, SANDBOX.forensicsAccount))
      .join(','),
    // Memory capture (issue 15): the evidence buckets' keys, the tools prefix and its pinned AVML builds.
    EVIDENCE_KMS_KEY_ARN: ['us-east-1', 'eu-west-1']
      .map((r) => evidenceKeyArn(SANDBOX.forensicsAccount, r))
      .join(','),
    TOOLS_URI: `s3://forensics-bot-tools-${SANDBOX.forensicsAccount}/avml/`,
    AVML_SHA256_X86_64: SANDBOX_AVML.x86_64,
    AVML_SHA256_AARCH64: SANDBOX_AVML.aarch64,
    DEFAULT_ACCOUNT: SANDBOX.memberAccounts[0],
    // Polls run against simulated time in the sandbox; keep them short so a case completes in seconds.
    MEMORY_POLL_SECONDS: '1',
    SNAPSHOT_POLL_SECONDS: '1',
    // Roles are read from the local Slack on every click, so a switch of user takes effect at once.
    ROLE_CACHE_SECONDS: '0',
    // The sandbox posts findings as fast as one clicks; its local Slack has no burst limit by default.
    STORM_WINDOW_SECONDS: '10',
    STORM_MAX_POSTS: '20',
    CARD_UPDATE_SECONDS: '0',
    // The deploy's default floor, in the handler as in the rules the sandbox routes by (sandbox/routing.ts).
    MIN_SEVERITY: DEFAULT_MIN_SEVERITY,
    SECURITY_HUB_UPDATES: 'true',
    POWERTOOLS_SERVICE_NAME: 'forensics-bot-sandbox',
    // SANDBOX_LOG_LEVEL decides; tests stay silent unless it is set.
    POWERTOOLS_LOG_LEVEL: process.env.SANDBOX_LOG_LEVEL ?? (process.env.VITEST ? 'SILENT' : 'WARN'),
    POWERTOOLS_DEV: 'true',
  };
}

/** Sets the variables (empty ones are removed) and returns what was there before, for `restore`. */
export function applyVariables(variables: Record<string, string>): Record<string, string | undefined> {
  const before: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(variables)) {
    before[name] = process.env[name];
    if (value === '') delete process.env[name];
    else process.env[name] = value;
  }
  return before;
}

export function restoreVariables(before: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(before)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * What the workflow steps and the bot's case side read, for a simulated organization of tests and
 * benchmarks: the seeded workspace's names, the organization's accounts, bucket and ExternalId, and the
 * forensics account's snapshot key in each region where cases run (KMS keys are regional).
 */
export function workflowVariables(org: SimulatedOrganization, slackApiUrl: string): Record<string, string> {
  const { forensicsAccount } = org.settings;
  const keys = ['us-east-1', 'eu-west-1'].map((region) => KEYS.forensics(region, forensicsAccount)).join(',');
  return {
    SLACK_API_URL: slackApiUrl,
    SLACK_BOT_TOKEN: SANDBOX.botToken,
    SLACK_SIGNING_SECRET: SANDBOX.signingSecret,
    ALERTS_CHANNEL: 'C0ALERTS',
    COMMANDERS_CHANNEL: 'C0COMMANDERS',
    RESPONDERS_GROUP: 'S0RESPONDERS',
    COMMANDERS_GROUP: 'S0COMMANDERS',
    CASE_STATE_MACHINE_ARN: SANDBOX.caseStateMachineArn,
    RELEASE_STATE_MACHINE_ARN: SANDBOX.releaseStateMachineArn,
    IR_EXTERNAL_ID: org.settings.externalId,
    EVIDENCE_BUCKET: org.settings.evidenceBucket,
    FORENSICS_ACCOUNT: forensicsAccount,
    SNAPSHOT_KMS_KEY_ARN: keys,
    FORENSICS_KMS_KEY_ARN: keys,
    // Memory capture (issue 15): the evidence buckets' keys, the tools prefix and its pinned AVML builds.
    EVIDENCE_KMS_KEY_ARN: ['us-east-1', 'eu-west-1']
      .map((r) => evidenceKeyArn(forensicsAccount, r))
      .join(','),
    TOOLS_URI: `s3://forensics-bot-tools-${forensicsAccount}/avml/`,
    AVML_SHA256_X86_64: SANDBOX_AVML.x86_64,
    AVML_SHA256_AARCH64: SANDBOX_AVML.aarch64,
    FOUR_EYES: 'false',
  };
}
