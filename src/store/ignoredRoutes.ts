/**
 * A request's ignored routes (the connections that made no event for it) as both dialects store them: a JSON
 * array of `{connection_id, cause}` in requests.ignored, NULL when there are none.
 */
import type { IgnoredCause } from '../domain/connectionRules.js';
import type { IgnoredRoute } from '../domain/model.js';

export function ignoredToJson(ignored: IgnoredRoute[] | undefined): string | null {
  if (ignored === undefined || ignored.length === 0) return null;
  return JSON.stringify(ignored.map((route) => ({ connection_id: route.connectionId, cause: route.cause })));
}

export function ignoredFromJson(json: string): IgnoredRoute[] {
  const stored = JSON.parse(json) as { connection_id: string; cause: IgnoredCause }[];
  return stored.map((route) => ({ connectionId: route.connection_id, cause: route.cause }));
}
