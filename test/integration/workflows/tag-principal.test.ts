import { describe, expect, it } from 'vitest';
import { openCase, requireCase } from '../../../bot/core/case-store.js';
import { awsPrincipalWords } from '../../../bot/blocks/case-text.js';
import { tagAsAnalyst } from '../../../sandbox/tagging.js';
import { inputOf, runCase, SEEDED, useWorkflowWorld } from './harness.js';

/**
 * A tag-triggered case names who tagged the instance (issue 10, item 10): the tag event names nobody, so the
 * case's end reads CloudTrail's CreateTags in the member account — the twin records every CreateTags with
 * its caller and, as AWS, shows it only minutes later (5 minutes here, on the simulated clock).
 */
const world = useWorkflowWorld();

async function tagCase(instanceId: string) {
  const target = { account: '333333333333', region: 'us-east-1', instanceId };
  // A person tags the instance in the member account's console (a real CreateTags, recorded by CloudTrail).
  await tagAsAnalyst(world.org, target, { SecurityIncidentStatus: 'Contain' });
  const { record } = await openCase({
    severity: { label: 'HIGH', score: 8 },
    title: `Tag on ${instanceId}`,
    findingIds: [],
    target,
    actions: ['contain'],
    trigger: 'tag',
    requester: { userId: 'aws:tag', name: 'SecurityIncidentStatus tag' },
  });
  return record;
}

describe('A tag case names who tagged the instance', () => {
  it('from CloudTrail once it shows the CreateTags: the case, its card words and the manifest', async () => {
    const record = await tagCase(SEEDED.instances.demo);
    // CloudTrail has delivered the event by the time the case ends
    world.org.clock.advance(6 * 60_000);

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.triggeredBy).toMatchObject({
      arn: 'arn:aws:sts::333333333333:assumed-role/SecurityAnalyst/alice.analyst',
    });
    expect(awsPrincipalWords(after)).toMatch(
      /^tagged by `arn:aws:sts::333333333333:assumed-role\/SecurityAnalyst\/alice\.analyst`/,
    );
    const bucket = world.org.world.buckets.get(world.org.settings.evidenceBucket)!;
    const manifest = JSON.parse(
      bucket.objects.get(`${record.id}/manifest.json`)!.at(-1)!.body.toString('utf8'),
    );
    expect(manifest.triggeredBy.arn).toBe(after.triggeredBy!.arn);
    // The bot's own CreateTags (the status tag it writes) is never taken for the person's
    expect(after.triggeredBy!.arn).not.toMatch(/IRAutomation/);
  }, 120_000);

  it('says plainly when CloudTrail has not shown it yet, and where to look', async () => {
    const record = await tagCase(SEEDED.instances.multiEni);
    // No time passes before the case starts: it may end before CloudTrail shows the tagging.
    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    // The workflow's own waits are seconds of simulated time here, less than CloudTrail's delivery.
    expect(after.triggeredBy?.arn).toBeUndefined();
    expect(after.triggeredBy?.note).toMatch(
      /not in CloudTrail yet .*CreateTags on i-0b2c3d4e5f6071829 in 333333333333\/us-east-1/,
    );
    expect(awsPrincipalWords(after)).toMatch(/^AWS principal unknown: not in CloudTrail yet/);
  }, 120_000);
});
