/**
 * The words Sluice uses everywhere, and how each face of the API names them.
 *
 * | engine word  | inbound face (seed 003)     | outbound face (seed 000) |
 * |--------------|-----------------------------|--------------------------|
 * | message      | request `req_`              | event `evt_`             |
 * | destination  | destination `des_`          | event destination `evtd_`|
 * | route        | connection `web_`           | the destination's `events` subscription |
 * | delivery     | event `evt_`                | event delivery `dlv_`    |
 * | attempt      | attempt `att_`              | attempt `dla_`           |
 * | team         | team `tm_`                  | organisation             |
 *
 * The store and the dispatcher speak the inbound face's names (request, event, connection) because that face
 * came first and its seed fixes the field names users see; the outbound face translates at its edge.
 *
 * The outbound face's rows live in the same tables under their own id prefixes (a published event is a request
 * row with an `evt_` id, a delivery an events row with a `dlv_` id, its attempts `dla_`), so each face's lists
 * select their own rows by an id range that the (team_id, id) indexes serve directly.
 */

/** Id prefixes, one per object kind. Ids are `<prefix>_<16 chars>`; see ids.ts. */
export const ID_PREFIX = {
  team: 'tm',
  apiKey: 'key',
  source: 'src',
  destination: 'des',
  connection: 'web',
  request: 'req',
  event: 'evt',
  attempt: 'att',
  // Outbound face (seed 000).
  publishedEvent: 'evt',
  eventDestination: 'evtd',
  delivery: 'dlv',
  deliveryAttempt: 'dla',
  /** The team's implicit source of published events (never shown). */
  platformSource: 'src',
  /** The implicit connection from the platform source to an event destination (never shown). */
  subscription: 'web',
  /** A bulk retry of a filtered set of events (Hookdeck's batch operation). */
  bulkRetry: 'bch',
  /** A /v2 API call, for `request_id` in its errors. */
  apiCall: 'call',
} as const;

export type IdKind = keyof typeof ID_PREFIX;
