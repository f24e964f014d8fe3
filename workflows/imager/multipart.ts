import {
  CompleteMultipartUploadCommand,
  type CompletedPart,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

/**
 * The raw image's multipart upload, with the client-s3 calls themselves (lib-storage's `Upload` cannot
 * resume an upload another process started). Parts are written by number, so a chunk run again after a
 * crash overwrites its own parts and leaves earlier ones alone. Each chunk's part ETags are stored beside
 * its block index (`image-chunk.ts`), so the resume state never carries 10,000 ETags through Step
 * Functions (256 KiB payloads) and the imager needs no `s3:ListMultipartUploadParts`.
 */

export interface UploadTarget {
  bucket: string;
  key: string;
}

export interface LockSettings {
  mode: 'COMPLIANCE' | 'GOVERNANCE';
  retainUntil: string;
}

export async function startUpload(
  s3: S3Client,
  target: UploadTarget,
  options: { lock?: LockSettings; kmsKeyId?: string; metadata: Record<string, string> },
): Promise<string> {
  const out = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: target.bucket,
      Key: target.key,
      ContentType: 'application/octet-stream',
      Metadata: options.metadata,
      ...(options.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.kmsKeyId } : {}),
      ...(options.lock
        ? { ObjectLockMode: options.lock.mode, ObjectLockRetainUntilDate: new Date(options.lock.retainUntil) }
        : {}),
    }),
  );
  if (!out.UploadId) throw new Error(`CreateMultipartUpload of ${target.key} returned no UploadId`);
  return out.UploadId;
}

export async function uploadPart(
  s3: S3Client,
  target: UploadTarget,
  uploadId: string,
  partNumber: number,
  body: Buffer,
): Promise<string> {
  const out = await s3.send(
    new UploadPartCommand({
      Bucket: target.bucket,
      Key: target.key,
      UploadId: uploadId,
      PartNumber: partNumber,
      Body: body,
      ContentLength: body.length,
    }),
  );
  if (!out.ETag) throw new Error(`UploadPart ${partNumber} of ${target.key} returned no ETag`);
  return out.ETag;
}

/**
 * Completes the upload with `parts` (number → ETag, as UploadPart answered), conditionally: an image
 * already at that key is never replaced (`If-None-Match: *`). Returns the new object's VersionId.
 */
export async function completeUpload(
  s3: S3Client,
  target: UploadTarget,
  uploadId: string,
  parts: CompletedPart[],
  totalParts: number,
): Promise<{ versionId?: string; etag?: string }> {
  const sorted = [...parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
  const missing = Array.from({ length: totalParts }, (_, i) => i + 1).filter(
    (n) => sorted[n - 1]?.PartNumber !== n,
  );
  if (missing.length || sorted.length !== totalParts)
    throw new Error(
      `The upload of ${target.key} lacks parts ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}`,
    );
  const out = await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: target.bucket,
      Key: target.key,
      UploadId: uploadId,
      IfNoneMatch: '*',
      MultipartUpload: { Parts: sorted },
    }),
  );
  return { versionId: out.VersionId, etag: out.ETag };
}
