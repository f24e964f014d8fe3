import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireCase } from '../../../bot/core/case-store.js';
import { canBuildImages } from '../../../sandbox/disks/build.js';
import { handler } from '../../../handlers/steps.js';
import { which } from '../../../workflows/examine/tools.js';
import { inputOf, instanceState, openTestCase, runCase, SEEDED, useWorkflowWorld } from './harness.js';

/**
 * Issue 12: the case workflow examines its evidence. The seeded instances' root volumes are real ext4
 * images of the sandbox's disk trees (sandbox/disks/trees.ts); the case images them, and the examine step
 * reads each image back from the simulated evidence bucket, checks its SHA-256 against the case, runs the
 * real Sleuth Kit and YARA, and writes its outputs beside the evidence, each hashed into the case and the
 * manifest.
 */
/** Runs before the examine step, when a test sets it (a fault the twin cannot inject by API). */
let beforeExamine: ((caseId: string) => void) | undefined;
const world = useWorkflowWorld(
  { DISK_IMAGE: 'raw', EVIDENCE_LOCK_MODE: 'COMPLIANCE' },
  {
    stepHandler: async (event: unknown) => {
      const e = event as { step?: string; caseId?: string };
      if (e.step === 'examineEvidence' && e.caseId) beforeExamine?.(e.caseId);
      return handler(event);
    },
  },
);
const bucket = () => world.org.world.buckets.get(world.org.settings.evidenceBucket)!;
const stored = (uri: string) => {
  const key = uri.replace(`s3://${bucket().name}/`, '');
  return bucket().objects.get(key)!.at(-1)!;
};
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tools = !!which('fls') && !!which('yara');

interface Manifest {
  missing: { kind: string; why: string }[];
  artifacts: { kind: string; uri: string; sha256: string | null }[];
  objects: { key: string; status: string }[];
  examination: { status: string; outputs: { name: string; sha256: string }[] } | null;
}
const manifestOf = async (caseId: string) =>
  JSON.parse(stored((await requireCase(caseId)).manifest!.uri).body.toString()) as Manifest;

describe.skipIf(!canBuildImages() || !tools)('Workflow: examination of the evidence', () => {
  it('a contained compromised web server is examined: the planted traces are found, every output hashed in the case and the manifest', async () => {
    const record = await openTestCase(SEEDED.instances.demo, ['contain']);

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect([after.status, after.failure]).toEqual(['evidence-secured', undefined]);
    const e = after.examination!;
    expect(e.status).toBe('completed');
    // The inputs are the raw images as the case recorded them, verified by their SHA-256.
    const images = after.artifacts.filter((a) => a.kind === 'disk-image');
    expect(e.inputs.filter((i) => i.name === 'disk-image').map((i) => i.sha256)).toEqual(
      images.filter((a) => a.details?.writtenBlocks !== 0).map((a) => a.sha256),
    );
    // The data volumes were never written: said, not examined.
    expect(e.notExamined.filter((n) => n.includes('never written'))).toHaveLength(images.length - 1);
    // The planted traces: the deleted miner, the ld.so.preload rootkit, the webshell, the uid-0 account.
    const high = e.findings.filter((f) => f.severity === 'critical' || f.severity === 'high');
    const paths = high.map((f) => f.path);
    expect(paths).toContain('/tmp/.ICE-unix/kdevtmpfsi');
    expect(paths).toContain('/etc/ld.so.preload');
    expect(paths).toContain('/var/www/html/wp-content/uploads/2026/11/.cache.php');
    expect(high.some((f) => /sysupdate has uid 0/.test(f.title))).toBe(true);
    // The live triage (simulated from the demo's fixtures): read back by version, its hash checked like the
    // images', and the actor's live process found — the deleted miner from /tmp holding its connection.
    const [triage] = after.artifacts.filter((a) => a.kind === 'triage');
    expect(e.inputs.find((i) => i.name === 'triage')).toMatchObject({
      uri: triage!.uri,
      sha256: triage!.sha256,
      versionId: triage!.details?.versionId,
    });
    const live = high.find((f) => f.source === 'triage:processes' && /kdevtmpfsi/.test(f.title))!;
    expect(live).toMatchObject({
      category: 'activity',
      severity: 'critical',
      path: '/tmp/.ICE-unix/kdevtmpfsi',
    });
    expect(live.title).toMatch(/its executable was deleted/);
    expect(live.evidence).toMatch(/ESTABLISHED/);
    expect(e.notExamined.join(' ')).not.toMatch(/No live-triage archive/);
    // Each output is in the bucket under the case prefix, locked, and hashes to what the case says.
    expect(e.outputs.map((o) => o.name).sort()).toEqual(['findings.json', 'report.md', 'timeline.csv']);
    for (const o of e.outputs) {
      expect(o.uri).toMatch(new RegExp(`^s3://${bucket().name}/${record.id}/examination/`));
      const object = stored(o.uri);
      expect(sha256(object.body)).toBe(o.sha256);
      expect(object.lockMode).toBe('COMPLIANCE');
      expect(object.versionId).toBe(o.versionId);
    }
    // The manifest, written last, lists the outputs with the same hashes and misses nothing.
    const manifest = await manifestOf(record.id);
    expect(manifest.missing).toEqual([]);
    const listed = manifest.artifacts.filter((a) => a.kind === 'examination');
    expect(listed.map((a) => [a.uri, a.sha256]).sort()).toEqual(
      e.outputs.map((o) => [o.uri, o.sha256]).sort(),
    );
    for (const o of e.outputs)
      expect(manifest.objects.find((x) => o.uri.endsWith(x.key))?.status).toBe('artifact');
    expect(manifest.examination?.status).toBe('completed');
    expect(after.outcome).toMatch(/examined: \d+ critical, \d+ high findings$/);
  }, 240_000);

  it('a clean web server gives no high finding', async () => {
    const record = await openTestCase(SEEDED.instances.noEndpoints, ['contain']);

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const e = (await requireCase(record.id)).examination!;
    expect(e.status).toBe('completed');
    expect(e.counts).toMatchObject({ critical: 0, high: 0 });
    expect(e.findings.filter((f) => f.severity === 'critical' || f.severity === 'high')).toEqual([]);
  }, 240_000);

  it('an image that no longer hashes to its record is not examined: the case is incomplete, containment stays', async () => {
    // Prepare: one byte of the stored root image flips after it was hashed and recorded (a damaged or
    // replaced object), just before the examination reads it back.
    const record = await openTestCase(SEEDED.instances.multiEni, ['contain']);
    beforeExamine = async (caseId) => {
      const root = (await requireCase(caseId)).artifacts.find(
        (a) => a.kind === 'disk-image' && a.source?.endsWith('(/dev/xvda)'),
      )!;
      const body = stored(root.uri).body;
      body.writeUInt8(body.readUInt8(1080) ^ 0xff, 1080);
    };
    let execution: Awaited<ReturnType<typeof runCase>>;
    try {
      execution = await runCase(world, inputOf(record, 'not-required'));
    } finally {
      beforeExamine = undefined;
    }

    // Assess: the workflow finishes, the instance is contained, the case says the examination failed.
    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.status).toBe('evidence-incomplete');
    expect(after.containedAt).toBeDefined();
    expect(instanceState(world, SEEDED.instances.multiEni).instance.tags.SecurityIncidentStatus).toBe(
      'Contained',
    );
    expect(after.examination).toMatchObject({ status: 'failed', outputs: [], findings: [] });
    expect(after.examination?.reason).toMatch(
      /read back as \d+ bytes with SHA-256 [0-9a-f]{64}; the case recorded/,
    );
    expect(after.failure).toContain('examination failed');
    expect(after.steps.find((s) => s.step === 'Evidence examined')).toMatchObject({ outcome: 'failed' });
    expect(after.artifacts.filter((a) => a.kind === 'examination')).toEqual([]);
    const manifest = await manifestOf(record.id);
    expect(manifest.missing).toEqual([
      { kind: 'examination', why: expect.stringContaining('examination failed') },
    ]);
  }, 240_000);

  it('without The Sleuth Kit and YARA the examination is recorded as skipped, never faked', async () => {
    const record = await openTestCase(SEEDED.instances.autoScaled, ['contain']);
    // PATH keeps every other tool (mke2fs builds the simulated volumes) but not The Sleuth Kit nor YARA.
    const path = process.env.PATH;
    const bin = mkdtempSync(join(tmpdir(), 'no-sleuthkit-'));
    const hidden = new Set([
      'fls',
      'mmls',
      'fsstat',
      'mactime',
      'tsk_recover',
      'blkls',
      'blkcalc',
      'yara',
      'yarac',
    ]);
    for (const dir of (path ?? '').split(':').filter(Boolean))
      for (const name of existsSync(dir) ? readdirSync(dir) : [])
        if (!hidden.has(name) && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
    process.env.PATH = bin;
    let execution: Awaited<ReturnType<typeof runCase>>;
    try {
      execution = await runCase(world, inputOf(record, 'not-required'));
    } finally {
      process.env.PATH = path;
    }

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    expect(after.examination).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(
        /^examination skipped: fls, .*yara.* not installed \(apt-get install sleuthkit yara\)$/,
      ),
      outputs: [],
      findings: [],
    });
    expect(after.artifacts.filter((a) => a.kind === 'examination')).toEqual([]);
    // Containment and the evidence stand; the manifest says what is missing.
    expect(instanceState(world, SEEDED.instances.autoScaled).instance.tags.SecurityIncidentStatus).toBe(
      'Contained',
    );
    const manifest = await manifestOf(record.id);
    expect(manifest.missing).toEqual([
      { kind: 'examination', why: expect.stringContaining('not installed (apt-get install sleuthkit yara)') },
    ]);
    expect(after.outcome).toContain('examination skipped: fls');
  }, 240_000);
});
