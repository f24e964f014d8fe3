/**
 * S3: the evidence bucket (versioned, Object Lock, SSE-KMS by default). Objects keep their bytes, SHA-256,
 * metadata and key. A locked version cannot be deleted or overwritten (a new PutObject makes a new version;
 * the locked one stays). A bucket with a `policy` is guarded by it as S3 evaluates it (`s3-policy.ts`: the
 * deploy's own document, explicit Deny first, cross-account callers need both policies); without one, the
 * owner and `allowedAccounts` are admitted. A session policy is enforced by the organization before the
 * handler runs (`access.ts`). Multipart uploads show nothing under their key until they complete.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import { sessionAllows } from '../access.js';
import { SANDBOX_ORGANIZATION_ID } from '../evidence-policy.js';
import type { Caller, CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { roleAllows } from './forensic-worker.js';
import type { Bucket, MultipartUpload, S3ObjectVersion, World } from '../world.js';
import { bucketAdmits, principalContext } from './s3-policy.js';

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

const zeroParts = new Map<number, Buffer>();

function sharedIfZero(body: Buffer): Buffer {
  let zero = zeroParts.get(body.length);
  if (!zero && body.length >= 1024 * 1024) {
    zero = Buffer.alloc(body.length);
    if (zeroParts.size < 8) zeroParts.set(body.length, zero);
  }
  return zero && body.equals(zero) ? zero : body;
}

/** What a call asks of the bucket: its IAM action, resource and request condition keys. */
export interface S3Access {
  action: string;
  resource: string;
  context?: Record<string, string | undefined>;
}

/** Whether the caller's own identity policy allows it (a session: its role and session policy). */
function identityAllows(world: World, caller: Caller, action: string, resource: string): boolean {
  if (caller.session) return sessionAllows(world, caller, action, resource);
  if (!caller.roleName) return true; // the security account's own code: its role grants what it calls
  const role = world.account(caller.account).roles.get(caller.roleName);
  return !!role && roleAllows(world, caller.account, role, action, resource);
}

/** What the bucket policy (with the caller's identity policy) says of one request. */
function verdictOf(
  world: World,
  bucket: Bucket & { policy: NonNullable<Bucket['policy']> },
  caller: Caller,
  access: S3Access,
) {
  return bucketAdmits(
    bucket.policy,
    {
      action: access.action,
      resource: access.resource,
      principal: { account: caller.account, arn: caller.arn },
      context: {
        ...principalContext(caller, SANDBOX_ORGANIZATION_ID),
        ...(caller.secureTransport === false ? { 'aws:SecureTransport': 'false' } : {}),
        ...access.context,
      },
    },
    bucket.owner,
    identityAllows(world, caller, access.action, access.resource),
  );
}

/**
 * S3 answers a version's Object Lock headers only to a caller allowed `s3:GetObjectRetention` on it; to
 * anyone else the version looks unlocked.
 */
function visibleLock(world: World, bucket: Bucket, caller: Caller, resource: string) {
  if (!bucket.policy) return true;
  return verdictOf(world, bucket as Bucket & { policy: NonNullable<Bucket['policy']> }, caller, {
    action: 's3:GetObjectRetention',
    resource,
  }).admitted;
}

/** The bucket, if the caller may make this call on it; otherwise the error S3 answers. */
export function authorize(
  ctx: { fail: CallContext['fail']; world: CallContext['world'] },
  caller: Caller,
  name: string | undefined,
  access: S3Access,
): Bucket {
  const bucket = name ? ctx.world.buckets.get(name) : undefined;
  if (!bucket) ctx.fail('NoSuchBucket', 'The specified bucket does not exist', 404);
  if (!bucket!.policy) {
    if (bucket!.owner !== caller.account && !bucket!.allowedAccounts.includes(caller.account))
      ctx.fail('AccessDenied', 'Access Denied', 403);
    return bucket!;
  }
  const verdict = verdictOf(
    ctx.world,
    bucket as Bucket & { policy: NonNullable<Bucket['policy']> },
    caller,
    access,
  );
  if (!verdict.admitted)
    ctx.fail(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: ${access.action} on resource: "${access.resource}" (${verdict.reason})`,
      403,
    );
  return bucket!;
}

const objectArn = (bucket: string | undefined, key: string | undefined) =>
  `arn:aws:s3:::${bucket ?? ''}/${key ?? ''}`;

/** Encryption headers of a write, as the condition keys S3 gives them to the bucket policy. */
function encryptionContext(input: { ServerSideEncryption?: string; SSEKMSKeyId?: string }) {
  return {
    's3:x-amz-server-side-encryption': input.ServerSideEncryption,
    's3:x-amz-server-side-encryption-aws-kms-key-id': input.SSEKMSKeyId,
  };
}

function readAccess(input: { Bucket?: string; Key?: string; VersionId?: string }): S3Access {
  return {
    action: input.VersionId ? 's3:GetObjectVersion' : 's3:GetObject',
    resource: objectArn(input.Bucket, input.Key),
  };
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
  /** The ETag S3 gives it (a multipart object's is the MD5 of its parts' MD5s, `-N`); default the MD5. */
  etag?: string;
  metadata?: Record<string, string>;
  contentType?: string;
  lockMode?: string;
  retainUntil?: Date;
  /** `x-amz-server-side-encryption` and `…-aws-kms-key-id` as sent (absent: the bucket's default). */
  serverSideEncryption?: string;
  kmsKeyId?: string;
  /** `If-None-Match: *`: refused with 412 when the key already has a current version. */
  ifNoneMatch?: string;
}

/** The checks of a write before any byte is stored (PutObject, CreateMultipartUpload). */
function admitWrite(ctx: CallContext, caller: Caller, request: Omit<PutRequest, 'body'>): Bucket {
  const resource = objectArn(request.bucket, request.key);
  if (!sessionAllows(ctx.world, caller, 's3:PutObject', resource))
    ctx.fail('AccessDenied', 'Access Denied', 403);
  const bucket = authorize(ctx, caller, request.bucket, {
    action: 's3:PutObject',
    resource,
    context: encryptionContext({
      ServerSideEncryption: request.serverSideEncryption,
      SSEKMSKeyId: request.kmsKeyId,
    }),
  });
  if (
    request.serverSideEncryption &&
    !['AES256', 'aws:kms', 'aws:kms:dsse'].includes(request.serverSideEncryption)
  )
    ctx.fail('InvalidArgument', 'Server Side Encryption with unknown algorithm');
  if (
    request.kmsKeyId &&
    request.serverSideEncryption !== 'aws:kms' &&
    request.serverSideEncryption !== 'aws:kms:dsse'
  )
    ctx.fail(
      'InvalidArgument',
      'Specifying a KMS key id without x-amz-server-side-encryption: aws:kms is not allowed',
    );
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
  if (request.ifNoneMatch !== undefined && request.ifNoneMatch !== '*')
    ctx.fail('NotImplemented', 'If-None-Match accepts only *', 501);
  return bucket;
}

function preconditionHolds(ctx: CallContext, bucket: Bucket, key: string, ifNoneMatch?: string) {
  if (ifNoneMatch === '*' && latest(bucket, key))
    ctx.fail('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
}

/** A digest of any size (one `update` takes at most 2 GiB). */
function digest(algorithm: 'sha256' | 'md5', body: Buffer): string {
  const hash = createHash(algorithm);
  for (let at = 0; at < body.length; at += 1024 ** 3) hash.update(body.subarray(at, at + 1024 ** 3));
  return hash.digest('hex');
}

/** Stores an object version as `caller` (used by PutObject and by the simulated memory capture). */
export function putObject(ctx: CallContext, caller: Caller, request: PutRequest): S3ObjectVersion {
  const bucket = admitWrite(ctx, caller, request);
  preconditionHolds(ctx, bucket, request.key, request.ifNoneMatch);
  return storeVersion(ctx, caller, bucket, request);
}

function storeVersion(
  ctx: CallContext,
  caller: Caller,
  bucket: Bucket,
  request: PutRequest,
): S3ObjectVersion {
  const versions = bucket.objects.get(request.key) ?? [];
  const current = versions[versions.length - 1];
  // Without versioning a put would replace the object: refuse when that object is locked.
  if (!bucket.versioning && current && isLocked(current, ctx.now()))
    ctx.fail('AccessDenied', 'Access Denied', 403);
  const version: S3ObjectVersion = {
    versionId: bucket.versioning ? ctx.world.token(32, 'abcdefghijklmnopqrstuvwxyz0123456789') : 'null',
    body: request.body,
    sha256: digest('sha256', request.body),
    etag: request.etag ?? `"${digest('md5', request.body)}"`,
    metadata: Object.fromEntries(
      Object.entries(request.metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    ),
    contentType: request.contentType,
    lastModified: ctx.now(),
    ...lockOf(ctx, bucket, request),
    deleteMarker: false,
    uploadedBy: caller.arn,
    kmsKeyArn:
      request.serverSideEncryption === 'AES256'
        ? undefined
        : request.kmsKeyId
          ? keyOf(ctx, request.kmsKeyId)
          : bucket.kmsKeyArn,
  };
  bucket.objects.set(request.key, bucket.versioning ? [...versions, version] : [version]);
  return version;
}

/** The key ARN a key-id header names (an alias ARN resolved in the bucket's account and region). */
function keyOf(ctx: CallContext, kmsKeyId: string): string {
  const alias = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/.exec(kmsKeyId);
  if (!alias) return kmsKeyId;
  const key = [...ctx.world.region(alias[2]!, alias[1]!).kmsKeys.values()].find((k) =>
    k.aliases.includes(alias[3]!),
  );
  if (!key) ctx.fail('KMS.NotFoundException', `Invalid arn ${kmsKeyId}`, 400);
  return key!.arn;
}

/** The version's lock: the request's own, or the bucket's default retention counted from now. */
function lockOf(ctx: CallContext, bucket: Bucket, request: Pick<PutRequest, 'lockMode' | 'retainUntil'>) {
  if (request.lockMode)
    return { lockMode: request.lockMode as S3ObjectVersion['lockMode'], retainUntil: request.retainUntil };
  if (!bucket.objectLock || !bucket.defaultRetention) return {};
  return {
    lockMode: bucket.defaultRetention.mode,
    retainUntil: new Date(ctx.now().getTime() + bucket.defaultRetention.days * 86_400_000),
  };
}

function objectHeaders(v: S3ObjectVersion, showLock = true) {
  return {
    ContentLength: v.body.length,
    ContentType: v.contentType ?? 'binary/octet-stream',
    ETag: v.etag,
    VersionId: v.versionId,
    LastModified: v.lastModified,
    Metadata: v.metadata,
    ObjectLockMode: showLock ? v.lockMode : undefined,
    ObjectLockRetainUntilDate: showLock ? v.retainUntil : undefined,
    ChecksumSHA256: Buffer.from(v.sha256, 'hex').toString('base64'),
    ChecksumType: 'FULL_OBJECT' as const,
    ServerSideEncryption: v.kmsKeyArn ? ('aws:kms' as const) : ('AES256' as const),
    SSEKMSKeyId: v.kmsKeyArn,
  };
}

const uploadsOf = (bucket: Bucket) => {
  bucket.uploads ??= new Map();
  return bucket.uploads;
};

function requireUpload(
  ctx: CallContext,
  bucket: Bucket,
  key: string | undefined,
  uploadId: string | undefined,
) {
  const upload = uploadId ? bucket.uploads?.get(uploadId) : undefined;
  if (!upload || upload.key !== key)
    ctx.fail(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
    );
  return upload!;
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
      serverSideEncryption: input.ServerSideEncryption,
      kmsKeyId: input.SSEKMSKeyId,
      ifNoneMatch: input.IfNoneMatch,
    });
    return {
      ETag: version.etag,
      VersionId: version.versionId,
      ChecksumSHA256: sha,
      ServerSideEncryption: version.kmsKeyArn ? 'aws:kms' : 'AES256',
      SSEKMSKeyId: version.kmsKeyArn,
    };
  }),

  CreateMultipartUploadCommand: handler<
    S3.CreateMultipartUploadCommandInput,
    S3.CreateMultipartUploadCommandOutput
  >((ctx, input) => {
    const request = {
      bucket: input.Bucket ?? '',
      key: input.Key ?? '',
      metadata: input.Metadata,
      contentType: input.ContentType,
      lockMode: input.ObjectLockMode,
      retainUntil: input.ObjectLockRetainUntilDate ? new Date(input.ObjectLockRetainUntilDate) : undefined,
      serverSideEncryption: input.ServerSideEncryption,
      kmsKeyId: input.SSEKMSKeyId,
    };
    const bucket = admitWrite(ctx, ctx.caller, request);
    const uploadId = ctx.world.token(48, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
    const upload: MultipartUpload = {
      uploadId,
      key: request.key,
      initiatedBy: ctx.caller.arn,
      initiated: ctx.now(),
      parts: new Map(),
      metadata: request.metadata ?? {},
      contentType: request.contentType,
      lockMode: request.lockMode as MultipartUpload['lockMode'],
      retainUntil: request.retainUntil,
      kmsKeyArn: request.kmsKeyId,
    };
    uploadsOf(bucket).set(uploadId, upload);
    return { Bucket: bucket.name, Key: request.key, UploadId: uploadId };
  }),

  UploadPartCommand: handler<S3.UploadPartCommandInput, S3.UploadPartCommandOutput>(async (ctx, input) => {
    const bucket = authorize(ctx, ctx.caller, input.Bucket, {
      action: 's3:PutObject',
      resource: objectArn(input.Bucket, input.Key),
    });
    const upload = requireUpload(ctx, bucket, input.Key, input.UploadId);
    const part = input.PartNumber ?? 0;
    if (part < 1 || part > 10_000)
      ctx.fail('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
    const body = await readBody(input.Body);
    // Parts of zeros (a disk image's unwritten blocks) share one buffer, so a mostly empty image does not
    // hold its size twice in memory before CompleteMultipartUpload concatenates it.
    upload.parts.set(part, sharedIfZero(body));
    return { ETag: `"${createHash('md5').update(body).digest('hex')}"` };
  }),

  /** The parts uploaded so far, 1,000 a page (how a resumed upload learns its parts' ETags). */
  ListPartsCommand: handler<S3.ListPartsCommandInput, S3.ListPartsCommandOutput>((ctx, input) => {
    const bucket = authorize(ctx, ctx.caller, input.Bucket, {
      action: 's3:ListMultipartUploadParts',
      resource: objectArn(input.Bucket, input.Key),
    });
    const upload = requireUpload(ctx, bucket, input.Key, input.UploadId);
    const max = Math.min(1000, input.MaxParts ?? 1000);
    const after = Number(input.PartNumberMarker ?? 0);
    const numbers = [...upload.parts.keys()].filter((n) => n > after).sort((a, b) => a - b);
    const page = numbers.slice(0, max);
    return {
      Bucket: bucket.name,
      Key: upload.key,
      UploadId: upload.uploadId,
      Parts: page.map((PartNumber) => {
        const body = upload.parts.get(PartNumber)!;
        return { PartNumber, Size: body.length, ETag: `"${createHash('md5').update(body).digest('hex')}"` };
      }),
      IsTruncated: numbers.length > max,
      ...(numbers.length > max ? { NextPartNumberMarker: String(page[page.length - 1]) } : {}),
    };
  }),

  CompleteMultipartUploadCommand: handler<
    S3.CompleteMultipartUploadCommandInput,
    S3.CompleteMultipartUploadCommandOutput
  >((ctx, input) => {
    const bucket = authorize(ctx, ctx.caller, input.Bucket, {
      action: 's3:PutObject',
      resource: objectArn(input.Bucket, input.Key),
    });
    const upload = requireUpload(ctx, bucket, input.Key, input.UploadId);
    const listed = input.MultipartUpload?.Parts ?? [];
    if (listed.length === 0) ctx.fail('MalformedXML', 'The XML you provided was not well-formed');
    const bodies = listed.map((p, i) => {
      const body = upload.parts.get(p.PartNumber ?? 0);
      const etag = body && `"${createHash('md5').update(body).digest('hex')}"`;
      if (!body || (p.ETag && p.ETag !== etag))
        ctx.fail('InvalidPart', 'One or more of the specified parts could not be found.');
      if (i > 0 && (listed[i - 1]!.PartNumber ?? 0) >= (p.PartNumber ?? 0))
        ctx.fail('InvalidPartOrder', 'The list of parts was not in ascending order.');
      if (i < listed.length - 1 && body!.length < 5 * 1024 * 1024)
        ctx.fail('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
      return body!;
    });
    preconditionHolds(ctx, bucket, upload.key, input.IfNoneMatch);
    const partsMd5 = createHash('md5');
    for (const body of bodies) partsMd5.update(createHash('md5').update(body).digest());
    const version = storeVersion(ctx, ctx.caller, bucket, {
      bucket: bucket.name,
      key: upload.key,
      body: Buffer.concat(bodies),
      etag: `"${partsMd5.digest('hex')}-${bodies.length}"`,
      metadata: upload.metadata,
      contentType: upload.contentType,
      lockMode: upload.lockMode,
      retainUntil: upload.retainUntil,
      kmsKeyId: upload.kmsKeyArn,
    });
    bucket.uploads?.delete(upload.uploadId);
    return { Bucket: bucket.name, Key: upload.key, ETag: version.etag, VersionId: version.versionId };
  }),

  AbortMultipartUploadCommand: handler<
    S3.AbortMultipartUploadCommandInput,
    S3.AbortMultipartUploadCommandOutput
  >((ctx, input) => {
    const bucket = authorize(ctx, ctx.caller, input.Bucket, {
      action: 's3:AbortMultipartUpload',
      resource: objectArn(input.Bucket, input.Key),
    });
    const upload = requireUpload(ctx, bucket, input.Key, input.UploadId);
    bucket.uploads?.delete(upload.uploadId);
    return {};
  }),

  GetObjectCommand: handler<S3.GetObjectCommandInput, S3.GetObjectCommandOutput>((ctx, input) => {
    const bucket = authorize(ctx, ctx.caller, input.Bucket, readAccess(input));
    const version = latest(bucket, input.Key ?? '', input.VersionId);
    if (!version) ctx.fail('NoSuchKey', 'The specified key does not exist.', 404);
    let bytes = version!.body;
    const range = /^bytes=(\d+)-(\d*)$/.exec(input.Range ?? '');
    if (range) bytes = bytes.subarray(Number(range[1]), range[2] ? Number(range[2]) + 1 : undefined);
    return {
      ...objectHeaders(
        version!,
        visibleLock(ctx.world, bucket, ctx.caller, objectArn(input.Bucket, input.Key)),
      ),
      ContentLength: bytes.length,
      Body: sdkStream(bytes) as unknown as S3.GetObjectCommandOutput['Body'],
    };
  }),

  HeadObjectCommand: handler<S3.HeadObjectCommandInput, S3.HeadObjectCommandOutput>((ctx, input) => {
    const bucket = authorize(ctx, ctx.caller, input.Bucket, readAccess(input));
    const version = latest(bucket, input.Key ?? '', input.VersionId);
    if (!version) ctx.fail('NotFound', 'Not Found', 404);
    return objectHeaders(
      version!,
      visibleLock(ctx.world, bucket, ctx.caller, objectArn(input.Bucket, input.Key)),
    );
  }),

  ListObjectsV2Command: handler<S3.ListObjectsV2CommandInput, S3.ListObjectsV2CommandOutput>((ctx, input) => {
    const bucket = authorize(ctx, ctx.caller, input.Bucket, {
      action: 's3:ListBucket',
      resource: `arn:aws:s3:::${input.Bucket ?? ''}`,
      context: { 's3:prefix': input.Prefix },
    });
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

  ListObjectVersionsCommand: handler<S3.ListObjectVersionsCommandInput, S3.ListObjectVersionsCommandOutput>(
    (ctx, input) => {
      const bucket = authorize(ctx, ctx.caller, input.Bucket, {
        action: 's3:ListBucketVersions',
        resource: `arn:aws:s3:::${input.Bucket ?? ''}`,
        context: { 's3:prefix': input.Prefix },
      });
      const keys = [...bucket.objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
      const rows = keys.flatMap((key) => {
        const versions = bucket.objects.get(key) ?? [];
        return versions.map((v, i) => ({ key, v, isLatest: i === versions.length - 1 })).reverse();
      });
      const max = input.MaxKeys ?? 1000;
      if (rows.length > max) ctx.fail('NotImplemented', 'Paging of ListObjectVersions is not simulated', 501);
      return {
        Name: bucket.name,
        Prefix: input.Prefix,
        IsTruncated: false,
        Versions: rows
          .filter((r) => !r.v.deleteMarker)
          .map((r) => ({
            Key: r.key,
            VersionId: r.v.versionId,
            IsLatest: r.isLatest,
            Size: r.v.body.length,
            ETag: r.v.etag,
            LastModified: r.v.lastModified,
            StorageClass: 'STANDARD' as const,
          })),
        DeleteMarkers: rows
          .filter((r) => r.v.deleteMarker)
          .map((r) => ({
            Key: r.key,
            VersionId: r.v.versionId,
            IsLatest: r.isLatest,
            LastModified: r.v.lastModified,
          })),
      };
    },
  ),

  DeleteObjectCommand: handler<S3.DeleteObjectCommandInput, S3.DeleteObjectCommandOutput>((ctx, input) => {
    const bucket = authorize(ctx, ctx.caller, input.Bucket, {
      action: input.VersionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
      resource: objectArn(input.Bucket, input.Key),
    });
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
      const bucket = authorize(ctx, ctx.caller, input.Bucket, {
        action: 's3:GetObjectRetention',
        resource: objectArn(input.Bucket, input.Key),
      });
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
