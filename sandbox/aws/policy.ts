/**
 * Just enough IAM policy evaluation to enforce what the workflows rely on: a session policy passed to
 * AssumeRole narrows the role (e.g. PutObject only under the case's prefix); an explicit Deny wins.
 * Supports Effect, Action/NotAction and Resource with `*` and `?` wildcards; statements with a Condition
 * are skipped (not evaluated), so a conditional deny such as `aws:TokenIssueTime` is recorded, not applied.
 */
import { z } from 'zod';

const stringOrList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]));

const statementSchema = z.looseObject({
  Effect: z.enum(['Allow', 'Deny']),
  Action: stringOrList.optional(),
  NotAction: stringOrList.optional(),
  Resource: stringOrList.optional(),
});

const policySchema = z.looseObject({
  Version: z.string().optional(),
  Statement: z
    .union([statementSchema, z.array(statementSchema)])
    .transform((v) => (Array.isArray(v) ? v : [v])),
});

export type PolicyDocument = z.infer<typeof policySchema>;

/** Parses a policy JSON document; returns an error text when it is not one. */
export function parsePolicy(text: string): PolicyDocument | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'The policy is not valid JSON';
  }
  const parsed = policySchema.safeParse(json);
  return parsed.success
    ? parsed.data
    : `The policy is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
}

/** `*` and `?` glob, case-insensitive for actions. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, ignoreCase ? 'i' : '').test(value);
}

/** 'Allow' | 'Deny' | 'Implicit' for `action` on `resource` under `policy`. */
export function evaluate(
  policy: PolicyDocument,
  action: string,
  resource: string,
): 'Allow' | 'Deny' | 'Implicit' {
  let allowed = false;
  for (const s of policy.Statement) {
    // Conditions are not evaluated: such a statement is left out rather than applied unconditionally.
    if (s.Condition !== undefined) continue;
    const actionMatches = s.Action
      ? s.Action.some((a) => globMatch(a, action, true))
      : s.NotAction
        ? !s.NotAction.some((a) => globMatch(a, action, true))
        : false;
    const resourceMatches = (s.Resource ?? ['*']).some((r) => globMatch(r, resource));
    if (!actionMatches || !resourceMatches) continue;
    if (s.Effect === 'Deny') return 'Deny';
    allowed = true;
  }
  return allowed ? 'Allow' : 'Implicit';
}

/** Whether a list of allowed action and resource patterns (a role's identity policy, simplified) allows. */
export function patternsAllow(
  allows: { actions: string[]; resources: string[] },
  action: string,
  resource: string,
) {
  return (
    allows.actions.some((a) => globMatch(a, action, true)) &&
    allows.resources.some((r) => globMatch(r, resource))
  );
}
