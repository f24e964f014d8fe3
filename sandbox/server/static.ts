/**
 * The sandbox page's files (`sandbox/web/`), served as they are: plain HTML, CSS and JavaScript.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';

const ROOT = join(import.meta.dirname, '..', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Serves `pathname` from the page's folder; false when there is no such file. */
export async function serveStatic(pathname: string, res: ServerResponse): Promise<boolean> {
  const relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  const file = normalize(join(ROOT, relative));
  if (!file.startsWith(ROOT) || !TYPES[extname(file)]) return false;
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)]!,
    'content-length': content.length,
    'cache-control': 'no-cache',
  });
  res.end(content);
  return true;
}
