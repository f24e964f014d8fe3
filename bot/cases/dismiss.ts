import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { dismissedCardBlocks } from '../blocks/case-card.js';
import { createAwsClient } from '../core/aws-clients.js';
import { type Finding, securityHubIdentity, securityHubV2Identity } from '../core/finding.js';
import { logger } from '../core/logger.js';
import { markFingerprint } from '../intake/fingerprints.js';
import { audit } from '../core/case-store.js';
import { archiveInGuardDuty, guardDutyTarget } from './guardduty-archive.js';

/**
 * Dismissing a finding: the card is marked dismissed by whom (and why), its Security Hub workflow becomes
 * SUPPRESSED with a note, and a GuardDuty finding (direct, or carried by Security Hub) is archived in
 * GuardDuty (the security account is GuardDuty's delegated administrator), each in the finding's own region;
 * the SDKs are loaded on first use.
 */
export interface DismissRequest {
  channel: string;
  ts: string;
  /** The card's blocks as they were (the finding buttons are removed here). */
  blocks: unknown[];
  /** The stored finding (never read back from the card). */
  finding: Finding;
  userId: string;
  userName?: string;
  reason?: string;
  /** The card's fingerprint (button value `f`): intake stops re-rendering a dismissed card. */
  fingerprint?: string;
}

export async function dismissFinding(
  req: DismissRequest,
  client: WebClient,
): Promise<{ suppressed: boolean; archived: boolean }> {
  const at = new Date();
  const blocks = dismissedCardBlocks(req.blocks as KnownBlock[], req.userId, req.reason, at);
  const fromGuardDuty = guardDutyTarget(req.finding) !== undefined;
  const [, suppressed, archived] = await Promise.all([
    client.chat.update({
      channel: req.channel,
      ts: req.ts,
      text: `Finding dismissed by ${req.userName ?? req.userId}`,
      blocks,
    }),
    suppressInSecurityHub(req),
    fromGuardDuty ? archiveInGuardDuty(req.finding) : false,
    req.fingerprint
      ? markFingerprint(req.fingerprint, { dismissedBy: req.userId }).catch((error: unknown) =>
          logger.warn('Could not mark the fingerprint dismissed', { fingerprint: req.fingerprint, error }),
        )
      : undefined,
  ]);
  await audit({
    actor: req.userId,
    action: 'finding.dismiss',
    outcome: 'ok',
    detail: `${req.finding.id}${req.reason ? `: ${req.reason}` : ''}${suppressed ? '' : ' (Security Hub not updated)'}${
      !fromGuardDuty ? '' : archived ? ' (archived in GuardDuty)' : ' (GuardDuty not archived)'
    }`,
  });
  return { suppressed, archived };
}

/** Why the finding was dismissed, as Security Hub keeps it (a note, or a comment: at most 512 characters). */
function dismissNote(req: DismissRequest): string {
  return `Dismissed in Slack by ${req.userName ?? req.userId}${req.reason ? `: ${req.reason}` : ''}`.slice(
    0,
    512,
  );
}

/** OCSF status_id Suppressed (BatchUpdateFindingsV2). */
const OCSF_SUPPRESSED = 3;

/**
 * Suppresses the finding where it lives: a new-Security-Hub (OCSF) finding with BatchUpdateFindingsV2 by
 * its own identifier triple, a Security Hub CSPM finding (or a GuardDuty finding, as CSPM imports it) with
 * BatchUpdateFindings by its real Id and ProductArn; each in the finding's own region.
 */
async function suppressInSecurityHub(req: DismissRequest): Promise<boolean> {
  const v2 = securityHubV2Identity(req.finding);
  const identifiers = v2 ? undefined : securityHubIdentity(req.finding);
  if (!v2 && !identifiers) {
    logger.info('Finding is not in Security Hub; not suppressed there', { findingId: req.finding.id });
    return false;
  }
  try {
    const { SecurityHubClient, BatchUpdateFindingsCommand, BatchUpdateFindingsV2Command } = await import(
      '@aws-sdk/client-securityhub'
    );
    const client = createAwsClient(SecurityHubClient, { region: req.finding.region });
    const unprocessed = v2
      ? (
          await client.send(
            new BatchUpdateFindingsV2Command({
              FindingIdentifiers: [v2.identifier],
              StatusId: OCSF_SUPPRESSED,
              Comment: dismissNote(req),
            }),
          )
        ).UnprocessedFindings
      : (
          await client.send(
            new BatchUpdateFindingsCommand({
              FindingIdentifiers: [identifiers!],
              Workflow: { Status: 'SUPPRESSED' },
              Note: { Text: dismissNote(req), UpdatedBy: 'forensics-bot' },
            }),
          )
        ).UnprocessedFindings;
    if (unprocessed?.length) {
      logger.warn('Security Hub did not suppress the finding', {
        findingId: req.finding.id,
        error: unprocessed[0]?.ErrorMessage,
      });
      return false;
    }
    return true;
  } catch (error) {
    logger.error('Security Hub update failed; the card is dismissed anyway', {
      findingId: req.finding.id,
      error,
    });
    return false;
  }
}
