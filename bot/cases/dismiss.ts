import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { dismissedCardBlocks } from '../blocks/case-card.js';
import { createAwsClient, homeRegion } from '../core/aws-clients.js';
import { type Finding, securityHubIdentity } from '../core/finding.js';
import { logger } from '../core/logger.js';
import { markFingerprint } from '../intake/fingerprints.js';
import { audit } from '../core/case-store.js';

/**
 * Dismissing a finding: the card is marked dismissed by whom (and why), and its Security Hub workflow
 * becomes SUPPRESSED with a note. Security Hub is called in the home region (the security account
 * aggregates the organization's findings there); the SDK is loaded on first use only.
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
): Promise<{ suppressed: boolean }> {
  const at = new Date();
  const blocks = dismissedCardBlocks(req.blocks as KnownBlock[], req.userId, req.reason, at);
  const [, suppressed] = await Promise.all([
    client.chat.update({
      channel: req.channel,
      ts: req.ts,
      text: `Finding dismissed by ${req.userName ?? req.userId}`,
      blocks,
    }),
    suppressInSecurityHub(req),
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
    detail: `${req.finding.id}${req.reason ? `: ${req.reason}` : ''}${suppressed ? '' : ' (Security Hub not updated)'}`,
  });
  return { suppressed };
}

async function suppressInSecurityHub(req: DismissRequest): Promise<boolean> {
  const identifiers = securityHubIdentity(req.finding);
  if (!identifiers) {
    logger.info('Finding is not in Security Hub; not suppressed there', { findingId: req.finding.id });
    return false;
  }
  try {
    const { SecurityHubClient, BatchUpdateFindingsCommand } = await import('@aws-sdk/client-securityhub');
    const client = createAwsClient(SecurityHubClient, { region: homeRegion() });
    const out = await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [identifiers],
        Workflow: { Status: 'SUPPRESSED' },
        Note: {
          Text: `Dismissed in Slack by ${req.userName ?? req.userId}${req.reason ? `: ${req.reason}` : ''}`.slice(
            0,
            512,
          ),
          UpdatedBy: 'forensics-bot',
        },
      }),
    );
    if (out.UnprocessedFindings?.length) {
      logger.warn('Security Hub did not suppress the finding', {
        findingId: req.finding.id,
        error: out.UnprocessedFindings[0]?.ErrorMessage,
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
