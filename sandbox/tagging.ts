import type { SimulatedOrganization } from './aws/index.js';
import { ANALYST_ROLE } from './aws/seed.js';

/**
 * The sandbox's analyst tags the instance as a person would in the console: a real CreateTags in the
 * member account as a session of its `SecurityAnalyst` role, which the twin's CloudTrail records (who,
 * when, which tag), before the Tag Change event goes out — so a tag case can name who tagged it, as in AWS.
 */
export async function tagAsAnalyst(
  org: SimulatedOrganization,
  target: { account: string; region: string; instanceId: string },
  tags: Record<string, string>,
): Promise<void> {
  const assumed = (await org.handle(
    'STSClient',
    'AssumeRoleCommand',
    { RoleArn: `arn:aws:iam::${target.account}:role/${ANALYST_ROLE}`, RoleSessionName: 'alice.analyst' },
    undefined,
    target.region,
  )) as { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } };
  const c = assumed.Credentials!;
  await org.handle(
    'EC2Client',
    'CreateTagsCommand',
    { Resources: [target.instanceId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
    { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken },
    target.region,
  );
}
