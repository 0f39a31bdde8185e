/**
 * `/attempts`: every delivery attempt of the team's events (seed 003 list shape), filtered by `event_id`.
 */
import type { FastifyInstance } from 'fastify';
import type { AttemptFilter } from '../../store/port.js';
import type { ApiDeps } from '../deps.js';
import { seedList, SeedListResponse, seedPageQuery } from '../pagination.js';
import { checkId, found, TEAM_SECURITY } from '../routeHelpers.js';
import { COMMON_ERRORS, IdParams } from '../schemaHelpers.js';
import { renderAttempt } from './render.js';
import { AttemptModel, AttemptsQuery } from './schemas.js';

const tags = ['Attempts'];

export function attemptRoutes(app: FastifyInstance, { store }: ApiDeps): void {
  app.get<{ Querystring: AttemptsQuery }>(
    '/attempts',
    {
      schema: {
        summary: 'List attempts',
        description: 'Filter: event_id.',
        tags,
        security: TEAM_SECURITY,
        querystring: AttemptsQuery,
        response: { 200: SeedListResponse(AttemptModel), ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const page = seedPageQuery('attempt', request.query);
      const filter: AttemptFilter = {};
      if (request.query.event_id !== undefined) filter.eventId = request.query.event_id;
      return seedList(await store.listAttempts(request.teamId, filter, page), page, renderAttempt);
    },
  );

  app.get<{ Params: IdParams }>(
    '/attempts/:id',
    {
      schema: { summary: 'Get an attempt', tags, security: TEAM_SECURITY, params: IdParams, response: { 200: AttemptModel, ...COMMON_ERRORS } },
    },
    async (request) => {
      const { id } = request.params;
      checkId('attempt', 'attempt', id);
      return renderAttempt(found(await store.getAttempt(request.teamId, id), 'attempt', id));
    },
  );
}
