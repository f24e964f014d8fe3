import type { WebClient } from '@slack/web-api';
import { caseCardMessage, caseOpeningBlocks } from '../blocks/case-card.js';
import { actionWords, mention, verbatim } from '../blocks/case-text.js';
import { workspaceSettings } from '../core/config.js';
import { CaseConflictError, describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { markFingerprint } from '../intake/fingerprints.js';
import { slackWebClient } from '../slack/client.js';
import {
  executionArnOf,
  startCaseWorkflow,
  startReleaseWorkflow,
  startRetryWorkflow,
  startWorkerCleanup,
  stopExecution,
  workerMayRun,
} from '../workflow-client.js';
import { retryExecutionName } from '../core/ids.js';
import { workflowSettings } from '../core/settings.js';
import { closeApprovalCard } from './approval.js';
import type { Actor, CaseAction, CaseRecord, Target, Trigger } from '../core/case-model.js';
import type { Finding } from '../core/finding.js';
import { postInThread, refreshCard } from './notify.js';
import {
  audit,
  claimRelease,
  endRelease,
  linkExecution,
  openCase,
  recordExecution,
  recordReleaseExecution,
  reopenForRetry,
  requireCase,
  setSlackRefs,
  transition,
} from '../core/case-store.js';

/**
 * The case lifecycle as the outside sees it: open (once per instance), start the workflow (once per
 * case), say so in Slack. Slack buttons, `/forensics`, and intake (tag, custom action) all call this.
 */

/** Longer than a Slack request may run: a case without an execution after this was abandoned. */
const HEAL_AFTER_MS = 15_000;

export interface StartCaseRequest {
  target: Target;
  actions: CaseAction[];
  trigger: Trigger;
  requester: Actor;
  title: string;
  severity: { label: string; score: number };
  findingIds: string[];
  approval: 'required' | 'not-required';
  /** The normalized finding the case grows from: kept in the case, the case card renders from it. */
  finding?: Finding;
  /**
   * The finding card the case grows from; `fingerprint` (intake's) is marked with the case, so repeats
   * of the finding never redraw the card.
   */
  card?: { channel: string; ts: string; fingerprint?: string };
}

export interface StartCaseResult {
  record: CaseRecord;
  /** false when the instance already had an open case (a second click, a retry): nothing was repeated. */
  created: boolean;
}

/**
 * Opens the case (or returns the instance's open case), starts the `case` workflow once (name = case
 * id; ExecutionAlreadyExists is success), turns the finding card into the case card (its start buttons
 * removed), and posts the first thread reply. Without a card, a case card is posted in the alerts channel.
 */
export async function startCase(req: StartCaseRequest, client?: WebClient): Promise<StartCaseResult> {
  const { record: opened, created } = await openCase({
    target: req.target,
    actions: req.actions,
    trigger: req.trigger,
    requester: req.requester,
    title: req.title,
    severity: req.severity,
    findingIds: req.findingIds,
    approval: req.approval,
    slack: req.card ? { channel: req.card.channel, cardTs: req.card.ts, threadTs: req.card.ts } : {},
    ...(req.finding ? { finding: req.finding } : {}),
    ...(req.card?.fingerprint ? { fingerprint: req.card.fingerprint } : {}),
  });
  if (!created) {
    await audit({
      caseId: opened.id,
      actor: req.requester.userId,
      action: `case.${req.actions[0]}`,
      outcome: 'duplicate',
    });
    // A half-finished earlier attempt (crashed before StartExecution) is completed, never repeated. A
    // younger record is a racing click still in flight: it starts the execution itself.
    const stale = Date.now() - Date.parse(opened.createdAt) > HEAL_AFTER_MS;
    if (!opened.executionArn && stale)
      return { record: await ensureExecution(opened, req.approval), created };
    return { record: opened, created };
  }
  const slack = client ?? (await slackWebClient());
  // A case without a finding card (tag, command) gets its own card first: the workflow's first lines
  // (its RUNNING event, its first step) must find the thread, or they would be lost.
  const announced = opened.slack.cardTs ? opened : await postCaseCard(opened, slack);
  const record = await ensureExecution(announced, req.approval);
  // The card update, the thread reply and the audit are independent: done together (Slack's 3 s budget).
  await Promise.all([
    req.card ? refreshCard(record, slack) : Promise.resolve(),
    postInThread(
      record,
      `${record.id} opened by ${mention(record.requester)}: ${actionWords(record)}`,
      caseOpeningBlocks(record, req.approval === 'required'),
      slack,
    ),
    audit({
      caseId: record.id,
      actor: req.requester.userId,
      action: `case.${req.actions[0]}`,
      outcome: 'ok',
      detail: req.trigger,
    }),
    req.card?.fingerprint
      ? markFingerprint(req.card.fingerprint, { caseId: record.id }).catch((error) =>
          logger.warn('Could not mark the fingerprint with its case', { error: describeError(error) }),
        )
      : undefined,
  ]);
  logger.info('Case opened', {
    caseId: record.id,
    instanceId: record.target.instanceId,
    trigger: req.trigger,
  });
  return { record, created };
}

async function ensureExecution(
  record: CaseRecord,
  approval: 'required' | 'not-required',
): Promise<CaseRecord> {
  const { executionArn } = await startCaseWorkflow(record, approval);
  return recordExecution(record.id, executionArn);
}

/** Posts a case card of its own in the alerts channel and makes it the case's thread. */
async function postCaseCard(record: CaseRecord, slack: WebClient): Promise<CaseRecord> {
  const channel = workspaceSettings().ALERTS_CHANNEL;
  try {
    const out = await slack.chat.postMessage({ channel, ...caseCardMessage(record) });
    if (!out.ts) return record;
    return await setSlackRefs(record.id, { channel, cardTs: out.ts, threadTs: out.ts });
  } catch (error) {
    logger.error('Could not post the case card', { caseId: record.id, error: describeError(error) });
    return record;
  }
}

/**
 * A case opened outside Slack (console start of the workflow): its card and thread, no StartExecution.
 * Idempotent: a case that already has a card is only redrawn.
 */
export async function announceCase(record: CaseRecord): Promise<CaseRecord> {
  const slack = await slackWebClient();
  if (record.slack.cardTs) {
    await refreshCard(record, slack);
    return record;
  }
  const posted = await postCaseCard(record, slack);
  if (posted.slack.threadTs)
    await postInThread(
      posted,
      `${posted.id} opened from the console: ${actionWords(posted)}`,
      caseOpeningBlocks(posted, posted.actions.includes('contain')),
      slack,
    );
  return posted;
}

/** Why a case is closed, when someone said so (the examination summary's "Close as false positive"). */
export interface Closure {
  as: 'false-positive';
  reason: string;
}

/** Starts the worker's clean-up; a failure to start it is said in the thread, with what still ends it. */
async function cleanUpWorker(record: CaseRecord): Promise<void> {
  try {
    await startWorkerCleanup(record);
  } catch (error) {
    logger.error('Could not start the forensic worker clean-up', { caseId: record.id, error });
    await postInThread(
      record,
      `:warning: the forensic worker of ${record.id} could not be terminated at the close (${describeError(error)}); it terminates itself at the end of its lifetime.`,
    );
  }
}

/**
 * Closes a case (commanders): status closed, the instance free for a new case, card and thread told. With
 * a closure, the case records it (as, reason, who, when) and the thread and the audit trail say it.
 */
export async function closeCase(caseId: string, actor: Actor, closure?: Closure): Promise<CaseRecord> {
  const before = await requireCase(caseId);
  if (before.status === 'closed') throw new CaseConflictError(`${caseId} is already closed`);
  const record = await transition(
    caseId,
    'closed',
    closure ? { closure: { ...closure, by: actor, at: new Date().toISOString() } } : {},
  );
  // Closing stops the case's workflow; a step that raced the stop refuses to act (runStep).
  if (record.executionArn) await stopExecution(record.executionArn, `${caseId} closed by ${actor.userId}`);
  // A forensic worker examining it is terminated by its own clean-up (the stopped workflow cannot).
  if (workerMayRun(record)) await cleanUpWorker(record);
  if (before.status === 'awaiting-approval') await closeApprovalCard(record, actor);
  await Promise.all([
    refreshCard(record),
    postInThread(
      record,
      closure
        ? `:checkered_flag: ${record.id} closed by ${mention(actor)} as a false positive: ${verbatim(closure.reason, 500)}`
        : `:checkered_flag: ${record.id} closed by ${mention(actor)}.`,
    ),
    audit({
      caseId,
      actor: actor.userId,
      action: 'case.close',
      outcome: 'ok',
      ...(closure ? { detail: `${closure.as}: ${closure.reason}` } : {}),
    }),
  ]);
  return record;
}

/** Statuses from which a release (undo the containment) makes sense. */
const RELEASABLE = new Set(['contained', 'evidence-secured', 'evidence-incomplete', 'failed']);

/**
 * Starts the release workflow (`<caseId>-release-<n>`), which restores the recorded original
 * configuration; the progress handler moves the case to `released` when it succeeds.
 */
export async function releaseCase(
  caseId: string,
  actor: Actor,
): Promise<{ record: CaseRecord; executionName: string }> {
  const current = await requireCase(caseId);
  if (!RELEASABLE.has(current.status))
    throw new CaseConflictError(`${caseId} is ${current.status}; only a contained case can be released`);
  const previous = typeof current.releaseCount === 'number' ? current.releaseCount : 0;
  const attempt = previous + 1;
  const executionName = `${caseId}-release-${attempt}`;
  // One release at a time: a second /forensics release (or a parallel one) is told which one runs.
  const claimed = await claimRelease(caseId, previous, executionName);
  if (!claimed) {
    const running = (await requireCase(caseId)).releaseInFlight;
    throw new CaseConflictError(
      `a release of ${caseId} is already running${typeof running === 'string' ? ` (${running})` : ''}`,
    );
  }
  let executionArn: string;
  try {
    ({ executionArn } = await startReleaseWorkflow(current, attempt, actor.userId));
  } catch (error) {
    await endRelease(caseId, executionName);
    throw error;
  }
  const record = await recordReleaseExecution(caseId, executionArn);
  await Promise.all([
    postInThread(
      record,
      `:unlock: Release requested by ${mention(actor)}: restoring the original configuration (${executionName}).`,
    ),
    audit({ caseId, actor: actor.userId, action: 'case.release', outcome: 'ok', detail: executionName }),
  ]);
  return { record, executionName };
}

/**
 * Retries a failed case (responders, with a reason): the case reopens as one decision (a second retry
 * racing it is told so), and the case workflow starts again as `<caseId>-retry-<n>`, linked to the case
 * before it starts so its first status change is reported. A containment a commander approved stays
 * approved; one never approved is asked again. The recorded original configuration is kept.
 */
export async function retryCase(
  caseId: string,
  actor: Actor,
  reason: string,
): Promise<{ record: CaseRecord; executionName: string }> {
  const current = await requireCase(caseId);
  if (current.status !== 'failed')
    throw new CaseConflictError(`${caseId} is ${current.status}; only a failed case can be retried`);
  const executionName = retryExecutionName(caseId, (current.retries?.length ?? 0) + 1);
  const reopened = await reopenForRetry(caseId, { by: actor, reason, execution: executionName });
  if (!reopened) {
    const now = await requireCase(caseId);
    throw new CaseConflictError(
      `${caseId} is ${now.status}${now.retries?.length ? ` (retried as ${now.retries.at(-1)?.execution})` : ''}; only a failed case can be retried`,
    );
  }
  const executionArn = executionArnOf(workflowSettings().CASE_STATE_MACHINE_ARN, executionName);
  await linkExecution(executionArn, caseId);
  const approval = reopened.decision?.outcome === 'approved' ? 'not-required' : 'required';
  try {
    await startRetryWorkflow(reopened, executionName, approval);
  } catch (error) {
    // Nothing runs: the case is failed again and says why, rather than open with no workflow.
    await transition(caseId, 'failed', {
      failure: `retry ${executionName} could not start: ${describeError(error)}`,
    });
    throw error;
  }
  const record = await recordExecution(caseId, executionArn);
  await Promise.all([
    postInThread(
      record,
      `:repeat: Retry requested by ${mention(actor)}: ${verbatim(reason)} — the case workflow runs again (\`${executionName}\`${approval === 'not-required' ? ', containment already approved' : ''}).`,
    ),
    refreshCard(record),
    audit({
      caseId,
      actor: actor.userId,
      action: 'case.retry',
      outcome: 'ok',
      detail: `${executionName}: ${reason}`,
    }),
  ]);
  return { record, executionName };
}
