import { DescribeInstancesCommand, EC2Client, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { SEEDED, SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { EC2_REQUEST_LIMITS } from '../../../sandbox/aws/ec2-request-limits.js';
import { assume } from './support.js';

/**
 * EC2's request rate limiting in the twin (issue 13, item 5): a token bucket per account, region and
 * action; an empty bucket answers RequestLimitExceeded (HTTP 503) to that action only, and refills with
 * time. Clients here make one attempt each, so the test sees exactly what the twin answered.
 */
describe('Simulated EC2: request limits per account, region and action', () => {
  const org = new SimulatedOrganization({ ec2RequestLimits: true }).seedDefault().install();
  afterAll(() => org.uninstall());

  const oneAttempt = async (account: string) =>
    createAwsClient(EC2Client, { region: 'us-east-1', maxAttempts: 1, credentials: await assume(account) });
  const protect = (ec2: EC2Client, instanceId: string = SEEDED.instances.demo) =>
    ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: instanceId,
        DisableApiTermination: { Value: true },
      }),
    );
  const settle = (calls: Promise<unknown>[]) =>
    Promise.allSettled(calls).then((all) => ({
      ok: all.filter((r) => r.status === 'fulfilled').length,
      throttled: all.filter(
        (r) => r.status === 'rejected' && (r.reason as Error).name === 'RequestLimitExceeded',
      ).length,
    }));

  it('a burst of one mutating action beyond its bucket is throttled; other actions and accounts are not; time refills it', async () => {
    const ec2 = await oneAttempt('333333333333');
    const { capacity, refillPerSecond } = EC2_REQUEST_LIMITS.mutating;

    // Act: more ModifyInstanceAttribute calls at once than the bucket holds
    const burst = await settle(Array.from({ length: capacity + 10 }, () => protect(ec2)));

    // Assess: the bucket's worth pass, the rest are throttled
    expect(burst.ok).toBeGreaterThanOrEqual(capacity);
    expect(burst.ok).toBeLessThan(capacity + 3);
    expect(burst.throttled).toBe(capacity + 10 - burst.ok);
    const refused = await protect(ec2).catch(
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => error,
    );
    expect(refused).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });

    // Another action of the same account has a bucket of its own
    await expect(ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();

    // Another account's bucket for the same action is full
    const other = await oneAttempt('444444444444');
    await expect(protect(other, SEEDED.instances.secondAccount)).resolves.toBeDefined();

    // Act: two seconds pass
    await org.clock.sleep(2_000);

    // Assess: about two seconds' refill passes again, then the bucket is empty once more
    const later = await settle(Array.from({ length: refillPerSecond * 4 }, () => protect(ec2)));
    expect(later.ok).toBeGreaterThanOrEqual(refillPerSecond * 2);
    expect(later.ok).toBeLessThan(refillPerSecond * 3);
  });
});
