/**
 * One severity scale for every source: a label and a score from 0 to 10.
 *
 * GuardDuty scores 0–10 (Low 1–3.9, Medium 4–6.9, High 7–8.9, Critical 9+). ASFF gives `Normalized`
 * 0–100 and/or a `Label`; the label is authoritative when present (products set it deliberately), the
 * score is Normalized / 10, and a label without a number takes the score ASFF itself assigns to it.
 */
export const SEVERITY_LABELS = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type SeverityLabel = (typeof SEVERITY_LABELS)[number];

export interface Severity {
  label: SeverityLabel;
  /** 0–10, one decimal. */
  score: number;
}

/** The lowest score of each label (ASFF's own mapping of a bare label to Normalized, divided by 10). */
const LABEL_FLOOR: Record<SeverityLabel, number> = {
  INFORMATIONAL: 0,
  LOW: 1,
  MEDIUM: 4,
  HIGH: 7,
  CRITICAL: 9,
};

const clampScore = (n: number) => Math.round(Math.min(10, Math.max(0, n)) * 10) / 10;

/** The label of a 0–10 score. */
export function labelOfScore(score: number): SeverityLabel {
  if (!Number.isFinite(score) || score < 1) return 'INFORMATIONAL';
  if (score < 4) return 'LOW';
  if (score < 7) return 'MEDIUM';
  if (score < 9) return 'HIGH';
  return 'CRITICAL';
}

/** GuardDuty's 0–10 severity. A missing or non-numeric value counts as informational. */
export function guardDutySeverity(value: unknown): Severity {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  const score = Number.isFinite(n) ? clampScore(n) : 0;
  return { label: labelOfScore(score), score };
}

/** True when the text is one of the labels (case-insensitive). */
export function isSeverityLabel(value: unknown): value is SeverityLabel {
  return typeof value === 'string' && (SEVERITY_LABELS as readonly string[]).includes(value.toUpperCase());
}

/** ASFF `Severity` ({Label?, Normalized?, Product?}): label kept, score Normalized / 10. */
export function asffSeverity(severity: { Label?: unknown; Normalized?: unknown } | undefined): Severity {
  const normalized = typeof severity?.Normalized === 'number' ? severity.Normalized : Number.NaN;
  const label = isSeverityLabel(severity?.Label)
    ? (String(severity?.Label).toUpperCase() as SeverityLabel)
    : undefined;
  if (Number.isFinite(normalized)) {
    const score = clampScore(normalized / 10);
    return { label: label ?? labelOfScore(score), score };
  }
  if (label) return { label, score: LABEL_FLOOR[label] };
  return { label: 'INFORMATIONAL', score: 0 };
}

/**
 * OCSF `severity_id` (1 Informational … 5 Critical, 6 Fatal; 0 Unknown, 99 Other), else the `severity`
 * caption: the label, scored at the label's floor as ASFF scores a bare label (Fatal is 10). Unknown and
 * Other count as informational.
 */
export function ocsfSeverity(severityId: unknown, caption: unknown): Severity {
  const byId: Record<number, SeverityLabel> = {
    1: 'INFORMATIONAL',
    2: 'LOW',
    3: 'MEDIUM',
    4: 'HIGH',
    5: 'CRITICAL',
  };
  if (severityId === 6) return { label: 'CRITICAL', score: 10 };
  const label =
    typeof severityId === 'number' && byId[severityId]
      ? byId[severityId]
      : isSeverityLabel(caption)
        ? (String(caption).toUpperCase() as SeverityLabel)
        : String(caption).toLowerCase() === 'fatal'
          ? 'CRITICAL'
          : 'INFORMATIONAL';
  return { label, score: String(caption).toLowerCase() === 'fatal' ? 10 : LABEL_FLOOR[label] };
}

/** Orders labels: -1, 0, 1 like a comparator. */
export function compareLabels(a: SeverityLabel, b: SeverityLabel): number {
  return Math.sign(SEVERITY_LABELS.indexOf(a) - SEVERITY_LABELS.indexOf(b));
}

/** True when the severity is at least the threshold (a label, or a 0–10 score). */
export function meetsThreshold(severity: Severity, threshold: SeverityLabel | number): boolean {
  if (typeof threshold === 'number') return severity.score >= threshold;
  return compareLabels(severity.label, threshold) >= 0;
}
