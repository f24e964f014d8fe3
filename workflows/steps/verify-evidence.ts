import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { createAwsClient, homeRegion } from '../../bot/core/aws-clients.js';
import { addArtifact, requireCase } from '../../bot/core/case-store.js';
import { own, retrying } from '../aws/member.js';
import { MemoryCaptureFailedError } from '../errors.js';
import { MemoryState, restoreProfileAfterCapture } from './memory-capture.js';
import { defineStep, TargetInput } from './step.js';

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

const failed = (text: string) =>
  new MemoryCaptureFailedError(`Memory acquisition failed: ${text}. The object is not evidence.`);

/**
 * Verifies the memory image in the forensics account and only then records it. The image must be the one
 * version under its key (the capture writes a new key; a second version means something else wrote there,
 * and which one the capture made cannot be told); that exact version is re-read and hashed here, by the
 * bot's own code, not the suspect's binaries; its SHA-256 and size must be what the capture reported, and
 * it must be under Object Lock. The artifact records the version, its lock, the tool and its hash, the
 * kernel and the architecture (what examination needs to pick symbols).
 */
export const verifyEvidence = defineStep({
  name: 'verifyEvidence',
  label: 'Memory image verified',
  input: TargetInput.extend({ memory: MemoryState }),
  async run(input) {
    try {
      return await verify(input);
    } finally {
      await restoreProfileAfterCapture(input);
    }
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${out.uri} version ${out.versionId}: ${out.bytes} bytes, sha256 ${out.sha256} re-read in the forensics account; ${out.lock} lock`,
  }),
});

async function verify(input: TargetInput & { memory: MemoryState }) {
  const m = input.memory;
  const result = m.result;
  if (!m.done || !result) throw failed(`the capture of ${input.instanceId} has no result to verify`);
  const s3 = m.bucketRegion === homeRegion() ? own().s3() : ownS3In(m.bucketRegion);
  const uri = `s3://${m.bucket}/${m.key}`;
  const listed = await s3.send(
    new ListObjectVersionsCommand({ Bucket: m.bucket, Prefix: m.key, MaxKeys: 100 }),
  );
  const versions = (listed.Versions ?? []).filter((v) => v.Key === m.key);
  const markers = (listed.DeleteMarkers ?? []).filter((v) => v.Key === m.key);
  if (versions.length === 0) throw failed(`nothing is stored under ${uri}`);
  if (versions.length > 1 || markers.length > 0)
    throw failed(
      `${uri} has ${versions.length} versions and ${markers.length} delete markers; the capture writes one, so which is its upload cannot be told`,
    );
  const versionId = result.versionId ?? versions[0]!.VersionId;
  if (!versionId || versionId !== versions[0]!.VersionId)
    throw failed(`the capture reports version ${result.versionId} of ${uri}, which is not the one stored`);

  const got = await s3.send(
    new GetObjectCommand({ Bucket: m.bucket, Key: m.key, VersionId: versionId, ChecksumMode: 'ENABLED' }),
  );
  const measured = await digest(got.Body as AsyncIterable<Uint8Array> | undefined);
  if (measured.sha256 !== result.sha256 || measured.bytes !== result.bytes)
    throw failed(
      `version ${versionId} of ${uri} has SHA-256 ${measured.sha256} and ${measured.bytes} bytes; the instance reported ${result.sha256} and ${result.bytes} bytes`,
    );
  // S3's own full-object checksum, when it kept one, must agree with what was read.
  if (got.ChecksumSHA256 && got.ChecksumType !== 'COMPOSITE') {
    const s3Sha = Buffer.from(got.ChecksumSHA256, 'base64').toString('hex');
    if (s3Sha !== measured.sha256)
      throw failed(
        `S3's SHA-256 of version ${versionId} of ${uri} is ${s3Sha}, the bytes read hash to ${measured.sha256}`,
      );
  }
  const retainUntil = got.ObjectLockRetainUntilDate ? new Date(got.ObjectLockRetainUntilDate) : undefined;
  if (!got.ObjectLockMode || !retainUntil || retainUntil <= new Date())
    throw failed(`version ${versionId} of ${uri} is not under Object Lock`);

  const plan = (await requireCase(input.caseId)).memoryPlan;
  const verifiedAt = new Date().toISOString();
  await addArtifact(input.caseId, {
    kind: 'memory',
    uri,
    sha256: measured.sha256,
    bytes: measured.bytes,
    source: `${input.account}/${input.region}/${input.instanceId}`,
    createdAt: verifiedAt,
    details: {
      versionId,
      objectLock: { mode: got.ObjectLockMode, retainUntil: retainUntil.toISOString() },
      verifiedAt,
      verifiedBy: 'forensics account: exact version re-read and hashed by the steps',
      kmsKeyId: got.SSEKMSKeyId,
      kernel: result.kernel,
      arch: result.arch,
      tool: result.tool,
      toolSha256: result.toolSha256,
      commandId: m.commandId,
      startedAt: m.startedAt,
      finishedAt: m.finishedAt,
      order: plan?.order,
      memoryFirst: plan?.memoryFirst,
    },
  });
  return { uri, versionId, sha256: measured.sha256, bytes: measured.bytes, lock: got.ObjectLockMode };
}
