/**
 * Security Hub BatchUpdateFindings: records the workflow status, note and severity given for each
 * finding (in the caller's account and region) and answers Processed/Unprocessed as Security Hub does.
 * A finding identifier without an id or product ARN is unprocessed.
 */
import type * as SecurityHub from '@aws-sdk/client-securityhub';
import type { HandlerTable } from '../handler.js';
import { handler } from '../handler.js';

const WORKFLOW = new Set(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']);

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
};
