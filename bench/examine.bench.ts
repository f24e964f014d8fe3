/**
 * Examination (issue 12 "Performance"): generated ext4 images of 1 GiB (and 8 GiB unless
 * `EXAMINE_BENCH_8GIB=0`) holding tens of thousands of ordinary files (configuration, PHP pages, logs,
 * binaries) plus the compromised web server's planted traces, examined by the real CLI (The Sleuth Kit,
 * YARA). Wall time is given as a ratio to one sequential read-and-hash of the same image (the physical
 * floor; both warm in the page cache, as the image was just built); target ≤ 3×. Peak RSS is the sum over
 * the engine and the tools it runs at the same moment (sampled from /proc every 50 ms); target ≤ 1 GiB.
 * The planted traces must be found, or the figures mean nothing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDiskImage, type DiskTree, type TreeFile } from '../sandbox/disks/build.js';
import { compromisedWebServer, INCIDENT_WINDOW } from '../sandbox/disks/trees.js';
import type { BenchResult, Figure } from './types.js';

const ROOT = join(import.meta.dirname, '..');
const MIB = 1024 * 1024;

/** Deterministic bytes (xorshift), so the images are cached between runs. */
function bytes(seed: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, Math.min(i, n - 4));
  }
  return out;
}

const WORDS =
  'server request config value user page order widget cache session index account report status'.split(' ');
function text(seed: number, n: number): string {
  let s = '';
  for (let i = 0; s.length < n; i++)
    s += `${WORDS[(seed + i * 7) % WORDS.length]}${i % 12 === 11 ? '\n' : ' '}`;
  return s.slice(0, n);
}

/** `count` ordinary files of about `dataMiB` in all, beside the compromised server's tree. */
function ordinaryTree(name: string, count: number, dataMiB: number, sizeMiB: number): DiskTree {
  const files: Record<string, string | TreeFile> = { ...compromisedWebServer.files };
  const avg = Math.floor((dataMiB * MIB) / count);
  for (let i = 0; i < count; i++) {
    const dir = `usr/share/app${i % 40}/d${Math.floor(i / 40) % 50}`;
    const size = Math.max(64, Math.floor(avg * (0.2 + ((i * 37) % 100) / 62)));
    const mtime = '2026-06-10T09:12:00Z';
    switch (i % 5) {
      case 0:
        files[`${dir}/lib${i}.so`] = { content: bytes(i, size), mtime, mode: 0o755 };
        break;
      case 1:
        files[`var/www/html/app/p${i}.php`] = {
          content: `<?php\n// page ${i}\necho htmlspecialchars($title);\n/* ${text(i, size)} */\n`,
          mtime,
        };
        break;
      case 2:
        files[`${dir}/doc${i}.txt`] = { content: text(i, size), mtime };
        break;
      case 3:
        files[`etc/app${i % 40}/conf${i}.conf`] = {
          content: `# setting ${i}\nkey=${text(i, Math.min(size, 2000))}\n`,
          mtime,
        };
        break;
      default:
        files[`var/log/app/app${i}.log`] = { content: text(i, size), mtime };
    }
  }
  return {
    name,
    files,
    deleted: compromisedWebServer.deleted!,
    symlinks: compromisedWebServer.symlinks!,
    sizeMiB,
  };
}

async function readAndHash(path: string): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 4 * MIB })
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return (performance.now() - started) / 1000;
}

/** RSS of a process and its descendants (kB from /proc), summed. */
function treeRss(root: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      const ppid = Number(status.match(/^PPid:\s+(\d+)/m)?.[1]);
      rss.set(Number(d), Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0));
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total * 1024;
}

async function examineImage(
  image: string,
  out: string,
): Promise<{ seconds: number; peakRss: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'workflows/examine/cli.ts'),
      '--image',
      image,
      '--since',
      INCIDENT_WINDOW.since,
      '--out',
      out,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let peakRss = 0;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, treeRss(child.pid!));
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`examine exited ${code}: ${stderr}`);
  return { seconds: (performance.now() - started) / 1000, peakRss, stdout };
}

async function one(label: string, tree: DiskTree, figures: Figure[], notes: string[]) {
  const t0 = performance.now();
  const image = await buildDiskImage(tree);
  notes.push(
    `${label}: image ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (built once, then cached): ${Object.keys(tree.files).length} files`,
  );
  const floor = await readAndHash(image.path);
  const out = mkdtempSync(join(tmpdir(), 'examine-bench-'));
  try {
    const run = await examineImage(image.path, out);
    const doc = JSON.parse(readFileSync(join(out, 'findings.json'), 'utf8')) as {
      findings: { source: string; path?: string }[];
      summary: {
        filesystems: { extraction: { where: string; bytes: number }; timingsMs: Record<string, number> }[];
      };
    };
    const fsInfo = doc.summary.filesystems[0]!;
    const found = (source: string, path?: string) =>
      doc.findings.some((f) => f.source === source && (!path || f.path === path));
    const planted = [
      found('yara:webshell_php_request_exec', '/var/www/html/wp-content/uploads/2026/11/.cache.php'),
      found('yara:miner_xmrig_like', '/tmp/.ICE-unix/kdevtmpfsi'),
      found('persistence:ld.so.preload'),
      found('authlog:ssh'),
    ];
    if (planted.includes(false))
      throw new Error(`${label}: planted traces not all found: ${JSON.stringify(planted)}`);
    figures.push(
      { name: `${label} sequential read-and-hash (floor)`, value: floor, unit: 's' },
      { name: `${label} examination wall time`, value: run.seconds, unit: 's' },
      { name: `${label} ratio to the floor`, value: run.seconds / floor, unit: '×', target: '≤ 3×' },
      {
        name: `${label} peak RSS (engine + tools)`,
        value: run.peakRss / MIB,
        unit: 'MiB',
        target: '≤ 1024 MiB',
      },
      {
        name: `${label} extracted content held while examined (${fsInfo.extraction.where})`,
        value: fsInfo.extraction.bytes / MIB,
        unit: 'MiB',
      },
      { name: `${label} findings`, value: doc.findings.length, unit: 'findings' },
    );
    notes.push(
      `${label}: stages (ms) ${JSON.stringify(fsInfo.timingsMs)}; the rest is start-up, bodyfile, timeline and outputs`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const notes: string[] = [
    'Floor and examination both read a warm page cache (the image was just built or read); on a cold disk both grow by the read time.',
  ];
  await one('1 GiB', ordinaryTree('bench-examine-1g', 30_000, 300, 1024), figures, notes);
  if (process.env.EXAMINE_BENCH_8GIB !== '0')
    await one('8 GiB', ordinaryTree('bench-examine-8g', 60_000, 1200, 8192), figures, notes);
  else notes.push('8 GiB image skipped (EXAMINE_BENCH_8GIB=0).');
  return { name: 'examine', figures, notes };
}
