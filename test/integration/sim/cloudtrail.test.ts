import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { SEEDED } from '../../../sandbox/aws/seed.js';
import { assume, clients, rejection } from './support.js';

/** CloudTrail's event history in the twin, as strict as AWS's LookupEvents. */
let org: SimulatedOrganization;
let trail: CloudTrailClient;
const instance = SEEDED.instances.multiEni;

beforeAll(async () => {
  org = new SimulatedOrganization().seedDefault().install();
  const member = await assume('333333333333');
  trail = createAwsClient(CloudTrailClient, { region: 'us-east-1', credentials: member, maxAttempts: 1 });
  await clients('us-east-1', member).ec2.send(
    new CreateTagsCommand({ Resources: [instance], Tags: [{ Key: 'Owner', Value: 'web-team' }] }),
  );
});

afterAll(() => org.uninstall());

const lookup = (input: ConstructorParameters<typeof LookupEventsCommand>[0] = {}) =>
  trail.send(
    new LookupEventsCommand({
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: instance }],
      ...input,
    }),
  );

describe('Simulated CloudTrail LookupEvents', () => {
  it('shows a CreateTags only minutes after the call, with who made it and what it set', async () => {
    expect((await lookup()).Events).toEqual([]);
    org.clock.advance(5 * 60_000);

    const [event] = (await lookup()).Events ?? [];
    expect(event).toMatchObject({ EventName: 'CreateTags', EventSource: 'ec2.amazonaws.com' });
    const record = JSON.parse(event!.CloudTrailEvent!);
    expect(record.userIdentity.arn).toBe(
      'arn:aws:sts::333333333333:assumed-role/IRAutomation/ForensicsBot-CASE-20250101-ABCD',
    );
    expect(record.requestParameters.tagSet.items).toEqual([{ key: 'Owner', value: 'web-team' }]);
  });

  it('refuses more than one lookup attribute and MaxResults outside 1–50, as AWS does', async () => {
    org.clock.advance(2_000);
    const two = await rejection(
      trail.send(
        new LookupEventsCommand({
          LookupAttributes: [
            { AttributeKey: 'ResourceName', AttributeValue: instance },
            { AttributeKey: 'EventName', AttributeValue: 'CreateTags' },
          ],
        }),
      ),
    );
    expect(two.name).toBe('InvalidLookupAttributesException');
    org.clock.advance(2_000);
    expect((await rejection(lookup({ MaxResults: 51 }))).name).toBe('InvalidMaxResultsException');
  });

  it('throttles beyond two lookups a second per account and region', async () => {
    org.clock.advance(2_000);
    await lookup();
    await lookup();
    expect((await rejection(lookup())).name).toBe('ThrottlingException');
  });
});
