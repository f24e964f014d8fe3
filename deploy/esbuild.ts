import { join } from 'node:path';
import type { BuildOptions, Plugin } from 'esbuild';

/**
 * The one set of esbuild options every Lambda bundle is built with, whether for the deploy
 * (`deploy/bundling.ts`, the CDK assets) or for `npm run build` (`dist/`, which the benches load): what
 * the benches measure is what runs in Lambda.
 */

export const HANDLERS = ['slack', 'findings', 'progress', 'steps', 'outbox'] as const;
export type HandlerName = (typeof HANDLERS)[number];

export function isHandlerName(name: string): name is HandlerName {
  return (HANDLERS as readonly string[]).includes(name);
}

/**
 * ESM bundles need `require` for the CommonJS dependencies esbuild inlines (Bolt, parts of the SDK).
 * The name is unusual so it cannot collide with a top-level name in the bundled code.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __forensicsBotCreateRequire } from 'node:module';" +
  'const require = __forensicsBotCreateRequire(import.meta.url);';

/**
 * What Bolt's AwsLambdaReceiver never uses: the other receivers (HTTP, Socket Mode, Express) and the
 * OAuth and Socket Mode packages they pull (express, undici, jsonwebtoken…). Bolt requires them at load.
 */
export const UNUSED_BY_LAMBDA_RECEIVER =
  /^(@slack\/socket-mode|@slack\/oauth|express|raw-body)$|receivers\/(HTTPReceiver|SocketModeReceiver|ExpressReceiver)$/;

/**
 * Replaces what the Lambda receiver never uses with a module that throws when used (constructed or
 * called), so a regression fails loudly instead of half-working. Only Bolt's own imports are replaced.
 */
export const boltLambdaOnly: Plugin = {
  name: 'bolt-lambda-only',
  setup(b) {
    b.onResolve({ filter: UNUSED_BY_LAMBDA_RECEIVER }, (args) => {
      if (!args.importer.includes('node_modules/@slack/')) return undefined;
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
 * is replaced by English only (error messages stay exactly as zod writes them).
 */
export const zodEnglishOnly: Plugin = {
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

/**
 * Options of `handlers/<handler>.ts` bundled into `outdir` (`index.mjs` plus lazy `chunks/`).
 * Plugins need esbuild's async API.
 */
export function handlerBuildOptions(root: string, handler: HandlerName, outdir: string): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: {
      index: join(root, 'handlers', `${handler}.ts`),
      // the disk imager's hash thread is a file of its own, beside index.mjs (workflows/imager/hash-thread.ts)
      ...(handler === 'steps' ? { 'hash-worker': join(root, 'workflows', 'imager', 'hash-worker.mjs') } : {}),
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    // lazy import()s (Step Functions, Security Hub, Secrets Manager clients) stay lazy: loaded when used
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node22', // the Lambda runtime (deploy/constructs/bot-function.ts)
    format: 'esm',
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true, // error class names are the contract with Step Functions' ErrorEquals
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    banner: { js: ESM_REQUIRE_BANNER },
    plugins: handler === 'slack' ? [zodEnglishOnly, boltLambdaOnly] : [zodEnglishOnly],
  };
}
