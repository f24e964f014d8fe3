import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { WorkerInput } from '../examine-parameters.js';
import { ExaminationInputError, MissingToolError } from './errors.js';
import { examine, TOOL } from './index.js';

/**
 * What the forensic worker runs (issue 12, item 4): the case's evidence read from the evidence bucket with
 * the worker's own instance profile (which may read only that case's prefix and write only its
 * `examination/` prefix), each object hashed as it is written to the worker's scratch disk and refused
 * when it is not what the case recorded, the engine over them, and its outputs uploaded locked beside the
 * case's evidence — the same keys, lock and encryption as the local path (workflows/steps/examine-evidence.ts),
 * so the step records them the same way. The result is one JSON line (the last line of the output).
 */

export interface WorkerParams {
  caseId: string;
  bucket: string;
  kmsKeyId: string;
  inputs: WorkerInput[];
  iocs: string[];
  since: string;
  lock: { mode: 'COMPLIANCE' | 'GOVERNANCE'; retainUntil: string };
  stamp: string;
  /** `fetch`: only read and verify the inputs (an investigator's workstation); nothing is examined or written. */
  mode?: 'examine' | 'fetch';
}

export interface WorkerOutput {
  name: string;
  uri: string;
  sha256: string;
  bytes: number;
  versionId?: string;
}

export interface WorkerResult {
  tool: { name: string; version: string };
  inputs: { kind: WorkerInput['kind']; uri: string; sha256: string; bytes: number; versionId?: string }[];
  outputs: WorkerOutput[];
  /** The rest (window, tools, what was not examined, the findings) is in findings.json, which the step reads. */
  counts: Record<string, number>;
  total: number;
}

/** An input that does not hash to what the case recorded: it is never examined. */
export class EvidenceMismatchError extends ExaminationInputError {}

const CONTENT_TYPES: Record<string, string> = {
  'findings.json': 'application/json',
  'timeline.csv': 'text/csv',
  'report.md': 'text/markdown; charset=utf-8',
};

async function readBack(s3: S3Client, bucket: string, input: WorkerInput, path: string) {
  const got = await s3.send(
    new GetObjectCommand({
      Bucket: bucket,
      Key: input.key,
      ...(input.versionId ? { VersionId: input.versionId } : {}),
    }),
  );
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(got.Body as NodeJS.ReadableStream, tap, createWriteStream(path));
  return { sha256: hash.digest('hex'), bytes, versionId: got.VersionId ?? input.versionId };
}

/** Writes one output, never over an earlier object (an earlier run's output stays; this one goes under its stamp). */
async function store(s3: S3Client, p: WorkerParams, path: string, sha256: string): Promise<WorkerOutput> {
  const name = basename(path);
  const body = readFileSync(path);
  const put = (key: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: p.bucket,
        Key: key,
        Body: body,
        ContentType: CONTENT_TYPES[name] ?? 'application/octet-stream',
        IfNoneMatch: '*',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: p.kmsKeyId,
        ObjectLockMode: p.lock.mode,
        ObjectLockRetainUntilDate: new Date(p.lock.retainUntil),
        Metadata: { 'case-id': p.caseId, sha256 },
      }),
    );
  let key = `${p.caseId}/examination/${name}`;
  let out = await put(key).catch((error: Error) => error);
  if (out instanceof Error && out.name === 'PreconditionFailed') {
    key = `${p.caseId}/examination/${p.stamp}/${name}`;
    out = await put(key);
  } else if (out instanceof Error) throw out;
  return {
    name,
    uri: `s3://${p.bucket}/${key}`,
    sha256,
    bytes: body.length,
    ...(out.VersionId ? { versionId: out.VersionId } : {}),
  };
}

/** Reads and verifies every input into `into` (each hashed as it is written; a mismatch is refused). */
async function fetchInputs(s3: S3Client, p: WorkerParams, into: string) {
  for (const i of p.inputs)
    if (!i.key.startsWith(`${p.caseId}/`))
      throw new ExaminationInputError(`${i.key} is not evidence of ${p.caseId}`);
  mkdirSync(into, { recursive: true });
  const inputs: (WorkerResult['inputs'][number] & { path: string })[] = [];
  for (const [n, input] of p.inputs.entries()) {
    const path = join(into, `${n}-${basename(input.key)}`);
    const read = await readBack(s3, p.bucket, input, path);
    const uri = `s3://${p.bucket}/${input.key}`;
    if (read.sha256 !== input.sha256 || (input.bytes !== undefined && read.bytes !== input.bytes))
      throw new EvidenceMismatchError(
        `${uri} read back as ${read.bytes} bytes with SHA-256 ${read.sha256}; the case recorded ${input.bytes ?? '?'} bytes and ${input.sha256}: it was not examined`,
      );
    inputs.push({
      kind: input.kind,
      uri,
      sha256: read.sha256,
      bytes: read.bytes,
      path,
      ...(read.versionId ? { versionId: read.versionId } : {}),
    });
  }
  return inputs;
}

/**
 * An investigator's workstation (`/forensics workstation`): the case's evidence read and verified into
 * `evidenceDir/<case>/`, kept there for the investigator; nothing examined, nothing written to the bucket.
 */
export async function fetchEvidence(s3: S3Client, p: WorkerParams, evidenceDir: string) {
  const inputs = await fetchInputs(s3, p, join(evidenceDir, p.caseId));
  return { tool: TOOL, mode: 'fetch' as const, inputs, outputs: [] };
}

/** Reads, verifies, examines and uploads; throws `MissingToolError`, `EvidenceMismatchError` or the tool's failure. */
export async function runWorker(s3: S3Client, p: WorkerParams, dir: string): Promise<WorkerResult> {
  if (!p.inputs.some((i) => i.kind === 'disk-image'))
    throw new ExaminationInputError('no disk image among the inputs: nothing to examine');
  const inputs = await fetchInputs(s3, p, join(dir, 'in'));
  const memory = inputs.find((i) => i.kind === 'memory');
  const triage = inputs.find((i) => i.kind === 'triage');
  const result = await examine({
    images: inputs.filter((i) => i.kind === 'disk-image').map((i) => i.path),
    ...(memory ? { memory: memory.path } : {}),
    ...(triage ? { triage: triage.path } : {}),
    iocs: p.iocs,
    since: p.since,
    outDir: join(dir, 'out'),
    workDir: join(dir, 'work'),
  });
  const outputs: WorkerOutput[] = [];
  for (const o of result.outputs) outputs.push(await store(s3, p, o.path, o.sha256));
  return {
    tool: TOOL,
    inputs: inputs.map(({ path: _path, ...i }) => i),
    outputs,
    counts: result.summary.counts,
    total: result.summary.total,
  };
}

/** The document's parameters (`SSM_<Name>` environment variables) as the worker's. */
export function workerParamsFromEnv(env: NodeJS.ProcessEnv): WorkerParams {
  const need = (name: string) => {
    const v = env[`SSM_${name}`];
    if (!v) throw new ExaminationInputError(`parameter ${name} is missing`);
    return v;
  };
  let inputs: WorkerInput[];
  try {
    inputs = JSON.parse(need('Inputs')) as WorkerInput[];
  } catch (error) {
    if (error instanceof ExaminationInputError) throw error;
    throw new ExaminationInputError(`parameter Inputs is not JSON: ${(error as Error).message}`);
  }
  const mode = need('LockMode');
  if (mode !== 'COMPLIANCE' && mode !== 'GOVERNANCE')
    throw new ExaminationInputError(`LockMode ${mode} is not COMPLIANCE or GOVERNANCE`);
  return {
    caseId: need('CaseId'),
    bucket: need('Bucket'),
    kmsKeyId: need('KmsKeyId'),
    inputs,
    iocs: (env.SSM_Iocs ?? '').split(',').filter(Boolean),
    since: need('Since'),
    lock: { mode, retainUntil: need('RetainUntil') },
    stamp: need('Stamp'),
    mode: env.SSM_Mode === 'fetch' ? 'fetch' : 'examine',
  };
}

/**
 * The worker's command as its entry point runs it (worker-cli.ts; the sandbox's SSM runs the same on the
 * local machine): the exit code, and stdout whose last line is the JSON result or failure.
 */
export async function runWorkerCommand(
  env: NodeJS.ProcessEnv,
  s3: S3Client,
  dir: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const params = workerParamsFromEnv(env);
    const result =
      params.mode === 'fetch'
        ? await fetchEvidence(s3, params, env.EXAMINE_EVIDENCE_DIR ?? join(dir, 'evidence'))
        : await runWorker(s3, params, dir);
    return { code: 0, stdout: `${JSON.stringify({ ok: true, ...result })}\n`, stderr: '' };
  } catch (error) {
    const e = error as Error;
    const line = JSON.stringify({
      ok: false,
      error: e.name,
      message: e.message.slice(0, 2000),
      ...(error instanceof MissingToolError ? { missing: error.missing } : {}),
    });
    const code = error instanceof MissingToolError ? 3 : error instanceof ExaminationInputError ? 4 : 1;
    return { code, stdout: `${line}\n`, stderr: `examine-worker: ${e.message}\n` };
  }
}
