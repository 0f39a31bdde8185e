/**
 * `/destinations`: where events are forwarded (type HTTP on the inbound face). Create, list, get, partial update,
 * delete (409 while connections use it), disable/enable (disabling holds its pending events).
 */
import type { FastifyInstance } from 'fastify';
import { resolveHttpDestinationConfig } from '../../destinations/http/configSchema.js';
import { notFound, SluiceError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { Destination } from '../../domain/model.js';
import type { DestinationPatch } from '../../store/port.js';
import type { ApiDeps } from '../deps.js';
import { managementList, managementPageQuery, ManagementListResponse } from '../pagination.js';
import { checkId, found, TEAM_SECURITY } from '../routeHelpers.js';
import { COMMON_ERRORS, DeletedResponse, IdParams } from '../schemaHelpers.js';
import { renderDestination } from './render.js';
import { CreateDestinationBody, DestinationModel, nameFilter, DestinationsQuery, UpdateDestinationBody } from './schemas.js';

const tags = ['Destinations'];

export function destinationRoutes(app: FastifyInstance, { store, config, engine }: ApiDeps): void {
  const get = async (teamId: string, id: string) => {
    checkId('destination', 'destination', id);
    return found(await store.getDestination(teamId, id), 'destination', id);
  };

  app.post<{ Body: CreateDestinationBody }>(
    '/destinations',
    {
      schema: {
        summary: 'Create a destination',
        tags,
        security: TEAM_SECURITY,
        body: CreateDestinationBody,
        response: { 201: DestinationModel, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const now = Date.now();
      const destination: Destination = {
        id: newId('destination', now),
        teamId: request.teamId,
        name: request.body.name,
        description: request.body.description ?? null,
        type: 'HTTP',
        config: resolveHttpDestinationConfig(request.body.config, null, config.defaultTimeoutMs),
        disabledAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.createDestination(destination);
      return reply.code(201).send(renderDestination(destination));
    },
  );

  app.get<{ Querystring: DestinationsQuery }>(
    '/destinations',
    {
      schema: {
        summary: 'List destinations',
        tags,
        security: TEAM_SECURITY,
        querystring: DestinationsQuery,
        response: { 200: ManagementListResponse(DestinationModel), ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const page = managementPageQuery('destination', request.query);
      const filter = nameFilter(request.query);
      return managementList(await store.listDestinations(request.teamId, page, filter), page, renderDestination);
    },
  );

  app.get<{ Params: IdParams }>(
    '/destinations/:id',
    {
      schema: { summary: 'Get a destination', tags, security: TEAM_SECURITY, params: IdParams, response: { 200: DestinationModel, ...COMMON_ERRORS } },
    },
    async (request) => renderDestination(await get(request.teamId, request.params.id)),
  );

  app.put<{ Params: IdParams; Body: UpdateDestinationBody }>(
    '/destinations/:id',
    {
      schema: {
        summary: 'Update a destination (only the fields sent; config fields merge over the current config)',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        body: UpdateDestinationBody,
        response: { 200: DestinationModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      const current = await get(request.teamId, id);
      const body = request.body;
      const patch: DestinationPatch = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.description !== undefined) patch.description = body.description;
      if (body.config !== undefined) patch.config = resolveHttpDestinationConfig(body.config, current.config, config.defaultTimeoutMs);
      return renderDestination(found(await store.updateDestination(request.teamId, id, patch, Date.now()), 'destination', id));
    },
  );

  app.delete<{ Params: IdParams }>(
    '/destinations/:id',
    {
      schema: {
        summary: 'Delete a destination (409 while a connection uses it)',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        response: { 200: DeletedResponse, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      checkId('destination', 'destination', id);
      const outcome = await store.deleteDestination(request.teamId, id);
      if (outcome === 'not_found') throw notFound('destination', id);
      if (outcome === 'in_use') {
        throw new SluiceError(
          'CONFLICT',
          `Destination ${id} is used by connections. Delete them first (GET /connections?destination_id=${id} lists them), then delete the destination.`,
        );
      }
      return { id };
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.put<{ Params: IdParams }>(
      `/destinations/:id/${action}`,
      {
        schema: {
          summary: disabled ? 'Disable a destination (its pending events are held)' : 'Enable a destination (held events are delivered)',
          tags,
          security: TEAM_SECURITY,
          params: IdParams,
          response: { 200: DestinationModel, ...COMMON_ERRORS },
        },
      },
      async (request) => {
        const { id } = request.params;
        checkId('destination', 'destination', id);
        const now = Date.now();
        const destination = found(await store.setDestinationDisabled(request.teamId, id, disabled ? now : null, now), 'destination', id);
        if (!disabled) engine.wake(); // its held events are due again
        return renderDestination(destination);
      },
    );
  }
}
