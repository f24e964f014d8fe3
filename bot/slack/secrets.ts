import { slackSettings } from '../core/config.js';
import { ConfigurationError } from '../core/errors.js';
import { createAwsClient, homeRegion } from '../core/aws-clients.js';

export interface SlackSecrets {
  botToken: string;
  signingSecret: string;
}

let pending: Promise<SlackSecrets> | undefined;

/**
 * The bot token and signing secret: from the environment when given there (sandbox, tests), otherwise
 * from Secrets Manager ARNs, fetched once per cold start and kept in memory. Never logged.
 */
export function slackSecrets(): Promise<SlackSecrets> {
  pending ??= resolve().catch((error) => {
    pending = undefined; // a transient Secrets Manager failure must not poison the container
    throw error;
  });
  return pending;
}

async function resolve(): Promise<SlackSecrets> {
  const s = slackSettings();
  const [botToken, signingSecret] = await Promise.all([
    s.SLACK_BOT_TOKEN ?? fromSecretsManager(s.SLACK_BOT_TOKEN_SECRET_ARN, 'SLACK_BOT_TOKEN_SECRET_ARN'),
    s.SLACK_SIGNING_SECRET ??
      fromSecretsManager(s.SLACK_SIGNING_SECRET_SECRET_ARN, 'SLACK_SIGNING_SECRET_SECRET_ARN'),
  ]);
  return { botToken, signingSecret };
}

async function fromSecretsManager(arn: string | undefined, variable: string): Promise<string> {
  if (!arn) throw new ConfigurationError(`Slack configuration: ${variable} is missing`);
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = createAwsClient(SecretsManagerClient, { region: homeRegion() });
  const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  if (!out.SecretString)
    throw new ConfigurationError(`Slack configuration: the secret in ${variable} is empty`);
  return out.SecretString;
}

/** For tests: forget the cached secrets. */
export function resetSlackSecrets(): void {
  pending = undefined;
}
