import type { CaseRecord } from '../core/case-model.js';
import { audit } from '../core/case-store.js';
import { startWorkstation } from '../workflow-client.js';

/**
 * An investigator's workstation for a case (issue 12, item 4): a forensic worker with the case's evidence,
 * reachable through Session Manager only, terminated after `hours`. Asked for with `/forensics workstation`
 * or the examination summary's button; both end here, so both check and audit the same. Returns what the
 * asker is told (only they see it).
 */
/** A workstation's lifetime when none is asked for (the button's; `/forensics workstation CASE-ID <hours>`, 1–24). */
export const WORKSTATION_DEFAULT_HOURS = 4;

export async function openWorkstation(record: CaseRecord, hours: number, userId: string): Promise<string> {
  if (record.status === 'closed') return `${record.id} is closed: no workstation.`;
  if (!record.artifacts.some((a) => a.kind === 'disk-image'))
    return `${record.id} has no raw disk image yet: nothing to put on a workstation.`;
  const { executionArn } = await startWorkstation(record, hours, userId);
  await audit({
    caseId: record.id,
    actor: userId,
    action: 'workstation.start',
    outcome: 'ok',
    detail: `${hours} h, ${executionArn.split(':').pop()}`,
  });
  return `A forensic workstation for ${record.id} is starting (${hours} h): the case thread says when it is ready and how to open it (Session Manager only).`;
}
