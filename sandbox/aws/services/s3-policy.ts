/**
 * Bucket policies as S3 evaluates them, for the simulated evidence bucket. The policy is the one the deploy
 * writes (`deploy/constructs/evidence-bucket.ts`, synthesized into `sandbox/aws/evidence-policy.json` and
 * resolved here for the simulated accounts), so a statement that would refuse an upload in AWS refuses it
 * here too.
 *
 * Evaluated as IAM documents it: explicit Deny wins; a request of the bucket owner's account needs an Allow
 * in the bucket policy or in its identity policy; any other account needs both. Conditions use AWS's rules
 * for a key missing from the request: a positive operator (`StringEquals`, `Bool`, `ArnLike`, …) is false,
 * a negated one (`StringNotEquals`, `StringNotLike`, `ArnNotLike`) is true, `…IfExists` is true, `Null`
 * tests the absence itself. An operator this evaluator does not know is an error, never skipped.
 */
import { globMatch } from '../policy.js';

type Value = string | string[];

export interface BucketPolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS?: Value; Service?: Value };
  NotPrincipal?: { AWS?: Value };
  Action?: Value;
  NotAction?: Value;
  Resource?: Value;
  NotResource?: Value;
  Condition?: Record<string, Record<string, Value | boolean>>;
}

export interface BucketPolicy {
  Version?: string;
  Statement: BucketPolicyStatement[];
}

/** One S3 request as the policy sees it. */
export interface S3PolicyRequest {
  /** IAM action, e.g. `s3:PutObject` (multipart calls are authorized as `s3:PutObject` too). */
  action: string;
  /** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
  resource: string;
  /** The caller's account and ARN (an assumed-role session's ARN: its role ARN is the principal). */
  principal: { account: string; arn: string };
  /** Condition keys of the request (`aws:SecureTransport`, `s3:x-amz-server-side-encryption`, …). */
  context: Record<string, string | undefined>;
}

export type PolicyDecision = 'Allow' | 'Deny' | 'Implicit';

const list = (v: Value | boolean | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];

/** The IAM principal behind a caller: `arn:aws:sts::A:assumed-role/R/S` is `arn:aws:iam::A:role/R`. */
export function principalArn(arn: string): string {
  const m = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}

/** Standard context keys of a caller (the request adds its own). */
export function principalContext(principal: S3PolicyRequest['principal'], orgId: string | undefined) {
  const session = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/.exec(principal.arn)?.[1];
  return {
    'aws:PrincipalArn': principalArn(principal.arn),
    'aws:PrincipalAccount': principal.account,
    'aws:PrincipalOrgID': orgId,
    // For an EC2 instance role the session name is the instance id (what `aws:userid` ends with).
    'aws:userid': session ? `AROA${principal.account}:${session}` : undefined,
    'aws:SecureTransport': 'true',
  } as Record<string, string | undefined>;
}

function principalMatches(statement: BucketPolicyStatement, principal: S3PolicyRequest['principal']) {
  if (statement.NotPrincipal) throw new Error('NotPrincipal is not evaluated by the simulation');
  const p = statement.Principal;
  if (p === undefined)
    throw new Error(`Statement ${statement.Sid ?? ''} of a bucket policy has no Principal`);
  if (p === '*') return true;
  const role = principalArn(principal.arn);
  return list(p.AWS).some(
    (entry) =>
      entry === '*' ||
      entry === principal.account ||
      entry === `arn:aws:iam::${principal.account}:root` ||
      entry === role ||
      entry === principal.arn,
  );
  // `Service` principals (log delivery) never make the simulated calls.
}

/** `${aws:userid}`-style policy variables, replaced from the request context (no value: no match). */
function substitute(pattern: string, context: S3PolicyRequest['context']): string | undefined {
  let missing = false;
  const out = pattern.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    if (key === '*' || key === '?' || key === '$') return key;
    const v = context[key];
    if (v === undefined) missing = true;
    return v ?? '';
  });
  return missing ? undefined : out;
}

function matchesAny(
  patterns: string[],
  value: string,
  context: S3PolicyRequest['context'],
  ignoreCase = false,
) {
  return patterns.some((p) => {
    const resolved = substitute(p, context);
    return resolved !== undefined && globMatch(resolved, value, ignoreCase);
  });
}

const NEGATED = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
]);
const OPERATORS = new Set([
  'StringEquals',
  'StringEqualsIgnoreCase',
  'StringLike',
  'ArnEquals',
  'ArnLike',
  'Bool',
  'Null',
  ...NEGATED,
]);

function compare(base: string, wanted: string[], actual: string, context: S3PolicyRequest['context']) {
  const exact = (ignoreCase: boolean) =>
    wanted.some((w) => {
      const v = substitute(w, context);
      return v !== undefined && (ignoreCase ? v.toLowerCase() === actual.toLowerCase() : v === actual);
    });
  switch (base) {
    case 'StringEquals':
    case 'ArnEquals':
    case 'Bool':
      return exact(base === 'Bool');
    case 'StringEqualsIgnoreCase':
      return exact(true);
    case 'StringLike':
    case 'ArnLike':
      return matchesAny(wanted, actual, context);
    case 'StringNotEquals':
    case 'ArnNotEquals':
      return !exact(false);
    case 'StringNotEqualsIgnoreCase':
      return !exact(true);
    case 'StringNotLike':
    case 'ArnNotLike':
      return !matchesAny(wanted, actual, context);
    default:
      throw new Error(`Condition operator ${base} is not evaluated by the simulation`);
  }
}

/** Whether every condition of a statement holds for the request (AND of operators and of keys). */
export function conditionsHold(
  conditions: BucketPolicyStatement['Condition'],
  context: S3PolicyRequest['context'],
): boolean {
  for (const [operator, keys] of Object.entries(conditions ?? {})) {
    if (/^For(Any|All)Value:/.test(operator))
      throw new Error(`Condition operator ${operator} is not evaluated by the simulation`);
    const ifExists = operator.endsWith('IfExists');
    const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
    if (!OPERATORS.has(base))
      throw new Error(`Condition operator ${operator} is not evaluated by the simulation`);
    for (const [key, wanted] of Object.entries(keys)) {
      const actual = context[key];
      if (base === 'Null') {
        const wantsAbsent = list(wanted)[0] === 'true';
        if ((actual === undefined) !== wantsAbsent) return false;
        continue;
      }
      if (actual === undefined) {
        // AWS: missing key -> IfExists true, negated operators true, positive operators false.
        if (ifExists || NEGATED.has(base)) continue;
        return false;
      }
      if (!compare(base, list(wanted), actual, context)) return false;
    }
  }
  return true;
}

function actionMatches(s: BucketPolicyStatement, action: string): boolean {
  if (s.Action !== undefined) return list(s.Action).some((a) => globMatch(a, action, true));
  if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => globMatch(a, action, true));
  return false;
}

function resourceMatches(s: BucketPolicyStatement, request: S3PolicyRequest): boolean {
  if (s.Resource !== undefined) return matchesAny(list(s.Resource), request.resource, request.context);
  if (s.NotResource !== undefined) return !matchesAny(list(s.NotResource), request.resource, request.context);
  return false;
}

/** The bucket policy's own decision for one request (before combining with the identity policy). */
export function evaluateBucketPolicy(
  policy: BucketPolicy,
  request: S3PolicyRequest,
): {
  decision: PolicyDecision;
  statement?: string;
} {
  let allow: string | undefined;
  for (const [i, s] of policy.Statement.entries()) {
    if (!principalMatches(s, request.principal)) continue;
    if (!actionMatches(s, request.action) || !resourceMatches(s, request)) continue;
    if (!conditionsHold(s.Condition, request.context)) continue;
    const name = s.Sid ?? `Statement[${i}]`;
    if (s.Effect === 'Deny') return { decision: 'Deny', statement: name };
    allow ??= name;
  }
  return allow ? { decision: 'Allow', statement: allow } : { decision: 'Implicit' };
}

/**
 * Whether S3 admits the request: no explicit Deny, and an Allow where AWS needs one (the bucket policy
 * alone for the owner's account when its identity policy says nothing; both across accounts).
 */
export function bucketAdmits(
  policy: BucketPolicy,
  request: S3PolicyRequest,
  owner: string,
  identityAllows: boolean,
): { admitted: boolean; reason: string } {
  const { decision, statement } = evaluateBucketPolicy(policy, request);
  if (decision === 'Deny')
    return { admitted: false, reason: `explicit deny in the bucket policy (${statement})` };
  if (request.principal.account === owner) {
    if (decision === 'Allow' || identityAllows) return { admitted: true, reason: 'same account' };
    return { admitted: false, reason: 'no Allow in the bucket policy or the identity policy' };
  }
  if (decision !== 'Allow')
    return { admitted: false, reason: 'no Allow for this account in the bucket policy' };
  if (!identityAllows) return { admitted: false, reason: 'no Allow in the identity policy' };
  return { admitted: true, reason: `allowed by ${statement}` };
}

/**
 * Resolves the CloudFormation intrinsics of a synthesized policy (`Ref`, `Fn::GetAtt …Arn`, `Fn::Join`)
 * and `{{Name}}` placeholders with the given values. Anything else is an error: a policy this cannot
 * resolve would be evaluated wrongly.
 */
export function resolveIntrinsics(value: unknown, values: Record<string, string>): unknown {
  if (typeof value === 'string')
    return value.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const v = values[name];
      if (v === undefined) throw new Error(`No value for {{${name}}} in the bucket policy`);
      return v;
    });
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, values));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      if (fn === 'Ref') {
        const v = values[String(arg)];
        if (v === undefined) throw new Error(`No value for Ref ${String(arg)} in the bucket policy`);
        return v;
      }
      if (fn === 'Fn::GetAtt') {
        const [id, attr] = arg as [string, string];
        const v = values[`${id}.${attr}`];
        if (v === undefined) throw new Error(`No value for Fn::GetAtt ${id}.${attr} in the bucket policy`);
        return v;
      }
      if (fn === 'Fn::Join') {
        const [sep, parts] = arg as [string, unknown[]];
        return parts.map((p) => resolveIntrinsics(p, values)).join(sep);
      }
      if (fn.startsWith('Fn::')) throw new Error(`${fn} is not resolved by the simulation`);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, values)]));
  }
  return value;
}
