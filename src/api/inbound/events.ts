/**
 * `/events`, exactly as seed 003: list with filters and cursor pagination, get with the original request, retry
 * now (answers the attempt), mute (cancels automatic retries, answers the event with its request).
 */
import type { FastifyInstance } from 'fastify';
import { EVENT_STATUSES, NETWORK_ERROR_CODES, type EventRecord } from '../../domain/model.js';
import type { EventFilter } from '../../store/port.js';
import type { ApiDeps } from '../deps.js';
import { createdRange, oneOfEach, seedList, SeedListResponse, seedPageQuery, splitMulti } from '../pagination.js';
import { checkId, found, TEAM_SECURITY } from '../routeHelpers.js';
import { COMMON_ERRORS, IdParams } from '../schemaHelpers.js';
import { invalidField } from '../validation.js';
import { iso, renderAttempt, renderEvent, renderEventWithRequest } from './render.js';
import { AttemptModel, EventModel, EventsQuery, EventWithRequestModel } from './schemas.js';

const tags = ['Events'];

function statuses(name: string, values: string[] | undefined): number[] | undefined {
  return values?.map((value) => {
    const status = Number(value);
    if (!/^\d{3}$/.test(value) || status < 100 || status > 599) {
      throw invalidField(name, `has "${value}", which is not an HTTP status (100–599)`, 'query');
    }
    return status;
  });
}

/**
 * The store's filter. An id filter that is not even an id of its kind can match nothing; it is passed on as is
 * (the store matches no row) rather than answered with an error, as a filter on an unknown id would be.
 */
export function eventFilter(query: EventsQuery): EventFilter {
  const filter: EventFilter = { ...createdRange(query) };
  const status = oneOfEach('status', splitMulti(query.status), EVENT_STATUSES);
  if (status !== undefined) filter.status = status;
  const errorCode = oneOfEach('error_code', splitMulti(query.error_code), NETWORK_ERROR_CODES);
  if (errorCode !== undefined) filter.errorCode = errorCode;
  const responseStatus = statuses('response_status', splitMulti(query.response_status));
  if (responseStatus !== undefined) filter.responseStatus = responseStatus;
  if (query.source_id !== undefined) filter.sourceId = query.source_id;
  if (query.destination_id !== undefined) filter.destinationId = query.destination_id;
  if (query.webhook_id !== undefined) filter.connectionId = query.webhook_id;
  if (query.request_id !== undefined) filter.requestId = query.request_id;
  if (query.q !== undefined) filter.bodyContains = { text: query.q, scanLimit: SEARCH_SCAN_LIMIT };
  return filter;
}

/**
 * How many events a body search (`q`) examines at most: the newest ones matching the other filters. Reading bodies
 * has no index, so this bounds a search's cost (about 0.1 s on SQLite for 50,000 small bodies; see docs/console.md).
 */
export const SEARCH_SCAN_LIMIT = 50_000;

/** Header of a list whose body search left older events out: the creation time of the oldest event searched. */
export const SEARCH_FROM_HEADER = 'x-sluice-search-from';

export function eventRoutes(app: FastifyInstance, { store, engine }: ApiDeps): void {
  const withRequest = async (teamId: string, event: EventRecord) =>
    renderEventWithRequest(event, await store.getRequest(teamId, event.requestId));

  app.get<{ Querystring: EventsQuery }>(
    '/events',
    {
      schema: {
        summary: 'List events',
        description:
          'Filters: status, source_id, destination_id, webhook_id, request_id, response_status, error_code (several values comma-separated or repeated), created_at[gte|gt|lte|lt] (ISO 8601), q (text in the request body; see its description for its bounds and the x-sluice-search-from header). Pagination as seed 003: pass pagination.after as `after` for the next page, pagination.before as `before` for the previous one.',
        tags,
        security: TEAM_SECURITY,
        querystring: EventsQuery,
        response: { 200: SeedListResponse(EventModel), ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const page = seedPageQuery('event', request.query);
      const listed = await store.listEvents(request.teamId, eventFilter(request.query), page);
      if (listed.searchedFrom !== undefined) void reply.header(SEARCH_FROM_HEADER, iso(listed.searchedFrom));
      return seedList(listed, page, renderEvent);
    },
  );

  app.get<{ Params: IdParams }>(
    '/events/:id',
    {
      schema: {
        summary: 'Get an event with its original request headers and body',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        response: { 200: EventWithRequestModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      checkId('event', 'event', id);
      return withRequest(request.teamId, found(await store.getEvent(request.teamId, id), 'event', id));
    },
  );

  app.post<{ Params: IdParams }>(
    '/events/:id/retry',
    {
      schema: {
        summary: 'Attempt an event now (trigger MANUAL) and answer the attempt',
        description: 'A successful manual attempt cancels pending automatic retries; a failed one leaves the schedule as it was.',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        response: { 200: AttemptModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      checkId('event', 'event', id);
      return renderAttempt(found(await engine.retryNow(request.teamId, id), 'event', id));
    },
  );

  app.put<{ Params: IdParams }>(
    '/events/:id/mute',
    {
      schema: {
        summary: 'Mute an event: cancel its automatic retries (next_attempt_at becomes null)',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        response: { 200: EventWithRequestModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      checkId('event', 'event', id);
      return withRequest(request.teamId, found(await store.muteEvent(request.teamId, id, Date.now()), 'event', id));
    },
  );
}
