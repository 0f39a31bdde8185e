/**
 * End-to-end tests ingest over HTTP and then read what became of the request through the Events and Attempts APIs:
 * the answer shapes they assert on and the two reads, written once for every such test.
 */
import assert from 'node:assert/strict';
import type { ApiClient } from './apiClient.js';

/** An ingest answer's ids. */
export interface IngestAck {
  request_id: string;
  event_ids: string[];
}

/** POSTs `body` to an ingest URL and asserts a 200 (its text is shown otherwise). */
export async function ingestOk(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<IngestAck> {
  const res = await fetch(url, { method: 'POST', body, headers });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as IngestAck;
}

/** `GET /events/{id}`, the fields the tests read. */
export interface EventModel {
  id: string;
  status: string;
  attempts: number;
  response_status: number | null;
  error_code: string | null;
  next_attempt_at: string | null;
  successful_at: string | null;
  last_attempt_at: string | null;
}

/** An attempt of `GET /attempts`, the fields the tests read. */
export interface AttemptModel {
  id: string;
  event_id: string;
  trigger: string;
  status: string;
  response_status: number | null;
  error_code: string | null;
  attempt_number: number;
  created_at: string;
  updated_at: string;
}

/** Reads an event, and its attempts oldest first, through the API. */
export function eventsApi(api: ApiClient): { event(id: string): Promise<EventModel>; attemptsOf(eventId: string): Promise<AttemptModel[]> } {
  return {
    event: async (id) => (await api.get<EventModel>(`/events/${id}`)).body,
    attemptsOf: async (eventId) => (await api.get<{ models: AttemptModel[] }>(`/attempts?event_id=${eventId}&order_direction=asc`)).body.models,
  };
}
