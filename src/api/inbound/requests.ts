/**
 * `/requests`: the inbound requests as received (seed 003 list shape), including those rejected (disabled
 * source, method not allowed, no connection) with their `rejection_cause`. The list leaves out headers and
 * bodies; `GET /requests/:id` has them (binary bodies in base64, see render.ts).
 */
import type { FastifyInstance } from 'fastify';
import { REJECTION_CAUSES } from '../../domain/model.js';
import type { RequestFilter } from '../../store/port.js';
import type { ApiDeps } from '../deps.js';
import { createdRange, oneOfEach, seedList, SeedListResponse, seedPageQuery, splitMulti } from '../pagination.js';
import { checkId, found, TEAM_SECURITY } from '../routeHelpers.js';
import { COMMON_ERRORS, IdParams } from '../schemaHelpers.js';
import { renderRequest, renderRequestListItem } from './render.js';
import { RequestListModel, RequestModel, RequestsQuery } from './schemas.js';

const tags = ['Requests'];

export function requestRoutes(app: FastifyInstance, { store }: ApiDeps): void {
  app.get<{ Querystring: RequestsQuery }>(
    '/requests',
    {
      schema: {
        summary: 'List inbound requests',
        description: 'Filters: source_id, rejection_cause (several comma-separated or repeated), created_at[gte|gt|lte|lt].',
        tags,
        security: TEAM_SECURITY,
        querystring: RequestsQuery,
        response: { 200: SeedListResponse(RequestListModel), ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { query } = request;
      const page = seedPageQuery('request', query);
      const filter: RequestFilter = { ...createdRange(query) };
      if (query.source_id !== undefined) filter.sourceId = query.source_id;
      const causes = oneOfEach('rejection_cause', splitMulti(query.rejection_cause), REJECTION_CAUSES);
      if (causes !== undefined) filter.rejectionCause = causes;
      return seedList(await store.listRequests(request.teamId, filter, page), page, renderRequestListItem);
    },
  );

  app.get<{ Params: IdParams }>(
    '/requests/:id',
    {
      schema: {
        summary: 'Get an inbound request with its headers and body',
        description: 'body is parsed JSON when the request was JSON, the text when UTF-8, else base64 with body_encoding "base64".',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        response: { 200: RequestModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      checkId('request', 'request', id);
      return renderRequest(found(await store.getRequest(request.teamId, id), 'request', id));
    },
  );
}
