/**
 * What a connection's rules make of one inbound request at ingest: an event (due now, or later for a `delay`
 * rule; with a deduplication key for a `deduplicate` rule, which the store checks at commit), or none because its
 * `filter` rule did not match. Pure: the ingest path passes the request's parts, parsed once per request
 * (RequestView), and evaluates each connection's rules against them.
 */
import { dedupKey } from './dedupKey.js';
import { matchFilter, type Filter } from './filterMatch.js';
import type { Connection, FilterRule } from './model.js';

/** Bounds of a `delay` rule, milliseconds: up to 24 hours. */
export const MIN_DELAY_MS = 1;
export const MAX_DELAY_MS = 86_400_000;

/** Why a connection made no event for a request (Hookdeck's ignored-event causes). */
export const IGNORED_CAUSES = ['FILTERED', 'DEDUPLICATED'] as const;
export type IgnoredCause = (typeof IGNORED_CAUSES)[number];

/** The request as filters see it, built once per request. */
export interface RequestView {
  headers: Record<string, string>;
  /** The parsed JSON body, the body as text when not JSON, or undefined when empty. */
  body: unknown;
  query: Record<string, string | string[]>;
  path: string;
}

/** A deduplicate rule's claim: the request's key, live until `expiresAt`. The store settles it at commit. */
export interface DedupClaim {
  key: string;
  expiresAt: number;
}

export type RuleVerdict =
  | { kind: 'event'; dueAt: number; dedup?: DedupClaim }
  | { kind: 'ignored'; cause: 'FILTERED'; exhausted: boolean };

/** `a=1&b=2&b=3` → `{a: "1", b: ["2", "3"]}`. */
export function parseQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    const seen = Object.hasOwn(out, name) ? out[name] : undefined;
    if (seen === undefined) out[name] = value;
    else out[name] = Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

const FILTER_PARTS = ['headers', 'body', 'query', 'path'] as const;

function filterMatches(rule: FilterRule, request: RequestView): { matched: boolean; exhausted: boolean } {
  for (const part of FILTER_PARTS) {
    const filter: Filter | undefined = rule[part];
    if (filter === undefined) continue;
    const result = matchFilter(filter, request[part]);
    if (!result.matched) return result;
  }
  return { matched: true, exhausted: false };
}

/**
 * What `connection`'s rules make of a request received at `receivedAt`. `view` gives the request as filters see
 * it; it is only called when the connection has a filter (the caller builds it once per request).
 */
export function applyRules(connection: Pick<Connection, 'rules'>, view: () => RequestView, receivedAt: number, rawBody: Buffer): RuleVerdict {
  let dueAt = receivedAt;
  let dedup: DedupClaim | undefined;
  for (const rule of connection.rules) {
    if (rule.type === 'filter') {
      const result = filterMatches(rule, view());
      if (!result.matched) return { kind: 'ignored', cause: 'FILTERED', exhausted: result.exhausted };
    } else if (rule.type === 'delay') {
      dueAt = Math.max(dueAt, receivedAt + rule.delay);
    } else if (rule.type === 'deduplicate') {
      dedup = { key: dedupKey(rule, view(), rawBody), expiresAt: receivedAt + rule.window };
    }
  }
  return dedup === undefined ? { kind: 'event', dueAt } : { kind: 'event', dueAt, dedup };
}
