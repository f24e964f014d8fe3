/**
 * `npm run build`: one bundle per Lambda handler, `dist/<handler>/index.mjs` plus its lazy `chunks/`,
 * built with exactly the options of the deployed bundles (`deploy/esbuild.ts`: ESM, minified, Node 22,
 * class names kept, Bolt without its unused receivers, zod in English only), and a metafile
 * `dist/<handler>.meta.json` saying what each bundle carries.
 *
 * `tsx scripts/bundle.ts [--out <dir>] [handler…]` builds into another directory; the deploy uses that to
 * build its assets (`deploy/bundling.ts`). Each bundle is built beside its directory and swapped in, so
 * a process reading the previous bundle never sees half of one.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { HANDLERS, handlerBuildOptions, isHandlerName } from '../deploy/esbuild.js';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');

export interface BundleReport {
  handler: string;
  /** The entry, `<out>/<handler>/index.mjs`. */
  file: string;
  bytes: number;
  chunksBytes: number;
}

/** Builds the given handlers (default: all) into `<out>/<handler>/`. */
export async function bundle(only?: string[], out = dist): Promise<BundleReport[]> {
  const unknown = (only ?? []).filter((h) => !isHandlerName(h));
  if (unknown.length > 0) throw new Error(`No such handler: ${unknown.join(', ')} (${HANDLERS.join(', ')})`);
  const handlers = HANDLERS.filter((h) => !only?.length || only.includes(h));
  const reports: BundleReport[] = [];
  for (const handler of handlers) {
    const dir = join(out, handler);
    const staging = `${dir}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const result = await build(handlerBuildOptions(root, handler, staging));
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    // metafile paths name the staging directory: rewrite them to the final one
    const from = staging.slice(root.length + 1);
    const to = dir.slice(root.length + 1);
    const metafile = {
      inputs: result.metafile?.inputs ?? {},
      outputs: Object.fromEntries(
        Object.entries(result.metafile?.outputs ?? {}).map(([k, v]) => [k.replace(from, to), v]),
      ),
    };
    writeFileSync(join(out, `${handler}.meta.json`), JSON.stringify(metafile));
    const file = join(dir, 'index.mjs');
    const chunks = join(dir, 'chunks');
    const chunksBytes = statSafe(chunks)
      ? readdirSync(chunks).reduce((n, f) => n + statSync(join(chunks, f)).size, 0)
      : 0;
    reports.push({ handler, file, bytes: statSync(file).size, chunksBytes });
  }
  return reports;
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const out = at >= 0 ? resolve(args[at + 1] ?? dist) : dist;
  const only = args.filter((_, i) => at < 0 || (i !== at && i !== at + 1));
  const reports = await bundle(only, out);
  for (const r of reports)
    console.log(
      `${r.handler.padEnd(10)} ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB  (+${(r.chunksBytes / 1024).toFixed(0)} KiB lazy chunks)  ${r.file}`,
    );
}
