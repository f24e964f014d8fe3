/**
 * S3: the evidence bucket (versioned, Object Lock). Objects keep their bytes, SHA-256 and metadata.
 * A locked version cannot be deleted or overwritten (a new PutObject makes a new version; the locked one
 * stays); the bucket policy admits its owner and the accounts it names; a session policy narrowing
 * PutObject to a prefix is enforced by the organization before the handler runs (`access.ts`).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import { sessionAllows } from '../access.js';
import type { Caller, CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import type { Bucket, S3ObjectVersion } from '../world.js';

/** Reads any SDK body (string, bytes, Node stream, web stream, Blob) into a Buffer. */
export async function readBody(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  if (body instanceof Readable || Symbol.asyncIterator in (body as object)) {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  if (typeof (body as ReadableStream).getReader === 'function') {
    return Buffer.from(await new Response(body as ReadableStream).arrayBuffer());
  }
  throw new Error('Unsupported S3 body type in the simulation');
}

/** A Node stream with the SDK's `transformTo…` helpers, as GetObject returns. */
function sdkStream(bytes: Buffer) {
  const stream = Readable.from([bytes]);
  return Object.assign(stream, {
    transformToByteArray: async () => new Uint8Array(bytes),
    transformToString: async (encoding?: BufferEncoding) => bytes.toString(encoding ?? 'utf8'),
    transformToWebStream: () => Readable.toWeb(Readable.from([bytes])),
  });
}

function requireBucket(
  ctx: { fail: CallContext['fail']; world: CallContext['world'] },
  caller: Caller,
  name: string | undefined,
): Bucket {
  const bucket = name ? ctx.world.buckets.get(name) : undefined;
  if (!bucket) ctx.fail('NoSuchBucket', 'The specified bucket does not exist', 404);
  if (bucket!.owner !== caller.account && !bucket!.allowedAccounts.includes(caller.account))
    ctx.fail('AccessDenied', 'Access Denied', 403);
  return bucket!;
}

function latest(bucket: Bucket, key: string, versionId?: string): S3ObjectVersion | undefined {
  const versions = bucket.objects.get(key) ?? [];
  if (versionId) return versions.find((v) => v.versionId === versionId);
  const last = versions[versions.length - 1];
  return last && !last.deleteMarker ? last : undefined;
}

function isLocked(version: S3ObjectVersion, now: Date): boolean {
  return version.lockMode !== undefined && version.retainUntil !== undefined && version.retainUntil > now;
}

export interface PutRequest {
  bucket: string;
  key: string;
  body: Buffer;
  metadata?: Record<string, string>;
  contentType?: string;
  lockMode?: string;
  retainUntil?: Date;
}

/** Stores an object version as `caller` (used by PutObject and by the simulated memory capture). */
export function putObject(ctx: CallContext, caller: Caller, request: PutRequest): S3ObjectVersion {
  const resource = `arn:aws:s3:::${request.bucket}/${request.key}`;
  if (!sessionAllows(ctx.world, caller, 's3:PutObject', resource))
    ctx.fail('AccessDenied', 'Access Denied', 403);
  const bucket = requireBucket(ctx, caller, request.bucket);
  if ((request.lockMode === undefined) !== (request.retainUntil === undefined))
    ctx.fail(
      'InvalidRequest',
      'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
    );
  if (request.lockMode && !bucket.objectLock)
    ctx.fail('InvalidRequest', 'Bucket is missing Object Lock Configuration');
  if (request.lockMode && request.lockMode !== 'GOVERNANCE' && request.lockMode !== 'COMPLIANCE')
    ctx.fail('InvalidArgument', 'Unknown wormMode directive.');
  if (request.retainUntil && request.retainUntil <= ctx.now())
    ctx.fail('InvalidArgument', 'The retain until date must be in the future!');
  const versions = bucket.objects.get(request.key) ?? [];
  const current = versions[versions.length - 1];
  // Without versioning a put would replace the object: refuse when that object is locked.
  if (!bucket.versioning && current && isLocked(current, ctx.now()))
    ctx.fail('AccessDenied', 'Access Denied', 403);
  const version: S3ObjectVersion = {
    versionId: bucket.versioning ? ctx.world.token(32, 'abcdefghijklmnopqrstuvwxyz0123456789') : 'null',
    body: request.body,
    sha256: createHash('sha256').update(request.body).digest('hex'),
    etag: `"${createHash('md5').update(request.body).digest('hex')}"`,
    metadata: Object.fromEntries(
      Object.entries(request.metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    ),
    contentType: request.contentType,
    lastModified: ctx.now(),
    lockMode: request.lockMode as S3ObjectVersion['lockMode'],
    retainUntil: request.retainUntil,
    deleteMarker: false,
    uploadedBy: caller.arn,
  };
  bucket.objects.set(request.key, bucket.versioning ? [...versions, version] : [version]);
  return version;
}

function objectHeaders(v: S3ObjectVersion) {
  return {
    ContentLength: v.body.length,
    ContentType: v.contentType ?? 'binary/octet-stream',
    ETag: v.etag,
    VersionId: v.versionId,
    LastModified: v.lastModified,
    Metadata: v.metadata,
    ObjectLockMode: v.lockMode,
    ObjectLockRetainUntilDate: v.retainUntil,
    ChecksumSHA256: Buffer.from(v.sha256, 'hex').toString('base64'),
  };
}

export const s3Handlers: HandlerTable = {
  PutObjectCommand: handler<S3.PutObjectCommandInput, S3.PutObjectCommandOutput>(async (ctx, input) => {
    const body = await readBody(input.Body);
    const sha = createHash('sha256').update(body).digest('base64');
    if (input.ChecksumSHA256 && input.ChecksumSHA256 !== sha)
      ctx.fail('BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    const version = putObject(ctx, ctx.caller, {
      bucket: input.Bucket ?? '',
      key: input.Key ?? '',
      body,
      metadata: input.Metadata,
      contentType: input.ContentType,
      lockMode: input.ObjectLockMode,
      retainUntil: input.ObjectLockRetainUntilDate ? new Date(input.ObjectLockRetainUntilDate) : undefined,
    });
    return { ETag: version.etag, VersionId: version.versionId, ChecksumSHA256: sha };
  }),

  GetObjectCommand: handler<S3.GetObjectCommandInput, S3.GetObjectCommandOutput>((ctx, input) => {
    const bucket = requireBucket(ctx, ctx.caller, input.Bucket);
    const version = latest(bucket, input.Key ?? '', input.VersionId);
    if (!version) ctx.fail('NoSuchKey', 'The specified key does not exist.', 404);
    let bytes = version!.body;
    const range = /^bytes=(\d+)-(\d*)$/.exec(input.Range ?? '');
    if (range) bytes = bytes.subarray(Number(range[1]), range[2] ? Number(range[2]) + 1 : undefined);
    return {
      ...objectHeaders(version!),
      ContentLength: bytes.length,
      Body: sdkStream(bytes) as unknown as S3.GetObjectCommandOutput['Body'],
    };
  }),

  HeadObjectCommand: handler<S3.HeadObjectCommandInput, S3.HeadObjectCommandOutput>((ctx, input) => {
    const bucket = requireBucket(ctx, ctx.caller, input.Bucket);
    const version = latest(bucket, input.Key ?? '', input.VersionId);
    if (!version) ctx.fail('NotFound', 'Not Found', 404);
    return objectHeaders(version!);
  }),

  ListObjectsV2Command: handler<S3.ListObjectsV2CommandInput, S3.ListObjectsV2CommandOutput>((ctx, input) => {
    const bucket = requireBucket(ctx, ctx.caller, input.Bucket);
    const keys = [...bucket.objects.keys()]
      .filter((k) => k.startsWith(input.Prefix ?? '') && latest(bucket, k) !== undefined)
      .filter((k) => !input.StartAfter || k > input.StartAfter)
      .sort();
    const start = input.ContinuationToken
      ? Number(Buffer.from(input.ContinuationToken, 'base64').toString())
      : 0;
    const max = input.MaxKeys ?? 1000;
    const page = keys.slice(start, start + max);
    const truncated = start + max < keys.length;
    return {
      Name: bucket.name,
      Prefix: input.Prefix,
      KeyCount: page.length,
      MaxKeys: max,
      IsTruncated: truncated,
      NextContinuationToken: truncated ? Buffer.from(String(start + max)).toString('base64') : undefined,
      Contents: page.map((key) => {
        const v = latest(bucket, key)!;
        return {
          Key: key,
          Size: v.body.length,
          ETag: v.etag,
          LastModified: v.lastModified,
          StorageClass: 'STANDARD',
        };
      }),
    };
  }),

  DeleteObjectCommand: handler<S3.DeleteObjectCommandInput, S3.DeleteObjectCommandOutput>((ctx, input) => {
    const bucket = requireBucket(ctx, ctx.caller, input.Bucket);
    const key = input.Key ?? '';
    const versions = bucket.objects.get(key) ?? [];
    if (input.VersionId || !bucket.versioning) {
      const target = input.VersionId
        ? versions.find((v) => v.versionId === input.VersionId)
        : versions[versions.length - 1];
      if (!target) return {};
      const bypass = target.lockMode === 'GOVERNANCE' && input.BypassGovernanceRetention === true;
      if (isLocked(target, ctx.now()) && !bypass)
        ctx.fail('AccessDenied', 'Access Denied because object protected by object lock.', 403);
      bucket.objects.set(
        key,
        versions.filter((v) => v !== target),
      );
      return { VersionId: target.versionId };
    }
    // Versioned, no version id: a delete marker hides the object; locked versions stay.
    const marker: S3ObjectVersion = {
      versionId: ctx.world.token(32, 'abcdefghijklmnopqrstuvwxyz0123456789'),
      body: Buffer.alloc(0),
      sha256: '',
      etag: '',
      metadata: {},
      lastModified: ctx.now(),
      deleteMarker: true,
      uploadedBy: ctx.caller.arn,
    };
    bucket.objects.set(key, [...versions, marker]);
    return { DeleteMarker: true, VersionId: marker.versionId };
  }),

  GetObjectRetentionCommand: handler<S3.GetObjectRetentionCommandInput, S3.GetObjectRetentionCommandOutput>(
    (ctx, input) => {
      const bucket = requireBucket(ctx, ctx.caller, input.Bucket);
      const version = latest(bucket, input.Key ?? '', input.VersionId);
      if (!version) ctx.fail('NoSuchKey', 'The specified key does not exist.', 404);
      if (!version!.lockMode)
        ctx.fail(
          'NoSuchObjectLockConfiguration',
          'The specified object does not have a ObjectLock configuration',
          404,
        );
      return { Retention: { Mode: version!.lockMode, RetainUntilDate: version!.retainUntil } };
    },
  ),
};
