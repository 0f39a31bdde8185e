/**
 * Bulk retry of a filtered set of events (FACTS.md, Hookdeck's `POST /bulk/events/retry {query}`): a plan (how many
 * events the query matches), start, progress, list and cancel. The query takes the filters of `GET /events`. A job
 * covers the events that matched when it started (its filter is bounded by its creation time) and is run in the
 * background, 100 events per transaction (bulkRetryRunner.ts): each event that can be is queued for an attempt now
 * (trigger BULK_RETRY) and the dispatcher makes it, with its usual limits per destination.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { newId } from '../../domain/ids.js';
import type { BulkRetry } from '../../store/port.js';
import type { ApiDeps } from '../deps.js';
import { managementList, ManagementListResponse, managementPageQuery, managementListQueryProperties, MultiValue, type ManagementListQuery } from '../pagination.js';
import { checkId, found, TEAM_SECURITY } from '../routeHelpers.js';
import { COMMON_ERRORS, IdParams, IsoTime, NullableIsoTime } from '../schemaHelpers.js';
import { BULK_RETRY_BATCH, BulkRetryRunner } from './bulkRetryRunner.js';
import { eventFilter } from './events.js';
import { iso, isoOrNull } from './render.js';
import type { EventsQuery } from './schemas.js';

const tags = ['Bulk retry'];

const filterProperties = {
  status: Type.Optional(MultiValue),
  source_id: Type.Optional(Type.String()),
  destination_id: Type.Optional(Type.String()),
  webhook_id: Type.Optional(Type.String({ description: 'Connection id' })),
  request_id: Type.Optional(Type.String()),
  response_status: Type.Optional(MultiValue),
  error_code: Type.Optional(MultiValue),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Text the request body must contain (as GET /events)' })),
};

/** The plan takes GET /events' filters as query parameters. */
export const PlanQuery = Type.Object(
  {
    ...filterProperties,
    'created_at[gte]': Type.Optional(Type.String()),
    'created_at[gt]': Type.Optional(Type.String()),
    'created_at[lte]': Type.Optional(Type.String()),
    'created_at[lt]': Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type PlanQuery = Static<typeof PlanQuery>;

/** The body's `query`: the same filters, with the time range as an object (Hookdeck's shape). */
export const BulkQuery = Type.Object(
  {
    ...filterProperties,
    created_at: Type.Optional(
      Type.Object(
        { gte: Type.Optional(Type.String()), gt: Type.Optional(Type.String()), lte: Type.Optional(Type.String()), lt: Type.Optional(Type.String()) },
        { additionalProperties: false, description: 'ISO 8601 bounds' },
      ),
    ),
  },
  { additionalProperties: false, description: 'The filters of GET /events; an empty query retries every event' },
);
export type BulkQuery = Static<typeof BulkQuery>;

export const CreateBulkRetryBody = Type.Object({ query: BulkQuery }, { additionalProperties: false });
export type CreateBulkRetryBody = Static<typeof CreateBulkRetryBody>;

export const PlanModel = Type.Object({
  estimated_count: Type.Integer({ description: 'Events the query matches now' }),
  estimated_batch: Type.Integer({ description: 'Batches of 100 it takes' }),
  progress: Type.Number(),
});

export const BulkRetryModel = Type.Object({
  id: Type.String(),
  team_id: Type.String(),
  query: Type.Record(Type.String(), Type.Unknown(), { description: 'The query as sent' }),
  estimated_count: Type.Integer({ description: 'Events the query matched when the job started' }),
  estimated_batch: Type.Integer(),
  processed_count: Type.Integer({ description: 'Events examined so far' }),
  retried_count: Type.Integer({ description: 'Events queued for an attempt (trigger BULK_RETRY)' }),
  skipped_count: Type.Integer({ description: 'Events not queued: an attempt in flight, on hold, or their connection paused, disabled or deleted' }),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  in_progress: Type.Boolean(),
  cancelled_at: NullableIsoTime,
  completed_at: NullableIsoTime,
  created_at: IsoTime,
  updated_at: IsoTime,
});

type BulkRetriesQuery = ManagementListQuery;
const BulkRetriesQuery = Type.Object(managementListQueryProperties, { additionalProperties: false });

function batches(count: number): number {
  return Math.ceil(count / BULK_RETRY_BATCH);
}

function render(job: BulkRetry) {
  const finished = job.completedAt !== null;
  return {
    id: job.id,
    team_id: job.teamId,
    query: job.query,
    estimated_count: job.estimatedCount,
    estimated_batch: batches(job.estimatedCount),
    processed_count: job.processedCount,
    retried_count: job.retriedCount,
    skipped_count: job.skippedCount,
    progress: finished ? 1 : job.estimatedCount === 0 ? 0 : Math.min(1, job.processedCount / job.estimatedCount),
    in_progress: !finished && job.cancelledAt === null,
    cancelled_at: isoOrNull(job.cancelledAt),
    completed_at: isoOrNull(job.completedAt),
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
  };
}

/** GET /events' query from a bulk query (the time range flattened into `created_at[…]`). */
export function eventsQueryOf(query: BulkQuery): EventsQuery {
  const { created_at: range, ...rest } = query;
  const flat: EventsQuery = { ...rest };
  if (range?.gte !== undefined) flat['created_at[gte]'] = range.gte;
  if (range?.gt !== undefined) flat['created_at[gt]'] = range.gt;
  if (range?.lte !== undefined) flat['created_at[lte]'] = range.lte;
  if (range?.lt !== undefined) flat['created_at[lt]'] = range.lt;
  return flat;
}

export function bulkRetryRoutes(app: FastifyInstance, { store, engine }: ApiDeps): void {
  const runner = new BulkRetryRunner(store, engine, { onError: (error) => app.log.error({ err: error }, 'a bulk retry batch failed; it is tried again') });
  app.addHook('onReady', async () => runner.start());
  app.addHook('onClose', async () => runner.stop());
  const count = async (teamId: string, query: EventsQuery) =>
    (await store.listEvents(teamId, eventFilter(query), { orderDirection: 'desc', limit: 1 })).totalCount;

  app.get<{ Querystring: PlanQuery }>(
    '/bulk/events/retry/plan',
    {
      schema: {
        summary: 'Estimate a bulk retry: how many events the filters match',
        tags,
        security: TEAM_SECURITY,
        querystring: PlanQuery,
        response: { 200: PlanModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const estimated = await count(request.teamId, request.query);
      return { estimated_count: estimated, estimated_batch: batches(estimated), progress: 0 };
    },
  );

  app.post<{ Body: CreateBulkRetryBody }>(
    '/bulk/events/retry',
    {
      schema: {
        summary: 'Retry every event matching a query, in the background',
        description:
          'Covers the events matching when it starts. Each is queued for an attempt now (trigger BULK_RETRY), 100 per batch; follow it with GET /bulk/events/retry/{id}, stop it with POST …/cancel.',
        tags,
        security: TEAM_SECURITY,
        body: CreateBulkRetryBody,
        response: { 201: BulkRetryModel, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const now = Date.now();
      const events = eventsQueryOf(request.body.query);
      const filter = eventFilter(events);
      // The set is fixed at the start: events created from now on are not part of it.
      filter.createdBefore = Math.min(filter.createdBefore ?? Number.POSITIVE_INFINITY, now + 1);
      const job: BulkRetry = {
        id: newId('bulkRetry', now),
        teamId: request.teamId,
        query: request.body.query,
        filter,
        cursor: null,
        estimatedCount: await count(request.teamId, events),
        processedCount: 0,
        retriedCount: 0,
        skippedCount: 0,
        cancelledAt: null,
        completedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.createBulkRetry(job);
      runner.kick();
      return reply.code(201).send(render(job));
    },
  );

  app.get<{ Querystring: BulkRetriesQuery }>(
    '/bulk/events/retry',
    {
      schema: {
        summary: 'List bulk retries, newest first',
        tags,
        security: TEAM_SECURITY,
        querystring: BulkRetriesQuery,
        response: { 200: ManagementListResponse(BulkRetryModel), ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const page = managementPageQuery('bulkRetry', request.query);
      return managementList(await store.listBulkRetries(request.teamId, page), page, render);
    },
  );

  app.get<{ Params: IdParams }>(
    '/bulk/events/retry/:id',
    {
      schema: { summary: 'A bulk retry and its progress', tags, security: TEAM_SECURITY, params: IdParams, response: { 200: BulkRetryModel, ...COMMON_ERRORS } },
    },
    async (request) => {
      const { id } = request.params;
      checkId('bulkRetry', 'bulk retry', id);
      return render(found(await store.getBulkRetry(request.teamId, id), 'bulk retry', id));
    },
  );

  app.post<{ Params: IdParams }>(
    '/bulk/events/retry/:id/cancel',
    {
      schema: {
        summary: 'Stop a bulk retry (events already queued are still attempted)',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        response: { 200: BulkRetryModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      checkId('bulkRetry', 'bulk retry', id);
      return render(found(await store.cancelBulkRetry(request.teamId, id, Date.now()), 'bulk retry', id));
    },
  );
}
