import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requireCase } from '../../../bot/core/case-store.js';
import { inputOf, openTestCase, runCase, SEEDED, useWorkflowWorld } from './harness.js';

/**
 * Issue 11, "a case that fails after acquiring evidence still gets one": memory and disk are acquired
 * (the disk as a raw image), then containment's last move fails for real — the member account refuses the
 * deny-all profile (the organization's faults, as `POST /api/cloud/faults` sets them) — and the case fails.
 * Its manifest is still written, after the failure: it says the case failed, what is missing and why, and
 * lists the evidence that was secured, each with the SHA-256 computed from it.
 */
const world = useWorkflowWorld({ DISK_IMAGE: 'raw', EVIDENCE_LOCK_MODE: 'COMPLIANCE' });
const bucket = () => world.org.world.buckets.get(world.org.settings.evidenceBucket)!;

describe('Workflow: a case that fails after acquiring evidence', () => {
  it('still gets a manifest, written last, saying it failed, what is missing and why, with the evidence it has', async () => {
    // Prepare: the first profile change (the SSM-only quarantine, before memory) goes through; the next
    // one (deny-all, once memory is captured) and every later one are refused
    const record = await openTestCase(SEEDED.instances.multiEni, ['contain']);
    world.org.setFaults({
      fail: [{ operation: 'ReplaceIamInstanceProfileAssociation', error: 'UnauthorizedOperation', after: 1 }],
    });

    // Act
    const execution = await runCase(world, inputOf(record, 'not-required'));
    world.org.setFaults({});

    // Assess: the case failed after its evidence was secured
    expect(execution.status).toBe('FAILED');
    const after = await requireCase(record.id);
    expect(after.status).toBe('failed');
    const kinds = after.artifacts.map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['memory', 'disk-image']));
    // The manifest is there, and is the one the case records (its hash is of the stored bytes)
    const stored = bucket().objects.get(`${record.id}/manifest.json`)?.at(-1);
    expect(stored, 'a manifest after the failure').toBeDefined();
    expect(createHash('sha256').update(stored!.body).digest('hex')).toBe(after.manifest?.sha256);
    expect(stored!.lockMode).toBe('COMPLIANCE');
    const manifest = JSON.parse(stored!.body.toString()) as {
      outcome: { status: string; failure: unknown };
      missing: { kind: string; why: string }[];
      artifacts: { kind: string; uri: string; sha256: string | null }[];
      timeline: { step: string; outcome: string }[];
    };
    // Written after the failure: its outcome is the failure, and it says what is missing and why
    expect(manifest.outcome.status).toBe('failed');
    expect(JSON.stringify(manifest.outcome.failure)).toMatch(/UnauthorizedOperation|denied/i);
    expect(manifest.missing.length).toBeGreaterThan(0);
    expect(manifest.missing.map((m) => m.why).join('\n')).toMatch(/UnauthorizedOperation|denied/i);
    // The evidence it secured, each hashed from itself: the memory image and the raw disk image
    for (const kind of ['memory', 'disk-image']) {
      const artifact = manifest.artifacts.find((a) => a.kind === kind);
      expect(artifact?.sha256, kind).toMatch(/^[0-9a-f]{64}$/);
      const key = artifact!.uri.replace(`s3://${bucket().name}/`, '');
      expect(bucket().objects.get(key)!.at(-1)!.sha256, kind).toBe(artifact!.sha256);
    }
    expect(manifest.timeline.some((s) => s.outcome === 'failed')).toBe(true);
  }, 240_000);
});
