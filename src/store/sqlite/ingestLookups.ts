/**
 * The three reads ingest makes on every request (the source, the connection a `web_` URL names, the source's
 * active connections), kept in memory for a short TTL: on a hot source they are the same rows every time, and
 * reading them cost about a tenth of a durable ingest's CPU.
 *
 * This store drops every entry, synchronously, whenever it runs a write that may change one of them (a team's
 * source, destination or connection created, changed, disabled or deleted, a secret re-sealed, a destination
 * disabled by a 410): better-sqlite3 is synchronous, so no read can slip between that write and the drop, and a
 * change made through this store is seen by the very next ingest. A write made by another connection to the same
 * file (the dispatcher's own connection, another process) goes unseen for at most the TTL, and never makes a
 * wrong event: each event's status is settled at commit from its connection's and destination's rows then
 * (ingest.ts), as the PostgreSQL store's cache (postgres/activeConnectionsCache.ts) relies on too.
 */
import type { Connection, Source } from '../../domain/model.js';

export const INGEST_LOOKUP_TTL_MS = 1000;
/** Past this many entries in one map, it starts again empty rather than grow without bound (unknown ids too). */
const MAX_ENTRIES = 10_000;

interface Entry<V> {
  value: V;
  until: number;
}

class TtlMap<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(key: string, load: (key: string) => V): V {
    if (this.ttlMs <= 0) return load(key);
    const at = this.now();
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.until > at) return hit.value;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const value = load(key);
    this.entries.set(key, { value, until: at + this.ttlMs });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface IngestLookupLoaders {
  source: (id: string) => Source | null;
  connection: (id: string) => Connection | null;
  activeConnections: (sourceId: string) => Connection[];
}

export class IngestLookups {
  private readonly sources: TtlMap<Source | null>;
  private readonly connections: TtlMap<Connection | null>;
  private readonly active: TtlMap<readonly Connection[]>;

  constructor(
    private readonly load: IngestLookupLoaders,
    ttlMs = INGEST_LOOKUP_TTL_MS,
    now: () => number = Date.now,
  ) {
    this.sources = new TtlMap(ttlMs, now);
    this.connections = new TtlMap(ttlMs, now);
    this.active = new TtlMap(ttlMs, now);
  }

  source(id: string): Source | null {
    return this.sources.get(id, this.load.source);
  }

  connection(id: string): Connection | null {
    return this.connections.get(id, this.load.connection);
  }

  /** A fresh array each time: the caller may filter or reorder it. */
  activeConnections(sourceId: string): Connection[] {
    return [...this.active.get(sourceId, this.load.activeConnections)];
  }

  /** Forgets everything: called by every write of this store that may change a source, connection or destination. */
  invalidate(): void {
    this.sources.clear();
    this.connections.clear();
    this.active.clear();
  }
}
