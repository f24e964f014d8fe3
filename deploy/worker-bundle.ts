import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { REPO_ROOT } from './bundling.js';

/**
 * What the forensic AMI carries of the project (issue 12, item 4): the examination engine and the worker's
 * entry point as one ESM file (`examine-worker.mjs`), the project's YARA rules beside it (`rules/`), the
 * worker's script, and `VERSION`. Built at synth with esbuild's synchronous API (no plugins needed), into
 * `node_modules/.cache/forensics-bot/worker/`, which the deploy uploads as an asset for Image Builder.
 *
 * The AMI runs Debian 12's Node.js (18.x; the project is developed on 20): the bundle targets node18, and
 * `import.meta.dirname` (Node 20.11+) is replaced by a banner that computes it from `import.meta.url`.
 */
export const WORKER_BUNDLE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'forensics-bot', 'worker');

const BANNER =
  "import { createRequire as __fbRequire } from 'node:module';" +
  "import { dirname as __fbDirname } from 'node:path';" +
  "import { fileURLToPath as __fbPath } from 'node:url';" +
  'const require = __fbRequire(import.meta.url);' +
  'const __fbModuleDir = __fbDirname(__fbPath(import.meta.url));';

export function bundleWorker(version: string, outDir = WORKER_BUNDLE_DIR): string {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints: [join(REPO_ROOT, 'workflows', 'examine', 'worker-cli.ts')],
    outfile: join(outDir, 'examine-worker.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'esm',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: BANNER },
    // the rules are beside the bundle (RULES_DIR = <dir of the module>/rules)
    define: { 'import.meta.dirname': '__fbModuleDir' },
  });
  cpSync(join(REPO_ROOT, 'workflows', 'examine', 'rules'), join(outDir, 'rules'), { recursive: true });
  writeFileSync(
    join(outDir, 'examine-worker.sh'),
    readFileSync(join(REPO_ROOT, 'workflows', 'scripts', 'examine-worker.sh')),
    { mode: 0o755 },
  );
  writeFileSync(join(outDir, 'VERSION'), `${version}\n`);
  return outDir;
}
