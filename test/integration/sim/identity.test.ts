import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SEEDED, SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { assume, clients, rejection } from './support.js';

describe('Function: AssumeRole into member accounts', () => {
  const org = new SimulatedOrganization().seedDefault().install();
  afterAll(() => org.uninstall());
  beforeEach(() => org.setFaults({}));

  it('gives the security account a session in the member account, named for the case', async () => {
    // Prepare
    const credentials = await assume('333333333333');

    // Act
    const me = await clients('us-east-1', credentials).sts.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(me.Account).toBe('333333333333');
    expect(me.Arn).toBe(
      'arn:aws:sts::333333333333:assumed-role/IRAutomation/ForensicsBot-CASE-20250101-ABCD',
    );
    expect(org.state().sessions).toContainEqual(
      expect.objectContaining({
        account: '333333333333',
        role: 'IRAutomation',
        sessionName: 'ForensicsBot-CASE-20250101-ABCD',
      }),
    );
  });

  it('treats callers without assumed credentials as the security account', async () => {
    const me = await clients().sts.send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe('111111111111');
  });

  it('refuses a wrong ExternalId with AccessDenied', async () => {
    const error = await rejection(assume('333333333333', 'IRAutomation', { ExternalId: 'guessed' }));
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  it('refuses a role that does not exist', async () => {
    const error = await rejection(assume('333333333333', 'NoSuchRole'));
    expect(error.name).toBe('AccessDenied');
  });

  it('refuses a member session that tries to hop into another member account', async () => {
    const member = clients('us-east-1', await assume('333333333333'));
    const error = await rejection(
      member.sts.send(
        new AssumeRoleCommand({
          RoleArn: 'arn:aws:iam::444444444444:role/IRAutomation',
          RoleSessionName: 'hop',
          ExternalId: 'forensics-bot-sandbox',
        }),
      ),
    );
    expect(error.name).toBe('AccessDenied');
  });

  it('denies everything in an account under the accessDenied fault, AssumeRole included', async () => {
    const credentials = await assume('333333333333');
    org.setFaults({ accessDenied: ['333333333333'] });

    const describe = await rejection(
      clients('us-east-1', credentials).ec2.send(
        new DescribeInstancesCommand({ InstanceIds: [SEEDED.instances.demo] }),
      ),
    );
    const assumeAgain = await rejection(assume('333333333333'));

    expect(describe.name).toBe('UnauthorizedOperation');
    expect(assumeAgain.name).toBe('AccessDenied');
    const other = clients('us-east-1', await assume('444444444444'));
    await expect(other.ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('denies only the named command with an "<account>:<Command>" fault', async () => {
    const member = clients('us-east-1', await assume('333333333333'));
    org.setFaults({ accessDenied: ['333333333333:DescribeVpcs'] });
    await expect(member.ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
    const { DescribeVpcsCommand } = await import('@aws-sdk/client-ec2');
    expect((await rejection(member.ec2.send(new DescribeVpcsCommand({})))).name).toBe(
      'UnauthorizedOperation',
    );
  });

  it('rejects credentials after they expire (simulated time)', async () => {
    const credentials = await assume('333333333333', 'IRAutomation', { DurationSeconds: 900 });
    org.clock.advance(901_000);
    const error = await rejection(
      clients('us-east-1', credentials).ec2.send(new DescribeInstancesCommand({})),
    );
    expect(error.name).toBe('ExpiredToken');
  });
});
