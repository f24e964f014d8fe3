import { mention } from '../blocks/case-text.js';
import type { Actor, CaseRecord, CaseStatus } from '../core/case-model.js';
import {
  audit,
  claimContainRequest,
  linkExecution,
  recordExecution,
  requireCase,
} from '../core/case-store.js';
import { CaseConflictError, describeError } from '../core/errors.js';
import { workflowSettings } from '../core/settings.js';
import { executionArnOf, startRetryWorkflow } from '../workflow-client.js';
import { postInThread, refreshCard } from './notify.js';

/**
 * Contain on a case that exists (the examination summary's "Contain now", which is the card's Contain
 * action and listener): containment only ever goes through the case workflow's approval gate, as a
 * Contain click on a finding card does. What happens depends on where the case is:
 * - already contained, or asking the commanders now: nothing is started, the user is told;
 * - its workflow still runs: nothing is started (an analysis asks the commanders itself when it ends,
 *   unless ANALYZE_CONTAINMENT=notify-only: then the user is told to ask again once it ended);
 * - its workflow ended uncontained (an analysis with notify-only, or a denial): the case workflow runs
 *   again as `<caseId>-contain-<n>` with approval required — one request at a time (a conditional write:
 *   a double click starts one run), linked to the case before it starts so its first event is reported.
 */

export interface ContainRequestResult {
  record: CaseRecord;
  /** Whether a run that asks the commanders was started by this request. */
  started: boolean;
  /** What the user is told (ephemeral). */
  text: string;
}

/** Where the case workflow ended without containing: a new run may ask the commanders. */
const ENDED_UNCONTAINED: readonly CaseStatus[] = ['evidence-secured', 'evidence-incomplete', 'denied'];

export const containExecutionName = (caseId: string, n: number): string => `${caseId}-contain-${n}`;

export async function requestContainment(caseId: string, actor: Actor): Promise<ContainRequestResult> {
  const record = await requireCase(caseId);
  const { status } = record;
  if (status === 'closed' || status === 'released')
    throw new CaseConflictError(`${caseId} is ${status}; open a new case to contain the instance`);
  if (record.containedAt || status === 'containing' || status === 'contained')
    return { record, started: false, text: `${caseId} is already contained; nothing was started.` };
  if (status === 'awaiting-approval')
    return {
      record,
      started: false,
      text: `Containment of ${caseId} is already waiting for an incident commander's approval; nothing else was started.`,
    };
  if (status === 'failed')
    throw new CaseConflictError(`${caseId} failed; \`/forensics retry ${caseId} <reason>\` runs it again`);
  if (!ENDED_UNCONTAINED.includes(status))
    return {
      record,
      started: false,
      text: `${caseId}'s workflow is still running (${status}); an analysis asks the incident commanders to contain when it ends (unless this deployment only notifies: then press Contain now again once it has ended). Nothing was started.`,
    };
  // A request whose run has not recorded a step yet is still starting: a second click (read after the
  // first one's claim, so the conditional write alone cannot refuse it) must not start a second run. One
  // still stepless after five minutes did not start (its failure was said): a new request may go ahead.
  const last = record.containRequests?.at(-1);
  const lastStep = record.steps.at(-1)?.at;
  const starting = last && (!lastStep || lastStep < last.at) && Date.now() - Date.parse(last.at) < 5 * 60_000;
  if (last && starting)
    return {
      record,
      started: false,
      text: `Containment of ${caseId} was already requested (\`${last.execution}\`) and is starting; nothing else was started.`,
    };
  const previous = record.containRequests?.length ?? 0;
  const executionName = containExecutionName(caseId, previous + 1);
  const claimed = await claimContainRequest(caseId, status, previous, {
    by: actor,
    execution: executionName,
  });
  if (!claimed) {
    const now = await requireCase(caseId);
    return {
      record: now,
      started: false,
      text: `${caseId} changed meanwhile (${now.status}${now.containRequests?.length ? `, containment asked for as ${now.containRequests.at(-1)?.execution}` : ''}); nothing else was started.`,
    };
  }
  const executionArn = executionArnOf(workflowSettings().CASE_STATE_MACHINE_ARN, executionName);
  await linkExecution(executionArn, caseId);
  try {
    await startRetryWorkflow(claimed, executionName, 'required');
  } catch (error) {
    await audit({
      caseId,
      actor: actor.userId,
      action: 'case.contain',
      outcome: 'failed',
      detail: `${executionName}: ${describeError(error)}`,
    });
    throw error;
  }
  const started = await recordExecution(caseId, executionArn);
  await Promise.all([
    postInThread(
      started,
      `:shield: Containment requested by ${mention(actor)}: the case workflow runs again and asks the incident commanders to approve (\`${executionName}\`).`,
    ),
    refreshCard(started),
    audit({ caseId, actor: actor.userId, action: 'case.contain', outcome: 'ok', detail: executionName }),
  ]);
  return {
    record: started,
    started: true,
    text: `Containment of ${caseId} requested: the incident commanders are asked to approve.`,
  };
}
