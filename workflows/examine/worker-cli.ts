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
import { runWorkerCommand } from './worker.js';

const dir = mkdtempSync(join(process.env.EXAMINE_WORK_DIR ?? tmpdir(), 'examine-'));
try {
  const s3 = new S3Client({ region: process.env.SSM_Region ?? process.env.AWS_REGION });
  const { code, stdout, stderr } = await runWorkerCommand(process.env, s3, dir);
  process.stderr.write(stderr);
  process.stdout.write(stdout);
  process.exitCode = code;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
