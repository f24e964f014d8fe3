/**
 * `npm run examine -- --image PATH [--image PATH]… [--memory PATH] [--triage PATH] [--ioc VALUE]…
 * [--since ISO] --out DIR` (shared/DESIGN.md, "Examination contract"). Exit 0 when the examination ran,
 * whatever it found; 2 for arguments it cannot act on, 3 when The Sleuth Kit or YARA is missing, 1 when a
 * tool failed. The message says which.
 */
import { parseArgs } from 'node:util';
import { ExaminationInputError, examine, MissingToolError } from './index.js';

const USAGE =
  'usage: npm run examine -- --image PATH [--image PATH]... [--memory PATH] [--triage PATH] [--ioc VALUE]... [--since ISO] [--until ISO] --out DIR';

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    console.error(`examine: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.image?.length || !values.out) {
    console.error(`examine: --image and --out are required\n${USAGE}`);
    return 2;
  }
  try {
    const result = await examine({
      images: values.image,
      ...(values.memory ? { memory: values.memory } : {}),
      ...(values.triage ? { triage: values.triage } : {}),
      iocs: values.ioc ?? [],
      ...(values.since ? { since: values.since } : {}),
      ...(values.until ? { until: values.until } : {}),
      outDir: values.out,
    });
    console.log(`examined: ${result.summary.text}`);
    for (const s of result.skipped) console.log(`not examined: ${s}`);
    for (const o of result.outputs) console.log(`${o.sha256}  ${o.bytes}  ${o.path}`);
    return 0;
  } catch (error) {
    const e = error as Error;
    console.error(`examine: ${e.message}`);
    if (error instanceof MissingToolError) return 3;
    if (error instanceof ExaminationInputError) return 2;
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      image: { type: 'string', multiple: true },
      memory: { type: 'string' },
      triage: { type: 'string' },
      ioc: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

// A reader that stops early (`| head`) is not a failure of the examination.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
process.exitCode = await main(process.argv.slice(2));
