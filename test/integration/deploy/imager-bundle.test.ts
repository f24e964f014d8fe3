import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleHandler } from '../../../deploy/bundling.js';

/**
 * The disk imager hashes on a worker thread (issue 11): the steps Lambda must carry the worker's file where
 * the bundled imager looks for it (`new URL('./hash-worker.mjs', import.meta.url)`), self-contained.
 */
describe('Function: the steps bundle’s hash thread', () => {
  it('puts hash-worker.mjs beside the bundle file that starts it, and it hashes with nothing else around', () => {
    // Prepare: the bundle copied where no node_modules can be found
    const dir = bundleHandler('steps').dir;
    const files = [
      join(dir, 'index.mjs'),
      ...(existsSync(join(dir, 'chunks'))
        ? readdirSync(join(dir, 'chunks')).map((f) => join(dir, 'chunks', f))
        : []),
    ];
    const starters = files.filter((f) => readFileSync(f, 'utf8').includes('new URL("./hash-worker.mjs"'));
    expect(starters).toHaveLength(1);
    const copy = mkdtempSync(join(tmpdir(), 'steps-bundle-'));
    try {
      cpSync(dir, copy, { recursive: true });
      const worker = join(copy, dirname(starters[0]!).slice(dir.length), 'hash-worker.mjs');
      expect(existsSync(worker)).toBe(true);

      // Act: a fresh Node runs the worker as the imager does, and hashes 3 MiB in two parts
      const script = `import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
const w = new Worker(${JSON.stringify(worker)}, { workerData: {} });
const part = new SharedArrayBuffer(3 * 1024 * 1024); new Uint8Array(part).fill(42);
w.on('error', (e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); });
w.on('message', (m) => {
  if (m.ready) {
    w.postMessage({ id: 1, op: 'update', buffer: part, offset: 0, length: 1024 * 1024 });
    w.postMessage({ id: 2, op: 'update', buffer: part, offset: 1024 * 1024, length: 2 * 1024 * 1024 });
    w.postMessage({ id: 3, op: 'digest' });
  } else if (m.id === 3) {
    console.log(JSON.stringify({ digest: m.value, expected: createHash('sha256').update(new Uint8Array(part)).digest('hex') }));
    void w.terminate();
  }
});`;
      // (a file, not -e: a worker inherits the parent's flags, and --input-type is refused for a file)
      writeFileSync(join(copy, 'run.mjs'), script);
      const out = execFileSync(process.execPath, [join(copy, 'run.mjs')], {
        cwd: copy,
        env: { PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
        timeout: 20_000,
      });

      // Assess
      const result = JSON.parse(out.trim().split('\n').pop()!) as { digest: string; expected: string };
      expect(result.digest).toBe(result.expected);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
