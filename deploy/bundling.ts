import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { HANDLERS, type HandlerName } from './esbuild.js';

export { HANDLERS, type HandlerName } from './esbuild.js';

/**
 * One esbuild bundle per Lambda handler (no Docker), kept under
 * `node_modules/.cache/forensics-bot/lambda/<handler>/` and rebuilt only when a file that went into it
 * changed. The options are `deploy/esbuild.ts`'s, shared with `npm run build`. Each bundle holds only what
 * its handler imports, so the Slack function does not load the EC2 or SSM clients on a cold start; the
 * esbuild metafile says what went in, and the tests read it to hold that line.
 *
 * CDK constructs are built synchronously, and esbuild plugins need its async API: the build runs in a
 * child process (`scripts/bundle.ts --out …`), once for every stale bundle.
 */

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

const built = new Map<HandlerName, HandlerBundle>();

/** The bundle of `handlers/<handler>.ts` (built once per process, and only when its inputs changed). */
export function bundleHandler(handler: HandlerName): HandlerBundle {
  const cached = built.get(handler) ?? reuse(handler);
  if (cached) {
    built.set(handler, cached);
    return cached;
  }
  const entry = join(REPO_ROOT, 'handlers', `${handler}.ts`);
  if (!existsSync(entry)) throw new Error(`Cannot bundle the ${handler} function: ${entry} does not exist`);
  // Several processes (test workers, a synth) may find the bundles stale at once: one builds, the others
  // wait and then reuse what it built.
  withBuildLock(() => {
    if (reuse(handler)) return;
    // Every stale bundle in one child process: a synth needs all four, and each process start costs.
    const stale = HANDLERS.filter((h) => h === handler || (!built.has(h) && !reuse(h)));
    try {
      execFileSync(
        process.execPath,
        ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'bundle.ts'), '--out', CACHE_DIR, ...stale],
        { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
      );
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new Error(`esbuild failed for ${stale.join(', ')}${stderr ? `: ${stderr}` : ''}`, {
        cause: error,
      });
    }
  });
  // Just built (or built by the process that held the lock) from the tree as it was: taken as it is, even if
  // a source file changed since (an editor saving during a test run must not fail the build it started).
  const fresh = reuse(handler) ?? load(handler);
  if (!fresh) throw new Error(`The ${handler} bundle is missing after the build (${CACHE_DIR})`);
  built.set(handler, fresh);
  return fresh;
}

const LOCK_DIR = join(CACHE_DIR, '.building');
/** A lock older than this is left over from a killed process: the build takes seconds. */
const STALE_LOCK_MS = 5 * 60_000;

/** Runs `build` holding a lock directory (mkdir is atomic) shared by every process using the cache. */
function withBuildLock(build: () => void): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSafeMs(LOCK_DIR) ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(LOCK_DIR, { recursive: true, force: true });
      else Atomics.wait(pause, 0, 0, 200); // a synchronous sleep: constructs are built synchronously
    }
  }
  try {
    build();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function statSafeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * The previous bundle, when none of the files that went into it (per its metafile) changed since: synths
 * in several processes (tests, `cdk synth`) then bundle once. A changed or removed input rebuilds.
 */
function reuse(handler: HandlerName): HandlerBundle | undefined {
  const dir = join(CACHE_DIR, handler);
  const out = join(dir, 'index.mjs');
  const metaPath = join(CACHE_DIR, `${handler}.meta.json`);
  if (!existsSync(out) || !existsSync(metaPath)) return undefined;
  try {
    const builtAt = Math.min(statSync(out).mtimeMs, statSync(metaPath).mtimeMs);
    const metafile = JSON.parse(readFileSync(metaPath, 'utf8')) as Metafile;
    if (!metafile.inputs[`handlers/${handler}.ts`]) return undefined; // built from another entry
    for (const input of Object.keys(metafile.inputs)) {
      // inputs of plugin namespaces (`zod-en:…`, `unused-by-lambda:…`) are not files
      if (/^[a-z-]+:/.test(input)) continue;
      if (statSync(join(REPO_ROOT, input)).mtimeMs >= builtAt) return undefined;
    }
    return { handler, dir, metafile, bytes: totalBytes(metafile) };
  } catch {
    return undefined; // an input is gone, or the metafile is unreadable: rebuild
  }
}

/** The bundle on disk, whatever its age (undefined when there is none). */
function load(handler: HandlerName): HandlerBundle | undefined {
  const dir = join(CACHE_DIR, handler);
  const metaPath = join(CACHE_DIR, `${handler}.meta.json`);
  if (!existsSync(join(dir, 'index.mjs')) || !existsSync(metaPath)) return undefined;
  const metafile = JSON.parse(readFileSync(metaPath, 'utf8')) as Metafile;
  return { handler, dir, metafile, bytes: totalBytes(metafile) };
}

/** Bytes of the entry and its lazy chunks. */
function totalBytes(metafile: Metafile): number {
  return Object.values(metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}

/** The npm packages a bundle contains (from the metafile's inputs). */
export function bundledPackages(bundle: HandlerBundle): string[] {
  const packages = new Set<string>();
  for (const input of Object.keys(bundle.metafile.inputs)) {
    if (/^[a-z-]+:/.test(input)) continue; // a plugin's stand-in, not the package
    // the innermost node_modules names the package (nested copies count as that package)
    const name = [...input.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].pop()?.[1];
    if (name) packages.add(name);
  }
  return [...packages].sort();
}
