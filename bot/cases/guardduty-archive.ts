import { createAwsClient } from '../core/aws-clients.js';
import type { Finding } from '../core/finding.js';
import { logger } from '../core/logger.js';

/**
 * Archives a dismissed GuardDuty finding in GuardDuty itself (ArchiveFindings), in the finding's region,
 * whether its card came from GuardDuty directly or from Security Hub (CSPM or OCSF) carrying a GuardDuty
 * finding.
 *
 * Only GuardDuty's administrator may archive, and it archives with its own detector: the security account
 * is the organization's delegated administrator, so the bot lists its detector in that region
 * (ListDetectors: one per account and region) rather than reuse the detector in the finding's ARN, which
 * for a member account's finding is the member's (GuardDuty refuses a detector the caller does not own).
 * The finding id is the ARN's `finding/<id>` (the detail's `id`). A failure is logged and answered false:
 * the card is dismissed either way. The SDK is loaded on first use only.
 */
export async function archiveInGuardDuty(finding: Finding): Promise<boolean> {
  const target = guardDutyTarget(finding);
  if (!target) return false;
  try {
    const { GuardDutyClient, ListDetectorsCommand, ArchiveFindingsCommand } = await import(
      '@aws-sdk/client-guardduty'
    );
    const client = createAwsClient(GuardDutyClient, { region: target.region });
    try {
      const { DetectorIds } = await client.send(new ListDetectorsCommand({}));
      const detectorId = DetectorIds?.[0];
      if (!detectorId) {
        logger.warn('GuardDuty has no detector in the finding region; not archived', {
          findingId: target.findingId,
          region: target.region,
        });
        return false;
      }
      await client.send(
        new ArchiveFindingsCommand({ DetectorId: detectorId, FindingIds: [target.findingId] }),
      );
      return true;
    } finally {
      client.destroy();
    }
  } catch (error) {
    logger.error('GuardDuty ArchiveFindings failed; the card is dismissed anyway', {
      findingId: target.findingId,
      region: target.region,
      errorName: error instanceof Error ? error.name : undefined,
      error,
    });
    return false;
  }
}

const GUARDDUTY_ARN =
  /^arn:aws[a-z-]*:guardduty:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):detector\/([^/]+)\/finding\/([^/]+)$/;

/**
 * Where a GuardDuty finding lives: its region and finding id, from its GuardDuty ARN
 * (`arn:aws:guardduty:<region>:<account>:detector/<detector>/finding/<id>`), whichever way it came: directly
 * (its `arn`, else its own id and region), or through Security Hub (CSPM's Id of a GuardDuty finding and
 * OCSF's `finding_info.uid` are that ARN). Undefined for findings GuardDuty did not produce.
 */
export function guardDutyTarget(
  finding: Finding,
): { region: string; findingId: string; account: string; detectorId?: string } | undefined {
  const arn =
    finding.arn ??
    (finding.productArn && /\/aws\/guardduty$/.test(finding.productArn) ? finding.id : undefined);
  const parsed = GUARDDUTY_ARN.exec(arn ?? '');
  if (parsed)
    return { region: parsed[1]!, account: parsed[2]!, detectorId: parsed[3]!, findingId: parsed[4]! };
  if (finding.source === 'guardduty')
    return { region: finding.region, account: finding.account, findingId: finding.id };
  return undefined;
}
