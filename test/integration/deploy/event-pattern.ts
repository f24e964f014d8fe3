/**
 * EventBridge's matching rules, for the parts of the content-filtering syntax the stacks use: a pattern
 * field is a list of allowed values (any one matches), or an object to descend into; an event field that
 * is an array matches when any element does; `{ numeric: [op, n, …] }`, `{ prefix }`, `{ exists }` and
 * `{ 'anything-but': [...] }` filters. Keys of the pattern missing from the event never match (unless
 * `exists: false`). Enough to check the rules against real sample events offline.
 */
type Json = Record<string, unknown>;

function matchesFilter(filter: unknown, value: unknown): boolean {
  if (filter === null || typeof filter !== 'object') return value === filter;
  const f = filter as Json;
  if ('numeric' in f) {
    if (typeof value !== 'number') return false;
    const ops = f.numeric as (string | number)[];
    for (let i = 0; i < ops.length; i += 2) {
      const n = ops[i + 1] as number;
      const ok = { '>': value > n, '>=': value >= n, '<': value < n, '<=': value <= n, '=': value === n }[
        ops[i] as string
      ];
      if (!ok) return false;
    }
    return true;
  }
  if ('prefix' in f) return typeof value === 'string' && value.startsWith(f.prefix as string);
  if ('anything-but' in f) {
    const not = f['anything-but'];
    return !(Array.isArray(not) ? not : [not]).includes(value);
  }
  throw new Error(`filter not supported here: ${JSON.stringify(filter)}`);
}

function matchesValues(allowed: unknown[], value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) =>
    allowed.some((a) =>
      a !== null && typeof a === 'object' && 'exists' in (a as Json) ? false : matchesFilter(a, v),
    ),
  );
}

export function matchesPattern(pattern: Json, event: Json): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    const value = event[key];
    if (Array.isArray(rule)) {
      const exists = rule.find(
        (r): r is { exists: boolean } => !!r && typeof r === 'object' && 'exists' in r,
      );
      if (exists) {
        if ((value !== undefined) !== exists.exists) return false;
        continue;
      }
      if (value === undefined || !matchesValues(rule, value)) return false;
    } else if (rule && typeof rule === 'object') {
      const nested = Array.isArray(value) ? value : [value];
      if (!nested.some((v) => v && typeof v === 'object' && matchesPattern(rule as Json, v as Json)))
        return false;
    } else {
      throw new Error(`pattern field ${key} must be a list or an object`);
    }
  }
  return true;
}
