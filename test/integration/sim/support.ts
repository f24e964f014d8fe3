import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { DEFAULT_EXTERNAL_ID } from '../../../sandbox/aws/index.js';

/** Real SDK clients made through `createAwsClient`, as the steps make them. */
export function clients(region = 'us-east-1', credentials?: AwsCredentialIdentity) {
  const config = { region, ...(credentials ? { credentials } : {}) };
  return {
    ec2: createAwsClient(EC2Client, config),
    sts: createAwsClient(STSClient, config),
    ssm: createAwsClient(SSMClient, config),
    s3: createAwsClient(S3Client, config),
    iam: createAwsClient(IAMClient, config),
    kms: createAwsClient(KMSClient, config),
    asg: createAwsClient(AutoScalingClient, config),
    elb: createAwsClient(ElasticLoadBalancingClient, config),
    elbv2: createAwsClient(ElasticLoadBalancingV2Client, config),
    hub: createAwsClient(SecurityHubClient, config),
  };
}

/** Credentials of a role assumed from the security account. */
export async function assume(
  account: string,
  role = 'IRAutomation',
  extra: { Policy?: string; ExternalId?: string; DurationSeconds?: number } = {},
): Promise<AwsCredentialIdentity> {
  const out = await clients().sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/${role}`,
      RoleSessionName: 'ForensicsBot-CASE-20250101-ABCD',
      ExternalId: DEFAULT_EXTERNAL_ID,
      ...extra,
    }),
  );
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken };
}

/** Clients acting in a member account through its IRAutomation role. */
export async function memberClients(account = '333333333333', region = 'us-east-1') {
  return clients(region, await assume(account));
}

/** Resolves to the error a promise rejects with (fails the test when it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}
