import { type EBSClient, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import type { RateLimiter } from './rate-limiter.js';

/** A written block of a snapshot and the token that reads it. */
export interface BlockRef {
  index: number;
  token: string;
}

/** What the lister learned of the snapshot from the API itself. */
export interface SnapshotGeometry {
  volumeSizeGiB: number;
  blockSize: number;
}

/**
 * The written blocks of `snapshotId` in `[start, end)`, ascending, listed lazily a page (up to 10,000
 * blocks) at a time, so tokens are fresh when they are used and a 1 TiB snapshot is never held whole.
 * `ListSnapshotBlocks` is limited to 50 requests per second per account: `limiter` paces it.
 */
export async function* writtenBlocks(
  ebs: EBSClient,
  snapshotId: string,
  range: { start: number; end: number },
  limiter: RateLimiter,
  onPage: (geometry: SnapshotGeometry) => void = () => {},
): AsyncGenerator<BlockRef> {
  let nextToken: string | undefined;
  do {
    await limiter.take();
    const page = await ebs.send(
      new ListSnapshotBlocksCommand({
        SnapshotId: snapshotId,
        StartingBlockIndex: range.start,
        MaxResults: 10_000,
        NextToken: nextToken,
      }),
    );
    onPage({ volumeSizeGiB: page.VolumeSize ?? 0, blockSize: page.BlockSize ?? 0 });
    for (const b of page.Blocks ?? []) {
      if (b.BlockIndex === undefined || !b.BlockToken) continue;
      if (b.BlockIndex >= range.end) return;
      if (b.BlockIndex >= range.start) yield { index: b.BlockIndex, token: b.BlockToken };
    }
    nextToken = page.NextToken;
  } while (nextToken);
}
