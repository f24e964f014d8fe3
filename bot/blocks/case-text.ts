import type { CaseRecord, CaseStatus, Decision, StepRecord } from '../core/case-model.js';
import { stepName } from '../core/case-story.js';
import { escapeMrkdwn, truncate } from './common.js';

/**
 * Small pure text helpers for case messages: mrkdwn escaping, durations, step lines, the status line.
 * Kept apart from the block builders so that thread lines and card status read the same everywhere.
 */

/** Escapes the three characters Slack mrkdwn treats as control (`&`, `<`, `>`): common.ts's, one owner. */
export const esc = escapeMrkdwn;

/**
 * Someone else's words inside the bot's own line (a deny reason, a tag value): escaped, and shown as inline
 * code so mrkdwn formatting in them (`*Approved*`, `_x_`, `~y~`) stays literal — Slack has no escape for
 * those characters. A backtick would end the code span, so it becomes a look-alike (U+02CB); newlines a space.
 */
export const verbatim = (s: string, max = 300): string =>
  `\`${esc(
    cut(
      s
        .replaceAll('`', '\u02cb')
        .replace(/\s*\n\s*/g, ' ')
        .trim(),
      max,
    ),
  )}\``;

/** Cuts text to `max` UTF-16 units with an ellipsis (Block Kit text limits), keeping surrogate pairs whole. */
export const cut = (s: string, max: number): string => truncate(s, max);

/**
 * A Slack mention for Slack users (`<@U…>`); the name, as text, for requesters that are not Slack
 * users (a tag, a Security Hub custom action, the console).
 */
export function mention(who: string | { userId: string; name?: string }): string {
  const { userId, name } = typeof who === 'string' ? { userId: who, name: undefined } : who;
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : esc(name ?? userId);
}

/** An approval decision in words: "approved by @carol", "denied by @dave: reason", "expired". */
export function decisionWords(decision: Decision): string {
  const by = decision.by ? ` by ${mention(decision.by)}` : '';
  const reason = decision.reason && decision.outcome === 'denied' ? `: ${verbatim(decision.reason)}` : '';
  return decision.outcome === 'expired' ? 'approval expired' : `${decision.outcome}${by}${reason}`;
}

/** "850 ms", "4.2 s", "3 min 20 s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

export const STATUS_LABEL: Record<CaseStatus, string> = {
  open: 'open',
  'awaiting-approval': 'awaiting approval',
  containing: 'containing',
  contained: 'contained',
  acquiring: 'acquiring evidence',
  'evidence-secured': 'evidence secured',
  'evidence-incomplete': 'evidence incomplete',
  closed: 'closed',
  denied: 'denied',
  failed: 'failed',
  released: 'released',
};

export const STATUS_EMOJI: Record<CaseStatus, string> = {
  open: ':large_blue_circle:',
  'awaiting-approval': ':hourglass_flowing_sand:',
  containing: ':construction:',
  contained: ':lock:',
  acquiring: ':inbox_tray:',
  'evidence-secured': ':white_check_mark:',
  'evidence-incomplete': ':warning:',
  closed: ':checkered_flag:',
  denied: ':no_entry_sign:',
  failed: ':x:',
  released: ':unlock:',
};

const OUTCOME_EMOJI: Record<StepRecord['outcome'], string> = {
  started: ':arrow_forward:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
};

/** Step names as people read them (one definition, in the case story). */
export { stepName };

/** One concise thread line: emoji, step, outcome, duration, detail. */
export function stepLine(line: Pick<StepRecord, 'step' | 'outcome' | 'durationMs' | 'detail'>): string {
  const took = line.durationMs !== undefined ? ` in ${duration(line.durationMs)}` : '';
  const detail = line.detail ? ` — ${esc(cut(line.detail, 500))}` : '';
  return `${OUTCOME_EMOJI[line.outcome]} *${esc(stepName(line.step))}* ${line.outcome}${took}${detail}`;
}

/** What the requester asked for, in words. */
/**
 * Who is behind a case an AWS event asked for (a tag, a Security Hub custom action): those events name no
 * principal. For a tag, the case's end looks CloudTrail up (`triggeredBy`); until it names someone, and for
 * custom actions, the bot says it does not know, and where to look, rather than guess.
 */
export function awsPrincipalWords(
  record: Pick<CaseRecord, 'trigger' | 'target' | 'triggeredBy'>,
): string | undefined {
  if (record.trigger === 'tag') {
    const by = record.triggeredBy;
    if (by?.arn) return `tagged by ${verbatim(by.arn)}${by.at ? ` at ${esc(by.at)}` : ''} (CloudTrail)`;
    if (by?.note) return `AWS principal unknown: ${esc(by.note)}`;
    return `AWS principal unknown (the tag event names none): CloudTrail \`CreateTags\` on \`${record.target.instanceId}\` in ${record.target.account} names who tagged it`;
  }
  if (record.trigger === 'security-hub-action')
    return 'AWS principal unknown (the custom action event names none): CloudTrail in the Security Hub administrator account names who sent it';
  return undefined;
}

export function actionWords(record: Pick<CaseRecord, 'actions'>): string {
  return record.actions.includes('contain') ? 'containment' : 'analysis';
}

/**
 * The stages of the case workflow in the order they run (workflows/definitions/build.ts), each with the
 * step labels that report in it. The thread's plan lists them; the card's "stage n/m" counts them. The
 * order follows the case's path: containment first (after approval when required) or analysis first,
 * and memory before isolation once the recorded configuration says so (`memoryPlan.memoryFirst`).
 */
interface Stage {
  plan: string;
  steps: RegExp;
}
const PREPARE: Stage = {
  plan: "Record the instance's original network and IAM configuration; turn on termination protection",
  steps: /^(case prepared|original configuration recorded|instance preserved)$/i,
};
const APPROVAL: Stage = { plan: 'Ask an incident commander for approval', steps: /^approval /i };
const CONTAIN: Stage = {
  plan: 'Contain: out of Auto Scaling and load balancers, network isolated (allow-all group first, so tracked connections stop), quarantine profile',
  steps: /^(detached from|network isolated|instance permissions restricted|contained)/i,
};
const MEMORY: Stage = {
  plan: 'Acquire memory with AVML over SSM, streamed and hashed into the evidence bucket, verified there; then a live triage (processes, connections, users, modules, crontabs), verified the same way',
  // the live triage runs in the memory acquisition, after the image is verified (acquire-memory workflow)
  steps: /^(memory |live triage)/i,
};
const DISK: Stage = {
  plan: 'Acquire the disks: snapshots into the forensics account (locked), raw images with SHA-256',
  steps: /snapshot|disk /i,
};
const EXAMINE: Stage = { plan: 'Examine the evidence and post what it found', steps: /^evidence examined/i };
const CLOSE: Stage = {
  plan: 'Tighten isolation (no endpoints, deny-all profile), tag the instance, write the manifest last',
  steps: /^(instance tagged|evidence manifest written)/i,
};

function caseStages(
  record: Pick<CaseRecord, 'actions' | 'memoryPlan' | 'approval' | 'approvalRequestedAt' | 'decision'>,
  approval = record.approval !== 'not-required',
): Stage[] {
  const acquire = [MEMORY, DISK, EXAMINE];
  if (!record.actions.includes('contain')) {
    // An analysis asks to contain at its end only under ANALYZE_CONTAINMENT=approval: counted once it asks.
    const asked = record.approvalRequestedAt !== undefined || record.decision !== undefined;
    return [PREPARE, ...acquire, ...(asked ? [APPROVAL, CONTAIN] : []), CLOSE];
  }
  const contain = approval ? [APPROVAL, CONTAIN] : [CONTAIN];
  // Memory first: captured before isolation (the VPC has no SSM/S3 endpoints, or MEMORY_ORDER says so).
  if (record.memoryPlan?.memoryFirst) return [PREPARE, MEMORY, ...contain, DISK, EXAMINE, CLOSE];
  return [PREPARE, ...contain, ...acquire, CLOSE];
}

/** The plan of the thread: the stages in the order they will run on this case's path. */
export function casePlan(
  record: Pick<CaseRecord, 'actions' | 'memoryPlan' | 'approval' | 'approvalRequestedAt' | 'decision'>,
  approval?: boolean,
): string[] {
  const plan = caseStages(record, approval).map((s) => s.plan);
  return record.memoryPlan
    ? plan
    : [
        ...plan.slice(0, 1),
        ...plan
          .slice(1)
          .map((p) =>
            p.replace(
              /^Acquire memory/,
              'Acquire memory (before isolation when the VPC has no SSM/S3 endpoints)',
            ),
          ),
      ];
}

/** n and m of "stage n/m": the furthest stage a reported step belongs to, against the path's stages. */
export function stepProgress(
  record: Pick<
    CaseRecord,
    'actions' | 'steps' | 'memoryPlan' | 'approval' | 'approvalRequestedAt' | 'decision'
  >,
): { n: number; m: number } {
  const stages = caseStages(record);
  let n = 0;
  stages.forEach((stage, i) => {
    const reached =
      stage === APPROVAL
        ? record.decision !== undefined
        : record.steps.some((s) => stage.steps.test(stepName(s.step)));
    if (reached) n = i + 1;
  });
  return { n, m: stages.length };
}

/** The root card's status line: who opened the case for what, and where it stands now. */
export function caseStatusLine(record: CaseRecord): string {
  const ref = record.externalRef ? ` (ref ${esc(cut(record.externalRef, 128))})` : '';
  const head = `*${record.id}*${ref} opened by ${mention(record.requester)}: ${actionWords(record)}`;
  const last = record.steps.at(-1);
  const { n, m } = stepProgress(record);
  const where =
    n > 0 && last
      ? ` · stage ${n}/${m}: ${esc(stepName(last.step))} ${last.outcome}`
      : record.status === 'open'
        ? ' · starting'
        : '';
  const approver = record.decision ? ` · ${decisionWords(record.decision)}` : '';
  const failure =
    (record.status === 'failed' || record.status === 'evidence-incomplete') && record.failure
      ? `\n${esc(cut(record.failure, 600))}`
      : '';
  return `${head}\n${STATUS_EMOJI[record.status]} Stage: *${STATUS_LABEL[record.status]}*${where}${approver}${failure}`;
}
