import { examinationSummaryBlocks, examinationSummaryText } from '../blocks/examination-summary.js';
import { requireCase } from '../core/case-store.js';
import { postInThread, refreshCard } from './notify.js';

/**
 * Posts the examination's triage summary in the case thread and redraws the card (its status says
 * "examined: N high findings"). It comes after containment, so it never delays it; a Slack failure is
 * logged by `postInThread`, never thrown into the examination. The report file upload is not built yet.
 */
export async function postExamination(caseId: string): Promise<void> {
  const record = await requireCase(caseId);
  const e = record.examination;
  if (e?.status !== 'completed') return;
  await postInThread(record, examinationSummaryText(record.id, e), examinationSummaryBlocks(record.id, e));
  await refreshCard(record);
}
