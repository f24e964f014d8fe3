import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkAccounts } from './checks/accounts.js';
import { checkAuthLogs } from './checks/authlog.js';
import { checkHistories } from './checks/histories.js';
import { checkPackages } from './checks/packages.js';
import { checkPersistence } from './checks/persistence.js';
import { checkWebRoots } from './checks/webroots.js';
import { clip, lower, type NewFinding, type Severity } from './findings.js';
import type { Ioc } from './iocs.js';
import {
  type BodyEntry,
  type Filesystem,
  recover,
  unallocatedToImageBlock,
  writeBodyfile,
} from './sleuthkit.js';
import type { Tools } from './tools.js';
import { ImageView, type Window } from './view.js';
import { FILE_LIMIT, type StreamHit, scanDir, scanStream, type YaraHit } from './yara.js';

/** What one filesystem of a disk image gave. */
export interface DiskResult {
  label: string;
  findings: NewFinding[];
  bodyfile: string;
  entries: number;
  deleted: { path: string; size: number; time?: string; recovered: boolean }[];
  unallocatedBytes: number;
  unallocatedScannedBytes: number;
  packages: { verified: number; missing: number };
  skipped: string[];
  /** Where the extracted content was held while examined (tmpfs is memory), and how much of it. */
  extraction: { where: 'tmpfs' | 'disk'; bytes: number };
  /** Milliseconds per stage (what the bench reads to say where the time goes). */
  timings: Record<string, number>;
}

export interface DiskInput {
  tools: Tools;
  fs: Filesystem;
  label: string;
  compiledRules: string;
  iocs: Ioc[];
  window: Window;
  workDir: string;
  /** Called as soon as the bodyfile is written (the timeline is made from it meanwhile). */
  onBodyfile?: (path: string) => void;
  /** The YARA scan of the unallocated space, fed by the image's single read pass (image-pass.ts). */
  unallocated: Promise<{ hits: StreamHit[]; bytes: number; scannedBytes: number; blockSize: number }>;
}

/**
 * One filesystem: bodyfile, extraction (allocated and deleted apart), YARA over the files and over the
 * unallocated space in chunks, then the checks over the extracted tree. The scans of files and of
 * unallocated space run side by side (two cores; one is I/O-bound while the other matches).
 */
export async function examineFilesystem(input: DiskInput): Promise<DiskResult> {
  const { tools, fs, workDir } = input;
  mkdirSync(workDir, { recursive: true });
  const bodyfile = join(workDir, 'body.txt');
  const chunkDir = join(workDir, 'chunks');
  mkdirSync(chunkDir, { recursive: true });

  const entries = await writeBodyfile(tools, fs, bodyfile);
  input.onBodyfile?.(bodyfile);
  const unalloc = input.unallocated;
  const extracted = entries.reduce((n, e) => (e.type === 'r' ? n + e.size : n), 0);
  const scratch = extractionDir(extracted, workDir);
  try {
    return await examineExtracted(input, entries, bodyfile, unalloc, scratch);
  } finally {
    rmSync(scratch.dir, { recursive: true, force: true });
  }
}

/**
 * Where the extracted files go. Creating tens of thousands of files costs far more on a disk filesystem
 * than reading them (measured here: 30,000 files, 300 MiB, 19.5 s on ext4 against 0.9 s on tmpfs), so
 * they go to tmpfs (/dev/shm) when it has room for them with a margin, else to the work directory on
 * disk. Either way they are deleted when the filesystem is examined; the result says which was used,
 * since content held in tmpfs is memory.
 */
function extractionDir(
  bytes: number,
  workDir: string,
): { dir: string; where: 'tmpfs' | 'disk'; bytes: number } {
  const shm = process.env.EXAMINE_TMPFS ?? '/dev/shm';
  if (shm !== 'off')
    try {
      const st = statfsSync(shm);
      if (st.bavail * st.bsize > bytes * 1.5 + 256 * 1024 * 1024)
        return { dir: mkdtempSync(join(shm, 'examine-')), where: 'tmpfs', bytes };
    } catch {
      // no tmpfs here
    }
  const dir = join(workDir, 'extracted');
  mkdirSync(dir, { recursive: true });
  return { dir, where: 'disk', bytes };
}

async function examineExtracted(
  input: DiskInput,
  entries: BodyEntry[],
  bodyfile: string,
  unalloc: DiskInput['unallocated'],
  scratch: { dir: string; where: 'tmpfs' | 'disk'; bytes: number },
): Promise<DiskResult> {
  const { tools, fs, workDir, compiledRules, iocs, window, label } = input;
  const chunkDir = join(workDir, 'chunks');
  const allocDir = join(scratch.dir, 'allocated');
  const deletedDir = join(scratch.dir, 'deleted');
  mkdirSync(allocDir, { recursive: true });
  mkdirSync(deletedDir, { recursive: true });
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };
  await recover(tools, fs, allocDir, 'allocated');
  await recover(tools, fs, deletedDir, 'deleted');
  lap('extract');
  // Measured: extracting and scanning in pipelined batches was slower here (two cores, both busy).
  const fileHits = await scanDir(tools, compiledRules, allocDir);
  lap('yaraFiles');
  const view = new ImageView(label, entries, allocDir, deletedDir, window);
  const deletedByPath = new Map(entries.filter((e) => e.deleted).map((e) => [e.path, e]));

  const findings: NewFinding[] = [];
  const deletedHits = await scanDir(tools, compiledRules, deletedDir);
  // Files too large to be mapped whole are scanned in chunks.
  for (const e of entries)
    if (!e.deleted && e.type === 'r' && e.size > FILE_LIMIT) {
      const { hits } = await scanStream(
        tools,
        compiledRules,
        createReadStream(join(allocDir, e.path)),
        chunkDir,
      );
      fileHits.push(...hits.map((h) => ({ ...h, target: join(allocDir, e.path) })));
    }
  for (const hit of fileHits)
    findings.push(
      yaraFinding(
        hit,
        `/${relative(allocDir, hit.target)}`,
        view.entry(`/${relative(allocDir, hit.target)}`),
        false,
      ),
    );
  const deletedMatched = new Set<string>();
  for (const hit of deletedHits) {
    const path = `/${relative(deletedDir, hit.target)}`;
    deletedMatched.add(hit.rule);
    findings.push(yaraFinding(hit, path, deletedByPath.get(path), true));
  }

  const u = await unalloc;
  lap('unallocatedWait');
  for (const hit of u.hits) {
    // The same content is usually the deleted file just recovered: its finding says it already.
    if (deletedMatched.has(hit.rule)) continue;
    const block = await unallocatedToImageBlock(tools, fs, Math.floor(hit.streamOffset / u.blockSize));
    const severity: Severity =
      hit.meta.category === 'ioc' ? 'high' : lower((hit.meta.severity as Severity) ?? 'medium', 'medium');
    findings.push({
      category: (hit.meta.category as NewFinding['category']) ?? 'malware',
      severity,
      title: `In unallocated space: ${hit.meta.title ?? hit.rule}`,
      evidence: clip(
        `${block === undefined ? '' : `image block ${block} (${u.blockSize}-byte blocks), `}offset ${hit.streamOffset} of the unallocated space; ${strings(hit)}`,
        400,
      ),
      source: `yara:${hit.rule}`,
    });
  }

  const iocValues = iocs.filter((i) => i.kind !== 'hash').map((i) => i.value);
  findings.push(
    ...checkPersistence(view, iocValues),
    ...checkAccounts(view),
    ...checkHistories(view),
    ...checkAuthLogs(
      view,
      iocs.filter((i) => i.kind === 'ip').map((i) => i.value),
    ),
    ...checkWebRoots(view),
  );
  const packages = checkPackages(view);
  findings.push(...packages.findings);
  findings.push(...deletedFindings(view, entries, deletedHits, deletedDir));
  const hashed = await hashIocs(iocs, entries, allocDir, deletedDir);
  findings.push(...hashed.findings);
  lap('checks');

  return {
    label,
    findings,
    bodyfile,
    entries: entries.length,
    deleted: [...deletedByPath.values()]
      .filter((e) => e.type === 'r')
      .map((e) => ({
        path: e.path,
        size: e.size,
        time: view.time(e),
        recovered: existsSync(join(deletedDir, e.path)),
      })),
    unallocatedBytes: u.bytes,
    unallocatedScannedBytes: u.scannedBytes,
    packages: { verified: packages.verified, missing: packages.missing },
    skipped: [
      ...(packages.skipped ? [packages.skipped] : []),
      ...(hashed.unextracted
        ? [
            `${hashed.unextracted} file(s) could not be compared with the hash indicators: their content was not extracted (deleted files whose blocks are gone).`,
          ]
        : []),
    ],
    extraction: { where: scratch.where, bytes: scratch.bytes },
    timings,
  };
}

function strings(hit: YaraHit): string {
  const unique = [...new Set(hit.strings.map((s) => s.data))].slice(0, 4);
  return unique.map((s) => `"${s}"`).join(', ');
}

function yaraFinding(hit: YaraHit, path: string, entry: BodyEntry | undefined, deleted: boolean): NewFinding {
  const title = hit.meta.title ?? hit.rule;
  return {
    category: (hit.meta.category as NewFinding['category']) ?? 'malware',
    severity: (hit.meta.severity as Severity) ?? 'medium',
    title: deleted ? `Deleted file: ${title}` : title,
    path,
    ...(entry && entry.mtime > 0 ? { time: new Date(entry.mtime * 1000).toISOString() } : {}),
    evidence: clip(
      `${deleted ? 'recovered from a deleted inode; ' : ''}${entry ? `${entry.size} bytes, mode ${entry.mode}; ` : ''}matched ${strings(hit)}`,
      400,
    ),
    source: `yara:${hit.rule}`,
  };
}

/** Deleted executables and deleted files in temporary or hidden places are worth a line even unmatched. */
function deletedFindings(
  view: ImageView,
  entries: BodyEntry[],
  hits: YaraHit[],
  deletedDir: string,
): NewFinding[] {
  const matched = new Set(hits.map((h) => `/${relative(deletedDir, h.target)}`));
  return entries
    .filter((e) => e.deleted && e.type === 'r' && !matched.has(e.path))
    .filter(
      (e) =>
        /^\/(tmp|var\/tmp|dev\/shm|run\/shm)\//.test(e.path) ||
        /\/\.[^/]+\//.test(e.path) ||
        (/x/.test(e.mode.slice(2)) && view.changedInWindow(e)),
    )
    .map((e) => ({
      category: 'deleted' as const,
      severity: (view.changedInWindow(e) ? 'medium' : 'low') as Severity,
      title: `Deleted ${/x/.test(e.mode.slice(2)) ? 'executable' : 'file'} in a temporary or hidden directory`,
      path: e.path,
      time: view.time(e),
      evidence: `${e.size} bytes, mode ${e.mode}, inode ${e.inode}`,
      source: 'deleted',
    }));
}

/** Hash IOCs against every extracted file (allocated and deleted), only when there are any. */
async function hashIocs(
  iocs: Ioc[],
  entries: BodyEntry[],
  allocDir: string,
  deletedDir: string,
): Promise<{ findings: NewFinding[]; unextracted: number }> {
  const wanted = iocs.filter((i): i is Extract<Ioc, { kind: 'hash' }> => i.kind === 'hash');
  if (!wanted.length) return { findings: [], unextracted: 0 };
  const algorithms = [...new Set(wanted.map((w) => w.algorithm))];
  const out: NewFinding[] = [];
  let unextracted = 0;
  for (const e of entries) {
    if (e.type !== 'r' || e.size === 0) continue;
    const file = join(e.deleted ? deletedDir : allocDir, e.path);
    // A file that was never extracted (a deleted file whose blocks are gone) is counted and said in the
    // report's "not examined"; any other read error stops the examination with its message.
    if (!existsSync(file)) {
      unextracted++;
      continue;
    }
    const digests = await hashFile(file, algorithms);
    for (const w of wanted)
      if (digests[w.algorithm] === w.value)
        out.push({
          category: 'ioc',
          severity: 'critical',
          title: `${e.deleted ? 'Deleted file' : 'File'} has the finding's ${w.algorithm.toUpperCase()} ${w.value.slice(0, 16)}…`,
          path: e.path,
          ...(e.mtime > 0 ? { time: new Date(e.mtime * 1000).toISOString() } : {}),
          evidence: `${w.algorithm} ${w.value}; ${e.size} bytes, mode ${e.mode}`,
          source: 'ioc:hash',
        });
  }
  return { findings: out, unextracted };
}

function hashFile(file: string, algorithms: string[]): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const hashes = algorithms.map((a) => createHash(a));
    createReadStream(file)
      .on('data', (d) => {
        for (const h of hashes) h.update(d);
      })
      .on('end', () => resolve(Object.fromEntries(algorithms.map((a, i) => [a, hashes[i]!.digest('hex')]))))
      .on('error', reject);
  });
}
