import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { PassThrough } from 'node:stream';
import { stream } from './exec.js';
import type { Filesystem } from './sleuthkit.js';
import type { Tools } from './tools.js';

/**
 * One sequential read of an image serves two needs: its SHA-256 (the evidence's identity) and the bytes
 * of every filesystem's unallocated space, which go to the YARA chunk scanner in the order `blkls` would
 * write them (so `blkcalc -u` still maps an offset back to an image block). Reading the image twice
 * (once to hash, once through `blkls`) was the larger part of the examination of a big, mostly empty
 * volume.
 */
export interface UnallocatedMap {
  fs: Filesystem;
  blockSize: number;
  /** Unallocated block ranges [first, last] (inclusive, in filesystem blocks), ascending. */
  ranges: number[];
  blocks: number;
}

/** The unallocated blocks of a filesystem (`blkls -l`), coalesced into ranges. */
export async function unallocatedMap(
  tools: Tools,
  fs: Filesystem,
  blockSize: number,
): Promise<UnallocatedMap> {
  const child = stream(tools.blkls, ['-l', ...(fs.offset ? ['-o', String(fs.offset)] : []), fs.image]);
  const ranges: number[] = [];
  let blocks = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const m = line.match(/^(\d+)\|f$/);
    if (!m) continue;
    const b = Number(m[1]);
    blocks++;
    if (ranges.length && ranges[ranges.length - 1] === b - 1) ranges[ranges.length - 1] = b;
    else ranges.push(b, b);
  }
  await child.done;
  return { fs, blockSize, ranges, blocks };
}

const READ = 8 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Reads `image` once: hashes it, and writes each map's unallocated bytes into its sink (ended at the end).
 * Sinks are object-mode streams of `Piece`s (yara.ts), written with backpressure, so memory stays at a
 * few read buffers.
 */
export async function hashAndCarve(
  image: string,
  maps: UnallocatedMap[],
  sinks: PassThrough[],
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const handle = await open(image, 'r');
  // Byte ranges in the image of every map's unallocated space, with the sink they go to.
  // `streamed`: how far into the unallocated stream (the concatenation of the ranges) each map is.
  const cursors = maps.map((m, i) => ({ m, sink: sinks[i]!, next: 0, base: m.fs.offset * 512, streamed: 0 }));
  const zeros = Buffer.alloc(READ);
  let offset = 0;
  try {
    for (;;) {
      const buffer = Buffer.allocUnsafe(READ);
      const { bytesRead } = await handle.read(buffer, 0, READ, offset);
      if (bytesRead === 0) break;
      const data = buffer.subarray(0, bytesRead);
      hash.update(data);
      const end = offset + bytesRead;
      for (const c of cursors) {
        const r = c.m.ranges;
        while (c.next < r.length) {
          const from = c.base + r[c.next]! * c.m.blockSize;
          const to = c.base + (r[c.next + 1]! + 1) * c.m.blockSize;
          if (from >= end) break;
          const a = Math.max(from, offset);
          const b = Math.min(to, end);
          if (b > a) {
            const slice = data.subarray(a - offset, b - offset);
            // Zeros (most of a volume's free space) are announced, not sent: the scanner skips them anyway.
            const piece = slice.equals(zeros.subarray(0, slice.length))
              ? { offset: c.streamed, data: EMPTY, length: slice.length }
              : { offset: c.streamed, data: slice, length: slice.length };
            c.streamed += slice.length;
            if (!c.sink.write(piece)) await once(c.sink, 'drain');
          }
          if (to <= end) c.next += 2;
          else break;
        }
      }
      offset = end;
    }
  } finally {
    await handle.close();
    for (const c of cursors) c.sink.end();
  }
  return { sha256: hash.digest('hex'), bytes: offset };
}
