import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { ExaminationFile } from '../../bot/core/case-model.js';
import { describeError } from '../../bot/core/errors.js';
import { logger } from '../../bot/core/logger.js';
import { own } from '../aws/member.js';
import { notifier } from '../notifier.js';

/**
 * After the summary, the full report into the case thread (issue 12, item 5): report.md is read back from
 * the evidence bucket by its recorded version (the bytes the manifest lists, not the worker's copy), and
 * handed to the notifier, which hashes them and uploads only when they are what the case recorded.
 * Never throws: a failure is said in the thread, the examination's result stands.
 */

/** The most a report read back may be (it is text; Slack takes up to 1 GB, the Lambda has less RAM). */
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

async function readObject(file: ExaminationFile): Promise<Uint8Array> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(file.uri);
  if (!m) throw new Error(`${file.uri} is not an s3:// object`);
  if (file.bytes > MAX_REPORT_BYTES)
    throw new Error(`${file.uri} is ${file.bytes} bytes, more than the ${MAX_REPORT_BYTES} a report may be`);
  // the security account's own credentials: the evidence bucket admits the steps role
  const s3 = own().s3();
  const got = await s3.send(
    new GetObjectCommand({
      Bucket: m[1]!,
      Key: m[2]!,
      ...(file.versionId ? { VersionId: file.versionId } : {}),
    }),
  );
  if (!got.Body) throw new Error(`${file.uri} has no body`);
  return got.Body.transformToByteArray();
}

export async function shareReport(caseId: string, outputs: readonly ExaminationFile[]): Promise<void> {
  const file = outputs.find((o) => o.name === 'report.md');
  if (!file) return;
  try {
    let bytes: Uint8Array | undefined;
    let readError: string | undefined;
    try {
      bytes = await readObject(file);
    } catch (error) {
      readError = describeError(error);
    }
    await notifier().postReport(caseId, {
      file,
      ...(bytes ? { bytes } : {}),
      ...(readError ? { readError } : {}),
    });
  } catch (error) {
    logger.error('Could not share the examination report', { caseId, error: describeError(error) });
  }
}
