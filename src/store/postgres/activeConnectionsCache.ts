/**
 * The active connections of a source, as ingest asks for them on every request, kept in memory for a short TTL so
 * a request costs one read (its source) rather than two. This process drops every entry when it changes a route
 * (a source, destination or connection, or a destination disabled by a 410 answer): the store calls `invalidate`
 * once that write committed. A read still in flight when that happens is not kept (it may predate the change).
 *
 * A change made by another process goes unseen for at most the TTL, and never makes a wrong event: each event's
 * status is settled at commit from its connection's state then (ingest.ts). A stale list can only add an event
 * that commit settles HOLD (its connection or destination disabled since: released if enabled again, exactly as
 * an event accepted just before the disable) or CANCELLED (its connection deleted), or miss a connection created
 * or enabled elsewhere within the TTL. test/store/postgres.test.ts proves both with two stores on one schema.
 */
import type { Connection } from '../../domain/model.js';

export const ACTIVE_CONNECTIONS_TTL_MS = 1000;
/** Past this many sources, the cache starts again empty rather than grow without bound. */
const MAX_SOURCES = 10_000;

interface Entry {
  connections: Promise<Connection[]>;
  until: number;
}

export class ActiveConnectionsCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly load: (sourceId: string) => Promise<Connection[]>,
    private readonly ttlMs = ACTIVE_CONNECTIONS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The source's active connections, read at most `ttlMs` ago and after this process's last route change. */
  async get(sourceId: string): Promise<Connection[]> {
    if (this.ttlMs <= 0) return this.load(sourceId);
    const hit = this.entries.get(sourceId);
    if (hit !== undefined && hit.until > this.now()) return [...(await hit.connections)];
    if (this.entries.size >= MAX_SOURCES) this.entries.clear();
    // The TTL counts from before the read: the list is never older than it says.
    const entry: Entry = { connections: this.load(sourceId), until: this.now() + this.ttlMs };
    this.entries.set(sourceId, entry);
    try {
      return [...(await entry.connections)];
    } catch (error) {
      if (this.entries.get(sourceId) === entry) this.entries.delete(sourceId);
      throw error;
    }
  }

  /** Forgets every entry, including reads in flight: called after this process committed a route change. */
  invalidate(): void {
    this.entries.clear();
  }
}
