/**
 * The EBS direct APIs' read side: `ListSnapshotBlocks` and `GetSnapshotBlock` over the blocks a snapshot
 * holds (its volume's content, see `volume-content.ts`). As in AWS:
 * - only written blocks are listed (an unwritten block has no token and reads as zeros);
 * - blocks are 512 KiB, each with its SHA-256 checksum in base64;
 * - the snapshot must be the caller's own and completed, and its KMS key usable by the caller;
 * - `GetSnapshotBlock` is limited to 1,000 requests per second per snapshot (fixed) and per account
 *   (adjustable: `faults.ebs.accountLimit`), `ListSnapshotBlocks` to 50 per second per account; beyond
 *   them the call fails with `RequestThrottledException` (reason `RESOURCE_LEVEL_THROTTLE` or
 *   `ACCOUNT_THROTTLED`), which the SDK classifies as throttling;
 * - every call takes `faults.ebs.latencyMs` (simulated or real time, see `SimClock`).
 * Limits are counted per second of the organization's clock (`simulatedMs`), so the virtual clock of the
 * benchmark enforces them as a wall clock would.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type * as EBS from '@aws-sdk/client-ebs';
import type { CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { EBS_BLOCK_SIZE } from '../volume-content.js';
import type { Snapshot, World } from '../world.js';
import { canUseKey, findKey } from './kms.js';

export const GET_BLOCK_PER_SNAPSHOT_LIMIT = 1_000;
export const GET_BLOCK_PER_ACCOUNT_LIMIT = 1_000;
export const LIST_BLOCKS_PER_ACCOUNT_LIMIT = 50;

/** Requests counted in the current one-second window, per limit key. */
const windows = new WeakMap<World, Map<string, { second: number; count: number }>>();

/** Counts one request against every limit it falls under, or refuses it (counted nowhere) at the first full one. */
function admit(
  ctx: CallContext,
  limits: { key: string; limit: number; reason: string; what: string }[],
): void {
  let table = windows.get(ctx.world);
  if (!table) {
    table = new Map();
    windows.set(ctx.world, table);
  }
  const second = Math.floor(ctx.clock.simulatedMs / 1000);
  const current = limits.map((l) => {
    const w = table.get(l.key);
    return w && w.second === second ? w : { second, count: 0 };
  });
  for (const [i, l] of limits.entries())
    if (current[i]!.count >= l.limit)
      throttled(ctx, l.reason, `${l.what}: more than ${l.limit} requests per second`);
  for (const [i, l] of limits.entries()) table.set(l.key, { second, count: current[i]!.count + 1 });
}

function throttled(ctx: CallContext, reason: string, message: string): never {
  try {
    ctx.fail('RequestThrottledException', message, 400);
  } catch (error) {
    throw Object.assign(error as Error, { Reason: reason });
  }
}

function fail(ctx: CallContext, code: string, reason: string, message: string, status = 400): never {
  try {
    ctx.fail(code, message, status);
  } catch (error) {
    throw Object.assign(error as Error, { Reason: reason });
  }
}

function ebsSettings(ctx: CallContext) {
  const ebs = (ctx.faults as { ebs?: { latencyMs?: number; accountLimit?: number } }).ebs ?? {};
  return { latencyMs: ebs.latencyMs ?? 0, accountLimit: ebs.accountLimit ?? GET_BLOCK_PER_ACCOUNT_LIMIT };
}

/** The caller's own completed snapshot, whose key it may use. */
function readable(ctx: CallContext, id: string | undefined): Snapshot {
  if (!id || !/^snap-[0-9a-f]+$/.test(id))
    fail(ctx, 'ValidationException', 'INVALID_SNAPSHOT_ID', `Invalid snapshot id ${id}`);
  const snapshot = ctx.here.snapshots.get(id!);
  if (!snapshot || snapshot.deleted)
    fail(ctx, 'ResourceNotFoundException', 'SNAPSHOT_NOT_FOUND', `The snapshot '${id}' does not exist.`, 404);
  if (snapshot!.state !== 'completed')
    fail(ctx, 'ValidationException', 'INVALID_SNAPSHOT_ID', `The snapshot '${id}' is not completed.`);
  if (snapshot!.encrypted) {
    const key = findKey(ctx.world, snapshot!.ownerId, snapshot!.region, snapshot!.kmsKeyId ?? '');
    if (!key || !canUseKey(key, ctx.caller.account))
      fail(
        ctx,
        'AccessDeniedException',
        'DEPENDENCY_ACCESS_DENIED',
        `Account ${ctx.caller.account} cannot use the KMS key of ${id}.`,
        403,
      );
  }
  return snapshot!;
}

/** An opaque token bound to the snapshot and block (AWS's are opaque too). */
function tokenOf(snapshotId: string, index: number): string {
  return createHash('sha256').update(`ebs-block:${snapshotId}:${index}`).digest('base64url').slice(0, 40);
}

/** A body the SDK's callers read as they read GetSnapshotBlock's (a Node stream with the mixin's methods). */
function blockStream(bytes: Buffer) {
  return Object.assign(Readable.from([bytes]), {
    transformToByteArray: async () => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
    transformToString: async (encoding?: BufferEncoding) => bytes.toString(encoding ?? 'utf8'),
    transformToWebStream: () => Readable.toWeb(Readable.from([bytes])),
  });
}

export const ebsHandlers: HandlerTable = {
  ListSnapshotBlocksCommand: handler<EBS.ListSnapshotBlocksCommandInput, EBS.ListSnapshotBlocksCommandOutput>(
    async (ctx, input) => {
      await ctx.clock.sleep(ebsSettings(ctx).latencyMs);
      admit(ctx, [
        {
          key: `list:${ctx.caller.account}`,
          limit: LIST_BLOCKS_PER_ACCOUNT_LIMIT,
          reason: 'ACCOUNT_THROTTLED',
          what: 'ListSnapshotBlocks',
        },
      ]);
      const snapshot = readable(ctx, input.SnapshotId);
      const max = input.MaxResults ?? 10_000;
      if (!Number.isInteger(max) || max < 100 || max > 10_000)
        fail(
          ctx,
          'ValidationException',
          'INVALID_PARAMETER_VALUE',
          'MaxResults must be between 100 and 10000',
        );
      let start = input.StartingBlockIndex ?? 0;
      if (input.NextToken) {
        const page = /^page:(\d+)$/.exec(Buffer.from(input.NextToken, 'base64url').toString());
        if (!page) fail(ctx, 'ValidationException', 'INVALID_PAGE_TOKEN', 'The pagination token is invalid');
        start = Math.max(start, Number(page![1]));
      }
      const blocks = snapshot.content ? (await snapshot.content.open()).written : [];
      const first = lowerBound(blocks, start);
      const page = blocks.slice(first, first + max);
      const more = first + max < blocks.length;
      return {
        Blocks: page.map((BlockIndex) => ({
          BlockIndex,
          BlockToken: tokenOf(snapshot.snapshotId, BlockIndex),
        })),
        ...(more ? { NextToken: Buffer.from(`page:${blocks[first + max]}`).toString('base64url') } : {}),
        VolumeSize: snapshot.volumeSize,
        BlockSize: EBS_BLOCK_SIZE,
        ExpiryTime: new Date(ctx.now().getTime() + 7 * 86_400_000),
      };
    },
  ),

  GetSnapshotBlockCommand: handler<EBS.GetSnapshotBlockCommandInput, EBS.GetSnapshotBlockCommandOutput>(
    async (ctx, input) => {
      const settings = ebsSettings(ctx);
      await ctx.clock.sleep(settings.latencyMs);
      // The snapshot's own limit is checked first: at the default account limit (equal to it) one image
      // alone meets the snapshot's limit, as in AWS.
      admit(ctx, [
        {
          key: `get:${input.SnapshotId}`,
          limit: GET_BLOCK_PER_SNAPSHOT_LIMIT,
          reason: 'RESOURCE_LEVEL_THROTTLE',
          what: `GetSnapshotBlock on ${input.SnapshotId}`,
        },
        {
          key: `get:${ctx.caller.account}`,
          limit: settings.accountLimit,
          reason: 'ACCOUNT_THROTTLED',
          what: 'GetSnapshotBlock in this account',
        },
      ]);
      const snapshot = readable(ctx, input.SnapshotId);
      const index = input.BlockIndex ?? -1;
      const blocks = snapshot.content ? await snapshot.content.open() : undefined;
      const written = blocks ? blocks.written[lowerBound(blocks.written, index)] === index : false;
      if (
        !Number.isInteger(index) ||
        index < 0 ||
        !written ||
        input.BlockToken !== tokenOf(snapshot.snapshotId, index)
      )
        fail(
          ctx,
          'ValidationException',
          'INVALID_BLOCK_TOKEN',
          'The block token is not valid for this block',
        );
      const data = blocks!.read(index);
      return {
        DataLength: data.length,
        BlockData: blockStream(data) as unknown as EBS.GetSnapshotBlockCommandOutput['BlockData'],
        Checksum: createHash('sha256').update(data).digest('base64'),
        ChecksumAlgorithm: 'SHA256',
      };
    },
  ),
};

/** First position in ascending `list` whose value is ≥ `value`. */
function lowerBound(list: number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
