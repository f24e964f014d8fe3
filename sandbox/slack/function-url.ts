/**
 * Lambda Function URL events (payload format 2.0) built from an HTTP request, the way AWS builds them:
 * header names lower-cased (repeated headers joined by commas, cookies moved to `cookies`), the query
 * string raw and parsed, and a body that is base64-encoded unless its content type is text. Slack's
 * form-encoded requests therefore arrive base64-encoded, as they do in AWS.
 */
import { randomUUID } from 'node:crypto';

export interface HttpRequestLike {
  method: string;
  /** Path with an optional query string, e.g. `/slack/events?x=1`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: string | Buffer;
  sourceIp?: string;
}

export interface FunctionUrlEvent {
  version: '2.0';
  routeKey: '$default';
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: '$default';
    stage: '$default';
    time: string;
    timeEpoch: number;
  };
  body?: string;
  isBase64Encoded: boolean;
}

/** The result shapes a Function URL handler may return. */
export type FunctionUrlResult =
  | string
  | {
      statusCode?: number;
      headers?: Record<string, string | number | boolean>;
      body?: string;
      isBase64Encoded?: boolean;
      cookies?: string[];
    }
  | undefined
  | null;

const URL_ID = 'sandboxforensicsbotslackurl000';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function isTextType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!type) return true;
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript'
  );
}

function clf(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`;
}

/** Builds the payload v2 event Lambda would hand to a Function URL handler for this request. */
export function functionUrlEvent(request: HttpRequestLike): FunctionUrlEvent {
  const [rawPath = '/', rawQueryString = ''] = request.url.split(/\?(.*)/s);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (key === 'cookie') cookies = joined.split(/;\s*/).filter(Boolean);
    else headers[key] = headers[key] ? `${headers[key]},${joined}` : joined;
  }
  const now = new Date();
  const sourceIp = request.sourceIp ?? '127.0.0.1';
  headers.host ??= `${URL_ID}.lambda-url.us-east-1.on.aws`;
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-proto'] ??= 'https';
  headers['x-forwarded-port'] ??= '443';
  headers['x-amzn-trace-id'] ??=
    `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)}`;

  const query = new URLSearchParams(rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of query)
    queryStringParameters[key] = queryStringParameters[key]
      ? `${queryStringParameters[key]},${value}`
      : value;

  const bodyBuffer =
    request.body === undefined || request.body.length === 0
      ? undefined
      : Buffer.isBuffer(request.body)
        ? request.body
        : Buffer.from(request.body, 'utf8');
  // The HTTP layer sets Content-Length; Lambda passes it on.
  if (bodyBuffer) headers['content-length'] ??= String(bodyBuffer.length);
  const text = isTextType(headers['content-type']);
  const event: FunctionUrlEvent = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: URL_ID,
      domainName: `${URL_ID}.lambda-url.us-east-1.on.aws`,
      domainPrefix: URL_ID,
      http: {
        method: request.method.toUpperCase(),
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: clf(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: bodyBuffer !== undefined && !text,
  };
  if (bodyBuffer) event.body = text ? bodyBuffer.toString('utf8') : bodyBuffer.toString('base64');
  return event;
}

/**
 * Reads a Function URL handler's result as Lambda does: a string is a 200 JSON body; an object without
 * `statusCode` is serialized as the body.
 */
export function readFunctionUrlResult(result: FunctionUrlResult): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  if (result === undefined || result === null) return { status: 200, headers: {}, body: '' };
  if (typeof result === 'string')
    return { status: 200, headers: { 'content-type': 'application/json' }, body: result };
  if (result.statusCode === undefined)
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const body = result.body ?? '';
  return {
    status: result.statusCode,
    headers,
    body: result.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body,
  };
}
