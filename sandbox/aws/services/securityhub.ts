/**
 * Security Hub BatchUpdateFindings (CSPM, ASFF): records the workflow status, note and severity given for
 * each finding (in the caller's account and region) and answers Processed/Unprocessed as Security Hub does.
 * A finding identifier without an id or product ARN is unprocessed.
 *
 * BatchUpdateFindingsV2 (the new Security Hub, OCSF): MetadataUids or FindingIdentifiers (never both),
 * 1 to 100 of them, at least one of Comment (1–512), StatusId, SeverityId, each from its documented
 * value set; refused with ValidationException otherwise, as Security Hub does.
 */
import type * as SecurityHub from '@aws-sdk/client-securityhub';
import type { HandlerTable } from '../handler.js';
import { handler } from '../handler.js';

const WORKFLOW = new Set(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']);
const STATUS_IDS = new Set([0, 1, 2, 3, 4, 5, 99]);
const SEVERITY_IDS = new Set([0, 1, 2, 3, 4, 5, 6, 99]);

export const securityHubHandlers: HandlerTable = {
  BatchUpdateFindingsCommand: handler<
    SecurityHub.BatchUpdateFindingsCommandInput,
    SecurityHub.BatchUpdateFindingsCommandOutput
  >((ctx, input) => {
    const ids = input.FindingIdentifiers ?? [];
    if (ids.length === 0 || ids.length > 100)
      ctx.fail('InvalidInputException', 'FindingIdentifiers must hold 1 to 100 findings');
    if (input.Workflow?.Status && !WORKFLOW.has(input.Workflow.Status))
      ctx.fail('InvalidInputException', `Invalid workflow status ${input.Workflow.Status}`);
    if (input.Note && (!input.Note.Text || !input.Note.UpdatedBy))
      ctx.fail('InvalidInputException', 'Note requires Text and UpdatedBy');
    if (input.Note?.Text && input.Note.Text.length > 512)
      ctx.fail('InvalidInputException', 'Note.Text is longer than 512 characters');
    const processed: SecurityHub.AwsSecurityFindingIdentifier[] = [];
    const unprocessed: SecurityHub.BatchUpdateFindingsUnprocessedFinding[] = [];
    for (const id of ids) {
      if (!id.Id || !id.ProductArn?.startsWith('arn:aws:securityhub:')) {
        unprocessed.push({
          FindingIdentifier: id,
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding not found',
        });
        continue;
      }
      ctx.here.findingUpdates.push({
        findingId: id.Id,
        productArn: id.ProductArn,
        workflowStatus: input.Workflow?.Status,
        note: input.Note ? { text: input.Note.Text ?? '', updatedBy: input.Note.UpdatedBy ?? '' } : undefined,
        severityLabel: input.Severity?.Label,
        at: ctx.now().toISOString(),
        by: ctx.caller.arn,
      });
      processed.push(id);
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  }),
  BatchUpdateFindingsV2Command: handler<
    SecurityHub.BatchUpdateFindingsV2CommandInput,
    SecurityHub.BatchUpdateFindingsV2CommandOutput
  >((ctx, input) => {
    const uids = input.MetadataUids ?? [];
    const ids = input.FindingIdentifiers ?? [];
    if (uids.length && ids.length)
      ctx.fail('ValidationException', 'MetadataUids cannot be used together with FindingIdentifiers');
    const count = uids.length + ids.length;
    if (count === 0 || count > 100)
      ctx.fail('ValidationException', 'MetadataUids or FindingIdentifiers must hold 1 to 100 findings');
    if (input.Comment === undefined && input.StatusId === undefined && input.SeverityId === undefined)
      ctx.fail('ValidationException', 'At least one of Comment, StatusId or SeverityId is required');
    if (input.Comment !== undefined && (input.Comment.length < 1 || input.Comment.length > 512))
      ctx.fail('ValidationException', 'Comment must be 1 to 512 characters');
    if (input.StatusId !== undefined && !STATUS_IDS.has(input.StatusId))
      ctx.fail('ValidationException', `Invalid StatusId ${input.StatusId}`);
    if (input.SeverityId !== undefined && !SEVERITY_IDS.has(input.SeverityId))
      ctx.fail('ValidationException', `Invalid SeverityId ${input.SeverityId}`);
    const processed: SecurityHub.BatchUpdateFindingsV2ProcessedFinding[] = [];
    const unprocessed: SecurityHub.BatchUpdateFindingsV2UnprocessedFinding[] = [];
    const record = (findingId: string, productArn: string) =>
      ctx.here.findingUpdates.push({
        findingId,
        productArn,
        ...(input.Comment ? { note: { text: input.Comment, updatedBy: ctx.caller.arn } } : {}),
        ...(input.StatusId !== undefined ? { statusId: input.StatusId } : {}),
        ...(input.SeverityId !== undefined ? { severityId: input.SeverityId } : {}),
        api: 'BatchUpdateFindingsV2',
        at: ctx.now().toISOString(),
        by: ctx.caller.arn,
      });
    for (const uid of uids) {
      record(uid, '');
      processed.push({ MetadataUid: uid });
    }
    for (const id of ids) {
      if (
        !id.FindingInfoUid ||
        !id.CloudAccountUid ||
        !/^\d{12}$/.test(id.CloudAccountUid) ||
        !id.MetadataProductUid?.startsWith('arn:aws:securityhub:')
      ) {
        unprocessed.push({
          FindingIdentifier: id,
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: 'Finding not found',
        });
        continue;
      }
      record(id.FindingInfoUid, id.MetadataProductUid);
      processed.push({ FindingIdentifier: id });
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  }),
};
