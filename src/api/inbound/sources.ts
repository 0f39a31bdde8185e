/**
 * `/sources`: where third parties send webhooks (`url` is the ingest URL). Create, list, get, partial update,
 * delete, disable/enable. A disabled source answers ingest with 403 and records the request.
 */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { Source } from '../../domain/model.js';
import type { ApiDeps } from '../deps.js';
import { managementList, managementPageQuery, ManagementListResponse } from '../pagination.js';
import { checkId, found, TEAM_SECURITY } from '../routeHelpers.js';
import { COMMON_ERRORS, DeletedResponse, IdParams } from '../schemaHelpers.js';
import { renderSource } from './render.js';
import { CreateSourceBody, SourceModel, nameFilter, SourcesQuery, UpdateSourceBody } from './schemas.js';
import { resolveSourceConfig } from './sourceConfig.js';

const tags = ['Sources'];

export function sourceRoutes(app: FastifyInstance, { store, config, keyring }: ApiDeps): void {
  const render = (source: Source) => renderSource(source, config.publicUrl);
  const get = async (teamId: string, id: string) => {
    checkId('source', 'source', id);
    return found(await store.getSource(teamId, id), 'source', id);
  };

  app.post<{ Body: CreateSourceBody }>(
    '/sources',
    {
      schema: {
        summary: 'Create a source',
        tags,
        security: TEAM_SECURITY,
        body: CreateSourceBody,
        response: { 201: SourceModel, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const now = Date.now();
      const id = newId('source', now);
      const source: Source = {
        id,
        teamId: request.teamId,
        name: request.body.name,
        description: request.body.description ?? null,
        config: resolveSourceConfig(null, request.body.config, { keyring, teamId: request.teamId, sourceId: id }),
        disabledAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.createSource(source);
      return reply.code(201).send(render(source));
    },
  );

  app.get<{ Querystring: SourcesQuery }>(
    '/sources',
    {
      schema: {
        summary: 'List sources',
        tags,
        security: TEAM_SECURITY,
        querystring: SourcesQuery,
        response: { 200: ManagementListResponse(SourceModel), ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const page = managementPageQuery('source', request.query);
      const filter = nameFilter(request.query);
      return managementList(await store.listSources(request.teamId, page, filter), page, render);
    },
  );

  app.get<{ Params: IdParams }>(
    '/sources/:id',
    { schema: { summary: 'Get a source', tags, security: TEAM_SECURITY, params: IdParams, response: { 200: SourceModel, ...COMMON_ERRORS } } },
    async (request) => render(await get(request.teamId, request.params.id)),
  );

  app.put<{ Params: IdParams; Body: UpdateSourceBody }>(
    '/sources/:id',
    {
      schema: {
        summary: 'Update a source (only the fields sent)',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        body: UpdateSourceBody,
        response: { 200: SourceModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      const current = await get(request.teamId, id);
      const body = request.body;
      const patch: Parameters<typeof store.updateSource>[2] = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.description !== undefined) patch.description = body.description;
      if (body.config !== undefined) {
        patch.config = resolveSourceConfig(current.config, body.config, { keyring, teamId: request.teamId, sourceId: id });
      }
      return render(found(await store.updateSource(request.teamId, id, patch, Date.now()), 'source', id));
    },
  );

  app.delete<{ Params: IdParams }>(
    '/sources/:id',
    {
      schema: {
        summary: 'Delete a source and its connections (their pending events are cancelled)',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        response: { 200: DeletedResponse, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      checkId('source', 'source', id);
      if (!(await store.deleteSource(request.teamId, id, Date.now()))) throw notFound('source', id);
      return { id };
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.put<{ Params: IdParams }>(
      `/sources/:id/${action}`,
      {
        schema: {
          summary: disabled ? 'Disable a source (ingest answers 403 and records the request)' : 'Enable a source',
          tags,
          security: TEAM_SECURITY,
          params: IdParams,
          response: { 200: SourceModel, ...COMMON_ERRORS },
        },
      },
      async (request) => {
        const { id } = request.params;
        checkId('source', 'source', id);
        const now = Date.now();
        return render(found(await store.setSourceDisabled(request.teamId, id, disabled ? now : null, now), 'source', id));
      },
    );
  }
}
