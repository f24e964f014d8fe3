import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { run } from './exec.js';
import type { Tools } from './tools.js';

/**
 * YARA over what The Sleuth Kit extracted, never over a whole image at once: YARA maps each file it scans,
 * so scanning a raw image maps all of it (1 GiB image, 1 GiB RSS). Files are scanned as files (larger
 * ones skipped by `-z` and scanned in chunks); unallocated space and memory images are cut into bounded
 * chunks that overlap, so a string across a boundary is still found once.
 */

/** The project's rules (webshells, miners, reverse shells, loaders). */
export const RULES_DIR = join(import.meta.dirname, 'rules');
export function projectRuleFiles(): string[] {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yar'))
    .sort()
    .map((f) => join(RULES_DIR, f));
}

export interface YaraHit {
  rule: string;
  meta: Record<string, string>;
  /** The scanned file (as YARA names it). */
  target: string;
  /** Matched strings: offset in the scanned file and the text YARA prints. */
  strings: { offset: number; id: string; data: string }[];
}

/** Files larger than this are scanned in chunks, not mapped whole. */
export const FILE_LIMIT = 64 * 1024 * 1024;
export const CHUNK_BYTES = 32 * 1024 * 1024;
/** Overlap between chunks: longer than any string the rules look for. */
export const CHUNK_OVERLAP = 64 * 1024;

/** Compiles the project's rules and the generated ones once (`yarac`), so every scan loads them fast. */
export async function compileRules(tools: Tools, extraRules: string, workDir: string): Promise<string> {
  const files = projectRuleFiles();
  if (extraRules) {
    const extra = join(workDir, 'generated.yar');
    writeFileSync(extra, extraRules);
    files.push(extra);
  }
  const compiled = join(workDir, 'rules.yarc');
  await run(tools.yarac, ['-w', ...files, compiled]);
  return compiled;
}

/** Drops a hit whose rule says it is `weaker_than` another rule that matched the same target. */
export function strongest(hits: YaraHit[]): YaraHit[] {
  const matched = new Set(hits.map((h) => `${h.rule}\0${h.target}`));
  return hits.filter((h) => !h.meta.weaker_than || !matched.has(`${h.meta.weaker_than}\0${h.target}`));
}

export function parseYaraOutput(text: string): YaraHit[] {
  const hits: YaraHit[] = [];
  let current: YaraHit | undefined;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const s = line.match(/^0x([0-9a-f]+):(\$[\w]*): ?(.*)$/);
    if (s && current) {
      if (current.strings.length < 20)
        current.strings.push({ offset: Number.parseInt(s[1]!, 16), id: s[2]!, data: s[3]!.slice(0, 200) });
      continue;
    }
    const r = line.match(/^(\w+) \[(.*?)\] (.+)$/);
    if (!r) continue;
    const meta: Record<string, string> = {};
    for (const m of r[2]!.matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,]*))/g))
      meta[m[1]!] = m[2] ?? m[3] ?? '';
    current = { rule: r[1]!, meta, target: r[3]!, strings: [] };
    hits.push(current);
  }
  return hits;
}

const SCAN_ARGS = ['-w', '-m', '-s', '--max-strings-per-rule=20'];

/** Every file under `dir` up to `FILE_LIMIT` (two threads: the machine has two cores). */
export async function scanDir(tools: Tools, compiled: string, dir: string): Promise<YaraHit[]> {
  const out = await run(tools.yara, [
    ...SCAN_ARGS,
    '-C',
    '-r',
    '-N',
    '-p',
    '2',
    '-z',
    String(FILE_LIMIT),
    compiled,
    dir,
  ]);
  return strongest(parseYaraOutput(out));
}

export async function scanFile(tools: Tools, compiled: string, file: string): Promise<YaraHit[]> {
  return strongest(parseYaraOutput(await run(tools.yara, [...SCAN_ARGS, '-C', compiled, file])));
}

/**
 * A stretch of a stream at `offset`; a producer that knows a stretch is zeros sends a piece with no data
 * (`data` empty, `length` the zeros' size), so they are neither copied nor compared again.
 */
export interface Piece {
  offset: number;
  data: Buffer;
  length: number;
}

/** A hit in a stream scanned in chunks: the offset is in the whole stream. */
export interface StreamHit extends YaraHit {
  streamOffset: number;
}

/**
 * Scans a stream (unallocated space, a memory image, a large file) in chunks of `CHUNK_BYTES` written to
 * `workDir`, each scanned and deleted before the next is written: memory and disk use stay bounded. Chunks
 * that are all zeros (most of a fresh volume's free space) are not written nor scanned: no rule matches
 * zeros only. A hit seen twice in the overlap is kept once.
 */
export async function scanStream(
  tools: Tools,
  compiled: string,
  input: Readable,
  workDir: string,
): Promise<{ hits: StreamHit[]; bytes: number; scannedBytes: number }> {
  const hits: StreamHit[] = [];
  const seen = new Set<string>();
  const zeros = Buffer.alloc(CHUNK_BYTES);
  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let filled = 0;
  let start = 0; // offset in the stream of buffer[0]
  let bytes = 0;
  let scannedBytes = 0;
  let index = 0;

  const flush = async (final: boolean) => {
    const chunk = buffer.subarray(0, filled);
    const isZero =
      chunk.length === CHUNK_BYTES ? chunk.equals(zeros) : chunk.equals(zeros.subarray(0, chunk.length));
    if (!isZero && chunk.length) {
      const file = join(workDir, `chunk-${index++}.bin`);
      writeFileSync(file, chunk);
      try {
        for (const hit of await scanFile(tools, compiled, file)) {
          const first = hit.strings[0]?.offset ?? 0;
          const streamOffset = start + first;
          const key = `${hit.rule}@${streamOffset}`;
          if (seen.has(key)) continue;
          seen.add(key);
          hits.push({
            ...hit,
            streamOffset,
            strings: hit.strings.map((s) => ({ ...s, offset: start + s.offset })),
          });
        }
      } finally {
        rmSync(file, { force: true });
      }
      scannedBytes += chunk.length;
    }
    if (final) return;
    // Keep the overlap at the front of the next chunk.
    const keep = Math.min(CHUNK_OVERLAP, filled);
    const next = Buffer.allocUnsafe(CHUNK_BYTES);
    buffer.copy(next, 0, filled - keep, filled);
    buffer = next;
    start += filled - keep;
    filled = keep;
  };

  for await (const item of input as AsyncIterable<Buffer | Piece>) {
    const piece = Buffer.isBuffer(item) ? { offset: start + filled, data: item, length: item.length } : item;
    bytes += piece.length;
    // A gap (zeros left out by the producer): scan what is buffered, then start anew at the piece.
    if (piece.offset !== start + filled) {
      if (filled > 0) await flush(true);
      buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      start = piece.offset;
      filled = 0;
    }
    const data = piece.data;
    let at = 0;
    while (at < data.length) {
      const n = Math.min(CHUNK_BYTES - filled, data.length - at);
      data.copy(buffer, filled, at, at + n);
      filled += n;
      at += n;
      if (filled === CHUNK_BYTES) await flush(false);
    }
  }
  if (filled > 0) await flush(true);
  return { hits, bytes, scannedBytes };
}
