import { describe, expect, it } from 'vitest';
import { requireCase, updateCase } from '../../../bot/cases/store.js';
import {
  eventually,
  inputOf,
  instanceState,
  openTestCase,
  SEEDED,
  startCase,
  useWorkflowWorld,
} from './harness.js';

// Each wait for approval times out after 0.3 s here (in AWS: APPROVAL_REMIND_MINUTES).
const world = useWorkflowWorld({}, { taskTimeoutSeconds: 0.3 });

describe('Workflow: case, approval never answered', () => {
  it('reminds the commanders, then expires, and never contains silently', async () => {
    const record = await openTestCase(SEEDED.instances.demo, ['contain']);
    const before = instanceState(world, SEEDED.instances.demo).enis.map((e) => [...e.groupIds]);
    const arn = startCase(world, inputOf(record, 'required'));

    await eventually(async () => !!(await requireCase(record.id)).approvalRemindedAt);
    expect(world.sfn.describe(arn).status).toBe('RUNNING');
    await updateCase(record.id, { approvalRequestedAt: new Date(Date.now() - 24 * 3600_000).toISOString() });
    const execution = await world.sfn.waitFor(arn);

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.status).toBe('denied');
    expect(after.failure).toBe('expired');
    expect(instanceState(world, SEEDED.instances.demo).enis.map((e) => e.groupIds)).toEqual(before);
    expect(instanceState(world, SEEDED.instances.demo).instance.tags.SecurityIncidentStatus).toBe(
      'ContainmentDenied',
    );
    const commanders = JSON.stringify(world.slack.messages('C0COMMANDERS'));
    expect(commanders).toMatch(/remind|still|wait/i);
  });
});
