/**
 * What a simulated volume holds, block by block, so its snapshots, their copies and the EBS direct APIs
 * serve real bytes. A volume is backed by a raw image file (an ext4 image built by `sandbox/disks`) or by
 * a synthetic pattern (the benchmark's 4 GiB and 64 GiB volumes, which no file backs). Blocks are EBS's
 * 512 KiB; a block that is all zeros was never written, and the EBS direct APIs do not list it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export const EBS_BLOCK_SIZE = 512 * 1024;

export interface VolumeBlocks {
  /** Written blocks (not all zeros), ascending. */
  written: number[];
  /** The block's 512 KiB (zero-filled past the image's end). */
  read(index: number): Buffer;
}

export interface VolumeContent {
  /** What it is backed by (for `/api/cloud`). */
  describe: string;
  /** Opened on first use (the seed is synchronous; building an image is not). */
  open(): Promise<VolumeBlocks>;
}

/** A volume backed by a raw image file (made by `make()` on first use, e.g. `buildDiskImage`). */
export function imageContent(describe: string, make: () => Promise<{ path: string }>): VolumeContent {
  let opened: Promise<VolumeBlocks> | undefined;
  return {
    describe,
    open() {
      opened ??= make().then(({ path }) => fileBlocks(path));
      return opened;
    },
  };
}

function fileBlocks(path: string): VolumeBlocks {
  const bytes = statSync(path).size;
  const read = (index: number): Buffer => {
    const block = Buffer.alloc(EBS_BLOCK_SIZE);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, block, 0, EBS_BLOCK_SIZE, index * EBS_BLOCK_SIZE);
    } finally {
      closeSync(fd);
    }
    return block;
  };
  const written: number[] = [];
  for (let i = 0; i * EBS_BLOCK_SIZE < bytes; i++) if (!isZero(read(i))) written.push(i);
  return { written, read };
}

/**
 * A volume of `blocks` blocks of which every block `i` with `(i * 7919) % 100 < writtenPercent` is written,
 * each filled with a pattern of its index (so a misplaced block changes the image's hash).
 */
export function syntheticContent(blocks: number, writtenPercent: number): VolumeContent {
  const written: number[] = [];
  for (let i = 0; i < blocks; i++) if ((i * 7919) % 100 < writtenPercent) written.push(i);
  const blocksOf: VolumeBlocks = {
    written,
    read(index) {
      const block = Buffer.allocUnsafe(EBS_BLOCK_SIZE);
      block.fill(`block ${index} `);
      return block;
    },
  };
  return { describe: `synthetic ${writtenPercent}% written`, open: async () => blocksOf };
}

const ZERO_BLOCK = Buffer.alloc(EBS_BLOCK_SIZE);

/** Whether a block (or any buffer up to a block long) is all zeros: a native comparison. */
export function isZero(buffer: Buffer): boolean {
  return buffer.equals(ZERO_BLOCK.subarray(0, buffer.length));
}
