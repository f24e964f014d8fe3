import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaptureInstance, captureInstance, INSTANCE, KERNEL } from './instance.js';

/**
 * The memory capture script for real (issue 15): bash, Debian's AWS CLI, the simulated S3 on the wire
 * evaluating the deploy's bucket policy, a fake AVML delivered through the tools bucket. Every failure must
 * leave nothing complete-looking under the evidence key, and no multipart upload behind.
 */
let vm: CaptureInstance;

beforeAll(async () => {
  vm = await captureInstance();
}, 60_000);

afterAll(async () => {
  await vm?.stop();
});

const versions = (key: string) => vm.org.world.buckets.get(vm.evidenceBucket)!.objects.get(key) ?? [];
const openUploads = () => [...(vm.org.world.buckets.get(vm.evidenceBucket)!.uploads?.values() ?? [])];
const requestsFor = (key: string) =>
  vm.endpoint.requests.filter((r) => r.key === key).map((r) => r.operation);

function expectNothingKept(key: string) {
  expect(versions(key), 'an object under the evidence key').toEqual([]);
  expect(openUploads(), 'a multipart upload left open').toEqual([]);
  expect(readdirSync(vm.work), 'the RAM work directory is left behind').toEqual([]);
}

describe('capture-memory.sh under bash with the AWS CLI against the simulated S3', () => {
  it('streams the image to the evidence bucket as the quarantine profile, hashed end to end', async () => {
    // Act
    const run = await vm.run();

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({
      sha256: vm.imageSha256,
      bytes: vm.imageBytes,
      kernel: KERNEL,
      arch: 'x86_64',
      tool: 'avml',
      toolVersion: 'avml 0.14.0 (current CLI)',
      toolSha256: vm.avmlSha256,
      source: '/proc/kcore',
    });
    expect(String(run.result!.banner)).toMatch(/^Linux version 6\.1\.94/);
    const [stored] = versions(run.key);
    expect(versions(run.key)).toHaveLength(1);
    expect(stored!.sha256).toBe(vm.imageSha256);
    expect(stored!.uploadedBy).toBe(
      `arn:aws:sts::333333333333:assumed-role/ForensicsBot-Quarantine/${INSTANCE}`,
    );
    expect(stored!.kmsKeyArn).toBe(vm.kmsKeyId);
    expect(stored!.lockMode).toBe('GOVERNANCE');
    // 12 MiB: a multipart upload, completed only once the capture was judged.
    expect(requestsFor(run.key)).toEqual(
      expect.arrayContaining(['CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload']),
    );
    expect(readdirSync(vm.work)).toEqual([]);
  }, 60_000);

  it('writes nothing outside its RAM work directory (every file the script and its tools create, traced)', async () => {
    // Act: strace follows the script, AVML, the AWS CLI and every helper they start
    const trace = join(vm.dir, 'trace.txt');
    const run = await vm.run({}, {}, undefined, [
      'strace',
      '-f',
      '-qq',
      '-y',
      '-o',
      trace,
      '-e',
      'trace=open,openat,creat,mkdir,mkdirat,mknod,mknodat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate',
    ]);

    // Assess
    expect(run.code).toBe(0);
    const writes = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((line) =>
        /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|\b(creat|mkdir|mkdirat|mknod\w*|rename\w*|link\w*|symlink\w*|truncate)\(/.test(
          line,
        ),
      )
      .filter((line) => !/= -1 /.test(line))
      .map((line) => {
        // A name relative to a directory descriptor (-y prints the directory's path: `mkdirat(3</dir>, "x"`).
        const relative = /\(\d+<([^>]+)>, "([^"/][^"]*)"/.exec(line);
        if (relative) return `${relative[1]}/${relative[2]}`;
        return /"([^"]+)"/.exec(line)?.[1] ?? line;
      });
    const outside = writes.filter(
      (path) => !path.startsWith(`${vm.work}/`) && !/^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/.test(path),
    );
    expect(writes.length).toBeGreaterThan(0);
    expect(outside).toEqual([]);
  }, 60_000);

  it('uploads what examination needs beside the image, each file hashed', async () => {
    // Act
    const run = await vm.run();

    // Assess
    const system = run.result!.system as {
      key: string;
      sha256: string;
      files: { name: string; sha256: string }[];
    };
    expect(system.key).toBe(`${run.key}.system.tar`);
    const [tar] = versions(system.key);
    expect(tar!.sha256).toBe(system.sha256);
    expect(system.files.map((f) => f.name).sort()).toEqual(
      ['System.map-' + KERNEL, 'btf-vmlinux', 'kallsyms', 'os-release', 'proc-version', 'uname-m'].sort(),
    );
    const uname = system.files.find((f) => f.name === 'uname-m')!;
    expect(uname.sha256).toBe(createHash('sha256').update('x86_64\n').digest('hex'));
  }, 60_000);

  it('runs the legacy AVML CLI (no subcommands) the same way', async () => {
    // Act
    const run = await vm.run({}, { FAKE_AVML_CLI: 'legacy' });

    // Assess
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ sha256: vm.imageSha256, toolVersion: 'avml 0.14.0 (legacy CLI)' });
  }, 60_000);

  it('refuses to run an AVML whose SHA-256 is not the pinned one, and uploads nothing', async () => {
    // Act
    const run = await vm.run({ AvmlSha256: 'f'.repeat(64) });

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `SHA-256 ${vm.avmlSha256} is not the expected ${'f'.repeat(64)}; refusing to run it`,
    );
    expect(requestsFor(run.key)).toEqual([]);
    expectNothingKept(run.key);
  }, 60_000);

  it('captures an aarch64 instance with the aarch64 build', async () => {
    // Act
    const run = await vm.run({ AvmlSha256: vm.avmlSha256Aarch64 }, { FAKE_ARCH: 'aarch64' });

    // Assess
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({
      arch: 'aarch64',
      sha256: vm.imageSha256,
      toolSha256: vm.avmlSha256Aarch64,
    });
    expect(versions(run.key)[0]!.metadata.arch).toBe('aarch64');
  }, 60_000);

  it('refuses the other architecture’s build (the pin is per architecture)', async () => {
    // Act: an aarch64 instance given the x86_64 pin
    const run = await vm.run({}, { FAKE_ARCH: 'aarch64' });

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `avml-aarch64: SHA-256 ${vm.avmlSha256Aarch64} is not the expected ${vm.avmlSha256}`,
    );
    expectNothingKept(run.key);
  }, 60_000);

  it('aborts the upload when AVML fails half-way: nothing complete-looking is left', async () => {
    // Act
    const run = await vm.run({}, { FAKE_AVML_FAIL: 'halfway' });

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(
      /avml exited with status 1 after \d+ bytes: error: unable to read physical memory/,
    );
    expect(run.result).toBeUndefined();
    expect(requestsFor(run.key)).not.toContain('CompleteMultipartUpload');
    expect(requestsFor(run.key)).not.toContain('PutObject');
    expectNothingKept(run.key);
  }, 60_000);

  it('falls back to the LiME module of this kernel and architecture when AVML fails, on a random port', async () => {
    // Act
    const run = await vm.run({ LimeModuleUri: vm.limeUri }, { FAKE_AVML_FAIL: 'halfway' });

    // Assess: the first upload aborted, the second complete and hashed; the module's own hash recorded
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/avml exited with status 1 .*; falling back to LiME/);
    expect(run.result).toMatchObject({ sha256: vm.imageSha256, tool: 'lime', toolSha256: vm.limeSha256 });
    expect(String(run.result!.source)).toMatch(/^lime tcp:\d{5}$/);
    expect(String(run.result!.source)).not.toBe('lime tcp:4444');
    expect(versions(run.key)).toHaveLength(1);
    expect(versions(run.key)[0]!.sha256).toBe(vm.imageSha256);
    expect(requestsFor(run.key)).toContain('AbortMultipartUpload');
    expect(openUploads()).toEqual([]);
  }, 60_000);

  it('refuses what another process serves on LiME’s port (a squatter), and keeps nothing', async () => {
    // Act
    const run = await vm.run(
      { LimeModuleUri: vm.limeUri },
      { FAKE_AVML_FAIL: 'halfway', FAKE_LIME_SQUAT: '1' },
    );

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/port \d+ is held by pid \d+ \(node\), not by the LiME module: refused/);
    expectNothingKept(run.key);
  }, 60_000);

  it('refuses a stream larger than the kernel’s memory (two images in one stream)', async () => {
    // Act
    const run = await vm.run({}, { FAKE_AVML_FAIL: 'concatenated' });

    // Assess
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(
      `the image is ${vm.imageBytes * 2} bytes; the kernel reports at most ${vm.imageBytes}`,
    );
    expect(requestsFor(run.key)).not.toContain('CompleteMultipartUpload');
    expectNothingKept(run.key);
  }, 60_000);

  it('stops an AVML that closes its output and reopens it (a restarted source), without hanging', async () => {
    // Act
    const run = await vm.run({}, { FAKE_AVML_FAIL: 'reopen' });

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(
      'avml closed its output and kept running (it would restart the stream): stopped',
    );
    expect(requestsFor(run.key)).not.toContain('CompleteMultipartUpload');
    expectNothingKept(run.key);
  }, 60_000);

  it('fails with the bucket policy’s refusal when the upload names another key, and keeps nothing', async () => {
    // Act: a key of the forensics account that is not the bucket's
    const run = await vm.run({ KmsKeyId: vm.kmsKeyId.replace(/-000000000004$/, '-000000000003') });

    // Assess
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/AccessDenied/);
    expectNothingKept(run.key);
  }, 60_000);

  it('stops streaming and completes nothing when the agent cancels the command', async () => {
    // Act: SSM's cancel sends SIGTERM to the script while AVML is still writing
    const run = await vm.run({}, { FAKE_AVML_FAIL: 'slow' }, (pid) =>
      setTimeout(() => process.kill(pid, 'SIGTERM'), 3000),
    );

    // Assess
    expect(run.code).toBe(143);
    expect(requestsFor(run.key)).not.toContain('CompleteMultipartUpload');
    expectNothingKept(run.key);
  }, 60_000);

  it('removes the work directory a killed capture left in RAM', async () => {
    // Prepare: what a SIGKILL leaves (traps unrun), its process long gone
    const stale = join(vm.work, 'forensics-bot.STALE1');
    mkdirSync(stale);
    writeFileSync(join(stale, 'pid'), '999999');
    writeFileSync(join(stale, 'avml'), 'left behind');

    // Act
    const run = await vm.run();

    // Assess
    expect(run.code).toBe(0);
    expect(readdirSync(vm.work)).toEqual([]);
  }, 60_000);

  it('says exit 7 when the image is complete but its examination context could not be uploaded', async () => {
    // Prepare: PutObject (the context is one; the 12 MiB image is multipart) fails in the member account
    vm.org.setFaults({
      fail: [{ operation: 'PutObject', error: 'ServiceUnavailable', account: '333333333333', after: 0 }],
    });

    // Act
    const run = await vm.run();
    vm.org.setFaults({});

    // Assess
    expect(run.code).toBe(7);
    expect(run.result).toMatchObject({ sha256: vm.imageSha256, system: null });
    expect(versions(run.key)).toHaveLength(1);
    expect(run.stderr).toContain('the image is complete, but its examination context was not uploaded');
  }, 60_000);
});
