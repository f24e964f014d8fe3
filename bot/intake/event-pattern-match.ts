/**
 * EventBridge's pattern matching, for the parts of the content-filtering syntax the intake rules use, with
 * the reason an event is not matched. Used by the sandbox (which routes events as the deployed rules do)
 * and the tests; the deployed rules are matched by EventBridge itself.
 *
 * Semantics (EventBridge's): a pattern field is a list of allowed values (any one matches) or an object to
 * descend into; `$or` is a list of alternative patterns at that level. An event value that is an array
 * matches when any element does; a nested pattern over an array of objects must match within one element
 * (EventBridge is array-consistent). Filters: exact values (strings, numbers, booleans, null), `prefix`,
 * `suffix`, `equals-ignore-case`, `numeric` ranges, `anything-but` (values, or a prefix/suffix), `exists`. A
 * field of the pattern that the event lacks never matches, except `exists: false`. A filter this module
 * does not know throws: a pattern must never be matched more loosely here than in AWS.
 */

/** An event pattern as EventBridge takes it (`detail-type`, not CDK's `detailType`). */
export type EventPattern = { readonly [key: string]: unknown };

type Json = Record<string, unknown>;

export interface MatchResult {
  matched: boolean;
  /** How many leaf conditions held before the first miss: the closest rule is the one with most. */
  score: number;
  /** Why not, naming the field (`detail.severity is 2, not >= 7`). */
  reason?: string;
}

export class UnsupportedPatternError extends Error {
  override name = 'UnsupportedPatternError';
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function describeFilter(filter: unknown): string {
  if (!isObject(filter)) return show(filter);
  if ('numeric' in filter) {
    const ops = filter.numeric as unknown[];
    const parts: string[] = [];
    for (let i = 0; i < ops.length; i += 2) parts.push(`${ops[i]} ${ops[i + 1]}`);
    return parts.join(' and ');
  }
  if ('prefix' in filter) return `prefix ${show(filter.prefix)}`;
  if ('suffix' in filter) return `suffix ${show(filter.suffix)}`;
  if ('equals-ignore-case' in filter) return `${show(filter['equals-ignore-case'])} (any case)`;
  if ('anything-but' in filter) {
    const not = filter['anything-but'];
    return `anything but ${Array.isArray(not) ? not.map(show).join(', ') : describeFilter(not)}`;
  }
  if ('exists' in filter) return filter.exists ? 'present' : 'absent';
  return show(filter);
}

const describeAllowed = (allowed: unknown[]): string =>
  allowed.length === 1 ? describeFilter(allowed[0]) : `one of ${allowed.map(describeFilter).join(', ')}`;

function matchesFilter(filter: unknown, value: unknown): boolean {
  if (!isObject(filter)) return value === filter;
  const keys = Object.keys(filter);
  if (keys.length !== 1) throw new UnsupportedPatternError(`filter not supported: ${show(filter)}`);
  if ('numeric' in filter) {
    if (typeof value !== 'number') return false;
    const ops = filter.numeric as unknown[];
    for (let i = 0; i < ops.length; i += 2) {
      const n = ops[i + 1] as number;
      const ok = { '>': value > n, '>=': value >= n, '<': value < n, '<=': value <= n, '=': value === n }[
        ops[i] as string
      ];
      if (ok === undefined) throw new UnsupportedPatternError(`numeric operator ${show(ops[i])}`);
      if (!ok) return false;
    }
    return true;
  }
  if ('prefix' in filter) return typeof value === 'string' && value.startsWith(String(filter.prefix));
  if ('suffix' in filter) return typeof value === 'string' && value.endsWith(String(filter.suffix));
  if ('equals-ignore-case' in filter)
    return (
      typeof value === 'string' && value.toLowerCase() === String(filter['equals-ignore-case']).toLowerCase()
    );
  if ('anything-but' in filter) {
    const not = filter['anything-but'];
    if (isObject(not)) {
      if (!('prefix' in not) && !('suffix' in not))
        throw new UnsupportedPatternError(`anything-but filter not supported: ${show(not)}`);
      return !matchesFilter(not, value) && typeof value === 'string';
    }
    return !(Array.isArray(not) ? not : [not]).includes(value);
  }
  throw new UnsupportedPatternError(`filter not supported: ${show(filter)}`);
}

function matchLeaf(allowed: unknown[], value: unknown, path: string): MatchResult {
  const exists = allowed.find((a) => isObject(a) && 'exists' in a) as { exists: boolean } | undefined;
  if (exists) {
    if (allowed.length > 1) throw new UnsupportedPatternError(`${path}: exists mixed with other filters`);
    const present = value !== undefined;
    return present === exists.exists
      ? { matched: true, score: 1 }
      : { matched: false, score: 0, reason: `${path} is ${present ? 'present' : 'missing'}` };
  }
  if (value === undefined) return { matched: false, score: 0, reason: `${path} is missing` };
  const values = Array.isArray(value) ? value : [value];
  if (values.some((v) => allowed.some((a) => matchesFilter(a, v)))) return { matched: true, score: 1 };
  return { matched: false, score: 0, reason: `${path} is ${show(value)}, not ${describeAllowed(allowed)}` };
}

function matchField(rule: unknown, value: unknown, path: string): MatchResult {
  if (Array.isArray(rule)) return matchLeaf(rule, value, path);
  if (!isObject(rule)) throw new UnsupportedPatternError(`${path}: a pattern field is a list or an object`);
  const candidates = (Array.isArray(value) ? value : [value]).filter(isObject);
  if (!candidates.length) return { matched: false, score: 0, reason: `${path} is missing` };
  let best: MatchResult | undefined;
  for (const candidate of candidates) {
    const r = matchObject(rule, candidate, `${path}.`);
    if (r.matched) return r;
    if (!best || r.score > best.score) best = r;
  }
  return best!;
}

function matchOr(alternatives: unknown, value: Json, path: string): MatchResult {
  if (!Array.isArray(alternatives) || alternatives.length < 2 || !alternatives.every(isObject))
    throw new UnsupportedPatternError(`${path}$or must list at least two patterns`);
  const results = alternatives.map((alternative) => matchObject(alternative, value, path));
  const hit = results.find((r) => r.matched);
  if (hit) return hit;
  return {
    matched: false,
    score: Math.max(...results.map((r) => r.score)),
    reason: `none of: ${results.map((r) => r.reason).join('; or ')}`,
  };
}

function matchObject(pattern: Json, value: Json, path: string): MatchResult {
  let score = 0;
  for (const [key, rule] of Object.entries(pattern)) {
    const r = key === '$or' ? matchOr(rule, value, path) : matchField(rule, value[key], `${path}${key}`);
    score += r.score;
    if (!r.matched) return { matched: false, score, reason: r.reason };
  }
  return { matched: true, score };
}

/** Whether EventBridge would deliver `event` to a rule with this pattern, and if not, why. */
export function matchEvent(pattern: EventPattern, event: unknown): MatchResult {
  if (!isObject(event)) return { matched: false, score: 0, reason: 'the event is not an object' };
  return matchObject(pattern as Json, event, '');
}

export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return matchEvent(pattern, event).matched;
}

export interface RoutingResult<Name extends string> {
  /** The rules that match, in the order given. */
  matched: Name[];
  /** When none matches: the rule that came closest, and why it did not match. */
  closest?: { rule: Name; reason: string };
}

/** Evaluates every rule against the event, as EventBridge does on one bus. */
export function routeEvent<Name extends string>(
  rules: Partial<Record<Name, EventPattern>>,
  event: unknown,
): RoutingResult<Name> {
  const matched: Name[] = [];
  let closest: { rule: Name; reason: string; score: number } | undefined;
  for (const [rule, pattern] of Object.entries(rules) as [Name, EventPattern][]) {
    const r = matchEvent(pattern, event);
    if (r.matched) matched.push(rule);
    else if (!closest || r.score > closest.score)
      closest = { rule, reason: r.reason ?? 'no match', score: r.score };
  }
  if (matched.length || !closest) return { matched };
  return { matched, closest: { rule: closest.rule, reason: closest.reason } };
}
