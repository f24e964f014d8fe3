/**
 * Small HTTP helpers shared by the local Slack and the sandbox server (node:http, no framework).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The raw request body as a string (UTF-8). */
export async function readBody(req: IncomingMessage, limitBytes = 5 * 1024 * 1024): Promise<string> {
  return (await readBytes(req, limitBytes)).toString('utf8');
}

/** The raw request body as bytes (a file upload). */
export async function readBytes(req: IncomingMessage, limitBytes = 5 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new Error(`request body over ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Web API arguments the way Slack reads them: form fields or a JSON body, plus query parameters.
 * Form fields that carry structures (`blocks`, `attachments`, `view`) are JSON strings; they are parsed
 * here, and a field that is not valid JSON is kept as a string so the method can answer as Slack does.
 */
export function parseSlackArgs(
  contentType: string | undefined,
  body: string,
  query: URLSearchParams,
): Record<string, unknown> {
  const args: Record<string, unknown> = Object.fromEntries(query);
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' && body.trim()) {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object') Object.assign(args, parsed);
  } else if (body) {
    for (const [key, value] of new URLSearchParams(body)) args[key] = value;
  }
  for (const key of ['blocks', 'attachments', 'view', 'metadata']) {
    const value = args[key];
    if (typeof value === 'string' && value.trim()) {
      try {
        args[key] = JSON.parse(value);
      } catch {
        // keep the string: the method answers invalid_blocks_format / invalid_arguments
      }
    }
  }
  return args;
}

/** The bearer token of a Web API call: `Authorization: Bearer …` or the `token` argument. */
export function tokenOf(req: IncomingMessage, args: Record<string, unknown>): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return typeof args.token === 'string' ? args.token : undefined;
}

/** `true`/`"true"`/`1` as Slack's form fields write booleans. */
export function truthy(value: unknown): boolean {
  return value === true || value === 'true' || value === 1 || value === '1';
}
