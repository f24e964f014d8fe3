/**
 * The simulated S3 on the wire: an HTTPS (or plain HTTP) endpoint speaking S3's REST protocol, so real
 * clients — the AWS CLI under the real capture script — talk to the same twin the SDK calls reach. Every
 * request is checked as S3 checks it before any handler runs: a SigV4 signature by a session the
 * organization issued (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, `ExpiredToken`), the payload hash the
 * signature covers (`XAmzContentSHA256Mismatch`), `Content-MD5` (`BadDigest`), and the bucket's region
 * (`PermanentRedirect` with `x-amz-bucket-region`, which the CLI follows). The request then goes through
 * `SimulatedOrganization.handle` — faults, session policies, the bucket policy the deploy writes (with
 * `aws:SecureTransport` true only over TLS), Object Lock, multipart — and its answer or error is written
 * back as S3 writes it. Path-style and virtual-hosted-style requests are both understood.
 *
 * Covered: PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload,
 * GetObject, HeadObject, ListObjectsV2; anything else answers 501 NotImplemented (never a silent success).
 */
import { createHash, createHmac } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SimulatedOrganization } from './organization.js';

export interface S3EndpointOptions {
  /** PEM key and certificate: serve HTTPS (`aws:SecureTransport` true). Without them, plain HTTP. */
  tls?: { key: string; cert: string };
  port?: number;
}

export interface S3Endpoint {
  url: string;
  server: Server;
  /** Requests answered, in order (operation and status), for assertions. */
  requests: { operation: string; status: number; bucket?: string; key?: string }[];
  stop(): Promise<void>;
}

class WireError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Parsed {
  method: string;
  bucket?: string;
  key?: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const header = (req: Parsed, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const k = decodeURIComponent((i < 0 ? pair : pair.slice(0, i)).replace(/\+/g, '%20'));
      const v = i < 0 ? '' : decodeURIComponent(pair.slice(i + 1).replace(/\+/g, '%20'));
      return [rfc3986(k), rfc3986(v)] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Checks the request's SigV4 signature; returns the session's credentials and the signing region. */
function verifySignature(
  org: SimulatedOrganization,
  req: IncomingMessage,
  rawPath: string,
  rawQuery: string,
) {
  const auth = req.headers.authorization ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) throw new WireError('AccessDenied', 'Anonymous or unsigned requests are refused', 403);
  const [, accessKeyId, date, region, signedHeaders, signature] = m as unknown as string[];
  const session = org.world.sessions.get(accessKeyId!);
  if (!session)
    throw new WireError(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      403,
    );
  if (req.headers['x-amz-security-token'] !== session.sessionToken)
    throw new WireError('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400);
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const canonicalHeaders = signedHeaders!
    .split(';')
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
  const canonical = [
    req.method,
    rawPath,
    canonicalQuery(rawQuery),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${session.secretAccessKey}`, date!), region!), 's3'), 'aws4_request');
  if (hmac(key, toSign).toString('hex') !== signature)
    throw new WireError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      403,
    );
  if (session.expiresAt <= org.clock.now())
    throw new WireError('ExpiredToken', 'The provided token has expired.', 400);
  return {
    credentials: {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
    },
    region: region!,
    payloadHash,
  };
}

function checkPayload(req: Parsed, payloadHash: string): void {
  if (payloadHash !== 'UNSIGNED-PAYLOAD') {
    if (payloadHash.startsWith('STREAMING-'))
      throw new WireError('NotImplemented', 'aws-chunked payloads are not simulated', 501);
    if (payloadHash !== sha256Hex(req.body))
      throw new WireError(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        400,
      );
  }
  const md5 = header(req, 'content-md5');
  if (md5 && md5 !== createHash('md5').update(req.body).digest('base64'))
    throw new WireError('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
}

const metadataOf = (req: Parsed) =>
  Object.fromEntries(
    Object.entries(req.headers)
      .filter(([k]) => k.startsWith('x-amz-meta-'))
      .map(([k, v]) => [k.slice('x-amz-meta-'.length), String(v)]),
  );

const writeHeaders = (req: Parsed) => ({
  Bucket: req.bucket,
  Key: req.key,
  Metadata: metadataOf(req),
  ContentType: header(req, 'content-type'),
  ServerSideEncryption: header(req, 'x-amz-server-side-encryption'),
  SSEKMSKeyId: header(req, 'x-amz-server-side-encryption-aws-kms-key-id'),
  ObjectLockMode: header(req, 'x-amz-object-lock-mode'),
  ObjectLockRetainUntilDate: header(req, 'x-amz-object-lock-retain-until-date'),
});

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlUnescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#34;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const xml = (root: string, fields: Record<string, string | number | undefined>) =>
  // S3's error documents carry no namespace; its results do.
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${root === 'Error' ? '' : ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'}>${Object.entries(
    fields,
  )
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`)
    .join('')}</${root}>`;

function partsOf(body: Buffer) {
  const text = body.toString('utf8');
  if (!/<CompleteMultipartUpload[\s>]/.test(text))
    throw new WireError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
      400,
    );
  return [...text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
    PartNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1]!)?.[1] ?? 0),
    ETag: xmlUnescape(/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1]!)?.[1] ?? ''),
  }));
}

type Answer = { status: number; headers?: Record<string, string>; body?: Buffer | string };

const objectHeaders = (out: Record<string, unknown>) => {
  const h: Record<string, string> = {};
  const set = (name: string, v: unknown) => {
    if (v !== undefined && v !== null) h[name] = v instanceof Date ? v.toUTCString() : String(v);
  };
  set('etag', out.ETag);
  set('x-amz-version-id', out.VersionId);
  set('content-type', out.ContentType);
  set('last-modified', out.LastModified);
  set('x-amz-server-side-encryption', out.ServerSideEncryption);
  set('x-amz-server-side-encryption-aws-kms-key-id', out.SSEKMSKeyId);
  set('x-amz-object-lock-mode', out.ObjectLockMode);
  set(
    'x-amz-object-lock-retain-until-date',
    out.ObjectLockRetainUntilDate instanceof Date ? out.ObjectLockRetainUntilDate.toISOString() : undefined,
  );
  for (const [k, v] of Object.entries((out.Metadata as Record<string, string>) ?? {}))
    h[`x-amz-meta-${k}`] = v;
  return h;
};

/** The operation a request is, and how its answer is written. */
async function answer(
  req: Parsed,
  call: (command: string, input: Record<string, unknown>) => Promise<Record<string, unknown>>,
): Promise<Answer & { operation: string }> {
  const q = req.query;
  const { method, bucket, key } = req;
  if (!bucket)
    throw Object.assign(new WireError('NotImplemented', 'ListBuckets is not simulated', 501), {
      operation: 'ListBuckets',
    });
  if (key && method === 'PUT' && q.has('partNumber') && q.has('uploadId')) {
    const out = await call('UploadPart', {
      Bucket: bucket,
      Key: key,
      UploadId: q.get('uploadId'),
      PartNumber: Number(q.get('partNumber')),
      Body: req.body,
    });
    return { operation: 'UploadPart', status: 200, headers: { etag: String(out.ETag) } };
  }
  if (key && method === 'PUT' && !header(req, 'x-amz-copy-source') && [...q.keys()].length === 0) {
    const out = await call('PutObject', {
      ...writeHeaders(req),
      Body: req.body,
      IfNoneMatch: header(req, 'if-none-match'),
      ChecksumSHA256: header(req, 'x-amz-checksum-sha256'),
    });
    return { operation: 'PutObject', status: 200, headers: objectHeaders(out) };
  }
  if (key && method === 'POST' && q.has('uploads')) {
    const out = await call('CreateMultipartUpload', writeHeaders(req));
    return {
      operation: 'CreateMultipartUpload',
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: xml('InitiateMultipartUploadResult', {
        Bucket: bucket,
        Key: key,
        UploadId: String(out.UploadId),
      }),
    };
  }
  if (key && method === 'POST' && q.has('uploadId')) {
    const out = await call('CompleteMultipartUpload', {
      Bucket: bucket,
      Key: key,
      UploadId: q.get('uploadId'),
      IfNoneMatch: header(req, 'if-none-match'),
      MultipartUpload: { Parts: partsOf(req.body) },
    });
    return {
      operation: 'CompleteMultipartUpload',
      status: 200,
      headers: { 'content-type': 'application/xml', ...objectHeaders({ VersionId: out.VersionId }) },
      body: xml('CompleteMultipartUploadResult', {
        Location: `/${bucket}/${key}`,
        Bucket: bucket,
        Key: key,
        ETag: String(out.ETag),
      }),
    };
  }
  if (key && method === 'DELETE' && q.has('uploadId')) {
    await call('AbortMultipartUpload', { Bucket: bucket, Key: key, UploadId: q.get('uploadId') });
    return { operation: 'AbortMultipartUpload', status: 204 };
  }
  if (key && (method === 'GET' || method === 'HEAD') && [...q.keys()].every((k) => k === 'versionId')) {
    const input = {
      Bucket: bucket,
      Key: key,
      VersionId: q.get('versionId') ?? undefined,
      Range: header(req, 'range'),
    };
    if (method === 'HEAD') {
      const out = await call('HeadObject', input);
      return {
        operation: 'HeadObject',
        status: 200,
        headers: { ...objectHeaders(out), 'content-length': String(out.ContentLength) },
      };
    }
    const out = await call('GetObject', input);
    const body = Buffer.from(
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    return { operation: 'GetObject', status: input.Range ? 206 : 200, headers: objectHeaders(out), body };
  }
  if (!key && method === 'GET' && q.get('list-type') === '2') {
    const out = await call('ListObjectsV2', {
      Bucket: bucket,
      Prefix: q.get('prefix') ?? undefined,
      ContinuationToken: q.get('continuation-token') ?? undefined,
      MaxKeys: q.has('max-keys') ? Number(q.get('max-keys')) : undefined,
    });
    const contents = (
      (out.Contents as { Key: string; Size: number; ETag: string; LastModified: Date }[]) ?? []
    )
      .map(
        (c) =>
          `<Contents><Key>${xmlEscape(c.Key)}</Key><LastModified>${c.LastModified.toISOString()}</LastModified><ETag>${xmlEscape(c.ETag)}</ETag><Size>${c.Size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('');
    const next = out.NextContinuationToken
      ? `<NextContinuationToken>${xmlEscape(String(out.NextContinuationToken))}</NextContinuationToken>`
      : '';
    return {
      operation: 'ListObjectsV2',
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(q.get('prefix') ?? '')}</Prefix><KeyCount>${out.KeyCount}</KeyCount><MaxKeys>${out.MaxKeys}</MaxKeys><IsTruncated>${out.IsTruncated}</IsTruncated>${next}${contents}</ListBucketResult>`,
    };
  }
  throw Object.assign(
    new WireError('NotImplemented', `${method} ${req.bucket}/${req.key ?? ''}?${q} is not simulated`, 501),
    {
      operation: 'Unknown',
    },
  );
}

/** Starts the endpoint on 127.0.0.1; it serves every region (the signature's region must be the bucket's). */
export async function startS3Endpoint(
  org: SimulatedOrganization,
  options: S3EndpointOptions = {},
): Promise<S3Endpoint> {
  const requests: S3Endpoint['requests'] = [];
  const secure = !!options.tls;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void serve(req, Buffer.concat(chunks)).then(({ status, headers, body, operation, bucket, key }) => {
        requests.push({ operation, status, bucket, key });
        const payload = body === undefined || req.method === 'HEAD' ? undefined : Buffer.from(body);
        res.writeHead(status, {
          'x-amz-request-id': `sim${requests.length.toString(16).padStart(13, '0')}`,
          ...(payload ? { 'content-length': String(payload.length) } : {}),
          ...headers,
        });
        res.end(payload);
      });
    });
  };

  async function serve(req: IncomingMessage, body: Buffer) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const rawQuery = (req.url ?? '').includes('?')
      ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1)
      : '';
    // Virtual-hosted style: the bucket is the host's first label before `.s3`.
    const host = String(req.headers.host ?? '');
    const virtual = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3[.-]/.exec(host)?.[1];
    const segments = url.pathname.split('/').slice(1);
    const bucket = virtual ?? (segments[0] ? decodeURIComponent(segments[0]) : undefined);
    const keyPath = virtual ? segments.join('/') : segments.slice(1).join('/');
    const key = keyPath ? decodeURIComponent(keyPath) : undefined;
    const parsed: Parsed = {
      method: req.method ?? 'GET',
      bucket,
      key,
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    try {
      const signed = verifySignature(org, req, rawPath, rawQuery);
      checkPayload(parsed, signed.payloadHash);
      const home = bucket ? org.world.buckets.get(bucket)?.region : undefined;
      if (home && home !== signed.region)
        throw new WireError(
          'PermanentRedirect',
          'The bucket you are attempting to access must be addressed using the specified endpoint.',
          301,
          { 'x-amz-bucket-region': home },
        );
      const call = async (command: string, input: Record<string, unknown>) =>
        (await org.handle('S3Client', `${command}Command`, input, signed.credentials, signed.region, {
          secure,
        })) as unknown as Record<string, unknown>;
      return { ...(await answer(parsed, call)), bucket, key };
    } catch (error) {
      const wire =
        error instanceof WireError
          ? error
          : new WireError(
              (error as Error)?.name ?? 'InternalError',
              (error as Error)?.message ?? String(error),
              (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 500,
            );
      return {
        operation:
          (error as { operation?: string }).operation ?? `${parsed.method} ${key ? 'object' : 'bucket'}`,
        status: wire.status,
        headers: { 'content-type': 'application/xml', ...wire.headers },
        body: xml('Error', { Code: wire.code, Message: wire.message, BucketName: bucket, Key: key }),
        bucket,
        key,
      };
    }
  }

  const server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    server,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
