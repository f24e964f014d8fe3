import { describe, expect, it } from 'vitest';
import { requireCase } from '../../../bot/core/case-store.js';
import {
  eventually,
  inputOf,
  instanceState,
  openTestCase,
  SEEDED,
  startCase,
  useWorkflowWorld,
} from './harness.js';

// Each wait for approval times out after 0.3 s here (in AWS: APPROVAL_REMIND_MINUTES), and the request
// expires 1.8 s after it was first made: several reminder rounds pass first, and none may restart the clock.
const world = useWorkflowWorld({ APPROVAL_EXPIRE_MINUTES: '0.03' }, { taskTimeoutSeconds: 0.3 });

describe('Workflow: case, approval never answered', () => {
  it('reminds the commanders, then expires, and never contains silently', async () => {
    const record = await openTestCase(SEEDED.instances.demo, ['contain']);
    const before = instanceState(world, SEEDED.instances.demo).enis.map((e) => [...e.groupIds]);
    const arn = startCase(world, inputOf(record, 'required'));

    await eventually(async () => !!(await requireCase(record.id)).approvalRemindedAt);
    expect(world.sfn.describe(arn).status).toBe('RUNNING');
    const firstRequest = (await requireCase(record.id)).approvalRequestedAt!;
    const execution = await world.sfn.waitFor(arn);
    const expiredAt = Date.now();

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.status).toBe('denied');
    expect(after.failure).toBe('expired');
    expect(after.decision).toMatchObject({ outcome: 'expired' });
    expect(after.decision?.by).toBeUndefined();
    // Expired from the first request (reminders kept its time), not from the last reminder round.
    expect(after.approvalRequestedAt).toBe(firstRequest);
    expect(expiredAt - Date.parse(firstRequest)).toBeLessThan(10_000);
    expect(instanceState(world, SEEDED.instances.demo).enis.map((e) => e.groupIds)).toEqual(before);
    expect(instanceState(world, SEEDED.instances.demo).instance.tags.SecurityIncidentStatus).toBe(
      'ContainmentDenied',
    );
    const commanders = JSON.stringify(world.slack.messages('C0COMMANDERS'));
    expect(commanders).toMatch(/remind|still|wait/i);
  });
});
