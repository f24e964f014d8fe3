import type { CaseRecord } from '../../bot/core/case-model.js';
import type { CaseOutcome } from '../../bot/core/case-story.js';

/** "3 critical, 25 high findings" (the words the card, the closing line and the manifest share). */
export function examinedWords(counts: Record<string, number> | undefined): string {
  const c = counts ?? {};
  return `examined: ${c.critical ?? 0} critical, ${c.high ?? 0} high findings`;
}

/**
 * The skip of a case without raw disk images (DISK_IMAGE=off, or a disk acquisition that failed, which the
 * case already says): nothing was planned to be examined, so nothing is said missing twice.
 */
export const NO_IMAGE_REASON =
  'examination skipped: no raw disk image was acquired (DISK_IMAGE=off, or the disk acquisition failed); the snapshots are the disk evidence';

/**
 * Why the case's evidence was not examined, or undefined when it was (or there was nothing to examine:
 * no raw image was planned, e.g. a denied containment that acquired nothing).
 */
export function notExaminedWhy(record: CaseRecord): string | undefined {
  const e = record.examination;
  if (e)
    return e.status === 'completed' || e.reason === NO_IMAGE_REASON
      ? undefined
      : (e.reason ?? `examination ${e.status}`);
  if (record.artifacts.some((a) => a.kind === 'disk-image'))
    return 'examination failed: the examination step ended without recording a result';
  return undefined;
}

/**
 * The case's outcome with its examination (issue 12): a completed examination is said with its counts;
 * a skipped one is said (the evidence is complete, its examination was not possible here); a failed one
 * makes the case `evidence-incomplete` with the reason among what is missing, so it never looks complete.
 * Containment is whatever it was: an examination never changes it.
 */
export function withExamination(outcome: CaseOutcome, record: CaseRecord): CaseOutcome {
  const e = record.examination;
  if (e?.status === 'completed') return { ...outcome, text: `${outcome.text}; ${examinedWords(e.counts)}` };
  const why = notExaminedWhy(record);
  if (!why) return outcome;
  if (e?.status === 'skipped') return { ...outcome, text: `${outcome.text}; ${why}` };
  return {
    status: outcome.status === 'evidence-secured' ? 'evidence-incomplete' : outcome.status,
    text: `${outcome.text}; ${why}`,
    missing: [...outcome.missing, why],
  };
}
