import { describe, expect, it } from 'vitest';
import { stepProgress } from '../../../bot/blocks/case-text.js';
import { requireCase } from '../../../bot/core/case-store.js';
import {
  inputOf,
  openTestCase,
  runCase,
  SEEDED,
  timeline,
  useTestSettings,
  useWorkflowWorld,
} from './harness.js';

/**
 * Live triage in the real definitions (issue 12, item 2): in the acquire-memory workflow, after the image
 * is verified and before the case tightens isolation; a triage that is not collected is said and changes
 * nothing else.
 */
const world = useWorkflowWorld();

const setting = useTestSettings(world);

describe('Live triage in the case workflow', () => {
  it('a Contain case: memory verified, then the triage, then isolation tightened; the triage is an artifact of the case', async () => {
    // Prepare
    const record = await openTestCase(SEEDED.instances.demo, ['contain']);

    // Act
    const execution = await runCase(world, inputOf(record, 'not-required'));

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    const steps = timeline(after);
    const verified = steps.indexOf('Memory image verified');
    const triaged = steps.indexOf('Live triage verified');
    expect(verified).toBeGreaterThan(-1);
    expect(triaged).toBeGreaterThan(verified);
    expect(steps.lastIndexOf('Network isolated')).toBeGreaterThan(triaged);
    expect(after.artifacts.filter((a) => a.kind === 'triage')).toHaveLength(1);
    // the sandbox's SSM says its triage is simulated, and the thread line repeats it
    expect(after.steps.find((s) => s.step === 'Live triage collected')?.detail).toContain(
      "simulated from the sandbox's fixtures",
    );
    expect(after.evidence).toMatchObject({ memory: 'succeeded' });
    // the thread's stage count stays true: every stage of the path was reached
    const { n, m } = stepProgress(after);
    expect(n).toBe(m);
  });

  it('a triage that cannot run is recorded and said; memory, containment and the case succeed', async () => {
    // Prepare: a document the member account does not have
    setting('TRIAGE_DOCUMENT', 'ForensicsBot-NoSuchDocument');
    const record = await openTestCase(SEEDED.instances.autoScaledPeer, ['contain']);

    // Act
    const execution = await runCase(world, inputOf(record, 'not-required'));

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.status).not.toBe('failed');
    expect(after.evidence).toMatchObject({ memory: 'succeeded' });
    expect(after.artifacts.some((a) => a.kind === 'memory')).toBe(true);
    expect(after.artifacts.some((a) => a.kind === 'triage')).toBe(false);
    expect(after.steps.find((s) => s.step === 'Live triage')).toMatchObject({
      outcome: 'skipped',
      detail: expect.stringMatching(/^not collected: .*NoSuchDocument/),
    });
    expect(after.containedAt).toBeDefined();
  });
});
