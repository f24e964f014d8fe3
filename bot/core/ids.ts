/**
 * Identifier formats, each validated by exactly one regular expression wherever an id enters the system
 * (button values, slash commands, workflow input, anything that reaches an SSM command or an S3 key).
 */

/** Crockford base32 without I, L, O, U. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const CASE_ID_RE = /^CASE-\d{8}-[0-9A-HJKMNP-TV-Z]{4}$/;
/** An incident: one attack over many instances, each a case of its own (bot/incidents/). */
export const INCIDENT_ID_RE = /^INC-\d{8}-[0-9A-HJKMNP-TV-Z]{4}$/;
export const INSTANCE_ID_RE = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const ACCOUNT_ID_RE = /^\d{12}$/;
export const REGION_RE = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
/** S3 bucket names as AWS allows them (no dots, to stay valid for virtual-hosted TLS). */
export const BUCKET_RE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** The execution of a retry of a failed case: `<caseId>-retry-<n>` (the case workflow again). */
export const retryExecutionName = (caseId: string, attempt: number): string => `${caseId}-retry-${attempt}`;
export const isRetryExecutionOf = (name: string, caseId: string): boolean =>
  new RegExp(`^${caseId}-retry-\\d{1,4}$`).test(name) && CASE_ID_RE.test(caseId);

/** A DNS name as the finding's indicators and the examination's `--ioc` take it (at least one dot, a TLD). */
export const DOMAIN_RE = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$/i;
export const isDomain = (v: unknown): v is string => typeof v === 'string' && DOMAIN_RE.test(v);

export const isCaseId = (v: unknown): v is string => typeof v === 'string' && CASE_ID_RE.test(v);
export const isIncidentId = (v: unknown): v is string => typeof v === 'string' && INCIDENT_ID_RE.test(v);
export const isInstanceId = (v: unknown): v is string => typeof v === 'string' && INSTANCE_ID_RE.test(v);
export const isAccountId = (v: unknown): v is string => typeof v === 'string' && ACCOUNT_ID_RE.test(v);
export const isRegion = (v: unknown): v is string => typeof v === 'string' && REGION_RE.test(v);

/**
 * A new case id for the given day: `CASE-YYYYMMDD-XXXX`. The day is UTC so that ids sort the same
 * wherever the bot runs; four random Crockford characters give 1,048,576 ids a day, and the conditional
 * write that opens a case catches the rare collision.
 */
export function newCaseId(now: Date = new Date(), random: () => number = Math.random): string {
  return `CASE-${dayAndSuffix(now, random)}`;
}

/** A new incident id, `INC-YYYYMMDD-XXXX`, drawn as case ids are. */
export function newIncidentId(now: Date = new Date(), random: () => number = Math.random): string {
  return `INC-${dayAndSuffix(now, random)}`;
}

function dayAndSuffix(now: Date, random: () => number): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  let suffix = '';
  for (let i = 0; i < 4; i++) suffix += CROCKFORD_ALPHABET[Math.floor(random() * 32) % 32];
  return `${day}-${suffix}`;
}
