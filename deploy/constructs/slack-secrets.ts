import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

/**
 * The Slack bot token and signing secret, as Secrets Manager secrets the team fills after the first
 * deploy (`aws secretsmanager put-secret-value`). They start as a random 48-character value, so a function
 * that runs before they are filled fails Slack's signature check instead of trusting anything.
 * The functions get their ARNs in `SLACK_BOT_TOKEN_SECRET_ARN` / `SLACK_SIGNING_SECRET_SECRET_ARN`
 * and read access only.
 */
export class SlackSecrets extends Construct {
  readonly botToken: secretsmanager.Secret;
  readonly signingSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const randomInitialValue = { generateSecretString: { passwordLength: 48, excludePunctuation: true } };
    this.botToken = new secretsmanager.Secret(this, 'BotToken', {
      secretName: 'forensics-bot/slack-bot-token',
      description: 'forensics-bot: Slack bot token (xoxb-…), from the Slack app’s OAuth & Permissions page',
      removalPolicy: RemovalPolicy.RETAIN,
      ...randomInitialValue,
    });
    this.signingSecret = new secretsmanager.Secret(this, 'SigningSecret', {
      secretName: 'forensics-bot/slack-signing-secret',
      description: 'forensics-bot: Slack signing secret, from the Slack app’s Basic Information page',
      removalPolicy: RemovalPolicy.RETAIN,
      ...randomInitialValue,
    });
    for (const secret of [this.botToken, this.signingSecret]) {
      acknowledge(secret, {
        'AwsSolutions-SMG4':
          'Slack issues these credentials: they are rotated in the Slack app settings (regenerate, then put-secret-value), which a Secrets Manager rotation Lambda cannot do',
      });
    }
  }

  /** Environment variables naming the secrets. */
  get environment(): Record<string, string> {
    return {
      SLACK_BOT_TOKEN_SECRET_ARN: this.botToken.secretArn,
      SLACK_SIGNING_SECRET_SECRET_ARN: this.signingSecret.secretArn,
    };
  }

  /** GetSecretValue on both secrets (what `bot/slack/secrets.ts` calls), nothing else. */
  grantRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.botToken.secretArn, this.signingSecret.secretArn],
      }),
    );
  }
}
