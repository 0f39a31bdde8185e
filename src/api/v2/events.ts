/**
 * `/v2/events` (seed 000): publish an event, list and get published events in the seed's shape.
 *
 * `POST` answers 202 `{event, destinations}` once the event and one delivery per subscribed active destination
 * are committed to disk. An `id` the team already published is not delivered again: the stored event is answered
 * with 200 (and the destinations its deliveries went to), so a publisher can retry blindly.
 */
import type { FastifyInstance } from 'fastify';
import { isEventType } from '../../domain/subscription.js';
import { renderPublishedEvent } from '../../domain/publishedEvent.js';
import type { PublishedEventFilter } from '../../store/port.js';
import { createdRange, splitMulti } from '../pagination.js';
import { found } from '../routeHelpers.js';
import { V2_ERRORS } from '../schemaHelpers.js';
import { invalidField } from '../validation.js';
import { V2_SECURITY, type V2Deps } from './deps.js';
import { v2List, V2ListResponse, v2PageQuery } from './list.js';
import { EventIdParams, EventModel, EventsQuery, PublishAnswer, PublishEventBody } from './schemas.js';

const tags = ['Events (v2)'];

export function eventTypesOf(name: string, value: string | string[] | undefined): string[] | undefined {
  const types = splitMulti(value);
  for (const type of types ?? []) {
    if (!isEventType(type)) throw invalidField(name, `has "${type.slice(0, 100)}", which is not an event type ("object.action", e.g. task_run.completed)`, 'query');
  }
  return types;
}

export function v2EventRoutes(app: FastifyInstance, { store, publisher }: V2Deps): void {
  app.post<{ Body: PublishEventBody }>(
    '/events',
    {
      schema: {
        summary: 'Publish an event',
        description:
          'Stores the event and one delivery per active event destination subscribed to its type, in one durable commit, then answers 202 with the event (seed 000 shape) and those destinations. ' +
          'A repeated `id` is not delivered again: the stored event is answered with 200.',
        tags,
        security: V2_SECURITY,
        body: PublishEventBody,
        response: { 200: PublishAnswer, 202: PublishAnswer, ...V2_ERRORS },
      },
    },
    async (request, reply) => {
      const { type, data, id } = request.body;
      const accepted = await publisher.publish(request.teamId, id === undefined ? { type, data } : { type, data, id });
      return reply.code(accepted.created ? 202 : 200).send({ event: renderPublishedEvent(accepted.event), destinations: accepted.destinationIds });
    },
  );

  app.get<{ Querystring: EventsQuery }>(
    '/events',
    {
      schema: {
        summary: 'List published events, newest first',
        description: 'Filters: type (repeatable), created_after and created_before (ISO 8601, strict). Pagination: limit and cursor.',
        tags,
        security: V2_SECURITY,
        querystring: EventsQuery,
        response: { 200: V2ListResponse(EventModel), ...V2_ERRORS },
      },
    },
    async (request) => {
      const { query } = request;
      const page = v2PageQuery('publishedEvent', query);
      const range = createdRange({ created_after: query.created_after, created_before: query.created_before });
      const filter: PublishedEventFilter = { ...range };
      const types = eventTypesOf('type', query.type);
      if (types !== undefined) filter.types = types;
      const result = await store.listPublishedEvents(request.teamId, filter, page);
      return v2List(result, renderPublishedEvent);
    },
  );

  app.get<{ Params: EventIdParams }>(
    '/events/:id',
    {
      schema: { summary: 'Get a published event', tags, security: V2_SECURITY, params: EventIdParams, response: { 200: EventModel, ...V2_ERRORS } },
    },
    async (request) => {
      const { id } = request.params;
      return renderPublishedEvent(found(await store.getPublishedEvent(request.teamId, id), 'event', id));
    },
  );
}
