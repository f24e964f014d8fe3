import { readFileSync } from 'node:fs';
import { ExaminationInputError } from './errors.js';
import { run, stream } from './exec.js';
import type { Tools } from './tools.js';

/**
 * The Sleuth Kit, read-only over the raw image: nothing is mounted, nothing is written to the image.
 * `fls -r -m` gives the bodyfile (every name, allocated and deleted, with its times), `mactime` the
 * timeline of the window, `tsk_recover` the files' content (allocated, then deleted separately so each
 * extracted file is known to be one or the other), `blkls` the unallocated space and `blkcalc` maps an
 * offset in it back to a block of the image.
 */

/** One line of a bodyfile (TSK 3.x format: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime). */
export interface BodyEntry {
  path: string;
  inode: string;
  /** `r/rrw-r--r--`: the name's type, then the inode's. */
  mode: string;
  type: string;
  uid: number;
  gid: number;
  size: number;
  atime: number;
  mtime: number;
  ctime: number;
  crtime: number;
  deleted: boolean;
  /** The target of a symbolic link (fls writes `name -> target`). */
  linkTarget?: string;
}

export function parseBodyfile(text: string): BodyEntry[] {
  const out: BodyEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const parts = line.split('|');
    if (parts.length < 11) continue;
    // A name may itself contain '|': the fixed fields are the first one and the last nine.
    const tail = parts.slice(-9);
    let name = parts.slice(1, -9).join('|');
    const deleted = name.endsWith(' (deleted)') || name.endsWith(' (deleted-realloc)');
    if (deleted) name = name.replace(/ \(deleted(-realloc)?\)$/, '');
    const mode = tail[1]!;
    let linkTarget: string | undefined;
    if (mode.startsWith('l') && name.includes(' -> ')) {
      const at = name.indexOf(' -> ');
      linkTarget = name.slice(at + 4);
      name = name.slice(0, at);
    }
    if (name.endsWith('/.') || name.endsWith('/..')) continue;
    out.push({
      path: name,
      inode: tail[0]!,
      mode,
      type: mode.slice(0, 1),
      uid: Number(tail[2]),
      gid: Number(tail[3]),
      size: Number(tail[4]),
      atime: Number(tail[5]),
      mtime: Number(tail[6]),
      ctime: Number(tail[7]),
      crtime: Number(tail[8]),
      deleted,
      ...(linkTarget === undefined ? {} : { linkTarget }),
    });
  }
  return out;
}

/** A filesystem inside an image: the whole image (offset 0) or a partition found by mmls (in sectors). */
export interface Filesystem {
  image: string;
  offset: number;
  description: string;
}

function at(fs: Filesystem): string[] {
  return fs.offset ? ['-o', String(fs.offset)] : [];
}

/**
 * The filesystems of an image: a bare filesystem (as the sandbox's volumes), or the partitions of a
 * partitioned disk (as real EBS root volumes) that TSK can read.
 */
export async function findFilesystems(tools: Tools, image: string): Promise<Filesystem[]> {
  const whole = await run(tools.fls, [image], { maxStdout: 1 << 20, okCodes: [0] }).then(
    () => true,
    () => false,
  );
  if (whole) return [{ image, offset: 0, description: 'whole image' }];
  const table = await run(tools.mmls, ['-a', image]).catch(() => '');
  const found: Filesystem[] = [];
  for (const line of table.split('\n')) {
    const m = line.match(/^\s*\d+:\s+\S+\s+(\d+)\s+\d+\s+\d+\s+(.*)$/);
    if (!m) continue;
    const fs = {
      image,
      offset: Number(m[1]),
      description: `partition at sector ${Number(m[1])} (${m[2]!.trim()})`,
    };
    const readable = await run(tools.fls, [...at(fs), image], { maxStdout: 1 << 20 }).then(
      () => true,
      () => false,
    );
    if (readable) found.push(fs);
  }
  if (!found.length)
    throw new ExaminationInputError(
      `${image}: The Sleuth Kit finds no filesystem it can read (neither the whole image nor a partition)`,
    );
  return found;
}

export async function writeBodyfile(tools: Tools, fs: Filesystem, file: string): Promise<BodyEntry[]> {
  await run(tools.fls, ['-r', '-m', '/', ...at(fs), fs.image], { stdoutFile: file });
  return parseBodyfile(readFileSync(file, 'utf8'));
}

/** Extracts the allocated files (`-a`) or the deleted ones (default) into `dir`. */
export async function recover(tools: Tools, fs: Filesystem, dir: string, which: 'allocated' | 'deleted') {
  await run(tools.tsk_recover, [...(which === 'allocated' ? ['-a'] : []), ...at(fs), fs.image, dir], {
    maxStdout: 1 << 20,
  });
}

/** The timeline of `bodyfile` from `since` (and until `until`), as CSV (`mactime -d`), into `file`. */
export async function writeTimeline(
  tools: Tools,
  bodyfile: string,
  since: Date,
  until: Date | undefined,
  file: string,
) {
  const day = (d: Date) => d.toISOString().slice(0, 19);
  const range = until ? `${day(since)}..${day(until)}` : day(since);
  await run(tools.mactime, ['-b', bodyfile, '-d', '-y', '-z', 'UTC', range], { stdoutFile: file });
}

/** The unallocated space of a filesystem as a stream (`blkls`), and the block size to locate hits. */
export function unallocated(tools: Tools, fs: Filesystem) {
  return stream(tools.blkls, [...at(fs), fs.image]);
}

export async function blockSize(tools: Tools, fs: Filesystem): Promise<number> {
  const text = await run(tools.fsstat, [...at(fs), fs.image]).catch(() => '');
  return Number(text.match(/^Block Size: (\d+)/m)?.[1] ?? 4096);
}

/** The image block that block `n` of the unallocated stream came from. */
export async function unallocatedToImageBlock(
  tools: Tools,
  fs: Filesystem,
  n: number,
): Promise<number | undefined> {
  const text = await run(tools.blkcalc, ['-u', String(n), ...at(fs), fs.image]).catch(() => '');
  const block = Number(text.trim().split('\n').pop());
  return Number.isFinite(block) && text.trim() ? block : undefined;
}
