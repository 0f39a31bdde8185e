/**
 * Published events (seed 000): the event JSON `{id, object: "event", type, data, created_at}` is serialised once,
 * when the event is published, and those exact bytes are stored and delivered to every destination (so every
 * receiver, and every retry, gets the same body a signature was computed over). Also the metadata each
 * destination type carries natively (headers, message attributes…). Pure.
 */
import { newId } from './ids.js';
import type { EventOrigin, PublishedEvent } from './model.js';

/** The publisher's own event ids: what a client may send as `id`. */
export const EXTERNAL_ID_PATTERN = '^[A-Za-z0-9_.:-]+$';
export const MAX_EXTERNAL_ID_LENGTH = 255;

export interface EventInput {
  type: string;
  data: Record<string, unknown>;
  /** The publisher's id; a repeat of it within the team is the same event (not delivered twice). */
  id?: string;
}

/** The seed's event object. Field order is the order on the wire. */
export function eventJson(eventId: string, type: string, data: unknown, createdAt: number) {
  return { id: eventId, object: 'event' as const, type, data, created_at: new Date(createdAt).toISOString() };
}

/** A new published event, its body serialised once. */
export function newPublishedEvent(teamId: string, input: EventInput, origin: EventOrigin, now: number): PublishedEvent {
  const messageId = newId('publishedEvent', now);
  const eventId = input.id ?? messageId;
  return {
    messageId,
    teamId,
    eventId,
    eventType: input.type,
    body: Buffer.from(JSON.stringify(eventJson(eventId, input.type, input.data, now)), 'utf8'),
    origin,
    createdAt: now,
  };
}

/** The stored event as the API shows it: its body parsed (it is always the event JSON). */
export function renderPublishedEvent(event: PublishedEvent): ReturnType<typeof eventJson> {
  return JSON.parse(event.body.toString('utf8')) as ReturnType<typeof eventJson>;
}

/** What every destination type carries besides the body: at least event id, type and time (ISO 8601). */
export function eventMetadata(event: { eventId: string; eventType: string; createdAt: number }): Record<string, string> {
  return { 'event-id': event.eventId, 'event-type': event.eventType, timestamp: new Date(event.createdAt).toISOString() };
}
