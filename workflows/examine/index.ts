import { createHash } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { examineFilesystem, type DiskResult } from './disk.js';
import { ExaminationInputError } from './errors.js';
import { countBySeverity, type Finding, finalize, type NewFinding, type Severity } from './findings.js';
import { type Ioc, iocRules, parseIoc } from './iocs.js';
import { examineMemory, type MemoryResult } from './memory.js';
import { renderReport } from './report.js';
import { hashAndCarve, unallocatedMap } from './image-pass.js';
import { blockSize, type Filesystem, findFilesystems, writeBodyfile, writeTimeline } from './sleuthkit.js';
import { findTools, type Tools } from './tools.js';
import { checkTriage, readTriage } from './triage.js';
import type { Window } from './view.js';
import { compileRules, scanStream } from './yara.js';

export { ExaminationError, ExaminationInputError, MissingToolError, ToolFailedError } from './errors.js';
export type { Finding, Severity } from './findings.js';

/**
 * The examination engine (issue 12; contract in shared/DESIGN.md, "Examination contract"): raw disk
 * images read with The Sleuth Kit (never mounted), an optional memory image and live-triage archive,
 * the finding's IOCs and a window, into `findings.json`, `timeline.csv` and `report.md` under `outDir`.
 * Every output is returned with its SHA-256 and size, for the case's evidence manifest.
 */
export interface ExamineOptions {
  images: string[];
  memory?: string;
  triage?: string;
  /** Domains, IP addresses, MD5/SHA-1/SHA-256 hashes. */
  iocs?: string[];
  /** Start of the window (ISO-8601); default: 30 days before the latest modification in the image. */
  since?: string | Date;
  until?: string | Date;
  outDir: string;
  /** Scratch space for extracted files and chunks (default: a new directory under the OS temp dir). */
  workDir?: string;
}

export interface OutputFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface ExaminationSummary {
  text: string;
  total: number;
  counts: Record<Severity, number>;
  window: { since: string; until?: string; defaulted: boolean };
  filesystems: {
    label: string;
    entries: number;
    deleted: number;
    unallocatedBytes: number;
    packagesVerified: number;
  }[];
  memory?: { bytes: number; scannedBytes: number; volatility: string };
  triage?: { processes: number; sockets: number };
  tools: Record<string, string>;
  skipped: string[];
}

export interface ExaminationResult {
  findings: Finding[];
  inputs: OutputFile[];
  outputs: OutputFile[];
  summary: ExaminationSummary;
  skipped: string[];
}

/**
 * The examiner's identity, as the manifest names the tool (workflows/steps/manifest.ts): the deploy sets
 * FORENSICS_BOT_VERSION; npm sets npm_package_version for `npm run examine`. Never read from package.json
 * at load: a Lambda bundle has none beside it.
 */
export const TOOL = {
  name: 'forensics-bot examine',
  version: process.env.FORENSICS_BOT_VERSION ?? process.env.npm_package_version ?? 'unknown version',
};

function date(value: string | Date | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new ExaminationInputError(`${flag} ${String(value)} is not an ISO-8601 date`);
  return d;
}

function regularFile(path: string, flag: string): string {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new ExaminationInputError(`${flag} ${path}: no such file`);
  }
  if (!st.isFile() && !st.isBlockDevice()) throw new ExaminationInputError(`${flag} ${path}: not a file`);
  return resolve(path);
}

export function sha256File(path: string): Promise<OutputFile> {
  return new Promise((done, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })
      .on('data', (d) => {
        hash.update(d);
        bytes += d.length;
      })
      .on('end', () => done({ path, sha256: hash.digest('hex'), bytes }))
      .on('error', reject);
  });
}

export async function examine(options: ExamineOptions): Promise<ExaminationResult> {
  if (!options.images?.length) throw new ExaminationInputError('at least one --image is needed');
  const images = options.images.map((p) => regularFile(p, '--image'));
  const memory = options.memory ? regularFile(options.memory, '--memory') : undefined;
  const triagePath = options.triage ? regularFile(options.triage, '--triage') : undefined;
  const iocs: Ioc[] = (options.iocs ?? []).map(parseIoc);
  const since = date(options.since, '--since');
  const until = date(options.until, '--until');
  const triage = triagePath ? readTriage(triagePath) : undefined;
  const tools = await findTools();

  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'examine-'));
  mkdirSync(workDir, { recursive: true });
  try {
    const compiled = await compileRules(tools, iocRules(iocs), workDir);
    // Memory and triage are hashed beside the examination; each disk image by its single read pass.
    const otherHashes = Promise.all(
      [...(memory ? [memory] : []), ...(triagePath ? [triagePath] : [])].map(sha256File),
    );
    otherHashes.catch(() => {});
    const imageHashes: OutputFile[] = [];
    const timelines: Promise<string>[] = [];

    const disks: DiskResult[] = [];
    const windows: Window[] = [];
    let n = 0;
    for (const image of images) {
      const filesystems = await findFilesystems(tools, image);
      const maps = await Promise.all(
        filesystems.map(async (fs) => unallocatedMap(tools, fs, await blockSize(tools, fs))),
      );
      const dirs = filesystems.map(() => join(workDir, `fs-${n++}`));
      const sinks = maps.map(() => new PassThrough({ objectMode: true, highWaterMark: 4 }));
      const scans = maps.map((m, i) => {
        const chunks = join(dirs[i]!, 'unallocated-chunks');
        mkdirSync(chunks, { recursive: true });
        const scan = scanStream(tools, compiled, sinks[i]!, chunks).then((r) => ({
          ...r,
          blockSize: m.blockSize,
        }));
        scan.catch(() => {}); // awaited by the filesystem's examination
        return scan;
      });
      const pass = hashAndCarve(image, maps, sinks);
      pass.catch(() => {});
      for (const [i, fs] of filesystems.entries()) {
        const label = `${basename(image)}${fs.offset ? ` (${fs.description})` : ''}`;
        const dir = dirs[i]!;
        const window = since ? { since, ...(until ? { until } : {}) } : await defaultWindow(tools, fs, dir);
        windows.push(window);
        const k = timelines.length;
        const onBodyfile = (path: string) => {
          const csv = join(workDir, `timeline-${k}.csv`);
          // Several filesystems: names are prefixed by their image, in a copy of the bodyfile.
          const body = filesystems.length > 1 || images.length > 1 ? prefixed(path, label) : path;
          const made = writeTimeline(tools, body, window.since, window.until, csv).then(() => csv);
          made.catch(() => {});
          timelines.push(made);
        };
        disks.push(
          await examineFilesystem({
            onBodyfile,
            tools,
            fs,
            label,
            compiledRules: compiled,
            iocs,
            window,
            workDir: dir,
            unallocated: scans[i]!,
          }),
        );
      }
      const { sha256, bytes } = await pass;
      imageHashes.push({ path: image, sha256, bytes });
    }

    // One timeline over every filesystem: each one's rows are sorted by time; merged, they stay so.
    const timeline = join(outDir, 'timeline.csv');
    mergeTimelines(await Promise.all(timelines), timeline);
    const window = windows[0]!;
    const timelineRows = Math.max(0, readFileSync(timeline, 'utf8').split('\n').filter(Boolean).length - 1);

    let mem: MemoryResult | undefined;
    if (memory) mem = await examineMemory(tools, memory, compiled, join(workDir, 'memory'), outDir);
    const skipped = [...disks.flatMap((d) => d.skipped), ...(mem?.skipped ?? [])];
    if (!memory)
      skipped.push('No memory image was given: memory was not examined (neither YARA nor Volatility).');
    if (!triage)
      skipped.push('No live-triage archive was given: running processes and connections were not examined.');

    const raw: NewFinding[] = [];
    for (const d of disks)
      raw.push(
        ...(disks.length > 1
          ? d.findings.map((f) => ({ ...f, evidence: `[${d.label}] ${f.evidence}` }))
          : d.findings),
      );
    raw.push(...(mem?.findings ?? []));
    if (triage)
      raw.push(
        ...checkTriage(
          triage,
          iocs.filter((i) => i.kind !== 'hash').map((i) => i.value),
        ),
      );
    const findings = finalize(raw);
    const counts = countBySeverity(findings);
    const inputs = [...imageHashes, ...(await otherHashes)];
    const kinds = [
      ...images.map(() => 'disk'),
      ...(memory ? ['memory'] : []),
      ...(triagePath ? ['triage'] : []),
    ];

    const windowOut = {
      since: window.since.toISOString(),
      ...(window.until ? { until: window.until.toISOString() } : {}),
      defaulted: !since,
    };
    const toolVersions: Record<string, string> = {
      'The Sleuth Kit': tools.versions.sleuthkit,
      YARA: tools.versions.yara,
      ...(tools.versions.volatility ? { 'Volatility 3': tools.versions.volatility } : {}),
    };
    const top = findings.filter((f) => f.severity === 'critical' || f.severity === 'high').slice(0, 3);
    const summary: ExaminationSummary = {
      text:
        `${counts.critical} critical, ${counts.high} high, ${counts.medium} medium findings` +
        (top.length ? `: ${top.map((f) => f.title).join('; ')}` : ''),
      total: findings.length,
      counts,
      window: windowOut,
      filesystems: disks.map((d) => ({
        label: d.label,
        entries: d.entries,
        deleted: d.deleted.length,
        unallocatedBytes: d.unallocatedBytes,
        packagesVerified: d.packages.verified,
        extraction: d.extraction,
        timingsMs: d.timings,
      })),
      ...(mem
        ? {
            memory: {
              bytes: mem.bytes,
              scannedBytes: mem.scannedBytes,
              volatility: mem.volatility.ran ? 'ran' : (mem.volatility.reason ?? 'not run'),
            },
          }
        : {}),
      ...(triage ? { triage: { processes: triage.processes.length, sockets: triage.sockets.length } } : {}),
      tools: toolVersions,
      skipped,
    };
    const findingsFile = join(outDir, 'findings.json');
    writeFileSync(
      findingsFile,
      `${JSON.stringify({ tool: TOOL, inputs: inputs.map(({ path, sha256, bytes }) => ({ path, sha256, bytes })), findings, summary }, null, 2)}\n`,
    );
    const reportFile = join(outDir, 'report.md');
    writeFileSync(
      reportFile,
      renderReport({
        generatedAt: new Date().toISOString(),
        tool: TOOL,
        tools: toolVersions,
        inputs: inputs.map((i, k) => ({ ...i, kind: kinds[k]! })),
        window: windowOut,
        findings,
        counts,
        filesystems: disks,
        ...(mem ? { memory: mem } : {}),
        ...(triage ? { triage: { processes: triage.processes.length, sockets: triage.sockets.length } } : {}),
        timelineRows,
        skipped,
      }),
    );
    const produced = [
      findingsFile,
      timeline,
      reportFile,
      ...(mem?.volatility.output ? [mem.volatility.output] : []),
    ];
    const outputs = await Promise.all(produced.map(sha256File));
    return { findings, inputs, outputs, summary, skipped };
  } finally {
    if (!options.workDir) rmSync(workDir, { recursive: true, force: true });
  }
}

/** No --since: the 30 days before the latest modification time in the filesystem (future times ignored). */
async function defaultWindow(tools: Tools, fs: Filesystem, dir: string): Promise<Window> {
  mkdirSync(dir, { recursive: true });
  const entries = await writeBodyfile(tools, fs, join(dir, 'body.txt'));
  const now = Date.now() / 1000 + 86_400;
  const latest = entries.reduce((m, e) => (e.mtime > m && e.mtime <= now ? e.mtime : m), 0);
  return { since: new Date((latest - 30 * 86_400) * 1000) };
}

function prefixed(bodyfile: string, label: string): string {
  const copy = `${bodyfile}.prefixed`;
  writeFileSync(copy, readFileSync(bodyfile, 'utf8').replace(/^([^|]*)\|/gm, `$1|${label}:`));
  return copy;
}

/** Merges CSVs whose rows (after one header line) are sorted by their first column, an ISO date. */
function mergeTimelines(files: string[], out: string): void {
  const tables = files.map((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
  const header = tables[0]?.[0] ?? 'Date,Size,Type,Mode,UID,GID,Meta,File Name';
  const rows = tables.flatMap((t) => t.slice(1));
  if (tables.length > 1) rows.sort((a, b) => a.slice(0, 20).localeCompare(b.slice(0, 20)));
  writeFileSync(out, `${[header, ...rows].join('\n')}\n`);
}
