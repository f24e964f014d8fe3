import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../deploy/bundling.js';

/**
 * Real ext4 images built from a tree described in code (`mke2fs -d`: no root, no mount), so the simulated
 * volumes, their snapshots and the EBS direct APIs serve real blocks, and the examination reads real
 * filesystems with The Sleuth Kit. Images are cached by the tree's hash; building one takes well under a
 * second for the sandbox's trees.
 */

/** One file of a tree: its content, and optionally its mode and modification time (ISO-8601). */
export interface TreeFile {
  content: string | Buffer;
  mode?: number;
  mtime?: string;
}

export interface DiskTree {
  /** Name of the tree (in the cache file name and the logs). */
  name: string;
  /** Paths inside the filesystem (no leading slash) → file. Directories are implied. */
  files: Record<string, string | TreeFile>;
  /** Paths written and then deleted inside the image (debugfs), so they exist only as deleted inodes. */
  deleted?: Record<string, string | TreeFile>;
  /** Size of the filesystem in MiB (default 64). */
  sizeMiB?: number;
  /** Symbolic links: path inside the filesystem → link target (e.g. systemd's enable links in `*.wants/`). */
  symlinks?: Record<string, string>;
}

export interface DiskImage {
  path: string;
  bytes: number;
  sha256: string;
}

const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'forensics-bot', 'disks');

/** True when `mke2fs` (e2fsprogs) is installed: without it the sandbox's volumes carry no content. */
export function canBuildImages(): boolean {
  try {
    execFileSync('mke2fs', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The raw ext4 image of `tree` (built once per distinct tree, then reused from the cache). */
export async function buildDiskImage(tree: DiskTree): Promise<DiskImage> {
  const key = createHash('sha256').update(treeKey(tree)).digest('hex').slice(0, 16);
  const path = join(CACHE_DIR, `${tree.name}-${key}.img`);
  if (!existsSync(path)) build(tree, path);
  return { path, bytes: statSync(path).size, sha256: await sha256File(path) };
}

function build(tree: DiskTree, path: string): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), `disk-${tree.name}-`));
  try {
    const root = join(work, 'root');
    mkdirSync(root);
    const all = { ...tree.files, ...(tree.deleted ?? {}) };
    for (const [rel, file] of Object.entries(all)) writeTreeFile(root, rel, file);
    for (const [rel, target] of Object.entries(tree.symlinks ?? {})) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      symlinkSync(target, join(root, rel));
    }
    const image = join(work, 'image');
    // A fixed UUID and hash seed (the same filesystem identity on every machine); inode change times still
    // differ between builds, so an image's hash is computed from its bytes, never assumed.
    execFileSync(
      'mke2fs',
      [
        '-q',
        '-t',
        'ext4',
        '-U',
        '00000000-0000-4000-8000-000000000001',
        '-E',
        'hash_seed=00000000-0000-4000-8000-000000000002,root_owner=0:0',
        '-d',
        root,
        image,
        `${tree.sizeMiB ?? 64}M`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, E2FSPROGS_FAKE_TIME: '1767225600' } },
    );
    for (const rel of Object.keys(tree.deleted ?? {}))
      execFileSync('debugfs', ['-w', '-R', `rm /${rel}`, image], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(image, path); // complete or absent: never a half-built image under the cached name
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function writeTreeFile(root: string, rel: string, file: string | TreeFile): void {
  const f = typeof file === 'string' ? { content: file } : file;
  const target = join(root, rel);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, f.content);
  if (f.mode !== undefined) chmodSync(target, f.mode);
  if (f.mtime) {
    const t = new Date(f.mtime);
    utimesSync(target, t, t);
  }
}

function treeKey(tree: DiskTree): string {
  const entries = (files: Record<string, string | TreeFile> = {}) =>
    Object.entries(files)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([p, f]) => {
        const v = typeof f === 'string' ? { content: f } : f;
        return [p, createHash('sha256').update(v.content).digest('hex'), v.mode ?? null, v.mtime ?? null];
      });
  return JSON.stringify({
    v: 1,
    size: tree.sizeMiB ?? 64,
    files: entries(tree.files),
    deleted: entries(tree.deleted),
    // Absent for trees without links, so their cache keys stay what they were.
    symlinks: tree.symlinks
      ? Object.entries(tree.symlinks).sort(([a], [b]) => a.localeCompare(b))
      : undefined,
  });
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
