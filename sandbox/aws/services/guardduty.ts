/**
 * GuardDuty as the organization's delegated administrator sees it: every account has one detector in each
 * region (its id: guardDutyDetectorId), findings live in the account and region that produced them, and the
 * administrator (the security account) reads and archives the findings of every account in that region with
 * its own detector.
 *
 * ArchiveFindings is as strict as GuardDuty: DetectorId 1–300 characters and the caller's own detector,
 * FindingIds 0–50 ids of 1–300 characters each, the caller GuardDuty's administrator, and every id a finding
 * of this region; otherwise BadRequestException and nothing is archived. ListDetectors answers the caller's
 * detector.
 */
import { createHash } from 'node:crypto';
import type * as GuardDuty from '@aws-sdk/client-guardduty';
import type { HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import type { GuardDutyFinding, RegionState, World } from '../world.js';

/** The detector of an account in a region: 32 hex digits, fixed for the account and region. */
export function guardDutyDetectorId(account: string, region: string): string {
  return createHash('sha256').update(`guardduty/${account}/${region}`).digest('hex').slice(0, 32);
}

/** GuardDuty's finding ARN of a finding of this account and region. */
export function guardDutyFindingArn(account: string, region: string, findingId: string): string {
  return `arn:aws:guardduty:${region}:${account}:detector/${guardDutyDetectorId(account, region)}/finding/${findingId}`;
}

/**
 * Records a finding GuardDuty produced (what a `GuardDuty Finding` event carries in `detail`) in its
 * account and region; a repeat updates it (GuardDuty's count and severity), never its archived state
 * unless the event says archived.
 */
export function recordGuardDutyFinding(
  world: World,
  detail: Record<string, unknown>,
): GuardDutyFinding | undefined {
  const id = typeof detail.id === 'string' ? detail.id : undefined;
  const account = typeof detail.accountId === 'string' ? detail.accountId : undefined;
  const region = typeof detail.region === 'string' ? detail.region : undefined;
  if (!id || !account || !/^\d{12}$/.test(account) || !region) return undefined;
  const state = world.region(account, region);
  const known = state.guardDutyFindings.get(id);
  const archived = (detail.service as { archived?: unknown } | undefined)?.archived === true;
  const finding: GuardDutyFinding = {
    id,
    arn: typeof detail.arn === 'string' ? detail.arn : guardDutyFindingArn(account, region, id),
    type: String(detail.type ?? ''),
    severity: Number(detail.severity ?? 0),
    archived: archived || (known?.archived ?? false),
    ...(known?.archivedBy ? { archivedBy: known.archivedBy, archivedAt: known.archivedAt } : {}),
  };
  state.guardDutyFindings.set(id, finding);
  return finding;
}

const GUARDDUTY_ARN = /^arn:aws[a-z-]*:guardduty:([a-z0-9-]+):(\d{12}):detector\/[^/]+\/finding\/([^/]+)$/;

/**
 * The GuardDuty findings an EventBridge event carries, as GuardDuty holds them (`detail` shape): a
 * `GuardDuty Finding`'s detail, and the GuardDuty findings Security Hub passes on (CSPM: Id is the GuardDuty
 * ARN; OCSF: finding_info.uid is). GuardDuty produced each of them, whichever way the event came.
 */
export function guardDutyFindingsOf(event: unknown): Record<string, unknown>[] {
  const e = event as { source?: unknown; detail?: Record<string, unknown> } | null;
  if (!e?.detail || typeof e.detail !== 'object') return [];
  if (e.source === 'aws.guardduty') return [e.detail];
  if (e.source !== 'aws.securityhub' || !Array.isArray(e.detail.findings)) return [];
  // biome-ignore lint/suspicious/noExplicitAny: findings of two formats (ASFF, OCSF), read field by field
  return (e.detail.findings as Record<string, any>[]).flatMap((f) => {
    const arn = String(f?.Id ?? f?.finding_info?.uid ?? '');
    const parsed = GUARDDUTY_ARN.exec(arn);
    if (!parsed) return [];
    const severity = typeof f.Severity?.Product === 'number' ? f.Severity.Product : (f.severity_id ?? 0);
    const type = f.Types?.[0] ?? f.finding_info?.types?.at(-1) ?? '';
    return [{ id: parsed[3], accountId: parsed[2], region: parsed[1], arn, type, severity }];
  });
}

/** The findings the caller's detector sees in its region: an administrator's, every account's. */
function visibleFindings(world: World, caller: { account: string; region: string }, administrator: boolean) {
  const states: RegionState[] = [];
  for (const account of world.accounts.values()) {
    if (!administrator && account.id !== caller.account) continue;
    const state = account.regions.get(caller.region);
    if (state) states.push(state);
  }
  return (id: string) => {
    for (const state of states) {
      const found = state.guardDutyFindings.get(id);
      if (found) return found;
    }
    return undefined;
  };
}

export const guardDutyHandlers: HandlerTable = {
  ListDetectorsCommand: handler<GuardDuty.ListDetectorsCommandInput, GuardDuty.ListDetectorsCommandOutput>(
    (ctx) => ({ DetectorIds: [guardDutyDetectorId(ctx.caller.account, ctx.caller.region)] }),
  ),
  ArchiveFindingsCommand: handler<
    GuardDuty.ArchiveFindingsCommandInput,
    GuardDuty.ArchiveFindingsCommandOutput
  >((ctx, input) => {
    const detectorId = input.DetectorId ?? '';
    if (detectorId.length < 1 || detectorId.length > 300)
      ctx.fail('BadRequestException', 'The request is rejected because the input detectorId is not valid.');
    if (detectorId !== guardDutyDetectorId(ctx.caller.account, ctx.caller.region))
      ctx.fail(
        'BadRequestException',
        'The request is rejected because the input detectorId is not owned by the current account.',
      );
    const ids = input.FindingIds as string[];
    if (!Array.isArray(ids) || ids.length > 50 || ids.some((id) => !id || id.length > 300))
      ctx.fail(
        'BadRequestException',
        'The request is rejected because an invalid or out-of-range value is specified as an input parameter.',
      );
    const administrator = ctx.caller.account === ctx.org.securityAccount;
    if (!administrator)
      ctx.fail(
        'BadRequestException',
        'The request is rejected because a member account cannot archive findings; only the administrator account can.',
      );
    const find = visibleFindings(ctx.world, ctx.caller, administrator);
    const findings = ids.map(
      (id): GuardDutyFinding =>
        find(id) ??
        ctx.fail(
          'BadRequestException',
          `The request is rejected because the input findingId ${id} is not valid for detector ${detectorId}.`,
        ),
    );
    for (const finding of findings) {
      finding.archived = true;
      finding.archivedBy = ctx.caller.arn;
      finding.archivedAt = ctx.now().toISOString();
    }
    return {};
  }),
};
