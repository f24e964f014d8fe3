import {
  examinationSummaryBlocks,
  examinationSummaryText,
  type NextActions,
} from '../blocks/examination-summary.js';
import type { CaseRecord } from '../core/case-model.js';
import { requireCase } from '../core/case-store.js';
import { postInThread, refreshCard } from './notify.js';
import { WORKSTATION_DEFAULT_HOURS } from './workstation.js';

/**
 * Posts the examination's triage summary in the case thread and redraws the card (its status says
 * "examined: N high findings"). It comes after containment, so it never delays it; a Slack failure is
 * logged by `postInThread`, never thrown into the examination. The report follows as a file
 * (`report-upload.ts`).
 */
export async function postExamination(caseId: string): Promise<void> {
  const record = await requireCase(caseId);
  const e = record.examination;
  if (e?.status !== 'completed') return;
  await postInThread(
    record,
    examinationSummaryText(record.id, e),
    examinationSummaryBlocks(record.id, e, nextActionsOf(record)),
  );
  await refreshCard(record);
}

const ENDED = new Set<CaseRecord['status']>(['closed', 'released']);

/**
 * The next actions a case offers under its summary: containment while it is not contained (the
 * listener re-reads the case, so a later click on a case contained meanwhile is told so), and closing as
 * a false positive while it is open, and a workstation with its evidence while it is open and has a raw disk
 * image.
 */
export function nextActionsOf(record: CaseRecord): NextActions {
  const open = !ENDED.has(record.status);
  const contained = Boolean(record.containedAt) || ['containing', 'contained'].includes(record.status);
  const imaged = record.artifacts.some((a) => a.kind === 'disk-image');
  return {
    containNow: open && !contained,
    closeFalsePositive: open,
    ...(open && imaged ? { openWorkstation: { hours: WORKSTATION_DEFAULT_HOURS } } : {}),
  };
}
