import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { createAwsClient } from '../core/aws-clients.js';
import { describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';

/**
 * Marks posted Security Hub findings NOTIFIED with a note linking the Slack card. One BatchUpdateFindings
 * per region and card (the note is per request), up to 100 findings each. A failure is logged and
 * counted, never thrown: the card is already in Slack and must not be lost or re-posted because of it.
 * (The update makes Security Hub emit the finding again; it arrives as a repeat and only counts.)
 */
export interface NotifyItem {
  findingId: string;
  productArn: string;
  region: string;
  permalink: string;
}

export interface NotifyResult {
  requests: number;
  updated: number;
  failed: number;
}

const BATCH = 100;
const NOTE_MAX = 512;

export async function markNotified(items: NotifyItem[]): Promise<NotifyResult> {
  const result: NotifyResult = { requests: 0, updated: 0, failed: 0 };
  const groups = new Map<string, NotifyItem[]>();
  for (const item of items) {
    const k = `${item.region} ${item.permalink}`;
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  const clients = new Map<string, SecurityHubClient>();
  for (const group of groups.values()) {
    const { region, permalink } = group[0]!;
    let client = clients.get(region);
    if (!client) {
      client = createAwsClient(SecurityHubClient, { region });
      clients.set(region, client);
    }
    for (let start = 0; start < group.length; start += BATCH) {
      const batch = group.slice(start, start + BATCH);
      result.requests++;
      try {
        const out = await client.send(
          new BatchUpdateFindingsCommand({
            FindingIdentifiers: batch.map((i) => ({ Id: i.findingId, ProductArn: i.productArn })),
            Workflow: { Status: 'NOTIFIED' },
            Note: {
              Text: `Posted to Slack by forensics-bot: ${permalink}`.slice(0, NOTE_MAX),
              UpdatedBy: 'forensics-bot',
            },
          }),
        );
        const unprocessed = out.UnprocessedFindings ?? [];
        result.updated += out.ProcessedFindings?.length ?? batch.length - unprocessed.length;
        result.failed += unprocessed.length;
        for (const u of unprocessed.slice(0, 10))
          logger.warn('Security Hub did not update a finding', {
            findingId: u.FindingIdentifier?.Id,
            error: u.ErrorMessage,
            code: u.ErrorCode,
          });
      } catch (error) {
        result.failed += batch.length;
        logger.error('Security Hub BatchUpdateFindings failed; the Slack card stands', {
          region,
          findings: batch.length,
          error: describeError(error),
          errorName: error instanceof Error ? error.name : undefined,
        });
      }
    }
  }
  for (const client of clients.values()) client.destroy();
  return result;
}
