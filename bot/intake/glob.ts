/**
 * The one wildcard the intake's settings and rules take (finding types, tag values): `*` matches any run of
 * characters, everything else is literal, case-insensitive. The whole value must match.
 */
export function matchesGlob(value: string, pattern: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*');
  return new RegExp(`^${escaped}$`, 'i').test(value);
}
