import { z } from 'zod';
import { esc, mention } from '../blocks/case-text.js';
import { CASE_ID_RE } from '../core/ids.js';
import { logger } from '../core/logger.js';
import { type ExecutionEnd, settleExecution } from '../core/case-story.js';
import { postInThread, refreshCard } from './notify.js';
import { sayLater } from '../outbox/enqueue.js';
import { outboxEnabled } from '../outbox/settings.js';
import { caseOfExecution, endRelease, getCase, recordExecution } from '../core/case-store.js';

/**
 * "Step Functions Execution Status Change" events -> case record, root card, thread. The execution
 * name says whose it is: the case id (case workflow) or `<caseId>-release-<n>` (release workflow).
 * Anything else is not ours and is ignored with a log line.
 */

export const ExecutionStatusChangeSchema = z.looseObject({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  source: z.literal('aws.states'),
  detail: z.looseObject({
    executionArn: z.string(),
    stateMachineArn: z.string().optional(),
    name: z.string(),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    startDate: z.number().nullish(),
    stopDate: z.number().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.infer<typeof ExecutionStatusChangeSchema>;

const RELEASE_NAME_RE = new RegExp(`^(${CASE_ID_RE.source.slice(1, -1)})-release-(\\d{1,4})$`);

/** Which case and workflow an execution name belongs to, or undefined when not ours. */
export function parseExecutionName(name: string): { caseId: string; kind: 'case' | 'release' } | undefined {
  if (CASE_ID_RE.test(name)) return { caseId: name, kind: 'case' };
  const m = RELEASE_NAME_RE.exec(name);
  return m?.[1] ? { caseId: m[1], kind: 'release' } : undefined;
}

/** Applies one status change to its case. Returns what it did, for logs and tests. */
export async function applyExecutionStatus(event: ExecutionStatusChange): Promise<string> {
  const { detail } = event;
  // A console start under any other name was linked to its case by the workflow's first step.
  const linked = parseExecutionName(detail.name) ? undefined : await caseOfExecution(detail.executionArn);
  const owner =
    parseExecutionName(detail.name) ?? (linked ? { caseId: linked, kind: 'case' as const } : undefined);
  if (!owner) {
    logger.info('Execution is not a case workflow; ignored', { name: detail.name, status: detail.status });
    return 'ignored';
  }
  let record = await getCase(owner.caseId);
  if (!record) {
    logger.info('Execution names an unknown case; ignored', { name: detail.name, status: detail.status });
    return 'ignored';
  }
  if (record.status === 'closed') {
    // Closing stopped the workflow and said so: a closed case's thread gets no more lines.
    logger.info('Execution of a closed case; ignored', { name: detail.name, status: detail.status });
    if (owner.kind === 'release' && detail.status !== 'RUNNING') await endRelease(record.id, detail.name);
    return 'ignored';
  }
  // A case workflow superseded by a retry (`-retry-<n>`) settles nothing: a late or repeated end event of
  // the failed run must not fail the case again while its retry runs.
  const current = record.executionArn?.split(':').pop();
  if (owner.kind === 'case' && current && current !== detail.name) {
    logger.info('Execution superseded by a later run of its case; ignored', { name: detail.name });
    return 'ignored';
  }
  const label = owner.kind === 'release' ? 'Release workflow' : 'Workflow';
  // A release that ended frees the case for the next one (one release execution at a time).
  if (owner.kind === 'release' && detail.status !== 'RUNNING') await endRelease(record.id, detail.name);
  let text: string;
  if (detail.status === 'RUNNING') {
    if (owner.kind === 'case' && !record.executionArn)
      record = await recordExecution(record.id, detail.executionArn);
    text = `:arrow_forward: ${label} started (\`${detail.name}\`).`;
  } else if (detail.status === 'PENDING_REDRIVE') {
    return 'ignored';
  } else {
    // The workflow settled the case (or, for a timeout or a stop, the story settles it now): say it.
    const end: ExecutionEnd = { status: detail.status, error: detail.error, cause: detail.cause };
    const told = await settleExecution(record, owner.kind, end);
    record = told.record;
    // A failure's words carry instance output and AWS messages: plain text, never markup.
    text = told.plain ? `${told.line} ${esc(told.plain)} ${mention(record.requester)}` : told.line;
  }
  // With the outbox on, the line queues behind the steps' lines of the case, so the thread keeps their order.
  if (outboxEnabled()) await sayLater(record, { text, card: true });
  else {
    await postInThread(record, text);
    await refreshCard(record);
  }
  return `${owner.kind}:${detail.status}`;
}
