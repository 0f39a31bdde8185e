/**
 * Prep steps that write straight into a stopped gateway's SQLite file: a million pending deliveries would take
 * minutes through the API, and "10,000 deliveries due in the same second" cannot be made through it at all. The
 * rows are generated inside SQLite (a recursive CTE), so seeding costs SQLite's insert speed and no JavaScript per
 * row. Ids keep the gateway's format: prefix, 9 base-36 time characters, 7 more (here a hex counter, so they sort).
 *
 * Only for a data directory whose gateway is stopped (it holds an exclusive lock while it runs).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { messageBody } from './common.js';

function encodeTime(ms: number): string {
  return Math.floor(ms).toString(36).padStart(9, '0');
}

function open(dataDir: string): Database.Database {
  const db = new Database(join(dataDir, 'sluice.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  return db;
}

export interface Route {
  sourceId: string;
  connectionId: string;
  destinationId: string;
}

interface Batch {
  route: Route;
  /** Events to write, numbered from `first` (the counter part of their ids). */
  first: number;
  count: number;
  status: 'QUEUED' | 'SCHEDULED';
  /** Due time of event k (0-based in this batch) = dueAt + floor(k * dueSpreadMs / count) + dueOffsetMs. */
  dueAt: number;
  dueSpreadMs: number;
  dueOffsetMs: number;
  attempts: number;
}

const INSERT_REQUESTS = `
WITH RECURSIVE n(i) AS (SELECT @first UNION ALL SELECT i + 1 FROM n WHERE i < @last)
INSERT INTO requests (id, team_id, source_id, method, path, query, headers, body, body_is_json, rejection_cause, event_ids, created_at)
SELECT 'req_' || @time || printf('%07x', i), @teamId, @sourceId, 'POST', '', '', @headers, @body, 1, NULL,
  json_array('evt_' || @time || printf('%07x', i)), @createdAt
FROM n`;

const INSERT_EVENTS = `
WITH RECURSIVE n(i) AS (SELECT @first UNION ALL SELECT i + 1 FROM n WHERE i < @last)
INSERT INTO events (id, team_id, request_id, connection_id, source_id, destination_id, status, attempts,
  due_at, next_attempt_at, next_trigger, last_attempt_at, created_at, updated_at)
SELECT 'evt_' || @time || printf('%07x', i), @teamId, 'req_' || @time || printf('%07x', i), @connectionId, @sourceId,
  @destinationId, @status, @attempts,
  CAST(@dueAt + ((i - @first) * @spread) / @count + @offset AS INTEGER),
  CAST(@dueAt + ((i - @first) * @spread) / @count + @offset AS INTEGER),
  iif(@attempts = 0, 'INITIAL', 'AUTOMATIC'), iif(@attempts = 0, NULL, @createdAt), @createdAt, @createdAt
FROM n`;

/** Writes the batches (requests with one event each) in one transaction; returns the seconds it took. */
export function seedDeliveries(dataDir: string, batches: Batch[]): number {
  const started = performance.now();
  const db = open(dataDir);
  try {
    const createdAt = Date.now();
    const time = encodeTime(createdAt);
    const headers = JSON.stringify({ 'content-type': 'application/json', 'user-agent': 'sluice-bench' });
    const body = Buffer.from(messageBody('seeded', createdAt));
    const insertRequests = db.prepare(INSERT_REQUESTS);
    const insertEvents = db.prepare(INSERT_EVENTS);
    db.transaction(() => {
      for (const b of batches) {
        const teamId = (db.prepare('SELECT team_id FROM sources WHERE id = ?').get(b.route.sourceId) as { team_id: string }).team_id;
        const common = { first: b.first, last: b.first + b.count - 1, time, teamId, sourceId: b.route.sourceId, createdAt };
        insertRequests.run({ ...common, headers, body });
        insertEvents.run({
          ...common,
          connectionId: b.route.connectionId,
          destinationId: b.route.destinationId,
          status: b.status,
          attempts: b.attempts,
          dueAt: b.dueAt,
          spread: b.dueSpreadMs,
          count: b.count,
          offset: b.dueOffsetMs,
        });
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return (performance.now() - started) / 1000;
}

/** `count` deliveries due now on one route (the backlog scenario). */
export function seedBacklog(dataDir: string, route: Route, count: number): number {
  const now = Date.now();
  return seedDeliveries(dataDir, [{ route, first: 0, count, status: 'QUEUED', dueAt: now - 60_000, dueSpreadMs: 60_000, dueOffsetMs: 0, attempts: 0 }]);
}

/**
 * `count` retries spread evenly over the second starting at `dueAt`, shared equally by the routes: event k of
 * each route is due at dueAt + k * 1000 / (count / routes), so every millisecond has one event of every route.
 */
export function seedRetries(dataDir: string, routes: Route[], count: number, dueAt: number): number {
  const per = Math.floor(count / routes.length);
  return seedDeliveries(
    dataDir,
    routes.map((route, r) => ({
      route,
      first: r * per,
      count: per,
      status: 'SCHEDULED' as const,
      dueAt,
      dueSpreadMs: 1000,
      dueOffsetMs: Math.floor((r * 1000) / count),
      attempts: 1,
    })),
  );
}

/** Lateness of each seeded retry: its first attempt's created_at − its next_attempt_at as seeded. */
export function readRetryLateness(dataDir: string, due: Map<string, number>): { lateness: number[]; missing: number } {
  const db = new Database(join(dataDir, 'sluice.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT event_id, min(created_at) AS at FROM attempts GROUP BY event_id').all() as { event_id: string; at: number }[];
    const lateness: number[] = [];
    for (const row of rows) {
      const dueAt = due.get(row.event_id);
      if (dueAt !== undefined) lateness.push(row.at - dueAt);
    }
    return { lateness, missing: due.size - lateness.length };
  } finally {
    db.close();
  }
}

/** The seeded retries' due times, read back before the gateway starts. */
export function readDueTimes(dataDir: string): Map<string, number> {
  const db = new Database(join(dataDir, 'sluice.db'), { readonly: true });
  try {
    const rows = db.prepare("SELECT id, next_attempt_at FROM events WHERE status = 'SCHEDULED'").all() as { id: string; next_attempt_at: number }[];
    return new Map(rows.map((r) => [r.id, r.next_attempt_at]));
  } finally {
    db.close();
  }
}
