/**
 * `GET /metrics/events`: the overview's numbers over a bounded window — inbound events per bucket by status with the
 * success rate, the backlog, and the failing destinations. Windows are bounded (7 days, 1,440 buckets) and every
 * count reads an index over an id range (see the store's `eventMetrics`), so the answer stays fast on big tables.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EVENT_STATUSES, type EventStatus } from '../../domain/model.js';
import type { ApiDeps } from '../deps.js';
import { TEAM_SECURITY } from '../routeHelpers.js';
import { COMMON_ERRORS, IsoTime, Literals, Nullable, NullableIsoTime } from '../schemaHelpers.js';
import { invalidField } from '../validation.js';
import { iso, isoOrNull } from './render.js';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export const MAX_WINDOW_MS = 7 * 86_400_000;
export const MAX_BUCKETS = 1440;
const FAILING_LIMIT = 10;

export const MetricsQuery = Type.Object(
  {
    window: Type.Optional(
      Type.String({
        pattern: '^[1-9][0-9]{0,4}[mhd]$',
        default: '1h',
        description: 'How far back: minutes, hours or days, e.g. 15m, 1h, 24h, 7d (at most 7 days)',
        'x-error-message': 'must be a number followed by m, h or d (e.g. 15m, 1h, 7d), at most 7 days',
      }),
    ),
    bucket: Type.Optional(Literals(['minute', 'hour', 'day'], { default: 'minute', description: 'Bucket size; at most 1,440 buckets per answer' })),
    end: Type.Optional(Type.String({ description: 'ISO 8601 end of the window (default now); the window ends at the end of its bucket' })),
  },
  { additionalProperties: false },
);
export type MetricsQuery = Static<typeof MetricsQuery>;

const StatusCounts = Type.Object(Object.fromEntries(EVENT_STATUSES.map((status) => [status, Type.Integer()])), {
  description: 'Events by their current status',
});
const SuccessRate = Nullable(Type.Number({ minimum: 0, maximum: 1 }), {
  description: 'SUCCESSFUL ÷ (SUCCESSFUL + FAILED); null when none has finished',
});

export const MetricsModel = Type.Object({
  window: Type.Object({ start: IsoTime, end: IsoTime, bucket: Type.String() }),
  buckets: Type.Array(Type.Object({ start: IsoTime, counts: StatusCounts, total: Type.Integer(), success_rate: SuccessRate }), {
    description: 'Inbound events created in each bucket, oldest bucket first',
  }),
  totals: Type.Object({ counts: StatusCounts, total: Type.Integer(), success_rate: SuccessRate }),
  backlog: Type.Object(
    {
      queued: Type.Integer(),
      scheduled: Type.Integer({ description: 'Waiting for an automatic retry' }),
      hold: Type.Integer({ description: 'Held by a paused or disabled connection or destination' }),
      total: Type.Integer(),
      oldest_pending_at: NullableIsoTime,
    },
    { description: 'Every pending inbound event of the team, whatever its age (not only the window)' },
  ),
  failing_destinations: Type.Array(
    Type.Object({
      destination_id: Type.String(),
      name: Nullable(Type.String()),
      failed: Type.Integer({ description: 'Events of the window that FAILED' }),
      retrying: Type.Integer({ description: 'Events of the window waiting for a retry (SCHEDULED)' }),
      last_attempt_at: NullableIsoTime,
    }),
    { description: `At most ${FAILING_LIMIT}, the most failing first` },
  ),
});

function successRate(counts: Record<EventStatus, number>): number | null {
  const finished = counts.SUCCESSFUL + counts.FAILED;
  return finished === 0 ? null : counts.SUCCESSFUL / finished;
}

/** The window's bounds: aligned to buckets, ending with the bucket that holds `end`. */
export function metricsWindow(query: MetricsQuery, now: number): { from: number; to: number; bucketMs: number } {
  const windowText = query.window ?? '1h';
  const windowMs = Number(windowText.slice(0, -1)) * UNIT_MS[windowText.slice(-1) as keyof typeof UNIT_MS];
  if (windowMs > MAX_WINDOW_MS) throw invalidField('window', 'must be at most 7 days (7d)', 'query');
  const bucketMs = BUCKET_MS[query.bucket ?? 'minute'];
  const buckets = Math.ceil(windowMs / bucketMs);
  if (buckets > MAX_BUCKETS) {
    throw invalidField('bucket', `makes ${buckets} buckets for a window of ${windowText}; choose a larger bucket (at most ${MAX_BUCKETS} buckets)`, 'query');
  }
  let end = now;
  if (query.end !== undefined) {
    end = /^\d{4}-\d{2}-\d{2}/.test(query.end) ? Date.parse(query.end) : Number.NaN;
    if (Number.isNaN(end)) throw invalidField('end', `must be an ISO 8601 time such as 2024-05-01T12:00:00Z; got "${query.end}"`, 'query');
  }
  const to = Math.floor(end / bucketMs) * bucketMs + bucketMs;
  return { from: to - buckets * bucketMs, to, bucketMs };
}

export function metricsRoutes(app: FastifyInstance, { store }: ApiDeps): void {
  app.get<{ Querystring: MetricsQuery }>(
    '/metrics/events',
    {
      schema: {
        summary: 'Inbound events per bucket by status, success rate, backlog and failing destinations',
        description:
          'For the console overview and monitoring. window (default 1h, at most 7d) and bucket (minute, hour or day; at most 1,440 buckets). Counts are of events by creation time and current status.',
        tags: ['Metrics'],
        security: TEAM_SECURITY,
        querystring: MetricsQuery,
        response: { 200: MetricsModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { from, to, bucketMs } = metricsWindow(request.query, Date.now());
      const metrics = await store.eventMetrics(request.teamId, { from, to, bucketMs, failingLimit: FAILING_LIMIT });
      const totals = Object.fromEntries(EVENT_STATUSES.map((status) => [status, 0])) as Record<EventStatus, number>;
      for (const bucket of metrics.buckets) for (const status of EVENT_STATUSES) totals[status] += bucket.counts[status];
      const sum = (counts: Record<EventStatus, number>) => EVENT_STATUSES.reduce((n, status) => n + counts[status], 0);
      const names = await Promise.all(metrics.failingDestinations.map((d) => store.getDestination(request.teamId, d.destinationId)));
      const { backlog } = metrics;
      return {
        window: { start: iso(from), end: iso(to), bucket: request.query.bucket ?? 'minute' },
        buckets: metrics.buckets.map((b) => ({ start: iso(b.start), counts: b.counts, total: sum(b.counts), success_rate: successRate(b.counts) })),
        totals: { counts: totals, total: sum(totals), success_rate: successRate(totals) },
        backlog: {
          queued: backlog.queued,
          scheduled: backlog.scheduled,
          hold: backlog.hold,
          total: backlog.queued + backlog.scheduled + backlog.hold,
          oldest_pending_at: isoOrNull(backlog.oldestPendingAt),
        },
        failing_destinations: metrics.failingDestinations.map((d, i) => ({
          destination_id: d.destinationId,
          name: names[i]?.name ?? null,
          failed: d.failed,
          retrying: d.retrying,
          last_attempt_at: isoOrNull(d.lastAttemptAt),
        })),
      };
    },
  );
}
