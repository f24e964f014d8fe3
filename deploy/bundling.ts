import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type Metafile } from 'esbuild';

/**
 * One esbuild bundle per Lambda handler, built locally (no Docker) once per process and kept under
 * `node_modules/.cache/forensics-bot/lambda/<handler>/index.mjs`. Each bundle holds only what its
 * handler imports, so the Slack function does not load the EC2 or SSM clients on a cold start; the
 * esbuild metafile says what went in, and the tests read it to hold that line.
 */

export const HANDLERS = ['slack', 'findings', 'progress', 'steps'] as const;
export type HandlerName = (typeof HANDLERS)[number];

export interface HandlerBundle {
  readonly handler: HandlerName;
  /** Directory holding `index.mjs` and its lazy `chunks/` (the Lambda asset). */
  readonly dir: string;
  /** What went into the bundle, lazy chunks included (esbuild metafile). */
  readonly metafile: Metafile;
  /** Bytes of the entry and its lazy chunks. */
  readonly bytes: number;
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'forensics-bot', 'lambda');

/**
 * ESM bundles need `require` for the CommonJS dependencies esbuild inlines (Bolt, parts of the SDK).
 * The name is unusual so it cannot collide with a top-level name in the bundled code.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __forensicsBotCreateRequire } from 'node:module';" +
  'const require = __forensicsBotCreateRequire(import.meta.url);';

const built = new Map<HandlerName, HandlerBundle>();

/** Bundles `handlers/<handler>.ts` (once per process) and returns where the bundle is. */
export function bundleHandler(handler: HandlerName): HandlerBundle {
  const cached = built.get(handler);
  if (cached) return cached;
  const entry = join(REPO_ROOT, 'handlers', `${handler}.ts`);
  if (!existsSync(entry)) throw new Error(`Cannot bundle the ${handler} function: ${entry} does not exist`);
  const dir = join(CACHE_DIR, handler);
  const reused = reuse(handler, dir);
  if (reused) {
    built.set(handler, reused);
    return reused;
  }
  // Build beside the final directory, then swap: another process may be reading the previous bundle.
  const staging = `${dir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const result = buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints: { index: entry },
    outdir: staging,
    outExtension: { '.js': '.mjs' },
    // lazy import()s (Step Functions, Security Hub, Secrets Manager clients) stay lazy: loaded when used
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true, // error class names are the contract with Step Functions' ErrorEquals
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    banner: { js: ESM_REQUIRE_BANNER },
  });
  if (result.errors.length > 0) {
    throw new Error(`esbuild failed for ${handler}: ${result.errors.map((e) => e.text).join('; ')}`);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  const metafile = relocate(result.metafile, staging, dir);
  writeFileSync(join(CACHE_DIR, `${handler}.meta.json`), JSON.stringify(metafile));
  const bundle: HandlerBundle = { handler, dir, metafile, bytes: totalBytes(metafile) };
  built.set(handler, bundle);
  return bundle;
}

/**
 * The previous bundle, when none of the files that went into it (per its metafile) changed since: synths
 * in several processes (tests, `cdk synth`) then bundle once. A changed or removed input rebuilds.
 */
function reuse(handler: HandlerName, dir: string): HandlerBundle | undefined {
  const out = join(dir, 'index.mjs');
  const metaPath = join(CACHE_DIR, `${handler}.meta.json`);
  if (!existsSync(out) || !existsSync(metaPath)) return undefined;
  try {
    const builtAt = Math.min(statSync(out).mtimeMs, statSync(metaPath).mtimeMs);
    const metafile = JSON.parse(readFileSync(metaPath, 'utf8')) as Metafile;
    if (!metafile.inputs[`handlers/${handler}.ts`]) return undefined; // built from another entry
    for (const input of Object.keys(metafile.inputs)) {
      if (statSync(join(REPO_ROOT, input)).mtimeMs >= builtAt) return undefined;
    }
    return { handler, dir, metafile, bytes: totalBytes(metafile) };
  } catch {
    return undefined; // an input is gone, or the metafile is unreadable: rebuild
  }
}

/** Output paths of a metafile moved from the staging directory to the final one. */
function relocate(metafile: Metafile, from: string, to: string): Metafile {
  const rel = (p: string) => p.replace(from.slice(REPO_ROOT.length + 1), to.slice(REPO_ROOT.length + 1));
  return {
    inputs: metafile.inputs,
    outputs: Object.fromEntries(Object.entries(metafile.outputs).map(([k, v]) => [rel(k), v])),
  };
}

/** Bytes of the entry and its lazy chunks. */
function totalBytes(metafile: Metafile): number {
  return Object.values(metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}

/** The npm packages a bundle contains (from the metafile's inputs). */
export function bundledPackages(bundle: HandlerBundle): string[] {
  const packages = new Set<string>();
  for (const input of Object.keys(bundle.metafile.inputs)) {
    // the innermost node_modules names the package (nested copies count as that package)
    const name = [...input.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].pop()?.[1];
    if (name) packages.add(name);
  }
  return [...packages].sort();
}
