/**
 * Names of sources and destinations. The event pages show names instead of ids: each id is read once through the
 * API (`GET /sources/:id`) and cached for a minute, so a team with 10,000 sources sees every name, not only those
 * of a first page (the connection form picks them by name the same way: namePicker.tsx). A name that cannot be
 * read shows its id.
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';

const TTL_MS = 60_000;

export type NamedResource = '/sources' | '/destinations';

const names = new Map<string, { at: number; value: Promise<string> }>();

/** The name of one source or destination (its id when it cannot be read, e.g. deleted). */
function nameFor(resource: NamedResource, id: string): Promise<string> {
  const key = `${resource}/${id}`;
  const hit = names.get(key);
  if (hit !== undefined && Date.now() - hit.at < TTL_MS) return hit.value;
  const value = get<{ name: string }>(`${resource}/${encodeURIComponent(id)}`).then(
    (found) => found.name,
    () => id,
  );
  names.set(key, { at: Date.now(), value });
  return value;
}

/** Names by id for `ids` (read as needed); an id whose name is not read yet is absent. */
export function useNames(resource: NamedResource, ids: readonly string[]): Map<string, string> {
  const [known, setKnown] = useState<Map<string, string>>(new Map());
  const wanted = [...new Set(ids.filter((id) => id !== ''))].sort();
  const key = wanted.join(',');
  useEffect(() => {
    let live = true;
    void Promise.all(wanted.map(async (id) => [id, await nameFor(resource, id)] as const)).then((pairs) => {
      if (live) setKnown(new Map(pairs));
    });
    return () => {
      live = false;
    };
  }, [resource, key]);
  return known;
}

/** After a create, rename or delete: the next read gets fresh names. */
export function forgetLookups(): void {
  names.clear();
}

export function nameOf(known: Map<string, string>, id: string): string {
  return known.get(id) ?? id;
}
