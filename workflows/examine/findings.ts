import { createHash } from 'node:crypto';

/**
 * A finding of the examination, as `findings.json` carries it (shared/DESIGN.md, "Examination contract").
 * Categories follow what a responder asks first (issue 12): is the actor still active, how did they get
 * in, persistence, credentials at risk, what was executed; then malware and integrity.
 */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CATEGORIES = [
  'activity',
  'access',
  'persistence',
  'credentials',
  'execution',
  'malware',
  'integrity',
  'ioc',
  'deleted',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Finding {
  id: string;
  category: Category;
  severity: Severity;
  title: string;
  /** The path inside the image. */
  path?: string;
  /** ISO-8601 UTC. */
  time?: string;
  evidence: string;
  /** What found it: `yara:<rule>`, `timeline`, `persistence:cron`, `history`, `authlog`, … */
  source: string;
}

export type NewFinding = Omit<Finding, 'id'>;

/** A stable id: the same trace examined twice gets the same id. */
export function findingId(f: NewFinding): string {
  const h = createHash('sha256')
    .update(`${f.source}\0${f.path ?? ''}\0${f.title}`)
    .digest('hex');
  return `EX-${h.slice(0, 10)}`;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** One lower (an unattributed hit in unallocated space is less certain than the same hit in a file). */
export function lower(s: Severity, floor: Severity = 'low'): Severity {
  const next = SEVERITIES[Math.min(severityRank(s) + 1, SEVERITIES.length - 1)]!;
  return severityRank(next) > severityRank(floor) ? floor : next;
}

/** Ids given, duplicates (same id) merged, most severe first, then by the responder's order. */
export function finalize(found: NewFinding[]): Finding[] {
  const byId = new Map<string, Finding>();
  for (const f of found) {
    const id = findingId(f);
    const seen = byId.get(id);
    if (!seen) byId.set(id, { id, ...f });
    else if (severityRank(f.severity) < severityRank(seen.severity)) byId.set(id, { id, ...f });
  }
  return [...byId.values()].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category) ||
      (a.time ?? '').localeCompare(b.time ?? '') ||
      (a.path ?? '').localeCompare(b.path ?? ''),
  );
}

export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** Evidence text kept short and on one line per item (it goes into Slack blocks and a table). */
export function clip(text: string, max = 300): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
