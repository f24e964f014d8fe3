/**
 * The forensic worker's entry point (`node /opt/forensics-bot/examine-worker.mjs`, run by the
 * `ForensicsBot-Examine` document through workflows/scripts/examine-worker.sh): the document's parameters
 * arrive as `SSM_<Name>` environment variables, the S3 client takes the instance profile's credentials from
 * the standard chain. The last line of stdout is one JSON object: the result (`{"ok":true,…}`) or the
 * failure (`{"ok":false,"error","message"}`). Exit 0 when examined; 3 when a tool is missing; 4 when an
 * input is not what the case recorded or cannot be acted on; 1 otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { ExaminationInputError, MissingToolError } from './errors.js';
import { runWorker, workerParamsFromEnv } from './worker.js';

async function main(): Promise<number> {
  const dir = mkdtempSync(join(process.env.EXAMINE_WORK_DIR ?? tmpdir(), 'examine-'));
  try {
    const params = workerParamsFromEnv(process.env);
    const s3 = new S3Client({ region: process.env.SSM_Region ?? process.env.AWS_REGION });
    const result = await runWorker(s3, params, dir);
    console.log(JSON.stringify({ ok: true, ...result }));
    return 0;
  } catch (error) {
    const e = error as Error;
    console.error(`examine-worker: ${e.message}`);
    console.log(
      JSON.stringify({
        ok: false,
        error: e.name,
        message: e.message.slice(0, 2000),
        ...(error instanceof MissingToolError ? { missing: error.missing } : {}),
      }),
    );
    if (error instanceof MissingToolError) return 3;
    if (error instanceof ExaminationInputError) return 4;
    return 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
