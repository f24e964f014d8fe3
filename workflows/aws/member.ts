import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EBSClient } from '@aws-sdk/client-ebs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createAwsClient, type HookableClient, homeRegion } from '../../bot/core/aws-clients.js';
import { describeError } from '../../bot/core/errors.js';
import { isAccountId, isRegion } from '../../bot/core/ids.js';
import { AccessDeniedInMemberAccountError, isAccessDenied, isThrottling } from '../errors.js';
import { forensicsSettings } from '../settings.js';

/**
 * Cross-account access. Every step works in the member account through a session of its `IRAutomation`
 * role (ExternalId required; the session name carries the case id, so CloudTrail in the member account
 * says which case did what). Sessions are cached per account, region and case until five minutes before
 * they expire; clients are made lazily through `createAwsClient` so the simulated organization sees them.
 *
 * Every client's `send` retries throttling with jittered backoff (the simulated organization answers
 * before the SDK's own retry layer, and a step that makes ten calls must survive a 30 % throttle rate),
 * and turns "access denied" into `AccessDeniedInMemberAccountError` naming the account and the role.
 */

export interface Scope {
  account: string;
  region: string;
  caseId: string;
}

interface CachedSession {
  credentials: AwsCredentialIdentity;
  expiresAt: number;
}

const REFRESH_MARGIN_MS = 5 * 60_000;
const sessions = new Map<string, Promise<CachedSession>>();
let stsClient: STSClient | undefined;

/** Drops cached sessions and clients (tests, and a region or account setting change). */
export function resetMemberSessions(): void {
  sessions.clear();
  stsClient = undefined;
  clientCache.clear();
}

function sts(): STSClient {
  stsClient ??= retrying(createAwsClient(STSClient, { region: homeRegion() }), {
    account: 'security',
    role: 'the bot',
  });
  return stsClient;
}

/** The ARN of the IR role in an account. */
export function irRoleArn(account: string): string {
  return `arn:aws:iam::${account}:role/${forensicsSettings().IR_ROLE_NAME}`;
}

/** Session name carrying the case id (STS allows [\w+=,.@-]{2,64}). */
export function sessionName(caseId: string, purpose = 'ForensicsBot'): string {
  return `${purpose}-${caseId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * Assumes a role and returns its credentials. `policy` is an inline session policy: the session can do
 * at most what both the role and this policy allow.
 */
export async function assumeRole(input: {
  roleArn: string;
  account: string;
  sessionName: string;
  externalId?: string;
  policy?: object;
  durationSeconds?: number;
}): Promise<CachedSession> {
  const role = input.roleArn.split('/').pop() ?? input.roleArn;
  try {
    const out = await sts().send(
      new AssumeRoleCommand({
        RoleArn: input.roleArn,
        RoleSessionName: input.sessionName,
        ExternalId: input.externalId,
        Policy: input.policy ? JSON.stringify(input.policy) : undefined,
        DurationSeconds: input.durationSeconds,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
    const expiresAt = c.Expiration ? new Date(c.Expiration).getTime() : Date.now() + 3600_000;
    return {
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(expiresAt),
      },
      expiresAt,
    };
  } catch (error) {
    // The STS client names its own account and role ("the bot" in "security") on a refusal: unwrap that,
    // so the message names the member account and its role once, with AWS's own reason.
    const refusal = error instanceof AccessDeniedInMemberAccountError ? error.cause : error;
    if (error instanceof AccessDeniedInMemberAccountError || isAccessDenied(error)) {
      throw new AccessDeniedInMemberAccountError(
        input.account,
        role,
        `cannot assume the role (AWS: ${describeError(refusal)}); check its trust policy and ExternalId`,
        { cause: refusal },
      );
    }
    throw error;
  }
}

/** Credentials of the IR role in a member account, cached until near expiry. */
export async function memberCredentials(scope: Scope): Promise<AwsCredentialIdentity> {
  if (!isAccountId(scope.account)) throw new Error(`"${scope.account}" is not an account id`);
  if (!isRegion(scope.region)) throw new Error(`"${scope.region}" is not a region`);
  const key = `${scope.account}/${scope.region}/${scope.caseId}`;
  const cached = sessions.get(key);
  if (cached) {
    const session = await cached.catch(() => undefined);
    if (session && session.expiresAt - REFRESH_MARGIN_MS > Date.now()) return session.credentials;
  }
  const settings = forensicsSettings();
  const pending = assumeRole({
    roleArn: irRoleArn(scope.account),
    account: scope.account,
    sessionName: sessionName(scope.caseId),
    externalId: settings.IR_EXTERNAL_ID,
  });
  sessions.set(key, pending);
  try {
    return (await pending).credentials;
  } catch (error) {
    sessions.delete(key);
    throw error;
  }
}

interface ClientConfig {
  region: string;
  credentials?: () => Promise<AwsCredentialIdentity>;
}
type Ctor<C> = new (config: ClientConfig) => C;
const clientCache = new Map<string, unknown>();

function memberClient<C extends HookableClient & { send: unknown }>(
  Client: Ctor<C>,
  label: string,
  scope: Scope,
): C {
  const key = `${label}/${scope.account}/${scope.region}/${scope.caseId}`;
  let client = clientCache.get(key) as C | undefined;
  if (!client) {
    const made = createAwsClient(Client, {
      region: scope.region,
      credentials: () => memberCredentials(scope),
    });
    client = retrying(made, { account: scope.account, role: forensicsSettings().IR_ROLE_NAME });
    clientCache.set(key, client);
  }
  return client;
}

/** The clients of the member account and region of a case. Each is made once, on first use. */
export function member(scope: Scope) {
  return {
    ec2: () => memberClient(EC2Client, 'ec2', scope),
    ssm: () => memberClient(SSMClient, 'ssm', scope),
    iam: () => memberClient(IAMClient, 'iam', scope),
    autoScaling: () => memberClient(AutoScalingClient, 'asg', scope),
    elb: () => memberClient(ElasticLoadBalancingClient, 'elb', scope),
    elbv2: () => memberClient(ElasticLoadBalancingV2Client, 'elbv2', scope),
    s3: () => memberClient(S3Client, 's3', scope),
    kms: () => memberClient(KMSClient, 'kms', scope),
    cloudTrail: () => memberClient(CloudTrailClient, 'cloudtrail', scope),
  };
}
export type MemberClients = ReturnType<typeof member>;

/** Clients with the bot's own credentials (security account): the evidence bucket, KMS lookups. */
export function own() {
  return {
    s3: () => ownClient(S3Client, 's3', homeRegion()),
    kms: (region: string) => ownClient(KMSClient, 'kms', region),
  };
}

function ownClient<C extends HookableClient & { send: unknown }>(
  Client: Ctor<C>,
  label: string,
  region: string,
): C {
  const key = `own/${label}/${region}`;
  let client = clientCache.get(key) as C | undefined;
  if (!client) {
    client = retrying(createAwsClient(Client, { region }), {
      account: 'security',
      role: 'the bot',
    });
    clientCache.set(key, client);
  }
  return client;
}

/** Clients in the forensics account, through its IR role (snapshot copies are made by the receiver). */
export function forensics(region: string, caseId: string) {
  const settings = forensicsSettings();
  const roleArn = settings.FORENSICS_ROLE_ARN ?? irRoleArn(settings.FORENSICS_ACCOUNT);
  const scope: Scope = { account: settings.FORENSICS_ACCOUNT, region, caseId };
  const key = `forensics/${region}/${caseId}`;
  let client = clientCache.get(key) as EC2Client | undefined;
  if (!client) {
    const credentials = async () => {
      const cacheKey = `forensics:${scope.account}/${region}/${caseId}`;
      const cached = await sessions.get(cacheKey)?.catch(() => undefined);
      if (cached && cached.expiresAt - REFRESH_MARGIN_MS > Date.now()) return cached.credentials;
      const pending = assumeRole({
        roleArn,
        account: scope.account,
        sessionName: sessionName(caseId),
        externalId: settings.IR_EXTERNAL_ID,
      });
      sessions.set(cacheKey, pending);
      return (await pending).credentials;
    };
    client = retrying(createAwsClient(EC2Client, { region, credentials }), {
      account: scope.account,
      role: roleArn.split('/').pop() ?? roleArn,
    });
    clientCache.set(key, client);
    forensicsCredentials.set(key, credentials);
  }
  return {
    ec2: () => client,
    /**
     * The EBS direct APIs in the forensics account, with the SDK's own retries off: the imager paces and
     * retries each block itself (`workflows/imager/fetch-block.ts`), so a throttled block is counted once.
     */
    ebs: () => {
      const ebsKey = `${key}/ebs`;
      let ebs = clientCache.get(ebsKey) as EBSClient | undefined;
      if (!ebs) {
        ebs = createAwsClient(EBSClient, {
          region,
          credentials: forensicsCredentials.get(key)!,
          maxAttempts: 1,
        });
        clientCache.set(ebsKey, ebs);
      }
      return ebs;
    },
  };
}
const forensicsCredentials = new Map<string, () => Promise<AwsCredentialIdentity>>();

const MAX_ATTEMPTS = 8;
const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 2_000;

/** Wraps `client.send`: throttling is retried (full jitter), access denied is named. */
export function retrying<C extends { send: unknown }>(client: C, who: { account: string; role: string }): C {
  const send = (client.send as (...args: unknown[]) => Promise<unknown>).bind(client);
  const wrapped = async (...args: unknown[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(...args);
      } catch (error) {
        if (isThrottling(error) && attempt < MAX_ATTEMPTS) {
          const cap = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
          await new Promise((r) => setTimeout(r, Math.random() * cap));
          continue;
        }
        if (isAccessDenied(error) && !(error instanceof AccessDeniedInMemberAccountError)) {
          const command = (args[0] as { constructor?: { name?: string } })?.constructor?.name ?? 'a call';
          throw new AccessDeniedInMemberAccountError(
            who.account,
            who.role,
            `${command.replace(/Command$/, '')} was refused: ${describeError(error)}`,
            { cause: error },
          );
        }
        throw error;
      }
    }
  };
  (client as { send: unknown }).send = wrapped;
  return client;
}
