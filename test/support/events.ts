import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', 'events');

/** Loads `test/events/<source>/<name>.json` as a fresh copy a test may change. */
export function loadEvent<T = any>(source: string, name: string): T {
  const file = name.endsWith('.json') ? name : `${name}.json`;
  return structuredClone(JSON.parse(readFileSync(join(root, source, file), 'utf8'))) as T;
}
