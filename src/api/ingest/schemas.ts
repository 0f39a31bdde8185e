/**
 * Schemas of the ingest endpoint: its path parameter and its JSON answer (when the source has no custom_response).
 */
import { Type, type Static } from '@sinclair/typebox';

/** `{id}`; the sub-path route adds `*`, which is why extra properties are allowed. */
export const IngestParams = Type.Object({ id: Type.String({ description: 'A source id (src_) or a connection id (web_)' }) });

export const IngestResponse = Type.Object({
  status: Type.Union([Type.Literal('SUCCESS'), Type.Literal('NO_CONNECTION')], {
    description: 'SUCCESS: stored with one event per connection. NO_CONNECTION: stored, but no active connection to deliver it to.',
  }),
  message: Type.String(),
  request_id: Type.String(),
  event_ids: Type.Array(Type.String()),
});
export type IngestAnswer = Static<typeof IngestResponse>;
