import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AuditEvent, CaseRecord } from '../../bot/core/case-model.js';
import { listAudit, requireCase, updateCase } from '../../bot/core/case-store.js';
import { own } from '../aws/member.js';
import { forensicsSettings } from '../settings.js';
import { caseIdField, count, defineStep } from './step.js';
import { z } from 'zod';

export const MANIFEST_SCHEMA = 'forensics-bot/manifest@1';

/** The chain-of-custody document of a case (pure: a function of the record). */
export function buildManifest(record: CaseRecord, generatedAt: string, auditTrail: AuditEvent[] = []) {
  return {
    schema: MANIFEST_SCHEMA,
    caseId: record.id,
    generatedAt,
    target: record.target,
    title: record.title,
    trigger: record.trigger,
    findingIds: record.findingIds,
    requester: record.requester,
    // The approval's decision as recorded (approved, denied or expired, by whom, when, why); `approver`
    // names a commander only when the decision was an approval.
    decision: record.decision ?? null,
    approver: record.decision?.outcome === 'approved' ? (record.decision.by ?? null) : null,
    openedAt: record.createdAt,
    executionArn: record.executionArn ?? null,
    containedAt: (record as { containedAt?: string }).containedAt ?? null,
    artifacts: record.artifacts
      .filter((a) => a.kind !== 'manifest')
      .map((a) => ({
        kind: a.kind,
        uri: a.uri,
        sha256: a.sha256 ?? null,
        bytes: a.bytes ?? null,
        source: a.source ?? null,
        createdAt: a.createdAt,
        startedAt: (a.details?.startedAt as string | undefined) ?? null,
        tool:
          (a.details?.tool as string | undefined) ??
          (a.kind === 'disk-snapshot' ? 'ec2:CreateSnapshots+CopySnapshot' : null),
        details: a.details ?? {},
      })),
    timeline: record.steps.map((s) => ({ step: s.step, outcome: s.outcome, at: s.at })),
    // The audit trail as it stood when the manifest was written: its events' count and the SHA-256 of
    // their canonical JSON, so `/forensics audit` (or a table export) can be checked against it later.
    auditTrail: { events: auditTrail.length, sha256: auditTrailSha256(auditTrail) },
  };
}

/** SHA-256 of the trail's events in order, each as JSON with sorted keys, one per line. */
export function auditTrailSha256(trail: AuditEvent[]): string {
  const canonical = trail.map((e) => JSON.stringify(e, Object.keys(e).sort())).join('\n');
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Writes the manifest to `s3://<evidence>/<caseId>/manifest.json`, stores its SHA-256 in the case and
 * says it in the thread: whoever holds the hash can check that the manifest (and through it, each
 * artifact's hash) is the one written at the time.
 */
export const writeManifest = defineStep({
  name: 'writeManifest',
  label: 'Evidence manifest written',
  input: z.looseObject({ caseId: caseIdField }),
  async run(input) {
    const [record, trail] = await Promise.all([requireCase(input.caseId), listAudit(input.caseId)]);
    const body = `${JSON.stringify(buildManifest(record, new Date().toISOString(), trail), null, 2)}\n`;
    const sha256 = createHash('sha256').update(body).digest('hex');
    const bucket = forensicsSettings().EVIDENCE_BUCKET;
    const key = `${record.id}/manifest.json`;
    await own()
      .s3()
      .send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          Metadata: { 'case-id': record.id, sha256 },
        }),
      );
    const uri = `s3://${bucket}/${key}`;
    await updateCase(record.id, { manifest: { uri, sha256 } });
    return { uri, sha256, artifacts: record.artifacts.length };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${out.uri} sha256 ${out.sha256} (${count(out.artifacts, 'artifact')})`,
  }),
});
