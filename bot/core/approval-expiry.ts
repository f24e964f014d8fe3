import type { CaseRecord } from './case-model.js';
import { approvalSettings } from './settings.js';

/**
 * True once `APPROVAL_EXPIRE_MINUTES` have passed since the cycle's first request (of a case or an incident). One rule, read by the
 * Slack side (a late click expires the request) and by the workflow (the reminder loop ends).
 */
export function approvalExpired(
  record: Pick<CaseRecord, 'approvalRequestedAt'>,
  now: number = Date.now(),
): boolean {
  if (!record.approvalRequestedAt) return false;
  return now >= Date.parse(record.approvalRequestedAt) + approvalSettings().APPROVAL_EXPIRE_MINUTES * 60_000;
}
