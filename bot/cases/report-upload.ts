import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { esc, verbatim } from '../blocks/case-text.js';
import type { ExaminationFile } from '../core/case-model.js';
import { requireCase } from '../core/case-store.js';
import { describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { slackWebClient } from '../slack/client.js';
import { postInThread } from './notify.js';

/**
 * The examination's full report uploaded into the case thread (issue 12, item 5) with Slack's current
 * upload flow (`files.uploadV2`: files.getUploadURLExternal, the POST of the bytes, then
 * files.completeUploadExternal with the thread). The bytes come from the evidence bucket (the recorded
 * version, read back by the examine step); they are hashed here, where they are handed to Slack, and
 * uploaded only when that hash is the one the case recorded — the comment states it. A mismatch, a read
 * that failed or an upload Slack refused is said in the thread and logged; nothing here throws, so Slack
 * never fails the examination.
 */

export interface ReportBytes {
  /** The report as the case's examination section recorded it (URI, SHA-256, size, version). */
  file: ExaminationFile;
  /** The bytes read back from `file.uri`; absent when they could not be read (`readError` says why). */
  bytes?: Uint8Array;
  readError?: string;
}

export type ReportUploadOutcome = 'uploaded' | 'mismatch' | 'unreadable' | 'failed' | 'no-thread';

/** The upload's comment: which report, and the SHA-256 of exactly the bytes uploaded. */
export function reportComment(caseId: string, file: ExaminationFile, sha256: string): string {
  return (
    `:page_facing_up: Full examination report of ${caseId}: ${esc(file.name)}, ${file.bytes} bytes, ` +
    `SHA-256 \`${sha256}\` — the hash the case recorded for ${esc(file.uri)}` +
    `${file.versionId ? ` (version ${esc(file.versionId)})` : ''}.`
  );
}

export async function uploadReport(
  caseId: string,
  report: ReportBytes,
  client?: WebClient,
): Promise<ReportUploadOutcome> {
  try {
    const record = await requireCase(caseId);
    const { channel, threadTs } = record.slack;
    if (!channel || !threadTs) {
      logger.warn('Case has no thread; report not uploaded', { caseId });
      return 'no-thread';
    }
    const { file } = report;
    const kept = `It stays in the evidence bucket: ${esc(file.uri)} (SHA-256 \`${file.sha256}\`).`;
    if (!report.bytes) {
      logger.error('Could not read the examination report back', { caseId, error: report.readError });
      await postInThread(
        record,
        `:warning: ${esc(file.name)} was not uploaded: it could not be read back: ${verbatim(report.readError ?? 'unknown error')}. The examination's result stands. ${kept}`,
      );
      return 'unreadable';
    }
    const sha256 = createHash('sha256').update(report.bytes).digest('hex');
    if (sha256 !== file.sha256 || report.bytes.length !== file.bytes) {
      logger.error('Examination report does not match its recorded hash; not uploaded', {
        caseId,
        uri: file.uri,
        recorded: file.sha256,
        actual: sha256,
      });
      await postInThread(
        record,
        `:no_entry: ${esc(file.name)} was not uploaded: the bytes read back from ${esc(file.uri)} (${report.bytes.length} bytes) hash to \`${sha256}\`, but the case recorded \`${file.sha256}\` (${file.bytes} bytes). The report in the bucket needs checking; the examination's result stands.`,
      );
      return 'mismatch';
    }
    try {
      const slack = client ?? (await slackWebClient());
      await slack.filesUploadV2({
        channel_id: channel,
        thread_ts: threadTs,
        file: Buffer.from(report.bytes),
        filename: `${caseId}-${file.name}`,
        title: `${caseId} ${file.name}`,
        initial_comment: reportComment(caseId, file, sha256),
      });
      return 'uploaded';
    } catch (error) {
      logger.error('Could not upload the examination report', { caseId, error: describeError(error) });
      await postInThread(
        record,
        `:warning: ${esc(file.name)} could not be uploaded into this thread: ${verbatim(describeError(error))}. The examination's result stands. ${kept}`,
      );
      return 'failed';
    }
  } catch (error) {
    logger.error('Examination report upload failed', { caseId, error: describeError(error) });
    return 'failed';
  }
}
