import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { type Finding, fingerprintOf } from '../core/finding.js';
import { formatPath } from '../findings/normalize.js';

/**
 * The contract between a finding card's buttons and the listeners: the action ids they register and the
 * value a button carries back.
 */

/** Action ids the Slack listeners register (exactly these). */
export const FINDING_ACTIONS = {
  analyze: 'case.analyze',
  contain: 'case.contain',
  dismiss: 'finding.dismiss',
} as const;
/** Link buttons still send a block_actions payload: listeners should acknowledge `/^finding\.link\./`. */
export const FINDING_LINK_ACTION_PREFIX = 'finding.link.';

/**
 * What a card button carries back: the finding's fingerprint, nothing else. The listener loads the finding
 * from the table, so nothing a client sends back (or edits) decides which instance a case acts on.
 */
export const FindingButtonValueSchema = z.object({
  f: z.string().regex(/^[0-9a-f]{32}$/, 'not a finding fingerprint'),
});
export type FindingButtonValue = z.infer<typeof FindingButtonValueSchema>;

/** Parses and validates a button value; throws InvalidInputError naming the failing field. */
export function parseFindingButtonValue(value: unknown): FindingButtonValue {
  let json: unknown;
  try {
    json = typeof value === 'string' ? JSON.parse(value) : undefined;
  } catch {
    json = undefined;
  }
  if (json === undefined) throw new InvalidInputError('the button value is not JSON', 'value');
  const parsed = FindingButtonValueSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(
      `the button value is invalid: ${issue.message}`,
      formatPath('value', issue.path),
    );
  }
  return parsed.data;
}

/** The compact JSON a button carries. */
export function findingButtonValue(finding: Finding, fingerprint?: string): string {
  return JSON.stringify({ f: fingerprint ?? fingerprintOf(finding) } satisfies FindingButtonValue);
}
