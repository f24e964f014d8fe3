import { createHash } from 'node:crypto';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AuditEvent, CaseRecord } from '../../bot/core/case-model.js';
import { listAudit, requireCase, updateCase } from '../../bot/core/case-store.js';
import { own } from '../aws/member.js';
import { evidenceLock } from '../imager/settings.js';
import { forensicsSettings } from '../settings.js';
import { notExaminedWhy } from './examine-outcome.js';
import { caseIdField, count, defineStep } from './step.js';
import { z } from 'zod';

/** One object under the case prefix as the bucket holds it when the manifest is written. */
export interface CaseObject {
  key: string;
  bytes: number;
  versionId: string | null;
  lockMode: string | null;
  retainUntil: string | null;
  /** `artifact` (recorded in the case, hash in `artifacts`), `block index`, `earlier manifest`, or `not recorded in the case`. */
  status: string;
}

/** The tools whose output the manifest lists, with what identifies each build. */
export interface ToolVersions {
  bot: { version: string | null; commit: string | null };
  ssmDocument: { name: string; sha256: string | null };
  avml: { sha256: string | null };
  imager: string;
}

/** What the case's evidence lacks, from the outcome recorded (`failed: …` entries) and the failure. */
export function missingEvidence(record: CaseRecord): { kind: string; why: string }[] {
  const missing = Object.entries(record.evidence ?? {})
    .filter(([, status]) => status.startsWith('failed'))
    .map(([kind, status]) => ({ kind, why: status.replace(/^failed:\s*/, '') }));
  if (record.status === 'failed' && missing.length === 0 && record.failure)
    missing.push({ kind: 'case', why: String(record.failure) });
  // Examination outputs are part of what the case accounts for (issue 12): their absence is said.
  const notExamined = notExaminedWhy(record);
  if (notExamined) missing.push({ kind: 'examination', why: notExamined });
  return missing;
}

export const MANIFEST_SCHEMA = 'forensics-bot/manifest@1';

/** The chain-of-custody document of a case (pure: a function of the record). */
export function buildManifest(
  record: CaseRecord,
  generatedAt: string,
  auditTrail: AuditEvent[] = [],
  bucket: { objects?: CaseObject[]; tools?: ToolVersions } = {},
) {
  return {
    schema: MANIFEST_SCHEMA,
    caseId: record.id,
    generatedAt,
    // Written after the case's outcome is settled: what was achieved, and what is missing and why.
    outcome: {
      status: record.status,
      text: record.outcome ?? null,
      evidence: record.evidence ?? {},
      failure: record.failure ?? null,
    },
    missing: missingEvidence(record),
    target: record.target,
    title: record.title,
    trigger: record.trigger,
    findingIds: record.findingIds,
    requester: record.requester,
    // A tag case: the AWS principal CloudTrail names as having tagged the instance, or why none is named.
    triggeredBy: record.triggeredBy ?? null,
    // The approval's decision as recorded (approved, denied or expired, by whom, when, why); `approver`
    // names a commander only when the decision was an approval.
    decision: record.decision ?? null,
    approver: record.decision?.outcome === 'approved' ? (record.decision.by ?? null) : null,
    // The order of volatility this case ran (setting, reason, and where the memory image went).
    orderOfVolatility: record.memoryPlan ?? null,
    openedAt: record.createdAt,
    executionArn: record.executionArn ?? null,
    containedAt: (record as { containedAt?: string }).containedAt ?? null,
    artifacts: record.artifacts
      .filter((a) => a.kind !== 'manifest')
      .map((a) => ({ a, image: imageOf(record, a) }))
      .map(({ a, image }) => ({
        kind: a.kind,
        uri: a.uri,
        // A snapshot copy has no bytes of its own to hash: its SHA-256 is its raw image's, read from it
        // block by block (the same bytes), when one was made (issue 11: every artifact with a hash).
        sha256: a.sha256 ?? image?.sha256 ?? null,
        bytes: a.bytes ?? null,
        source: a.source ?? null,
        createdAt: a.createdAt,
        startedAt: (a.details?.startedAt as string | undefined) ?? null,
        tool:
          (a.details?.tool as string | undefined) ??
          (a.kind === 'disk-snapshot' ? 'ec2:CreateSnapshots+CopySnapshot' : null),
        objectLock:
          (a.details?.objectLock as object | undefined) ??
          (bucket.objects ?? []).find((o) => `s3://${a.uri.split('/')[2]}/${o.key}` === a.uri)?.lockMode ??
          null,
        details: image
          ? { ...a.details, sha256Of: `${image.uri} (its raw image, read through the EBS direct APIs)` }
          : (a.details ?? {}),
      })),
    // The examination: what it read (each image verified against its recorded SHA-256), with what it
    // looked for, and what it wrote (the outputs are also artifacts above, with their hashes).
    examination: record.examination
      ? (({ findings: _kept, ...examination }) => examination)(record.examination)
      : null,
    // Every object under the case prefix, with its lock and whether the case accounts for it.
    objects: bucket.objects ?? [],
    tools: bucket.tools ?? null,
    timeline: record.steps.map((s) => ({ step: s.step, outcome: s.outcome, at: s.at })),
    // The audit trail as it stood when the manifest was written: its events' count and the SHA-256 of
    // their canonical JSON, so `/forensics audit` (or a table export) can be checked against it later.
    auditTrail: { events: auditTrail.length, sha256: auditTrailSha256(auditTrail) },
  };
}

/** The raw image made from a disk snapshot artifact (the copy it was read from), if any. */
function imageOf(record: CaseRecord, artifact: CaseRecord['artifacts'][number]) {
  if (artifact.kind !== 'disk-snapshot' || artifact.sha256) return undefined;
  return record.artifacts.find(
    (i) => i.kind === 'disk-image' && i.sha256 && i.details?.snapshotId === artifact.details?.snapshotId,
  );
}

/** SHA-256 of the trail's events in order, each as JSON with sorted keys, one per line. */
export function auditTrailSha256(trail: AuditEvent[]): string {
  const canonical = trail.map((e) => JSON.stringify(e, Object.keys(e).sort())).join('\n');
  return createHash('sha256').update(canonical).digest('hex');
}

/** Lists the case prefix, each object with its version and Object Lock (HeadObject). */
async function caseObjects(bucket: string, record: CaseRecord): Promise<CaseObject[]> {
  const s3 = own().s3();
  const keys: { key: string; bytes: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${record.id}/`, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push({ key: o.Key, bytes: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const recorded = new Set(record.artifacts.map((a) => a.uri));
  return Promise.all(
    keys.map(async ({ key, bytes }) => {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const status = recorded.has(`s3://${bucket}/${key}`)
        ? 'artifact'
        : key.includes('.raw.index/')
          ? 'block index'
          : /\/manifest(-[\dTZ]+)?\.json$/.test(key)
            ? 'earlier manifest'
            : record.artifacts.some((a) =>
                  a.uri.startsWith(`s3://${bucket}/${key.replace(/\.system\.tar$/, '')}`),
                )
              ? 'artifact context'
              : 'not recorded in the case';
      return {
        key,
        bytes,
        versionId: head.VersionId ?? null,
        lockMode: head.ObjectLockMode ?? null,
        retainUntil: head.ObjectLockRetainUntilDate
          ? new Date(head.ObjectLockRetainUntilDate).toISOString()
          : null,
        status,
      };
    }),
  );
}

/** The bot's build (set by the deploy), the capture document and AVML as the memory artifact recorded them. */
function toolVersions(record: CaseRecord): ToolVersions {
  const memory = record.artifacts.find((a) => a.kind === 'memory');
  const d = (memory?.details ?? {}) as Record<string, unknown>;
  return {
    bot: {
      version: process.env.FORENSICS_BOT_VERSION ?? process.env.npm_package_version ?? null,
      commit: process.env.FORENSICS_BOT_COMMIT ?? null,
    },
    ssmDocument: {
      name: forensicsSettings().MEMORY_DOCUMENT,
      sha256: (d.documentSha256 as string | undefined) ?? null,
    },
    avml: { sha256: (d.toolSha256 as string | undefined) ?? null },
    imager: 'forensics-bot imager (EBS direct APIs), SHA-256 by hash-wasm 4.13.0',
  };
}

/**
 * Writes the manifest to `s3://<evidence>/<caseId>/manifest.json`, stores its SHA-256 in the case and
 * says it in the thread: whoever holds the hash can check that the manifest (and through it, each
 * artifact's hash) is the one written at the time.
 */
export const writeManifest = defineStep({
  name: 'writeManifest',
  label: 'Evidence manifest written',
  input: z.looseObject({ caseId: caseIdField, onlyWithEvidence: z.boolean().default(false) }),
  async run(input) {
    const [record, trail] = await Promise.all([requireCase(input.caseId), listAudit(input.caseId)]);
    // After a failure, a case that acquired nothing has nothing to account for.
    if (input.onlyWithEvidence && record.artifacts.filter((a) => a.kind !== 'manifest').length === 0)
      return { skipped: true as const };
    const s3 = own().s3();
    const bucket = forensicsSettings().EVIDENCE_BUCKET;
    const generatedAt = new Date().toISOString();
    const manifest = buildManifest(record, generatedAt, trail, {
      objects: await caseObjects(bucket, record),
      tools: toolVersions(record),
    });
    const body = `${JSON.stringify(manifest, null, 2)}\n`;
    const sha256 = createHash('sha256').update(body).digest('hex');
    const lock = evidenceLock();
    // A conditional write: a manifest already there (an earlier run of this case) is never replaced; this
    // one goes beside it under its own time.
    const put = (key: string) =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          ObjectLockMode: lock.mode,
          ObjectLockRetainUntilDate: new Date(lock.retainUntil),
          Metadata: { 'case-id': record.id, sha256 },
        }),
      );
    let key = `${record.id}/manifest.json`;
    let out = await put(key).catch((error: Error) => error);
    if (out instanceof Error && out.name === 'PreconditionFailed') {
      key = `${record.id}/manifest-${generatedAt.replace(/[-:.]/g, '')}.json`;
      out = await put(key);
    } else if (out instanceof Error) throw out;
    const uri = `s3://${bucket}/${key}`;
    const versionId = out.VersionId;
    await updateCase(record.id, { manifest: { uri, sha256, ...(versionId ? { versionId } : {}) } });
    return {
      uri,
      sha256,
      versionId,
      lock: lock.mode,
      artifacts: manifest.artifacts.length,
      missing: manifest.missing.length,
    };
  },
  report: (out) =>
    'skipped' in out
      ? { outcome: 'skipped', detail: 'no evidence was acquired: nothing to list' }
      : {
          outcome: 'succeeded',
          detail: `${out.uri} sha256 ${out.sha256} version ${out.versionId ?? 'none'}, ${out.lock} lock (${count(out.artifacts, 'artifact')}${out.missing ? `, ${out.missing} missing` : ''})`,
        },
});
