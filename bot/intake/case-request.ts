import { findingCardBlocks, findingCardText } from '../blocks/finding-card.js';
import { escapeMrkdwn } from '../blocks/common.js';
import type { StartCaseRequest, StartCaseResult } from '../cases/service.js';
import { describeError } from '../core/errors.js';
import { findingTarget } from '../core/finding.js';
import type { CaseRequestIntent } from '../findings/normalize.js';
import { logger } from '../core/logger.js';
import { fingerprintOf, getFingerprint } from './fingerprints.js';
import { intakeSettings } from './settings.js';
import { postMessage } from './slack-posts.js';

/**
 * Tag and custom-action events ask for a case directly. The case service (the Slack side) opens it,
 * starts the workflow and tells Slack; when it cannot (not deployed, misconfigured, failing), a card
 * says which action was requested by which trigger, with the usual buttons so a responder can start it.
 *
 * Approval: Contain by tag needs none by default (the tag is itself the decision, as in the seed framework;
 * `CONTAIN_TAG_APPROVAL=required` asks a commander);
 * Contain by custom action needs a commander. Analyze needs none before it acquires (no setting: the case
 * workflow never waits before an analysis, and its containment at the end asks the commanders under
 * ANALYZE_CONTAINMENT=approval); the former `ANALYZE_APPROVAL` was read but changed nothing, and is gone.
 */
export type StartCaseFn = (req: StartCaseRequest) => Promise<StartCaseResult>;

/** The real case service, loaded on first use so intake starts even while the Slack side is broken. */
export const defaultStartCase: StartCaseFn = async (req) => {
  const { startCase } = await import('../cases/service.js');
  return startCase(req);
};

export interface CaseRequestOutcome {
  outcome: 'started' | 'existing' | 'fallback' | 'failed';
  caseId?: string;
}

export async function requestCase(
  intent: CaseRequestIntent,
  opts: { startCase: StartCaseFn; channel: string },
): Promise<CaseRequestOutcome> {
  const finding = intent.finding;
  const target = findingTarget(finding)!;
  const approval =
    intent.action === 'contain'
      ? intent.trigger === 'tag'
        ? intakeSettings().CONTAIN_TAG_APPROVAL
        : 'required'
      : 'not-required';
  const fingerprint = fingerprintOf(finding);
  // A custom action on a finding whose card is already in Slack grows the case from that card.
  // A failed read propagates (the event is retried): guessing "no card" would post a second one.
  const existing = await getFingerprint(fingerprint);
  const card =
    existing?.status === 'posted' && existing.channel && existing.ts && !existing.caseId
      ? { channel: existing.channel, ts: existing.ts, fingerprint }
      : undefined;
  try {
    const { record, created } = await opts.startCase({
      target,
      actions: [intent.action],
      trigger: intent.trigger,
      requester: { userId: 'aws', name: intent.triggerLabel },
      title: finding.title,
      severity: finding.severity,
      findingIds: intent.findingIds,
      approval,
      finding: existing?.finding ?? finding,
      ...(card ? { card } : {}),
    });
    logger.info('Case requested', {
      caseId: record.id,
      created,
      trigger: intent.trigger,
      action: intent.action,
      instanceId: target.instanceId,
    });
    return { outcome: created ? 'started' : 'existing', caseId: record.id };
  } catch (error) {
    logger.error('Could not open the requested case; posting a card instead', {
      trigger: intent.trigger,
      action: intent.action,
      instanceId: target.instanceId,
      error: describeError(error),
    });
    const action = intent.action === 'contain' ? 'Contain' : 'Analyze';
    const statusLine = `:warning: *${action}* requested by ${escapeMrkdwn(intent.triggerLabel)}. The case could not be opened automatically (${escapeMrkdwn(describeError(error)).slice(0, 300)}); start it with the buttons below.`;
    try {
      await postMessage(
        opts.channel,
        `${action} requested by ${intent.triggerLabel}: ${findingCardText(finding)}`,
        findingCardBlocks(finding, { statusLine, fingerprint }),
      );
      return { outcome: 'fallback' };
    } catch (postError) {
      logger.error('Could not post the case request card', {
        error: describeError(postError),
        instanceId: target.instanceId,
      });
      return { outcome: 'failed' };
    }
  }
}
