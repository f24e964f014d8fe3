/**
 * `npm run examine` for real (issue 12): real ext4 images built from the sandbox's trees, read by the real
 * Sleuth Kit and scanned by the real YARA, through the CLI as a responder (or the forensic worker) runs it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildDiskImage, type DiskImage, type TreeFile } from '../../../sandbox/disks/build.js';
import { cleanWebServer, compromisedWebServer, INCIDENT_WINDOW, IOCS } from '../../../sandbox/disks/trees.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLI = join(ROOT, 'workflows', 'examine', 'cli.ts');

/** The contract of findings.json (shared/DESIGN.md, "Examination contract"). */
const FindingsFile = z.object({
  tool: z.object({ name: z.string().min(1), version: z.string().min(1) }),
  inputs: z
    .array(
      z.object({
        path: z.string(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        bytes: z.number().int().positive(),
      }),
    )
    .min(1),
  findings: z.array(
    z.object({
      id: z.string().min(1),
      category: z.string().min(1),
      severity: z.enum(['critical', 'high', 'medium', 'low', 'info']),
      title: z.string().min(1),
      path: z.string().startsWith('/').optional(),
      time: z
        .string()
        .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
        .optional(),
      evidence: z.string(),
      source: z.string().min(1),
    }),
  ),
  summary: z
    .object({ text: z.string(), counts: z.record(z.string(), z.number()), skipped: z.array(z.string()) })
    .loose(),
});
type Findings = z.infer<typeof FindingsFile>;

function examine(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

let work: string;
let compromised: DiskImage;
let clean: DiskImage;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'examine-test-'));
  compromised = await buildDiskImage(compromisedWebServer);
  clean = await buildDiskImage(cleanWebServer);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run examine on the image of a compromised web server', () => {
  let out: string;
  let result: ReturnType<typeof examine>;
  let doc: Findings;
  const miner = compromisedWebServer.deleted!['tmp/.ICE-unix/kdevtmpfsi'] as TreeFile;

  beforeAll(() => {
    out = join(work, 'compromised');
    result = examine([
      '--image',
      compromised.path,
      '--since',
      INCIDENT_WINDOW.since,
      '--ioc',
      IOCS.downloadDomain,
      '--ioc',
      IOCS.c2Ip,
      '--ioc',
      sha256(miner.content),
      '--out',
      out,
    ]);
    doc = FindingsFile.parse(JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8')));
  }, 120_000);

  const find = (pred: (f: Findings['findings'][number]) => boolean) => doc.findings.filter(pred);

  it('runs (exit 0) and writes the three outputs, each listed with its SHA-256 and size', () => {
    expect(result.code, result.stderr).toBe(0);
    for (const name of ['findings.json', 'timeline.csv', 'report.md']) {
      const data = readFileSync(join(out, name));
      expect(result.stdout).toContain(`${sha256(data)}  ${data.length}  ${join(out, name)}`);
    }
    expect(doc.inputs[0]).toMatchObject({ sha256: compromised.sha256, bytes: compromised.bytes });
  });

  it('finds the webshell under the web root', () => {
    const shell = find(
      (f) =>
        f.path === '/var/www/html/wp-content/uploads/2026/11/.cache.php' &&
        f.source.startsWith('yara:webshell'),
    );
    expect(shell[0]).toMatchObject({
      category: 'access',
      severity: 'critical',
      time: '2026-11-30T21:52:00.000Z',
    });
    expect(shell[0]!.evidence).toContain('system($_GET');
  });

  it('finds the deleted miner, recovered from its inode, and its hash given as an IOC', () => {
    const deleted = find(
      (f) => f.path === '/tmp/.ICE-unix/kdevtmpfsi' && f.source === 'yara:miner_xmrig_like',
    );
    expect(deleted[0]).toMatchObject({
      severity: 'high',
      title: expect.stringMatching(/^Deleted file: .*miner/i),
    });
    expect(deleted[0]!.evidence).toContain('stratum+tcp://');
    expect(find((f) => f.source === 'ioc:hash' && f.path === '/tmp/.ICE-unix/kdevtmpfsi')[0]?.severity).toBe(
      'critical',
    );
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(
      /\| \/tmp\/\.ICE-unix\/kdevtmpfsi \| \d+ \| 2026-11-30T21:58:00\.000Z \| yes \|/,
    );
  });

  it('finds the ld.so.preload rootkit and the library it loads', () => {
    expect(find((f) => f.source === 'persistence:ld.so.preload')[0]).toMatchObject({
      severity: 'critical',
      path: '/etc/ld.so.preload',
      title: expect.stringContaining('/usr/local/lib/libprocesshider.so'),
    });
    expect(find((f) => f.source === 'yara:rootkit_ld_preload_process_hider')[0]?.path).toBe(
      '/usr/local/lib/libprocesshider.so',
    );
  });

  it('finds the cron and systemd persistence, with the timer and its enable link', () => {
    expect(find((f) => f.source === 'persistence:cron').map((f) => f.path)).toEqual(
      expect.arrayContaining(['/etc/cron.d/kworker', '/var/spool/cron/crontabs/www-data']),
    );
    const unit = find(
      (f) =>
        f.source === 'persistence:systemd' &&
        f.path === '/etc/systemd/system/systemd-networkd-helper.service',
    )[0];
    expect(unit?.severity).toBe('critical');
    expect(unit?.evidence).toContain(`/dev/tcp/${IOCS.c2Ip}/4444`);
    expect(unit?.evidence).toContain('timers.target.wants/systemd-networkd-helper.timer');
    // Stock units (ssh, nginx, apt-daily) are enabled too and are not findings.
    expect(find((f) => /ssh\.service|nginx\.service|apt-daily/.test(f.path ?? ''))).toEqual([]);
  });

  it('finds the new uid-0 account, the changed authorized_keys and the sudo rule', () => {
    expect(find((f) => f.source === 'accounts:passwd' && f.title.includes('sysupdate'))[0]?.severity).toBe(
      'critical',
    );
    expect(find((f) => f.path === '/root/.ssh/authorized_keys')[0]?.severity).toBe('high');
    expect(find((f) => f.source === 'accounts:sudoers')[0]?.evidence).toContain(
      'deploy ALL=(ALL) NOPASSWD:ALL',
    );
  });

  it('finds the download-and-run, the base64 pipeline, history -c and the keys in the history (redacted)', () => {
    const history = find((f) => f.source === 'history' && f.path === '/root/.bash_history');
    const titles = history.map((f) => f.title).join('\n');
    expect(titles).toMatch(/download piped into a shell/);
    expect(titles).toMatch(/file downloaded then made executable or run/);
    expect(titles).toMatch(/base64-decoded commands run/);
    expect(titles).toMatch(/history cleared/);
    const key = history.find((f) => f.title.includes('AWS access key'));
    expect(key?.category).toBe('credentials');
    expect(key?.evidence).toContain('AKIAIOSF********MPLE');
    expect(JSON.stringify(doc)).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('finds the SSH brute force and the login that followed it', () => {
    const login = find((f) => f.source === 'authlog:ssh')[0];
    expect(login).toMatchObject({
      severity: 'critical',
      category: 'access',
      title: `SSH login as deploy from ${IOCS.bruteForceIp} after 180 failed attempts`,
    });
    expect(login!.time!.startsWith('2026-11-30T21:3')).toBe(true);
  });

  it('finds the IOCs given on the command line and the replaced package binary', () => {
    expect(
      find((f) => f.source.startsWith('yara:ioc_') && f.title.includes(IOCS.downloadDomain)).map(
        (f) => f.path,
      ),
    ).toContain('/etc/cron.d/kworker');
    expect(
      find((f) => f.source.startsWith('yara:ioc_') && f.title.includes(IOCS.c2Ip)).map((f) => f.path),
    ).toContain('/etc/systemd/system/systemd-networkd-helper.service');
    expect(find((f) => f.source === 'packages:dpkg').map((f) => f.path)).toEqual(['/usr/sbin/sshd']);
  });

  it("writes the window's timeline and a report in the responder's order that says what was not examined", () => {
    const timeline = readFileSync(join(out, 'timeline.csv'), 'utf8').split('\n');
    expect(timeline[0]).toBe('Date,Size,Type,Mode,UID,GID,Meta,File Name');
    expect(
      timeline.some(
        (l) =>
          l.startsWith('2026-11-30T21:52:00Z') &&
          l.includes('/var/www/html/wp-content/uploads/2026/11/.cache.php'),
      ),
    ).toBe(true);
    expect(
      timeline
        .slice(1)
        .filter(Boolean)
        .every((l) => l.slice(0, 20) >= '2026-11-30T21:00:00Z'),
    ).toBe(true);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    const order = [
      'Is the actor still active?',
      'How did they get in?',
      'Persistence',
      'Credentials at risk',
      'What was executed',
    ];
    expect(order.map((h) => report.indexOf(`## ${h}`))).toEqual(
      [...order.map((h) => report.indexOf(`## ${h}`))].sort((a, b) => a - b),
    );
    expect(report).toContain('No memory image was given');
    expect(report).toContain(compromised.sha256);
  });
});

describe('npm run examine on a clean web server', () => {
  it('gives no high or critical finding (ordinary PHP, an admin page with fixed commands, random binaries)', () => {
    const out = join(work, 'clean');
    const r = examine(['--image', clean.path, '--since', INCIDENT_WINDOW.since, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = FindingsFile.parse(JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8')));
    expect(doc.findings.filter((f) => f.severity === 'high' || f.severity === 'critical')).toEqual([]);
    expect(r.stdout).toMatch(/examined: 0 critical, 0 high/);
  }, 120_000);
});

describe('npm run examine with a memory image and a live-triage archive', () => {
  it('scans memory in chunks (a string across a chunk boundary is found) and says Volatility did not run', () => {
    const memory = join(work, 'memory.raw');
    const data = Buffer.alloc(40 * 1024 * 1024);
    const planted = `stratum+tcp://${IOCS.poolDomain}:3333 xmrig randomx "donate-level"`;
    // Across the 32 MiB boundary of the first chunk.
    Buffer.from(planted).copy(data, 32 * 1024 * 1024 - 20);
    writeFileSync(memory, data);
    const triageDir = join(work, 'triage');
    mkdirSync(triageDir, { recursive: true });
    writeFileSync(
      join(triageDir, 'meta.json'),
      JSON.stringify({ collectedAt: '2026-12-01T02:00:00Z', instanceId: 'i-0a1b2c3d4e5f60718' }),
    );
    writeFileSync(
      join(triageDir, 'processes.json'),
      JSON.stringify([
        { pid: 1, ppid: 0, comm: 'systemd', exe: '/usr/lib/systemd/systemd' },
        { pid: 880, ppid: 1, comm: 'nginx', exe: '/usr/sbin/nginx' },
        {
          pid: 2412,
          ppid: 1,
          comm: 'kdevtmpfsi',
          exe: '/tmp/.ICE-unix/kdevtmpfsi (deleted)',
          cmdline: '/tmp/.ICE-unix/kdevtmpfsi -B',
        },
        { pid: 3001, ppid: 880, comm: 'sh', exe: '/usr/bin/dash', cmdline: 'sh -c id' },
      ]),
    );
    writeFileSync(
      join(triageDir, 'sockets.json'),
      JSON.stringify([
        {
          proto: 'tcp',
          local: '10.0.1.5:51234',
          remote: `${IOCS.c2Ip}:4444`,
          state: 'ESTABLISHED',
          pid: 2412,
        },
      ]),
    );
    const archive = join(work, 'triage.tar.gz');
    const tar = spawnSync('tar', [
      '-czf',
      archive,
      '-C',
      triageDir,
      'meta.json',
      'processes.json',
      'sockets.json',
    ]);
    expect(tar.status).toBe(0);

    const out = join(work, 'with-memory');
    const r = examine([
      '--image',
      clean.path,
      '--memory',
      memory,
      '--triage',
      archive,
      '--ioc',
      IOCS.c2Ip,
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = FindingsFile.parse(JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8')));
    const inMemory = doc.findings.find(
      (f) => f.source === 'yara:miner_xmrig_like' && f.title.startsWith('In memory'),
    );
    expect(inMemory?.evidence).toContain(`offset 0x${(32 * 1024 * 1024 - 20).toString(16)}`);
    expect(doc.findings.filter((f) => f.source === 'yara:miner_xmrig_like')).toHaveLength(1);
    expect(doc.summary.skipped.join('\n')).toMatch(
      /Volatility 3 is not installed here .*was not run; YARA over the memory image ran/,
    );
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('memory analysis by Volatility');
    const miner = doc.findings.find((f) => f.source === 'triage:processes' && f.title.includes('kdevtmpfsi'));
    expect(miner).toMatchObject({ severity: 'critical', category: 'activity', time: '2026-12-01T02:00:00Z' });
    expect(miner?.evidence).toContain(`${IOCS.c2Ip}:4444`);
    expect(doc.findings.find((f) => f.title.includes('shell spawned by the web server'))?.severity).toBe(
      'critical',
    );
    expect(doc.findings.find((f) => f.source === 'triage:sockets')?.title).toContain(IOCS.c2Ip);
  }, 120_000);
});

describe('npm run examine refuses what it cannot do, plainly', () => {
  it('without The Sleuth Kit and YARA on PATH: exit 3 and how to install them', () => {
    const empty = join(work, 'empty-path');
    mkdirSync(empty, { recursive: true });
    const r = examine(['--image', clean.path, '--out', join(work, 'no-tools')], {
      ...process.env,
      PATH: empty,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'not found on PATH: fls, mmls, fsstat, mactime, tsk_recover, blkls, blkcalc, yara, yarac',
    );
    expect(r.stderr).toContain('apt-get install -y sleuthkit yara');
  });

  it('an IOC that is no IP, domain or hash, a missing image, a bad date: exit 2 naming it', () => {
    const bad = examine(['--image', clean.path, '--ioc', 'not an ioc', '--out', join(work, 'bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--ioc "not an ioc" is neither an IP address, a domain nor an MD5/SHA-1/SHA-256 hash',
    );
    const missing = examine(['--image', join(work, 'nope.img'), '--out', join(work, 'bad')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.img: no such file');
    const date = examine(['--image', clean.path, '--since', 'yesterday', '--out', join(work, 'bad')]);
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('--since yesterday is not an ISO-8601 date');
    expect(examine(['--out', join(work, 'bad')]).code).toBe(2);
  });
});
