/**
 * Names of sources and destinations, for filters and for showing names instead of ids in event lists. Read through
 * the API (first page of 250 each, newest first) and cached for a minute; a name not among them shows its id.
 */
import { get, type Destination, type ManagementList, type Source } from './api';

interface Lookups {
  sources: Source[];
  destinations: Destination[];
}

let cached: { at: number; value: Promise<Lookups> } | null = null;

export function loadLookups(): Promise<Lookups> {
  if (cached !== null && Date.now() - cached.at < 60_000) return cached.value;
  const value = Promise.all([
    get<ManagementList<Source>>('/sources?limit=250'),
    get<ManagementList<Destination>>('/destinations?limit=250'),
  ]).then(([sources, destinations]) => ({ sources: sources.models, destinations: destinations.models }));
  cached = { at: Date.now(), value };
  value.catch(() => {
    cached = null;
  });
  return value;
}

/** After a create, rename or delete: the next read gets fresh names. */
export function forgetLookups(): void {
  cached = null;
}

export function nameOf(list: { id: string; name: string }[] | undefined, id: string): string {
  return list?.find((item) => item.id === id)?.name ?? id;
}
