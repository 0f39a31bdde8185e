/**
 * The routes publishing matches against: per team, its active event destinations with their subscriptions
 * compiled, kept in memory so a publish costs no read. This process drops a team's entry whenever it changes one
 * of the team's event destinations; the TTL bounds how long a change made by another process goes unseen. A stale
 * entry can only add a delivery the store then leaves out (its destination deleted or disabled, checked at commit)
 * or miss a destination created elsewhere in the last TTL.
 */
import { compileSubscription, type SubscriptionMatcher } from '../domain/subscription.js';
import type { OutboundStore } from '../store/port.js';

export interface CompiledRoute {
  destinationId: string;
  connectionId: string;
  subscription: SubscriptionMatcher;
}

interface Entry {
  routes: Promise<CompiledRoute[]>;
  until: number;
}

export const ROUTE_CACHE_TTL_MS = 10_000;
const MAX_TEAMS = 10_000;

export class RouteCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Pick<OutboundStore, 'listOutboundRoutes'>,
    private readonly ttlMs = ROUTE_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  routes(teamId: string): Promise<CompiledRoute[]> {
    const hit = this.entries.get(teamId);
    if (hit !== undefined && hit.until > this.now()) return hit.routes;
    if (this.entries.size >= MAX_TEAMS) this.entries.clear();
    const routes = this.load(teamId);
    const entry: Entry = { routes, until: this.now() + this.ttlMs };
    this.entries.set(teamId, entry);
    routes.catch(() => {
      if (this.entries.get(teamId) === entry) this.entries.delete(teamId); // a failed read is not remembered
    });
    return routes;
  }

  /** The team's event destinations changed: the next publish reads them again. */
  invalidate(teamId: string): void {
    this.entries.delete(teamId);
  }

  private async load(teamId: string): Promise<CompiledRoute[]> {
    const rows = await this.store.listOutboundRoutes(teamId);
    return rows.map((row) => ({ destinationId: row.destinationId, connectionId: row.connectionId, subscription: compileSubscription(row.subscription) }));
  }
}
