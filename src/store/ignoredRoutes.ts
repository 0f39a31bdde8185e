/**
 * A request's ignored routes (the connections that made no event for it) as both dialects store them: a JSON
 * array of `{connection_id, cause, duplicate_of?}` in requests.ignored, NULL when there are none; and the
 * dialect-neutral part of settling deduplicate claims at commit.
 */
import type { IgnoredCause } from '../domain/connectionRules.js';
import type { IgnoredRoute, RequestRecord } from '../domain/model.js';
import type { AcceptedRequest, NewEvent } from './port.js';

export function ignoredToJson(ignored: IgnoredRoute[] | undefined): string | null {
  if (ignored === undefined || ignored.length === 0) return null;
  return JSON.stringify(
    ignored.map((route) => ({ connection_id: route.connectionId, cause: route.cause, ...(route.duplicateOf === undefined ? {} : { duplicate_of: route.duplicateOf }) })),
  );
}

export function ignoredFromJson(json: string): IgnoredRoute[] {
  const stored = JSON.parse(json) as { connection_id: string; cause: IgnoredCause; duplicate_of?: string }[];
  return stored.map((route) => ({
    connectionId: route.connection_id,
    cause: route.cause,
    ...(route.duplicate_of === undefined ? {} : { duplicateOf: route.duplicate_of }),
  }));
}

/**
 * The request and events to store once the deduplicate claims are settled: the events whose key was live
 * (`duplicates`: event id → the event it repeats) are dropped and recorded as ignored, DEDUPLICATED.
 */
export function withoutDuplicates(request: RequestRecord, events: NewEvent[], duplicates: Map<string, string>): { request: RequestRecord; events: NewEvent[] } {
  if (duplicates.size === 0) return { request, events };
  const kept = events.filter((event) => !duplicates.has(event.id));
  const dropped: IgnoredRoute[] = events
    .filter((event) => duplicates.has(event.id))
    .map((event) => ({ connectionId: event.connectionId, cause: 'DEDUPLICATED', duplicateOf: duplicates.get(event.id) ?? '' }));
  const ignored = [...(request.ignored ?? []), ...dropped];
  return { request: { ...request, eventIds: request.eventIds.filter((id) => !duplicates.has(id)), ignored }, events: kept };
}

/** What acceptRequest answers: the events made and the connections ignored, once everything is settled. */
export function acceptedOf(request: RequestRecord): AcceptedRequest {
  return { eventIds: request.eventIds, ignored: request.ignored ?? [] };
}
