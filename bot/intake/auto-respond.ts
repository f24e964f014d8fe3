import { ruleCriteria } from '../blocks/auto-response-rules.js';
import { escapeMrkdwn } from '../blocks/common.js';
import type { CaseAction } from '../core/case-model.js';
import { audit, openCaseOf } from '../core/case-store.js';
import { describeError } from '../core/errors.js';
import { type Finding, findingTarget, fingerprintOf } from '../core/finding.js';
import { logger } from '../core/logger.js';
import { slackWebClient } from '../slack/client.js';
import {
  ACTION_WORDS,
  type AutoResponseAction,
  type AutoResponseRule,
  actionScope,
  autoResponseWarnings,
  canActOn,
  firstMatch,
  RESOURCE_WORDS,
  ruleRequester,
} from './auto-response.js';
import {
  claimFinding,
  nextHour,
  releaseFinding,
  releaseSummary,
  returnHourSlot,
  takeHourSlot,
} from './auto-response-store.js';
import type { StartCaseFn } from './case-request.js';
import { getFingerprint } from './fingerprints.js';
import { autoResponseSettings, intakeSettings } from './settings.js';

/**
 * Auto-response for one finding intake has just carded (or folded into a storm summary): the first
 * matching rule acts through the same case service a Slack click uses, with the rule as the case's
 * requester. Each finding is acted on once (a claim in the table); automatic cases are capped per hour.
 */
export type AutoResponseOutcome =
  | 'none'
  | 'notify'
  | 'already'
  | 'dry-run'
  | 'capped'
  | 'started'
  | 'existing'
  | 'failed'
  /** The rule matched, but its action cannot act on the finding's resource (no EC2 instance): said once. */
  | 'cannot-act'
  /** Thrown before the rule acted (set by the caller): the event is retried. */
  | 'error';

const CASE_OF: Record<
  Exclude<AutoResponseAction, 'notify'>,
  { action: CaseAction; approval: 'required' | 'not-required' }
> = {
  analyze: { action: 'analyze', approval: 'not-required' },
  'request-containment': { action: 'contain', approval: 'required' },
  contain: { action: 'contain', approval: 'not-required' },
};

export async function autoRespond(
  finding: Finding,
  opts: { channel: string; startCase: StartCaseFn; now: Date },
): Promise<AutoResponseOutcome> {
  const config = autoResponseSettings().AUTO_RESPONSE;
  warnOnce(config);
  if (!config.rules.length || finding.archived) return 'none';
  const match = firstMatch(config.rules, finding);
  if (!match) return 'none';
  const { rule, position } = match;
  if (rule.action === 'notify') {
    logger.info('Auto-response rule matched: notify only', { rule: rule.name, findingId: finding.id });
    return 'notify';
  }
  const target = findingTarget(finding);
  const fingerprint = fingerprintOf(finding);
  if (!target || !canActOn(rule.action, finding.resource.kind))
    return cannotAct(finding, fingerprint, rule, position, config.dryRun, opts);
  const card = await getFingerprint(fingerprint);
  // Another delivery is still posting the card: it acts once the card is there (one card, one case).
  if (card?.status === 'claimed') return 'already';
  // A responder already acted on this card (a case, a dismissal), or the instance has its case.
  if (card?.caseId || card?.dismissedBy || (await openCaseOf(target))) return 'already';
  const dryRun = rule.dryRun || config.dryRun;
  const claimed = await claimFinding(fingerprint, {
    rule: rule.name,
    action: rule.action,
    dryRun,
    now: opts.now,
    ttlDays: intakeSettings().FINGERPRINT_TTL_DAYS,
  });
  if (!claimed) return 'already';
  const thread =
    card?.status === 'posted' && card.channel && card.ts ? { channel: card.channel, ts: card.ts } : undefined;
  const ruleWords = `auto-response rule ${position} "${escapeMrkdwn(rule.name)}"`;

  const slot = await takeHourSlot(opts.now, config.maxCasesPerHour).catch(async (error) => {
    // nothing was done: the retried event must find the finding unclaimed
    await releaseFinding(fingerprint).catch(logGiveBack('finding claim', { fingerprint }));
    throw error;
  });
  if (!slot.taken) {
    logger.warn('Auto-response cap reached: the card stays for a human', {
      rule: rule.name,
      findingId: finding.id,
      refused: slot.refused,
    });
    if (slot.postSummary)
      await postCapSummary(opts.channel, config.maxCasesPerHour, opts.now, ruleWords, dryRun);
    return 'capped';
  }

  if (dryRun) {
    const text = `:test_tube: *Dry run*: ${ruleWords} would ${ACTION_WORDS[rule.action]} for \`${target.instanceId}\` (${target.account}, ${target.region}). Nothing was done; the buttons still work.`;
    await say(thread?.channel ?? opts.channel, text, thread?.ts);
    logger.info('Auto-response dry run', { rule: rule.name, action: rule.action, findingId: finding.id });
    return 'dry-run';
  }

  const { action, approval } = CASE_OF[rule.action];
  try {
    const { record, created } = await opts.startCase({
      target,
      actions: [action],
      trigger: 'auto-response',
      requester: ruleRequester(rule),
      title: finding.title,
      severity: finding.severity,
      findingIds: [finding.id],
      approval,
      finding: card?.finding ?? finding,
      ...(thread ? { card: { ...thread, fingerprint } } : {}),
    });
    logger.info('Auto-response opened a case', {
      rule: rule.name,
      action: rule.action,
      caseId: record.id,
      created,
    });
    if (created && record.slack.channel && record.slack.threadTs)
      await say(
        record.slack.channel,
        `:robot_face: Opened by ${ruleWords}: ${ruleCriteria(rule)} → \`${rule.action}\` (${ACTION_WORDS[rule.action]}).`,
        record.slack.threadTs,
      );
    // A click or another rule opened the instance's case first: this one opened nothing.
    if (!created) await returnHourSlot(opts.now).catch(logGiveBack('hour slot', { caseId: record.id }));
    return created ? 'started' : 'existing';
  } catch (error) {
    // The card keeps its buttons; a repeat of the finding may try again (claim and case given back).
    logger.error('Auto-response could not open the case', { rule: rule.name, error: describeError(error) });
    await Promise.all([
      releaseFinding(fingerprint).catch(logGiveBack('finding claim', { fingerprint })),
      returnHourSlot(opts.now).catch(logGiveBack('hour slot', { fingerprint })),
    ]);
    await say(
      thread?.channel ?? opts.channel,
      `:warning: ${ruleWords} could not open the case for \`${target.instanceId}\` (${escapeMrkdwn(describeError(error)).slice(0, 300)}); start it with the buttons.`,
      thread?.ts,
    );
    return 'failed';
  }
}

/** The configuration is parsed once per cold start: its warnings are logged once with it. */
const warned = new WeakSet<object>();
function warnOnce(config: ReturnType<typeof autoResponseSettings>['AUTO_RESPONSE']): void {
  if (warned.has(config)) return;
  warned.add(config);
  for (const warning of autoResponseWarnings(config)) logger.warn(`AUTO_RESPONSE: ${warning}`);
}

/**
 * A rule matched a finding its action cannot act on (an IAM access key, an S3 bucket, an account: nothing
 * to isolate, capture or snapshot). Said plainly, once per finding (the same claim as an action, so a
 * repeat says nothing more): in the card's thread and in the audit trail (the day's, as there is no case).
 * Nothing is taken from the hour's budget: no case was opened.
 */
async function cannotAct(
  finding: Finding,
  fingerprint: string,
  rule: AutoResponseRule,
  position: number,
  allDryRun: boolean,
  opts: { channel: string; now: Date },
): Promise<AutoResponseOutcome> {
  const dryRun = rule.dryRun || allDryRun;
  const claimed = await claimFinding(fingerprint, {
    rule: rule.name,
    action: rule.action,
    dryRun,
    now: opts.now,
    ttlDays: intakeSettings().FINGERPRINT_TTL_DAYS,
  });
  if (!claimed) return 'already';
  const kind = finding.resource.kind;
  const what = `${RESOURCE_WORDS[kind].one} (${finding.resource.id})`;
  const why = `${rule.action} acts on ${actionScope(rule.action)} only, and this finding is about ${what}`;
  logger.warn('Auto-response rule matched a finding it cannot act on: card only', {
    rule: rule.name,
    action: rule.action,
    findingId: finding.id,
    kind,
  });
  await audit({
    actor: ruleRequester(rule).userId,
    action: `auto-response.${rule.action}`,
    outcome: 'refused',
    detail: `rule ${position} "${rule.name}" matched finding ${finding.id}${dryRun ? ' (dry run)' : ''}, but ${why}: nothing was done`,
  });
  const card = await getFingerprint(fingerprint);
  const thread =
    card?.status === 'posted' && card.channel && card.ts ? { channel: card.channel, ts: card.ts } : undefined;
  const code = (text: string) => `\`${escapeMrkdwn(text.replaceAll('`', "'")).slice(0, 200)}\``;
  await say(
    thread?.channel ?? opts.channel,
    `:information_source: ${dryRun ? '*Dry run*: ' : ''}auto-response rule ${position} "${escapeMrkdwn(rule.name)}" matched, but could not act: \`${rule.action}\` acts on ${actionScope(rule.action)} only, and this finding is about ${RESOURCE_WORDS[kind].one} ${code(finding.resource.id)}. No case was opened; the card stays for a responder.`,
    thread?.ts,
  );
  return 'cannot-act';
}

async function postCapSummary(
  channel: string,
  max: number,
  now: Date,
  ruleWords: string,
  dryRun: boolean,
): Promise<void> {
  const until = nextHour(now).toISOString().slice(11, 16);
  const text = `:octagonal_sign: Auto-response paused until ${until} UTC: ${max} automatic ${dryRun ? 'actions (dry run)' : 'cases'} this hour (maxCasesPerHour). ${ruleWords} and any other rule only post cards until then; their buttons still work.`;
  // Not posted: the next refused delivery of the hour posts it.
  if (!(await say(channel, text))) await releaseSummary(now).catch(logGiveBack('cap summary claim', {}));
}

/**
 * Giving a claim back after a failure is best effort (the failure itself is already handled and said), but
 * one that does not happen leaves a finding claimed or an hour's slot taken: logged with what it was.
 */
function logGiveBack(what: string, context: Record<string, unknown>) {
  return (error: unknown) =>
    logger.warn(`Auto-response could not give back the ${what}`, { ...context, error: describeError(error) });
}

/**
 * A plain message (or a thread reply); false when Slack refused it. Logged, never a reason to fail the
 * event: what the rule did is already decided and recorded, and a retry must not do it again.
 */
async function say(channel: string, text: string, threadTs?: string): Promise<boolean> {
  try {
    const client = await slackWebClient();
    await client.chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
    return true;
  } catch (error) {
    logger.warn('Could not post an auto-response line', { channel, error: describeError(error) });
    return false;
  }
}
