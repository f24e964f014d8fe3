/**
 * `npm run build`: one bundle per Lambda handler, `dist/<handler>/index.mjs` (ESM, minified, Node 20),
 * with a `createRequire` banner so bundled CommonJS can still `require` Node built-ins, and a metafile
 * (`dist/<handler>/meta.json`) to see what each bundle carries. Lazy `import()`s (Step Functions,
 * Security Hub, Secrets Manager clients) become chunks next to it, loaded only when used.
 *
 * The Slack handler runs Bolt on AwsLambdaReceiver only: Bolt's other receivers (HTTP, Socket Mode,
 * Express) and the OAuth and Socket Mode packages they pull are replaced by stubs that throw if ever
 * constructed, which keeps express, ws and jsonwebtoken out of the cold start.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist');

const UNUSED_BY_LAMBDA_RECEIVER =
  /^(@slack\/socket-mode|@slack\/oauth|express|raw-body)$|receivers\/(HTTPReceiver|SocketModeReceiver|ExpressReceiver)$/;

/** Replaces what Bolt's AwsLambdaReceiver never uses with a module that throws when used. */
const boltLambdaOnly: Plugin = {
  name: 'bolt-lambda-only',
  setup(b) {
    b.onResolve({ filter: UNUSED_BY_LAMBDA_RECEIVER }, (args) => {
      if (!args.importer.includes(`${'node_modules'}/@slack/`)) return undefined;
      return { path: args.path, namespace: 'unused-by-lambda' };
    });
    b.onLoad({ filter: /.*/, namespace: 'unused-by-lambda' }, (args) => ({
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is not bundled in this Lambda`)}); };
module.exports = new Proxy(function Unused() { fail(); }, { get: (_t, k) => (k === '__esModule' ? false : k === 'default' ? module.exports : undefined), construct: fail });`,
      loader: 'js',
    }));
  },
};

/**
 * zod re-exports every locale (about 40 languages) from its index; the bot speaks English. The index
 * is replaced by English only in every bundle (error messages stay exactly as zod writes them).
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/node_modules\/zod\/v4\/(classic|core)$/.test(args.resolveDir)) return undefined;
      return { path: join(args.resolveDir, '..', 'locales', 'en-only.js'), namespace: 'zod-en' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(args.path, '..', 'en.js'))};`,
      loader: 'js',
      resolveDir: join(args.path, '..'),
    }));
  },
};

export interface BundleReport {
  handler: string;
  file: string;
  bytes: number;
  chunksBytes: number;
}

export async function bundle(only?: string[]): Promise<BundleReport[]> {
  const handlers = readdirSync(join(root, 'handlers'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'))
    .filter((h) => !only?.length || only.includes(h));
  const reports: BundleReport[] = [];
  for (const handler of handlers) {
    const dir = join(out, handler);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const result = await build({
      entryPoints: { index: join(root, 'handlers', `${handler}.ts`) },
      outdir: dir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      minify: true,
      sourcemap: false,
      metafile: true,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      mainFields: ['module', 'main'],
      legalComments: 'none',
      logLevel: 'warning',
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      plugins: handler === 'slack' ? [zodEnglishOnly, boltLambdaOnly] : [zodEnglishOnly],
    });
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(result.metafile));
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
  const reports = await bundle(process.argv.slice(2));
  for (const r of reports)
    console.log(
      `${r.handler.padEnd(10)} ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB  (+${(r.chunksBytes / 1024).toFixed(0)} KiB lazy chunks)  ${r.file}`,
    );
}
