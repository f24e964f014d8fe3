/**
 * `npm run bench [--record] [name…]`: runs every `bench/*.bench.ts` (or the named ones) one after another,
 * prints a table, and writes `<name>.json` with the figures, the machine's core count and the date — into
 * `bench/results/local/` (not committed), or with `--record` into `bench/results/`, the figures the README
 * cites (commit them on purpose).
 * Each benchmark runs in a process of its own: they set environment variables, install SDK hooks and
 * cache clients, and one must neither inherit another's state nor pay for its garbage.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Benchmark, BenchResult } from './types.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.LOG_LEVEL ??= 'SILENT';

const dir = import.meta.dirname;
const record = process.argv.includes('--record') || process.env.BENCH_RECORD === '1';
const wanted = process.argv.slice(2).filter((a) => a !== '--record');
const out = join(dir, 'results', ...(record ? [] : ['local']));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.ts', '')))
  .sort();

mkdirSync(out, { recursive: true });
if (!process.env.BENCH_CHILD && files.length > 1) {
  let failed = 0;
  for (const file of files) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, process.argv[1]!, file.replace('.bench.ts', '')],
      {
        stdio: 'inherit',
        env: { ...process.env, BENCH_CHILD: '1', ...(record ? { BENCH_RECORD: '1' } : {}) },
      },
    );
    if (child.status !== 0) failed++;
  }
  process.exit(failed ? 1 : 0);
}
let failures = 0;
for (const file of files) {
  const started = Date.now();
  try {
    const run = (await import(pathToFileURL(join(dir, file)).href)).default as Benchmark;
    const result: BenchResult = await run();
    const figures = {
      ...result,
      cores: cpus().length,
      date: new Date().toISOString(),
      node: process.version,
    };
    writeFileSync(join(out, `${result.name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`\n## ${result.name}  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.table(
      result.figures.map((f) => ({
        figure: f.name,
        value: round(f.value),
        unit: f.unit,
        target: f.target ?? '',
      })),
    );
    for (const note of result.notes ?? []) console.log(`  ${note}`);
  } catch (error) {
    failures++;
    console.error(`\n## ${file}: FAILED`, error);
  }
}
process.exit(failures ? 1 : 0);

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}
