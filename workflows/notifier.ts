import { expireApproval, remindApproval, requestApproval } from '../bot/cases/approval.js';
import type { CaseRecord } from '../bot/core/case-model.js';
import { type CaseLine, postCaseLine } from '../bot/cases/notify.js';
import { postExamination } from '../bot/cases/examination.js';
import { type ReportBytes, uploadReport } from '../bot/cases/report-upload.js';
import { announceCase } from '../bot/cases/service.js';
import { postCaseLineLater } from '../bot/outbox/enqueue.js';
import { outboxEnabled } from '../bot/outbox/settings.js';

/**
 * What the steps say to people, through the Slack side (`bot/cases/*`). One seam, so a benchmark can
 * measure the AWS side alone; the workflows' tests use the real one against the local Slack.
 */
export interface CaseNotifier {
  postCaseLine(caseId: string, line: CaseLine): Promise<unknown>;
  requestApproval(input: { caseId: string; taskToken: string; round?: number }): Promise<unknown>;
  remindApproval(caseId: string): Promise<boolean>;
  expireApproval(caseId: string): Promise<boolean>;
  announceCase(record: CaseRecord): Promise<unknown>;
  /** The examination's summary in the case thread (issue 12), after containment. */
  postExamination(caseId: string): Promise<unknown>;
  /** The examination's report.md uploaded into the case thread, when its bytes hash to the recorded SHA-256. */
  postReport(caseId: string, report: ReportBytes): Promise<unknown>;
}

/**
 * Steps' lines never wait for Slack when the outbox is on (`OUTBOX_QUEUE_URL`, always in AWS): they are
 * stored and rung (bot/outbox/), and the drainer posts them within Slack's limits (issue 13). The card
 * and approval calls stay direct: they come before the approval (the announcement, the approval request)
 * or are the approval's own reminders, so containment never waits on them.
 */
export const slackNotifier: CaseNotifier = {
  postCaseLine: (caseId, line) =>
    outboxEnabled() ? postCaseLineLater(caseId, line) : postCaseLine(caseId, line),
  requestApproval,
  remindApproval,
  expireApproval,
  announceCase,
  postExamination,
  postReport: (caseId, report) => uploadReport(caseId, report),
};

let current: CaseNotifier = slackNotifier;

/** The notifier in use. */
export const notifier = (): CaseNotifier => current;

/** Replaces the notifier (benchmarks); without argument, back to Slack. */
export function setCaseNotifier(next?: CaseNotifier): void {
  current = next ?? slackNotifier;
}
