/**
 * Security Hub BatchUpdateFindings (CSPM, ASFF): records the workflow status, note and severity given for
 * each finding (in the caller's account and region) and answers Processed/Unprocessed as Security Hub does.
 * A finding identifier without an id or product ARN is unprocessed.
 *
 * BatchUpdateFindingsV2 (the new Security Hub, OCSF): MetadataUids or FindingIdentifiers (never both),
 * 1 to 100 of them, at least one of Comment (1–512), StatusId, SeverityId, each from its documented
 * value set; refused with ValidationException otherwise, as Security Hub does.
 *
 * Security Hub holds the findings its import events carried (`recordSecurityHubFindingsOf`, called for
 * every event the sandbox's EventBridge is given). An update of a finding it holds changes it as AWS does
 * and emits it again, as AWS does: BatchUpdateFindings generates a `Security Hub Findings - Imported` event,
 * BatchUpdateFindingsV2 a `Findings Imported V2` event (Security Hub user guide, "BatchUpdateFindings for
 * customers"; "Configuring rules for EventBridge"), under a new event id. The finding's own times are left
 * as they were (ASFF UpdatedAt; OCSF finding_info.modified_time(_dt), time(_dt)), and so are its last seen
 * and count. A finding Security Hub does not hold is unprocessed, as in AWS (CSPM `FindingNotFound`, V2
 * `ResourceNotFoundException`), and so is a finding named twice in one request (CSPM
 * `DuplicatedFindingIdentifier`). Both Security Hubs take in GuardDuty's findings by default: a finding the
 * GuardDuty detector holds is held under GuardDuty's product too (`product/aws/guardduty`,
 * `productv2/aws/guardduty`, by its ARN); the twin has no ASFF or OCSF of it until an import event
 * carried one, so its update emits nothing until then.
 */
import { randomUUID } from 'node:crypto';
import type * as SecurityHub from '@aws-sdk/client-securityhub';
import type { CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import type { HeldSecurityHubFinding, World } from '../world.js';

const WORKFLOW = new Set(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']);
const STATUS_IDS = new Set([0, 1, 2, 3, 4, 5, 99]);
const SEVERITY_IDS = new Set([0, 1, 2, 3, 4, 5, 6, 99]);
/** OCSF's captions of status_id and severity_id: Security Hub sets the string sibling with the id. */
const STATUS_NAMES: Record<number, string> = {
  0: 'Unknown',
  1: 'New',
  2: 'In Progress',
  3: 'Suppressed',
  4: 'Resolved',
  5: 'Archived',
  99: 'Other',
};
const SEVERITY_NAMES: Record<number, string> = {
  0: 'Unknown',
  1: 'Informational',
  2: 'Low',
  3: 'Medium',
  4: 'High',
  5: 'Critical',
  6: 'Fatal',
  99: 'Other',
};

const DETAIL_ASFF = 'Security Hub Findings - Imported';
const DETAIL_OCSF = 'Findings Imported V2';

const asffKey = (id: string, productArn: string) => `asff ${id} ${productArn}`;
const ocsfKey = (account: string, findingInfoUid: string, productUid: string) =>
  `ocsf ${account} ${findingInfoUid} ${productUid}`;
const ocsfUidKey = (metadataUid: string) => `ocsf-uid ${metadataUid}`;

// biome-ignore lint/suspicious/noExplicitAny: findings of two formats (ASFF, OCSF), read field by field
type Json = Record<string, any>;

/**
 * Keeps every finding a Security Hub import event carries, in its account and region, as Security Hub
 * holds it (the newest import replaces the one before). Other events are not Security Hub's imports.
 */
export function recordSecurityHubFindingsOf(world: World, event: unknown): void {
  const e = event as Json | null;
  if (e?.source !== 'aws.securityhub' || !Array.isArray(e.detail?.findings)) return;
  const format =
    e['detail-type'] === DETAIL_ASFF ? 'asff' : e['detail-type'] === DETAIL_OCSF ? 'ocsf' : undefined;
  if (!format) return;
  const envelope = {
    account: String(e.account ?? ''),
    region: String(e.region ?? ''),
    resources: Array.isArray(e.resources) ? structuredClone(e.resources) : [],
  };
  for (const f of e.detail.findings as Json[]) {
    if (!f || typeof f !== 'object') continue;
    const held: HeldSecurityHubFinding = { format, finding: structuredClone(f), envelope };
    if (format === 'asff') {
      if (typeof f.Id !== 'string' || typeof f.ProductArn !== 'string' || !/^\d{12}$/.test(f.AwsAccountId))
        continue;
      world
        .region(f.AwsAccountId, typeof f.Region === 'string' ? f.Region : envelope.region)
        .securityHubFindings.set(asffKey(f.Id, f.ProductArn), held);
      continue;
    }
    const account = f.cloud?.account?.uid;
    const uid = f.finding_info?.uid;
    const product = f.metadata?.product?.uid;
    if (typeof account !== 'string' || !/^\d{12}$/.test(account) || typeof uid !== 'string') continue;
    if (typeof product !== 'string') continue;
    const state = world.region(
      account,
      typeof f.cloud?.region === 'string' ? f.cloud.region : envelope.region,
    );
    state.securityHubFindings.set(ocsfKey(account, uid, product), held);
    if (typeof f.metadata?.uid === 'string') state.securityHubFindings.set(ocsfUidKey(f.metadata.uid), held);
  }
}

/**
 * The finding under `key` that the caller may update in its region: the security account (Security Hub's
 * administrator) any account's, a member account its own.
 */
function heldFinding(ctx: CallContext, key: string): HeldSecurityHubFinding | undefined {
  for (const account of ctx.world.accounts.values()) {
    if (ctx.caller.account !== ctx.org.securityAccount && account.id !== ctx.caller.account) continue;
    const found = account.regions.get(ctx.caller.region)?.securityHubFindings.get(key);
    if (found) return found;
  }
  return undefined;
}

const GUARDDUTY_FINDING_ARN =
  /^arn:aws[a-z-]*:guardduty:([a-z0-9-]+):(\d{12}):detector\/[^/]+\/finding\/([^/]+)$/;

/**
 * Whether Security Hub holds a GuardDuty finding the caller may update under GuardDuty's product in the
 * caller's region: GuardDuty's detector holds it (Security Hub takes GuardDuty's findings in).
 */
function fromGuardDuty(ctx: CallContext, findingId: string, productArn: string): boolean {
  const arn = GUARDDUTY_FINDING_ARN.exec(findingId);
  if (!arn || arn[1] !== ctx.caller.region) return false;
  const product = new RegExp(
    `^arn:aws[a-z-]*:securityhub:${ctx.caller.region}::(?:product|productv2)/aws/guardduty$`,
  );
  if (!product.test(productArn)) return false;
  const [, region, account, id] = arn as unknown as [string, string, string, string];
  if (ctx.caller.account !== ctx.org.securityAccount && account !== ctx.caller.account) return false;
  return ctx.world.accounts.get(account)?.regions.get(region)?.guardDutyFindings.has(id) === true;
}

/** Security Hub emits the updated finding as its import event, under a new event id. */
function emitUpdated(ctx: CallContext, held: HeldSecurityHubFinding): void {
  ctx.world.emitEvent({
    version: '0',
    id: randomUUID(),
    'detail-type': held.format === 'asff' ? DETAIL_ASFF : DETAIL_OCSF,
    source: 'aws.securityhub',
    account: held.envelope.account,
    time: `${ctx.now().toISOString().slice(0, 19)}Z`,
    region: held.envelope.region,
    resources: structuredClone(held.envelope.resources),
    detail: { findings: [structuredClone(held.finding)] },
  });
}

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
    const named = new Map<string, number>();
    for (const id of ids) {
      const key = asffKey(id.Id ?? '', id.ProductArn ?? '');
      named.set(key, (named.get(key) ?? 0) + 1);
    }
    for (const id of ids) {
      const key = asffKey(id.Id ?? '', id.ProductArn ?? '');
      if ((named.get(key) ?? 0) > 1) {
        unprocessed.push({
          FindingIdentifier: id,
          ErrorCode: 'DuplicatedFindingIdentifier',
          ErrorMessage: 'Finding Identifier is duplicated',
        });
        continue;
      }
      const held = id.Id && id.ProductArn ? heldFinding(ctx, key) : undefined;
      if (!id.Id || !id.ProductArn || (!held && !fromGuardDuty(ctx, id.Id, id.ProductArn))) {
        unprocessed.push({
          FindingIdentifier: id,
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding Not Found',
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
      if (!held) continue;
      // UpdatedAt stays: "your updates don't affect existing values for the UpdatedAt field"
      const f = held.finding as Json;
      if (input.Workflow?.Status) f.Workflow = { ...f.Workflow, Status: input.Workflow.Status };
      if (input.Note)
        f.Note = {
          Text: input.Note.Text,
          UpdatedBy: input.Note.UpdatedBy,
          UpdatedAt: ctx.now().toISOString(),
        };
      if (input.Severity?.Label) f.Severity = { ...f.Severity, Label: input.Severity.Label };
      emitUpdated(ctx, held);
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
    const record = (findingId: string, productArn: string, held: HeldSecurityHubFinding | undefined) => {
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
      if (!held) return;
      // finding_info.modified_time(_dt) and time(_dt) stay, as the API reference says
      const f = held.finding as Json;
      if (input.Comment) f.comment = input.Comment;
      if (input.StatusId !== undefined)
        Object.assign(f, { status_id: input.StatusId, status: STATUS_NAMES[input.StatusId] });
      if (input.SeverityId !== undefined)
        Object.assign(f, { severity_id: input.SeverityId, severity: SEVERITY_NAMES[input.SeverityId] });
      emitUpdated(ctx, held);
    };
    for (const uid of uids) {
      const held = heldFinding(ctx, ocsfUidKey(uid));
      if (!held) {
        unprocessed.push({
          MetadataUid: uid,
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: 'Finding not found',
        });
        continue;
      }
      record(uid, String((held.finding as Json).metadata?.product?.uid ?? ''), held);
      processed.push({ MetadataUid: uid });
    }
    for (const id of ids) {
      const held =
        id.FindingInfoUid && id.CloudAccountUid && id.MetadataProductUid
          ? heldFinding(ctx, ocsfKey(id.CloudAccountUid, id.FindingInfoUid, id.MetadataProductUid))
          : undefined;
      const known =
        held ||
        (id.FindingInfoUid &&
          id.MetadataProductUid &&
          id.CloudAccountUid === GUARDDUTY_FINDING_ARN.exec(id.FindingInfoUid)?.[2] &&
          fromGuardDuty(ctx, id.FindingInfoUid, id.MetadataProductUid));
      if (!known || !id.FindingInfoUid || !id.MetadataProductUid) {
        unprocessed.push({
          FindingIdentifier: id,
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: 'Finding not found',
        });
        continue;
      }
      record(id.FindingInfoUid, id.MetadataProductUid, held);
      processed.push({ FindingIdentifier: id });
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  }),
};
