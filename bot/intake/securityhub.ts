import {
  BatchUpdateFindingsCommand,
  BatchUpdateFindingsV2Command,
  type OcsfFindingIdentifier,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { createAwsClient } from '../core/aws-clients.js';
import type { Finding } from '../core/finding.js';
import { describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';

/**
 * Marks posted Security Hub CSPM (ASFF) findings NOTIFIED with a note linking the Slack card, and gives
 * new-Security-Hub (OCSF) findings a comment linking it (BatchUpdateFindingsV2; their status stays New:
 * OCSF has no "notified", and In Progress would claim someone is working on it). One request per region,
 * card and API (the note is per request), up to 100 findings each. A failure is logged and
 * counted, never thrown: the card is already in Slack and must not be lost or re-posted because of it.
 * The update makes Security Hub emit the finding again (a new event id, the source's times and count as
 * they were, our note on it): the intake knows that echo by `isOwnWriteBack` and does not count it.
 */
export type NotifyItem =
  | { findingId: string; productArn: string; region: string; permalink: string }
  | { findingId: string; ocsf: OcsfFindingIdentifier; region: string; permalink: string };

export interface NotifyResult {
  requests: number;
  updated: number;
  failed: number;
}

const BATCH = 100;
const NOTE_MAX = 512;
/** How the write-back's note (ASFF Note.Text, OCSF comment) begins, and who an ASFF note is by. */
const NOTE_PREFIX = 'Posted to Slack by forensics-bot: ';
const NOTE_BY = 'forensics-bot';

/**
 * True when the finding carries the note this module writes (on a CSPM finding, by forensics-bot). It stays
 * on the finding's later repeats too: alone it does not make an event an echo (see service.ts).
 */
export function isOwnWriteBack(finding: Finding): boolean {
  const note = finding.note;
  if (!note?.text.startsWith(NOTE_PREFIX)) return false;
  return finding.source === 'securityhub-ocsf' || note.updatedBy === NOTE_BY;
}

export async function markNotified(items: NotifyItem[]): Promise<NotifyResult> {
  const result: NotifyResult = { requests: 0, updated: 0, failed: 0 };
  const groups = new Map<string, NotifyItem[]>();
  for (const item of items) {
    const k = `${'ocsf' in item ? 'v2' : 'asff'} ${item.region} ${item.permalink}`;
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
        const note = `${NOTE_PREFIX}${permalink}`.slice(0, NOTE_MAX);
        const out = await sendNotify(client, batch, note);
        const unprocessed = out.unprocessed;
        result.updated += out.processed ?? batch.length - unprocessed.length;
        result.failed += unprocessed.length;
        for (const u of unprocessed.slice(0, 10))
          logger.warn('Security Hub did not update a finding', {
            findingId: u.findingId,
            error: u.ErrorMessage,
            code: u.ErrorCode,
          });
      } catch (error) {
        result.failed += batch.length;
        const api = 'ocsf' in batch[0]! ? 'BatchUpdateFindingsV2' : 'BatchUpdateFindings';
        logger.error(`Security Hub ${api} failed; the Slack card stands`, {
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

/** One batch of one kind (all ASFF or all OCSF: groups never mix them) as its API's request. */
async function sendNotify(
  client: SecurityHubClient,
  batch: NotifyItem[],
  note: string,
): Promise<{
  processed?: number;
  unprocessed: { findingId?: string; ErrorMessage?: string; ErrorCode?: string }[];
}> {
  const v2 = batch.flatMap((i) => ('ocsf' in i ? [i.ocsf] : []));
  if (v2.length) {
    const out = await client.send(
      new BatchUpdateFindingsV2Command({ FindingIdentifiers: v2, Comment: note }),
    );
    return {
      processed: out.ProcessedFindings?.length,
      unprocessed: (out.UnprocessedFindings ?? []).map((u) => ({
        findingId: u.FindingIdentifier?.FindingInfoUid ?? u.MetadataUid,
        ErrorMessage: u.ErrorMessage,
        ErrorCode: u.ErrorCode,
      })),
    };
  }
  const out = await client.send(
    new BatchUpdateFindingsCommand({
      FindingIdentifiers: batch.flatMap((i) =>
        'productArn' in i ? [{ Id: i.findingId, ProductArn: i.productArn }] : [],
      ),
      Workflow: { Status: 'NOTIFIED' },
      Note: { Text: note, UpdatedBy: NOTE_BY },
    }),
  );
  return {
    processed: out.ProcessedFindings?.length,
    unprocessed: (out.UnprocessedFindings ?? []).map((u) => ({
      findingId: u.FindingIdentifier?.Id,
      ErrorMessage: u.ErrorMessage,
      ErrorCode: u.ErrorCode,
    })),
  };
}
