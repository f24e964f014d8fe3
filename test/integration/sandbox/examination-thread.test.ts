import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBuildImages } from '../../../sandbox/disks/build.js';
import { TARGETS } from '../../../sandbox/targets.js';
import { type Sandbox, startSandbox } from '../../../sandbox/wiring.js';
import { which } from '../../../workflows/examine/tools.js';
import { SandboxApi } from '../../e2e/support/api.js';
import { runContainment } from '../../e2e/support/scenario.js';

/**
 * Issue 12 end to end in the sandbox: a finding, Contain, approval, and the case thread ends with the
 * examination summary naming the traces planted in the demo instance's disk (sandbox/disks/trees.ts:
 * compromisedWebServer), and the card says how many high findings the examination made.
 */
let sandbox: Sandbox;
let api: SandboxApi;
let caseId = '';
let run: Awaited<ReturnType<typeof runContainment>>;

describe.skipIf(!canBuildImages() || !which('fls') || !which('yara'))(
  'Sandbox: the examination in the case thread',
  () => {
    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0 });
      api = new SandboxApi(sandbox.url);
    }, 60_000);
    afterAll(async () => {
      await sandbox?.stop();
    });

    it('a contained case ends with a summary that names the planted traces, and the card counts them', async () => {
      run = await runContainment(api, TARGETS.demo);
      caseId = run.caseId;

      expect(run.record.status).toBe('evidence-secured');
      expect(run.record.examination.status).toBe('completed');
      const summary = run.threadText.slice(run.threadText.indexOf(`Examination of ${run.caseId}`));
      expect(summary).toContain('Is the actor still active?');
      expect(summary).toContain('/tmp/.ICE-unix/kdevtmpfsi');
      // the live triage's process, and the thread says the triage is simulated
      expect(summary).toMatch(/Running process kdevtmpfsi \(pid \d+\)/);
      expect(run.threadText).toContain("simulated from the sandbox's fixtures");
      expect(summary).toContain('/etc/ld.so.preload');
      expect(summary).toContain('/var/www/html/wp-content/uploads/2026/11/.cache.php');
      for (const o of run.record.examination.outputs) expect(summary).toContain(o.sha256);
      const card = (await api.messages('security-alerts')).messages.find((m) => m.ts === run.card.ts)!;
      expect(SandboxApi.textOf(card)).toMatch(/examined: [1-9]\d* high findings/);
    }, 240_000);

    it('the full report is uploaded into the thread: its bytes hash to the SHA-256 the manifest lists, which the comment states', async () => {
      const root = (await api.messages('security-alerts')).messages.find((m) => m.ts === run.card.ts)!;
      const uploads = root.replies.filter((r) => (r as { files?: unknown[] }).files?.length);
      expect(uploads).toHaveLength(1);
      const upload = uploads[0] as unknown as { text: string; files: { id: string; name: string }[] };
      expect(upload.files[0]!.name).toBe(`${caseId}-report.md`);
      // the page's link to the bytes
      const got = await fetch(`${sandbox.url}/api/files/${upload.files[0]!.id}`);
      expect(got.status).toBe(200);
      const bytes = Buffer.from(await got.arrayBuffer());
      const bucket = sandbox.org.world.buckets.get(sandbox.org.settings.evidenceBucket)!;
      const key = (uri: string) => uri.replace(`s3://${bucket.name}/`, '');
      // the record as it is now: the manifest is written after the case's final status
      const record = await api.get(`/api/cases/${caseId}`);
      const manifest = JSON.parse(bucket.objects.get(key(record.manifest.uri))!.at(-1)!.body.toString()) as {
        artifacts: { kind: string; uri: string; sha256: string }[];
      };
      const listed = manifest.artifacts.find(
        (a) => a.kind === 'examination' && a.uri.endsWith('/examination/report.md'),
      )!;
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(listed.sha256);
      expect(upload.text).toContain(`SHA-256 \`${listed.sha256}\``);
      expect(bytes.toString()).toContain('/etc/ld.so.preload');
    });

    it('/forensics report answers a responder with the summary; no role, an unknown case or a bad id get a clear answer', async () => {
      const report = (user: string, text: string) =>
        api
          .post('/api/commands', { user, channel: 'security-alerts', text })
          .then((r) => JSON.stringify(r.json));

      expect(await report('alice', `report ${caseId}`)).toMatch(
        /Is the actor still active\?[\s\S]*\/etc\/ld\.so\.preload/,
      );
      expect(await report('mallory', `report ${caseId}`)).not.toContain('ld.so.preload');
      expect(await report('alice', 'report CASE-20200101-ABCD')).toContain('No case CASE-20200101-ABCD.');
      expect(await report('alice', 'report')).toContain('needs exactly one case id');
    }, 60_000);
  },
);
