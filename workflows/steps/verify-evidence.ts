import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { createAwsClient, homeRegion } from '../../bot/core/aws-clients.js';
import { addArtifact, requireCase } from '../../bot/core/case-store.js';
import { own, retrying } from '../aws/member.js';
import { MemoryCaptureFailedError } from '../errors.js';
import { type CaptureResult, MemoryState, restoreProfileAfterCapture } from './memory-capture.js';
import { defineStep, TargetInput } from './step.js';

type Fail = (text: string) => Error;

const clients = new Map<string, S3Client>();

/** The bot's own S3 client in another region than home (a bucket answers only in its own region). */
function ownS3In(region: string): S3Client {
  let client = clients.get(region);
  if (!client) {
    client = retrying(createAwsClient(S3Client, { region }), { account: 'security', role: 'the bot' });
    clients.set(region, client);
  }
  return client;
}

/** Streams a body through SHA-256, counting bytes (a memory image is never held whole in the Lambda). */
async function digest(body: AsyncIterable<Uint8Array> | undefined) {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body ?? []) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

const memoryFailed: Fail = (text: string) =>
  new MemoryCaptureFailedError(`Memory acquisition failed: ${text}. The object is not evidence.`);

/**
 * Verifies the memory image in the forensics account and only then records it. The image must be the one
 * version under its key (the capture writes a new key; a second version means something else wrote there,
 * and which one the capture made cannot be told); that exact version is re-read and hashed here, by the
 * bot's own code, not the suspect's binaries; its SHA-256 and size must be what the capture reported, and
 * it must be under Object Lock. The examination context beside it (`<Key>.system.tar`) is verified the
 * same way. The artifact records the version, its lock, the tool and its hash, the kernel, the architecture
 * and the context's files (symbols: System.map, kallsyms, BTF).
 */
export const verifyEvidence = defineStep({
  name: 'verifyEvidence',
  label: 'Memory image verified',
  // keepProfile: the live triage follows and uploads as the quarantine profile too; it restores it after.
  input: TargetInput.extend({ memory: MemoryState, keepProfile: z.boolean().optional() }),
  async run(input) {
    let verified = false;
    try {
      const out = await verify(input);
      verified = true;
      return out;
    } finally {
      if (!verified || !input.keepProfile) await restoreProfileAfterCapture(input);
    }
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${out.uri} version ${out.versionId}: ${out.bytes} bytes, sha256 ${out.sha256} re-read in the forensics account; ${out.lock} lock`,
  }),
});

/** The one version under `key`; a second version or a delete marker makes the evidence ambiguous. */
export async function onlyVersion(
  region: string,
  bucket: string,
  key: string,
  failed: Fail = memoryFailed,
): Promise<string> {
  const s3 = region === homeRegion() ? own().s3() : ownS3In(region);
  const uri = `s3://${bucket}/${key}`;
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, MaxKeys: 100 }));
  const versions = (listed.Versions ?? []).filter((v) => v.Key === key);
  const markers = (listed.DeleteMarkers ?? []).filter((v) => v.Key === key);
  if (versions.length === 0 || !versions[0]!.VersionId) throw failed(`nothing is stored under ${uri}`);
  if (versions.length > 1 || markers.length > 0)
    throw failed(
      `${uri} has ${versions.length} versions and ${markers.length} delete markers; the capture writes one, so which is its upload cannot be told`,
    );
  return versions[0]!.VersionId!;
}

/** Re-reads one exact version and hashes it; S3's full-object checksum, when it kept one, must agree. */
export async function readVersion(
  region: string,
  bucket: string,
  key: string,
  versionId: string,
  failed: Fail = memoryFailed,
) {
  const s3 = region === homeRegion() ? own().s3() : ownS3In(region);
  const got = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId, ChecksumMode: 'ENABLED' }),
  );
  const measured = await digest(got.Body as AsyncIterable<Uint8Array> | undefined);
  if (got.ChecksumSHA256 && got.ChecksumType !== 'COMPOSITE') {
    const s3Sha = Buffer.from(got.ChecksumSHA256, 'base64').toString('hex');
    if (s3Sha !== measured.sha256)
      throw failed(
        `S3's SHA-256 of version ${versionId} of s3://${bucket}/${key} is ${s3Sha}, the bytes read hash to ${measured.sha256}`,
      );
  }
  return { got, measured };
}

/** The hash and size read must be the ones the instance reported. */
export function sameAsReported(
  what: string,
  measured: { sha256: string; bytes: number },
  reported: { sha256: string; bytes: number },
  failed: Fail = memoryFailed,
) {
  if (measured.sha256 !== reported.sha256 || measured.bytes !== reported.bytes)
    throw failed(
      `${what} has SHA-256 ${measured.sha256} and ${measured.bytes} bytes; the instance reported ${reported.sha256} and ${reported.bytes} bytes`,
    );
}

/**
 * The version read must be under Object Lock now; returns what an artifact records of its verification
 * (memory image and live triage alike).
 */
export function verifiedDetails(
  what: string,
  versionId: string,
  got: { ObjectLockMode?: string; ObjectLockRetainUntilDate?: Date; SSEKMSKeyId?: string },
  failed: Fail = memoryFailed,
) {
  const retainUntil = got.ObjectLockRetainUntilDate ? new Date(got.ObjectLockRetainUntilDate) : undefined;
  if (!got.ObjectLockMode || !retainUntil || retainUntil <= new Date())
    throw failed(`${what} is not under Object Lock`);
  const verifiedAt = new Date().toISOString();
  return {
    verifiedAt,
    details: {
      versionId,
      objectLock: { mode: got.ObjectLockMode, retainUntil: retainUntil.toISOString() },
      verifiedAt,
      verifiedBy: 'forensics account: exact version re-read and hashed by the steps',
      kmsKeyId: got.SSEKMSKeyId,
    },
  };
}

async function verify(input: TargetInput & { memory: MemoryState }) {
  const failed = memoryFailed;
  const m = input.memory;
  const result = m.result;
  if (!m.done || !result) throw failed(`the capture of ${input.instanceId} has no result to verify`);
  const uri = `s3://${m.bucket}/${m.key}`;
  const stored = await onlyVersion(m.bucketRegion, m.bucket, m.key);
  const versionId = result.versionId ?? stored;
  if (versionId !== stored)
    throw failed(`the capture reports version ${result.versionId} of ${uri}, which is not the one stored`);
  const { got, measured } = await readVersion(m.bucketRegion, m.bucket, m.key, versionId);
  sameAsReported(`version ${versionId} of ${uri}`, measured, result);
  const { verifiedAt, details } = verifiedDetails(`version ${versionId} of ${uri}`, versionId, got, failed);
  const system = await verifySystem(m.bucketRegion, m.bucket, m.key, result.system);

  const plan = (await requireCase(input.caseId)).memoryPlan;
  await addArtifact(input.caseId, {
    kind: 'memory',
    uri,
    sha256: measured.sha256,
    bytes: measured.bytes,
    source: `${input.account}/${input.region}/${input.instanceId}`,
    createdAt: verifiedAt,
    details: {
      ...details,
      kernel: result.kernel,
      arch: result.arch,
      tool: result.tool,
      toolVersion: result.toolVersion,
      toolSha256: result.toolSha256,
      source: result.source,
      banner: result.banner,
      // what examination needs (symbols: System.map, kallsyms, BTF), verified as the image is
      system,
      commandId: m.commandId,
      startedAt: m.startedAt,
      finishedAt: m.finishedAt,
      order: plan?.order,
      memoryFirst: plan?.memoryFirst,
    },
  });
  return { uri, versionId, sha256: measured.sha256, bytes: measured.bytes, lock: got.ObjectLockMode };
}

/**
 * The examination context beside the image (`<Key>.system.tar`), verified like the image. Its absence is
 * recorded, not fatal (the image alone is evidence; examination will lack its symbols); a mismatch is fatal
 * (the instance reported something S3 does not hold).
 */
async function verifySystem(
  region: string,
  bucket: string,
  imageKey: string,
  system: CaptureResult['system'],
) {
  const failed = memoryFailed;
  if (!system) return { missing: 'the capture did not upload its examination context' };
  if (system.key !== `${imageKey}.system.tar`)
    throw failed(`the examination context is reported under ${system.key}, not beside the image`);
  const versionId = await onlyVersion(region, bucket, system.key);
  const { measured } = await readVersion(region, bucket, system.key, versionId);
  sameAsReported(`version ${versionId} of s3://${bucket}/${system.key}`, measured, system);
  return {
    uri: `s3://${bucket}/${system.key}`,
    versionId,
    sha256: measured.sha256,
    bytes: measured.bytes,
    files: system.files,
  };
}
