/**
 * EC2-style `Filters` (`[{ Name, Values }]`): a resource matches when every filter has a value that
 * matches (values may use `*` and `?`). Each resource type names the filters it supports; an unknown
 * filter name fails as EC2 does, so a typo in the steps shows up in tests.
 */
import type { Filter } from '@aws-sdk/client-ec2';
import type { CallContext } from './handler.js';
import { globMatch } from './policy.js';
import type { Tags } from './world.js';

/** Values of a named filter for one resource (several when the resource has several, e.g. group ids). */
export type FilterFields<T> = Record<string, (item: T) => (string | undefined)[] | string | undefined>;

export function applyFilters<T extends object>(
  ctx: CallContext,
  items: T[],
  filters: Filter[] | undefined,
  fields: FilterFields<T>,
): T[] {
  let result = items;
  for (const filter of filters ?? []) {
    const name = filter.Name ?? '';
    const wanted = filter.Values ?? [];
    let get: ((item: T) => (string | undefined)[] | string | undefined) | undefined = fields[name];
    if (!get && name.startsWith('tag:')) get = (item) => (item as { tags?: Tags }).tags?.[name.slice(4)];
    if (!get && name === 'tag-key') get = (item) => Object.keys((item as { tags?: Tags }).tags ?? {});
    if (!get) ctx.fail('InvalidParameterValue', `The filter '${name}' is invalid`);
    result = result.filter((item) => {
      const raw = get!(item);
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => v !== undefined);
      return values.some((value) => wanted.some((w) => globMatch(w, value)));
    });
  }
  return result;
}

/** Looks up ids, failing with `<Code>.NotFound` naming the missing one (as EC2 does). */
export function byIds<T>(
  ctx: CallContext,
  map: Map<string, T>,
  ids: string[] | undefined,
  notFound: (id: string) => [string, string],
  visible: (item: T) => boolean = () => true,
): T[] {
  if (!ids || ids.length === 0) return [...map.values()].filter(visible);
  return ids.map((id) => {
    const item = map.get(id);
    if (!item || !visible(item)) {
      const [code, message] = notFound(id);
      ctx.fail(code, message);
    }
    return item!;
  });
}
