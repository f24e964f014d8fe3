import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { isDomain } from '../../bot/core/ids.js';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  type Artifact,
  type CaseRecord,
  EXAMINATION_FINDINGS_KEPT,
  type ExaminationFile,
  type ExaminationRecord,
} from '../../bot/core/case-model.js';
import { addArtifact, recordExamination, requireCase } from '../../bot/core/case-store.js';
import { describeError } from '../../bot/core/errors.js';
import { logger } from '../../bot/core/logger.js';
import { examine, MissingToolError, TOOL } from '../examine/index.js';
import { clip } from '../examine/findings.js';
import { own } from '../aws/member.js';
import { ExaminationFailedError } from '../errors.js';
import { evidenceLock } from '../imager/settings.js';
import { notifier } from '../notifier.js';
import { forensicsSettings } from '../settings.js';
import { NO_IMAGE_REASON } from './examine-outcome.js';
import { shareReport } from './examine-report.js';
import { examineSettings } from './examine-settings.js';
import { count, defineStep, TargetInput } from './step.js';

/**
 * The examination of a case's evidence (issue 12), after acquisition and containment: the raw disk images
 * (and the memory image, and the live-triage archive) are read back from the evidence bucket, each must hash to the SHA-256 the case
 * recorded before anything reads it, the engine (`workflows/examine`) runs over them with the finding's
 * indicators and a window, and its outputs (findings.json, timeline.csv, report.md) go to the evidence
 * bucket under the case prefix, locked like every evidence object, each recorded with its hash in the case
 * (the examination section and an `examination` artifact, so the manifest lists them).
 *
 * Where it runs: on the machine running the step (`EXAMINE_WORKER=local`: the sandbox), or on the case's
 * forensic worker in the forensics account (`EXAMINE_WORKER=ec2`: this step then only says so, and the
 * workflow's worker states run it, workflows/steps/examine-worker.ts, recording it with the same functions
 * as here); `off` records that the deployment does not examine. Nothing is ever pretended: without The
 * Sleuth Kit or YARA the examination is recorded as skipped, naming what to install.
 *
 * A failure is recorded in the case and thrown (`ExaminationFailedError`): the thread says it, the state
 * machine goes on to finish the case (containment is never undone), and the case does not look complete.
 */

const WORKER = 'local machine (EXAMINE_WORKER=local)';
const INSTALL = 'apt-get install sleuthkit yara';

interface S3Location {
  bucket: string;
  key: string;
}

function locationOf(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new ExaminationFailedError(`${uri} is not an s3:// object`);
  return { bucket: m[1]!, key: m[2]! };
}

/**
 * The finding's indicators the engine looks for in files, unallocated space and memory: the remote IPv4
 * addresses and domains of its structured fields (GuardDuty's action, ASFF's Network: `Finding.indicators`)
 * and the IPv4 addresses its title and description name, other than the instance's own. Domains are never
 * guessed from prose (a word with a dot is not an indicator).
 */
export function findingIocs(record: CaseRecord): string[] {
  const f = record.finding;
  if (!f) return [];
  const own = new Set([
    ...(f.resource.instance?.privateIps ?? []),
    ...(f.resource.instance?.publicIps ?? []),
  ]);
  const text = `${f.title}\n${f.description}`;
  const inText = [...text.matchAll(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g)].map((m) => m[0]);
  const ips = [...(f.indicators?.ips ?? []), ...inText].filter((ip) => isIP(ip) === 4 && !own.has(ip));
  // Domains come from the finding's structured fields only (normalization checked each by its regex).
  const domains = (f.indicators?.domains ?? []).filter(isDomain);
  return [...new Set([...ips, ...domains])].slice(0, 40);
}

/** The window's start: `EXAMINE_WINDOW_DAYS` before the finding was first seen (or the case opened). */
export function windowStart(record: CaseRecord, days: number): string {
  const seen = Date.parse(record.finding?.firstSeen ?? '') || Date.parse(record.createdAt);
  return new Date(seen - days * 86_400_000).toISOString();
}

/** Streams one exact version to `path`, hashing it as it is written. */
async function readBack(artifact: Artifact, path: string) {
  // the security account's own credentials: the evidence bucket admits the steps role
  const s3 = own().s3();
  const { bucket, key } = locationOf(artifact.uri);
  const versionId = artifact.details?.versionId as string | undefined;
  const got = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
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
  return { sha256: hash.digest('hex'), bytes, versionId: got.VersionId ?? versionId };
}

/** Reads each input back and checks it against the case's record; a mismatch is never examined. */
async function verifiedInputs(artifacts: Artifact[], dir: string) {
  const inputs: (ExaminationFile & { path: string; kind: Artifact['kind'] })[] = [];
  for (const [n, artifact] of artifacts.entries()) {
    const path = join(dir, `${n}-${basename(locationOf(artifact.uri).key)}`);
    const read = await readBack(artifact, path);
    if (!artifact.sha256 || read.sha256 !== artifact.sha256 || read.bytes !== (artifact.bytes ?? read.bytes))
      throw new ExaminationFailedError(
        `${artifact.uri} read back as ${read.bytes} bytes with SHA-256 ${read.sha256}; the case recorded ${artifact.bytes ?? '?'} bytes and ${artifact.sha256 ?? 'no hash'}: it was not examined`,
      );
    inputs.push({
      name: artifact.kind,
      kind: artifact.kind,
      uri: artifact.uri,
      sha256: read.sha256,
      bytes: read.bytes,
      path,
      ...(read.versionId ? { versionId: read.versionId } : {}),
    });
  }
  return inputs;
}

const CONTENT_TYPES: Record<string, string> = {
  'findings.json': 'application/json',
  'timeline.csv': 'text/csv',
  'report.md': 'text/markdown; charset=utf-8',
};

/**
 * Writes one output under `<case>/examination/`, locked, never over an earlier object (a conditional
 * write: an earlier examination's output stays, this one goes beside it under its own time).
 */
async function store(caseId: string, path: string, sha256: string, stamp: string) {
  const s3 = own().s3();
  const bucket = forensicsSettings().EVIDENCE_BUCKET;
  const name = basename(path);
  const body = readFileSync(path);
  const lock = evidenceLock();
  const put = (key: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: CONTENT_TYPES[name] ?? 'application/octet-stream',
        IfNoneMatch: '*',
        ObjectLockMode: lock.mode,
        ObjectLockRetainUntilDate: new Date(lock.retainUntil),
        Metadata: { 'case-id': caseId, sha256 },
      }),
    );
  let key = `${caseId}/examination/${name}`;
  let out = await put(key).catch((error: Error) => error);
  if (out instanceof Error && out.name === 'PreconditionFailed') {
    key = `${caseId}/examination/${stamp}/${name}`;
    out = await put(key);
  } else if (out instanceof Error) throw out;
  return {
    name,
    uri: `s3://${bucket}/${key}`,
    sha256,
    bytes: body.length,
    ...(out.VersionId ? { versionId: out.VersionId } : {}),
    lock,
  };
}

export type Outcome = Pick<
  ExaminationRecord,
  'status' | 'reason' | 'counts' | 'total' | 'outputs' | 'inputs'
> & {
  /** Examined by an earlier run of the case: its summary and report are in the thread already. */
  again?: boolean;
};

/** What an examination of the case reads, and what it says it did not (shared by both workers). */
export interface ExaminationPlan {
  images: Artifact[];
  memory: Artifact[];
  triage: Artifact[];
  notExamined: string[];
}

/** The case's evidence to examine: its raw disk images, its memory image and its latest live triage. */
export function planExamination(record: CaseRecord): ExaminationPlan {
  const acquired = record.artifacts.filter((a) => a.kind === 'disk-image');
  // A volume never written (the EBS direct APIs listed no block) is all zeros: no filesystem to read.
  const images = acquired.filter((a) => a.details?.writtenBlocks !== 0);
  const empty = acquired
    .filter((a) => !images.includes(a))
    .map((a) => `${a.uri}: never written (all zeros, sha256 ${a.sha256}), no filesystem to examine`);
  const memory = record.artifacts.filter(
    (a) => a.kind === 'memory' && a.uri.startsWith(`s3://${forensicsSettings().EVIDENCE_BUCKET}/`),
  );
  // The live triage (issue 12, item 2): the latest verified archive, read back and hash-checked like images.
  const triage = record.artifacts
    .filter((a) => a.kind === 'triage' && a.uri.startsWith(`s3://${forensicsSettings().EVIDENCE_BUCKET}/`))
    .slice(-1);
  const notExamined = [
    ...empty,
    ...record.artifacts
      .filter(
        (a) => (a.kind === 'memory' && !memory.includes(a)) || (a.kind === 'triage' && !triage.includes(a)),
      )
      .map((a) =>
        a.kind === 'memory'
          ? `${a.uri}: a memory image in another region's bucket is examined by a worker in that region`
          : `${a.uri}: a live triage in another region's bucket (or an earlier one) is not examined here`,
      ),
  ];
  return { images, memory, triage, notExamined };
}

/** The fields every examination record of this run starts from. */
export function examinationBase(record: CaseRecord, worker: string) {
  return {
    at: new Date().toISOString(),
    worker,
    iocs: findingIocs(record),
    inputs: [] as ExaminationFile[],
    outputs: [] as ExaminationFile[],
    findings: [] as ExaminationRecord['findings'],
    notExamined: [] as string[],
  };
}
export type ExaminationBase = ReturnType<typeof examinationBase>;

/** Records a skipped examination and returns it. */
export async function recordSkipped(
  caseId: string,
  base: ExaminationBase,
  reason: string,
  started: number,
): Promise<Outcome> {
  const skipped = { ...base, status: 'skipped' as const, reason, durationMs: Date.now() - started };
  await recordExamination(caseId, skipped);
  return skipped;
}

/** Records a failed examination (the case must not look complete). */
export async function recordFailed(
  caseId: string,
  base: ExaminationBase,
  reason: string,
  notExamined: string[],
  started: number,
): Promise<void> {
  await recordExamination(caseId, {
    ...base,
    status: 'failed',
    reason,
    notExamined,
    durationMs: Date.now() - started,
  });
}

/** What a completed examination recorded of its engine run (findings.json's summary and findings). */
export interface EngineResult {
  tools: Record<string, string>;
  window: ExaminationRecord['window'];
  counts: Record<string, number>;
  total: number;
  findings: ExaminationRecord['findings'];
  skipped: string[];
}

/**
 * Records a completed examination: each stored output as an `examination` artifact (so the manifest lists
 * it with its hash) and the examination section of the case, whichever worker ran it.
 */
export async function recordCompleted(
  caseId: string,
  base: ExaminationBase,
  run: {
    inputs: ExaminationFile[];
    outputs: (ExaminationFile & { lock: unknown })[];
    result: EngineResult;
    notExamined: string[];
    started: number;
    toolVersion: string;
  },
): Promise<Outcome> {
  for (const o of run.outputs)
    await addArtifact(caseId, {
      kind: 'examination',
      uri: o.uri,
      sha256: o.sha256,
      bytes: o.bytes,
      source: `examination of ${run.inputs.map((i) => i.uri).join(', ')}`,
      createdAt: new Date().toISOString(),
      details: {
        tool: `${run.toolVersion} (${Object.entries(run.result.tools)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
        versionId: o.versionId ?? null,
        objectLock: o.lock,
        worker: base.worker,
        inputs: run.inputs.map(({ uri, sha256 }) => ({ uri, sha256 })),
      },
    });
  const done: ExaminationRecord = {
    ...base,
    status: 'completed',
    window: run.result.window,
    tools: run.result.tools,
    inputs: run.inputs,
    outputs: run.outputs.map(({ lock: _lock, ...file }) => file),
    counts: run.result.counts as ExaminationRecord['counts'],
    total: run.result.total,
    findings: run.result.findings
      .slice(0, EXAMINATION_FINDINGS_KEPT)
      .map((f) => ({ ...f, title: clip(f.title, 300), evidence: clip(f.evidence, 300) })),
    notExamined: [...run.result.skipped, ...run.notExamined],
    durationMs: Date.now() - run.started,
  };
  await recordExamination(caseId, done);
  return done;
}

async function run(caseId: string): Promise<Outcome | { status: 'on-worker' }> {
  const started = Date.now();
  const record = await requireCase(caseId);
  // A second pass of the workflow (an analysis contained later) or a retried invocation: examined once.
  if (record.examination && record.examination.status !== 'failed')
    return { ...record.examination, again: true };
  const settings = examineSettings();
  const base = examinationBase(record, WORKER);
  const { iocs } = base;
  const skip = (reason: string) => recordSkipped(caseId, base, reason, started);
  if (settings.EXAMINE_WORKER === 'off')
    return skip(
      'examination skipped: this deployment has no forensic worker (EXAMINE_WORKER=off); the evidence is secured for a manual examination',
    );
  const { images, memory, triage, notExamined } = planExamination(record);
  if (images.length === 0) return skip(NO_IMAGE_REASON);
  // The case's own forensic worker examines it (the workflow's worker states); nothing is recorded yet.
  if (settings.EXAMINE_WORKER === 'ec2') return { status: 'on-worker' };

  const dir = mkdtempSync(join(settings.EXAMINE_WORK_DIR ?? tmpdir(), `examine-${caseId}-`));
  try {
    let inputs: Awaited<ReturnType<typeof verifiedInputs>>;
    let result: Awaited<ReturnType<typeof examine>>;
    const since = windowStart(record, settings.EXAMINE_WINDOW_DAYS);
    try {
      inputs = await verifiedInputs([...images, ...memory.slice(0, 1), ...triage], dir);
      const memoryInput = inputs.find((i) => i.kind === 'memory');
      const triageInput = inputs.find((i) => i.kind === 'triage');
      result = await examine({
        images: inputs.filter((i) => i.kind === 'disk-image').map((i) => i.path),
        ...(memoryInput ? { memory: memoryInput.path } : {}),
        ...(triageInput ? { triage: triageInput.path } : {}),
        iocs,
        since,
        outDir: join(dir, 'out'),
        workDir: join(dir, 'work'),
      });
    } catch (error) {
      if (error instanceof MissingToolError)
        return skip(`examination skipped: ${error.missing.join(', ')} not installed (${INSTALL})`);
      const reason = `examination failed: ${describeError(error)}`;
      await recordFailed(caseId, base, reason, notExamined, started);
      if (error instanceof ExaminationFailedError) throw error;
      throw new ExaminationFailedError(reason, { cause: error });
    }
    const stamp = base.at.replace(/[-:.]/g, '');
    const stored = [];
    for (const o of result.outputs) stored.push(await store(caseId, o.path, o.sha256, stamp));
    return await recordCompleted(caseId, base, {
      inputs: inputs.map(({ path: _path, kind: _kind, ...file }) => file),
      outputs: stored,
      result: { ...result.summary, findings: result.findings, skipped: result.skipped },
      notExamined,
      started,
      toolVersion: `${TOOL.name} ${TOOL.version}`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const examineEvidence = defineStep({
  name: 'examineEvidence',
  label: 'Evidence examined',
  input: TargetInput,
  async run(input): Promise<StepOutcome> {
    const outcome = await run(input.caseId);
    if (outcome.status === 'on-worker') return { status: 'on-worker', total: 0, inputs: 0, outputs: [] };
    return finishExamination(input.caseId, outcome);
  },
  // On a worker, the worker's own steps say what happens.
  report: (out) => (out.status === 'on-worker' ? undefined : examinationReport(out)),
});

/** What the examination steps return to the workflow (`$.Examination`). */
export interface StepOutcome {
  status: 'completed' | 'skipped' | 'failed' | 'on-worker';
  reason?: string;
  counts?: Record<string, number>;
  total: number;
  inputs: number;
  outputs: { name: string; sha256: string }[];
}

/** Posts the summary and the report of a new completed examination, and shapes the step's output. */
export async function finishExamination(caseId: string, outcome: Outcome): Promise<StepOutcome> {
  // The summary follows the step's line, then the full report; Slack never fails the examination.
  if (outcome.status === 'completed' && !outcome.again) {
    await notifier()
      .postExamination(caseId)
      .catch((error: unknown) => logger.error('Could not post the examination summary', { caseId, error }));
    await shareReport(caseId, outcome.outputs);
  }
  return {
    status: outcome.status,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(outcome.counts ? { counts: outcome.counts } : {}),
    total: outcome.total ?? 0,
    inputs: outcome.inputs.length,
    outputs: outcome.outputs.map((o) => ({ name: o.name, sha256: o.sha256 })),
  };
}

/** The examination's line in the thread. */
export function examinationReport(out: StepOutcome) {
  return out.status === 'completed'
    ? {
        outcome: 'succeeded' as const,
        detail: `${out.counts?.critical ?? 0} critical, ${out.counts?.high ?? 0} high, ${out.counts?.medium ?? 0} medium findings (${count(out.total, 'finding')} in all) from ${count(out.inputs, 'verified input')}; ${out.outputs.map((o) => `${o.name} sha256 ${o.sha256}`).join('; ')}`,
      }
    : { outcome: 'skipped' as const, detail: out.reason ?? 'not examined' };
}
