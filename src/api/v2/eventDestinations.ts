/**
 * `/v2/event-destinations` (seed 000, FACTS.md): create (201), list, get, partial update (PATCH, may set
 * `status`), delete. Body `{name, type, events, status?, <type>: {config and credential fields}}`, validated by
 * the type's catalog entry; answers show the config and the credentials masked. Every change drops the team's
 * cached routes (publishing sees it at once); a change of config or credentials also makes the dispatcher forget
 * what it derived from the old ones (decrypted credentials, clients).
 */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { eventDestinationEngineConfig, type Destination } from '../../domain/model.js';
import type { EventDestinationFilter, EventDestinationPatch } from '../../store/port.js';
import { splitMulti } from '../pagination.js';
import { checkId, found } from '../routeHelpers.js';
import { V2_ERRORS } from '../schemaHelpers.js';
import { V2_SECURITY, type V2Deps } from './deps.js';
import { openCredentials, parseCreate, parseUpdate, sealCredentials } from './destinationBody.js';
import { v2List, V2ListResponse, v2PageQuery } from './list.js';
import { renderEventDestination } from './render.js';
import { DeletedEventDestination, EventIdParams, eventDestinationSchemas, type EventDestinationBody } from './schemas.js';

const tags = ['Event destinations'];

interface ListQuery {
  limit?: number;
  cursor?: string;
  type?: string | string[];
  status?: 'active' | 'inactive';
}

export function v2EventDestinationRoutes(app: FastifyInstance, deps: V2Deps): void {
  const { store, types, routes, engine, keyring } = deps;
  const schemas = eventDestinationSchemas(types);
  const render = (destination: Destination) =>
    renderEventDestination(destination, types.find((t) => t.type === destination.type), openCredentials(keyring, destination));
  const get = async (teamId: string, id: string) => {
    checkId('eventDestination', 'event destination', id);
    return found(await store.getEventDestination(teamId, id), 'event destination', id);
  };

  app.post<{ Body: EventDestinationBody }>(
    '/event-destinations',
    {
      schema: {
        summary: 'Create an event destination',
        description:
          'Body: name, type (GET /v2/destination-types), events (["*"], exact types, or "prefix.*"), optional status, optional timeout (ms, every type), and an object named after the type with its config and credential fields. ' +
          'Credentials are encrypted at rest and answered masked.',
        tags,
        security: V2_SECURITY,
        body: schemas.create,
        response: { 201: schemas.model, ...V2_ERRORS },
      },
    },
    async (request, reply) => {
      const now = Date.now();
      const { body, teamId } = request;
      const parsed = parseCreate(types, body, now);
      const id = newId('eventDestination', now);
      const destination: Destination = {
        id,
        teamId,
        name: body.name ?? '',
        description: null,
        type: parsed.type.type,
        config: eventDestinationEngineConfig(body.timeout ?? null),
        disabledAt: body.status === 'inactive' ? now : null,
        createdAt: now,
        updatedAt: now,
        outbound: {
          displayName: body.name ?? '',
          config: parsed.config,
          credentials: sealCredentials(keyring, teamId, id, parsed.credentials),
          subscription: parsed.subscription,
          consecutiveFailures: 0,
        },
      };
      // The route carries no rules: the gateway's default retry schedule applies (seed 000: 10 retries, 30 s × 2^n).
      await store.createEventDestination(destination, { id: newId('subscription', now), rules: [] });
      routes.invalidate(teamId);
      return reply.code(201).send(renderEventDestination(destination, parsed.type, parsed.credentials));
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/event-destinations',
    {
      schema: {
        summary: 'List event destinations, newest first',
        description: 'Filters: type (repeatable), status (active or inactive). Pagination: limit and cursor.',
        tags,
        security: V2_SECURITY,
        querystring: schemas.query,
        response: { 200: V2ListResponse(schemas.model), ...V2_ERRORS },
      },
    },
    async (request) => {
      const page = v2PageQuery('eventDestination', request.query);
      const filter: EventDestinationFilter = {};
      const type = splitMulti(request.query.type);
      if (type !== undefined) filter.type = type;
      if (request.query.status !== undefined) filter.status = request.query.status;
      return v2List(await store.listEventDestinations(request.teamId, filter, page), render);
    },
  );

  app.get<{ Params: EventIdParams }>(
    '/event-destinations/:id',
    {
      schema: { summary: 'Get an event destination', tags, security: V2_SECURITY, params: EventIdParams, response: { 200: schemas.model, ...V2_ERRORS } },
    },
    async (request) => render(await get(request.teamId, request.params.id)),
  );

  app.patch<{ Params: EventIdParams; Body: EventDestinationBody }>(
    '/event-destinations/:id',
    {
      schema: {
        summary: 'Update an event destination (only the fields sent)',
        description:
          'status "inactive" holds its pending deliveries; "active" queues them again and resets the failure count. Fields under <type> merge over the current ones; ' +
          'credentials not sent are kept (a webhook rotates its secret with "rotate_secret": true or a new "secret").',
        tags,
        security: V2_SECURITY,
        params: EventIdParams,
        body: schemas.update,
        response: { 200: schemas.model, ...V2_ERRORS },
      },
    },
    async (request) => {
      const now = Date.now();
      const { teamId, body } = request;
      const current = await get(teamId, request.params.id);
      const stored = openCredentials(keyring, current);
      const parsed = parseUpdate(types, current, stored, body, now);
      const patch: EventDestinationPatch = {};
      if (body.name !== undefined) patch.displayName = body.name;
      if (parsed.subscription !== undefined) patch.subscription = parsed.subscription;
      if (parsed.config !== undefined) patch.config = parsed.config;
      if (parsed.credentials !== undefined) patch.credentials = sealCredentials(keyring, teamId, current.id, parsed.credentials);
      if (body.status !== undefined) patch.disabled = body.status === 'inactive';
      if (body.timeout !== undefined) patch.timeoutMs = body.timeout;
      const updated = found(await store.updateEventDestination(teamId, current.id, patch, now), 'event destination', current.id);
      routes.invalidate(teamId);
      const changed =
        (parsed.config !== undefined && JSON.stringify(parsed.config) !== JSON.stringify(current.outbound?.config)) ||
        (parsed.credentials !== undefined && JSON.stringify(parsed.credentials) !== JSON.stringify(stored));
      if (changed) engine.forgetDestination(current.id);
      if (patch.disabled === false && current.disabledAt !== null) engine.wake(); // its held deliveries are due again
      return renderEventDestination(updated, types.find((t) => t.type === updated.type), parsed.credentials ?? stored);
    },
  );

  app.delete<{ Params: EventIdParams }>(
    '/event-destinations/:id',
    {
      schema: {
        summary: 'Delete an event destination (its pending deliveries are cancelled)',
        tags,
        security: V2_SECURITY,
        params: EventIdParams,
        response: { 200: DeletedEventDestination, ...V2_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      checkId('eventDestination', 'event destination', id);
      if (!(await store.deleteEventDestination(request.teamId, id, Date.now()))) throw notFound('event destination', id);
      routes.invalidate(request.teamId);
      engine.forgetDestination(id);
      return { id, object: 'event_destination' as const, deleted: true as const };
    },
  );
}
