import { describe, expect, it } from 'vitest';
import { decideApproval } from '../../../bot/cases/approval.js';
import { requestContainment } from '../../../bot/cases/contain-request.js';
import { requireCase } from '../../../bot/core/case-store.js';
import { FourEyesError } from '../../../bot/core/errors.js';
import { GROUP_NAMES } from '../../../workflows/steps/security-groups.js';
import { inputOf, instanceState, openTestCase, runCase, SEEDED, useWorkflowWorld } from './harness.js';

/**
 * "Contain now" under the examination summary of an analysis that ended uncontained (ANALYZE_CONTAINMENT
 * =notify-only): the real case workflow runs again as `<case>-contain-<n>`, waits at its approval gate
 * for a commander other than the one who asked, then contains the instance — the path a card's Contain
 * takes, on the same case.
 */
const world = useWorkflowWorld({ ANALYZE_CONTAINMENT: 'notify-only', FOUR_EYES: 'true' });
const carol = { userId: 'U0CAROL', name: 'carol' };
const dave = { userId: 'U0DAVE', name: 'dave' };
const groupNames = (instanceId: string) => {
  const s = instanceState(world, instanceId);
  return s.enis.map((e) => e.groupIds.map((g) => s.groups(g)?.groupName));
};

describe('Workflow: containment asked for after an analysis', () => {
  it('an analysis that ended uncontained is contained through the approval gate once a commander approves', async () => {
    // Prepare: the analysis ends, evidence secured, network untouched
    const instanceId = SEEDED.instances.multiEni;
    const record = await openTestCase(instanceId, ['analyze']);
    expect((await runCase(world, inputOf(record, 'not-required'))).status).toBe('SUCCEEDED');
    const analyzed = await requireCase(record.id);
    expect([analyzed.status, analyzed.containedAt]).toEqual(['evidence-secured', undefined]);
    const before = groupNames(instanceId);

    // Act: carol presses Contain now
    const asked = await requestContainment(record.id, carol);

    // Assess: a new run waits for a commander; nothing is isolated yet
    expect(asked.started).toBe(true);
    const arn = asked.record.executionArn!;
    expect(arn.endsWith(`:${record.id}-contain-1`)).toBe(true);
    await world.sfn.waitForTask(arn);
    expect((await requireCase(record.id)).status).toBe('awaiting-approval');
    expect(groupNames(instanceId)).toEqual(before);
    expect((await requestContainment(record.id, carol)).text).toContain('already waiting');
    await expect(decideApproval({ caseId: record.id, actor: carol, approve: true })).rejects.toBeInstanceOf(
      FourEyesError,
    );

    // Act: dave approves
    await decideApproval({ caseId: record.id, actor: dave, approve: true });
    const execution = await world.sfn.waitFor(arn);

    // Assess: contained, and the case says so
    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.containedAt).toBeTruthy();
    expect(after.status).toBe('evidence-secured');
    expect(after.decision).toMatchObject({ outcome: 'approved', by: { userId: 'U0DAVE' } });
    expect(
      groupNames(instanceId)
        .flat()
        .every((g) => g === GROUP_NAMES.isolation),
    ).toBe(true);
    expect((await requestContainment(record.id, carol)).text).toContain('already contained');
  }, 120_000);
});
