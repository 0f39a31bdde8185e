/**
 * The PostgreSQL store's time partitions (migration 006, partitions.ts) on the machine's real PostgreSQL, each
 * test in a schema of its own: the migration keeps every row; partitions are made ahead, by many processes at
 * once, and rows stranded in DEFAULT move into the new partition; retention drops whole expired partitions and
 * still deletes the expired rows of the partition the cutoff falls inside; and the hot queries (ingest, claim,
 * record, every list filter) read indexes and prune partitions on a table spread over several weeks.
 *
 * Where: DATABASE_URL_TEST, else postgres://postgres@127.0.0.1:5432/test. Skipped with the reason printed when
 * PostgreSQL cannot be reached, except with CI=true, where the tests fail.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { newId } from '../../src/domain/ids.js';
import { purgeExpired } from '../../src/retention/retentionJob.js';
import { CLAIM_DESTINATION_SQL, CLAIM_HEADS_SQL, LEASE_SQL, LIVE_LEASES_SQL, NEXT_DUE_SQL } from '../../src/store/postgres/claim.js';
import { Db } from '../../src/store/postgres/db.js';
import * as attempts from '../../src/store/postgres/attempts.js';
import * as deliveries from '../../src/store/postgres/deliveries.js';
import * as events from '../../src/store/postgres/events.js';
import { ACCEPT_SQL } from '../../src/store/postgres/ingest.js';
import { migrate, readMigrations } from '../../src/store/postgres/migrate.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/openPostgresStore.js';
import { WEEK_MS, weekStart } from '../../src/store/postgres/partitionPlan.js';
import { ensurePartitions, listPartitions } from '../../src/store/postgres/partitions.js';
import * as published from '../../src/store/postgres/published.js';
import { INSERT_ATTEMPTS_SQL, RECORD_SQL } from '../../src/store/postgres/record.js';
import * as requests from '../../src/store/postgres/requests.js';
import { probePostgres, SERVER_URL } from '../support/postgresDatabase.js';
import { addRoute, anAttempt, ingest, newWorld, T0 } from './fixtures.js';
import { newEventDestination, publish } from './outboundFixtures.js';

const IN_CI = process.env.CI === 'true';
const unreachable = await probePostgres();
if (unreachable !== null) {
  const reason = `PostgreSQL is not reachable at ${SERVER_URL} (${unreachable}); set DATABASE_URL_TEST or start it`;
  if (IN_CI) test('PostgreSQL is reachable (required in CI)', () => assert.fail(reason));
  else test('postgres time partitions', { skip: reason }, () => undefined);
} else {
  definePartitionTests();
}

function definePartitionTests(): void {
  const admin = new pg.Pool({ connectionString: SERVER_URL, max: 2 });
  after(() => admin.end());
  const DAY = 86_400_000;
  const THIS_WEEK = weekStart(Date.now());

  async function withSchema(fn: (store: PostgresStore, schema: string, open: () => Promise<PostgresStore>) => Promise<void>, migrateNow = true): Promise<void> {
    const schema = `sluice_p_${randomBytes(6).toString('hex')}`;
    const opened: PostgresStore[] = [];
    const open = async (): Promise<PostgresStore> => {
      const store = await openPostgresStore(SERVER_URL, { poolSize: 4, schema, channel: `due_${schema}` });
      opened.push(store);
      return store;
    };
    const store = await open();
    if (migrateNow) await store.migrate();
    try {
      await fn(store, schema, open);
    } finally {
      for (const s of opened) await s.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  }

  const partitionOf = async (store: PostgresStore, table: string, id: string): Promise<string | undefined> =>
    (await store.pool.query<{ p: string }>(`SELECT tableoid::regclass::text AS p FROM ${table} WHERE id = $1`, [id])).rows[0]?.p;

  describe('postgres time partitions: migration and maintenance', () => {
    test('migration 006 keeps every row and column of requests, events and attempts, and every published event id', async () => {
      await withSchema(async (store, schema) => {
        const before = readMigrations().filter((m) => m.version < 6);
        await migrate(store.pool, { schema, migrations: before });
        // Today's ingest also writes requests.ignored (007): give the old table that column, left NULL as 006 and
        // 007 leave it, so the rows are written as before 006.
        await store.pool.query('ALTER TABLE requests ADD COLUMN ignored text');
        // Today's destinations carry their time rate limit (010): the same, dropped again before migrating, as 010 adds it.
        await store.pool.query('ALTER TABLE destinations ADD COLUMN rate_limit integer, ADD COLUMN rate_period_ms integer');
        const world = await newWorld(store);
        const ingested = await ingest(store, world, T0);
        const [eventId] = ingested.eventIds;
        assert.ok(eventId !== undefined);
        const event = (await store.getEvent(world.teamId, eventId))!;
        await store.recordAttempts([{ attempt: anAttempt(event, T0 + 5, { status: 'FAILED' }), leaseToken: null, nextAttemptAt: null }], T0 + 5);
        // A published event as 003 stored it (its id unique through requests_external_id).
        const messageId = newId('publishedEvent', T0 + 10);
        await store.pool.query(
          `INSERT INTO requests (id, team_id, source_id, method, path, query, headers, body, body_is_json, event_ids, created_at, kind, event_type, external_id, origin)
           VALUES ($1, $2, $3, 'POST', '', '', '{}', '\\x7b7d', true, '[]', $4, 'event', 'order.created', 'order-1', 'api')`,
          [messageId, world.teamId, world.source.id, T0 + 10],
        );
        const snapshot = async (): Promise<unknown[]> => {
          const out: unknown[] = [];
          for (const table of ['requests', 'events', 'attempts']) out.push((await store.pool.query(`SELECT * FROM ${table} ORDER BY id`)).rows);
          return out;
        };
        const rows = await snapshot();

        await store.pool.query('ALTER TABLE destinations DROP COLUMN rate_limit, DROP COLUMN rate_period_ms');
        await store.migrate();
        // Columns added by later migrations (011's lease_owner, …) are not 006's business: compare those of before.
        const asBefore = (after: unknown[]) =>
          after.map((table, t) =>
            (table as Record<string, unknown>[]).map((row, r) => {
              const was: Record<string, unknown> = (rows[t] as Record<string, unknown>[])[r] ?? {};
              return Object.fromEntries(Object.keys(was).map((k) => [k, row[k]]));
            }),
          );
        assert.deepEqual(asBefore(await snapshot()), rows, 'every row, every column, the same values');
        const kinds = await store.pool.query<{ relname: string; relkind: string }>(
          "SELECT relname, relkind FROM pg_class WHERE relname IN ('requests', 'events', 'attempts') AND relnamespace = current_schema()::regnamespace ORDER BY relname",
        );
        assert.deepEqual(kinds.rows.map((r) => r.relkind), ['p', 'p', 'p'], 'partitioned');
        assert.match((await partitionOf(store, 'events', eventId)) ?? '', /^events_evt_until_\d{8}$/);
        // The published id is still unique and found: publishing it again answers with the stored event.
        const again = await publish(store, world.teamId, 'order.created', T0 + 20, { id: 'order-1' });
        assert.equal(again.created, false);
        assert.equal(again.event.messageId, messageId);
        assert.equal((await store.getPublishedEvent(world.teamId, 'order-1'))?.messageId, messageId);
      }, false);
    });

    test('partitions are made ahead once however many processes do it at once; rows stranded in DEFAULT move in', async () => {
      await withSchema(async (store, _schema, open) => {
        const names = async (): Promise<string[]> => (await listPartitions(store.pool)).map((p) => p.name);
        const first = await names();
        for (const table of ['requests_req', 'requests_evt', 'events_evt', 'events_dlv', 'attempts_att', 'attempts_dla']) {
          assert.equal(first.filter((n) => n.startsWith(`${table}_`)).length, 3, `${table}: the first partition and two weeks ahead`);
        }
        // An event from beyond the partitions made so far (a clock far ahead) lands in DEFAULT, never fails.
        const world = await newWorld(store);
        const far = THIS_WEEK + 6 * WEEK_MS + DAY;
        const { eventIds } = await ingest(store, world, far);
        const farEvent = eventIds[0] ?? '';
        assert.equal(await partitionOf(store, 'events', farEvent), 'events_default');

        const others = await Promise.all([open(), open(), open()]);
        const made = await Promise.all([store, ...others].map((s) => ensurePartitions(s.pool, far)));
        const created = made.flat();
        assert.equal(new Set(created).size, created.length, 'no partition made twice');
        const after = await names();
        assert.equal(after.length, first.length + created.length);
        // The far event's week and the two after it, for 6 table/prefix pairs: one process made them, the others found the lock held.
        assert.equal(created.length, 3 * 6);
        assert.equal(made.filter((m) => m.length > 0).length, 1);
        assert.match((await partitionOf(store, 'events', farEvent)) ?? '', /^events_evt_\d{8}$/, 'moved out of DEFAULT');
        assert.equal((await store.getEvent(world.teamId, farEvent))?.id, farEvent);
        assert.equal((await store.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events_default')).rows[0]?.n, 0);
      });
    });

    test('retention drops whole expired partitions and deletes the expired rows of the partition the cutoff is in', async () => {
      await withSchema(async (store) => {
        const w1 = THIS_WEEK + WEEK_MS; // partitions exist for the next two weeks; make two more
        await ensurePartitions(store.pool, w1 + 2 * WEEK_MS);
        const world = await newWorld(store);
        const route2 = await addRoute(store, world);
        const destination = await newEventDestination(store, world.teamId);
        const old = await ingest(store, world, w1 + DAY, { connections: [world.connection, route2] });
        const oldPublished = await publish(store, world.teamId, 'a.b', w1 + DAY, { id: 'old-1' });
        assert.deepEqual(oldPublished.destinationIds, [destination.id]);
        const edgeExpired = await ingest(store, world, w1 + WEEK_MS + DAY);
        const edgeKept = await ingest(store, world, w1 + WEEK_MS + 5 * DAY);
        const recent = await ingest(store, world, w1 + 2 * WEEK_MS + DAY);
        // A manual retry of the old event made much later: its attempt lives in a later attempts partition.
        const oldEvent = (await store.getEvent(world.teamId, old.eventIds[0] ?? ''))!;
        const lateAttempt = anAttempt(oldEvent, w1 + 2 * WEEK_MS + 2 * DAY, { status: 'SUCCESSFUL', trigger: 'MANUAL' });
        await store.recordAttempts([{ attempt: lateAttempt, leaseToken: null, nextAttemptAt: null }], lateAttempt.createdAt);
        assert.match((await partitionOf(store, 'attempts', lateAttempt.id)) ?? '', /^attempts_att_\d{8}$/);

        const cutoff = w1 + WEEK_MS + 3 * DAY;
        const retentionDays = 30;
        const logged: unknown[] = [];
        const deleted = await purgeExpired(store, { retentionDays, intervalMs: 60_000, batch: 100 }, cutoff + retentionDays * DAY, (done) => logged.push(done));
        const dropped = (logged[0] as { dropped: string[] } | undefined)?.dropped ?? [];
        const stamp = new Date(w1).toISOString().slice(0, 10).replace(/-/g, '');
        for (const name of [`requests_req_${stamp}`, `requests_evt_${stamp}`, `events_evt_${stamp}`, `events_dlv_${stamp}`, `attempts_att_${stamp}`]) {
          assert.ok(dropped.includes(name), `${name} dropped whole: ${dropped.join(', ')}`);
        }
        assert.ok(dropped.some((n) => /^events_evt_until_/.test(n)), 'the first, open-ended partition too');
        assert.equal(deleted, 1, 'one row purged one by one: the expired request of the partition the cutoff falls inside');

        assert.equal(await store.getRequest(world.teamId, old.request.id), null);
        assert.equal(await store.getEvent(world.teamId, old.eventIds[1] ?? ''), null);
        assert.equal((await store.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM attempts WHERE id = $1', [lateAttempt.id])).rows[0]?.n, 0, 'late attempt gone with its event');
        assert.equal(await store.getRequest(world.teamId, edgeExpired.request.id), null);
        assert.equal(await store.getEvent(world.teamId, edgeExpired.eventIds[0] ?? ''), null);
        assert.notEqual(await store.getRequest(world.teamId, edgeKept.request.id), null);
        assert.notEqual(await store.getEvent(world.teamId, recent.eventIds[0] ?? ''), null);
        // The published id went with its message: the id can be used again.
        assert.equal(await store.getPublishedEvent(world.teamId, 'old-1'), null);
        assert.equal((await publish(store, world.teamId, 'a.b', cutoff + DAY, { id: 'old-1' })).created, true);
      });
    });
  });

  describe('postgres time partitions: query plans on a table spread over several weeks', () => {
    type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Actual Loops'?: number; 'Subplans Removed'?: number };
    const nodes = (plan: unknown): PlanNode[] => {
      const out: PlanNode[] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) return node.forEach(walk);
        if (node === null || typeof node !== 'object') return;
        const n = node as PlanNode & { Plan?: unknown; Plans?: unknown[] };
        if (typeof n['Node Type'] === 'string') out.push(n);
        walk(n.Plan);
        for (const child of n.Plans ?? []) walk(child);
      };
      walk(plan);
      return out;
    };
    const BIG = /^(events|requests|attempts)(_|$)/;

    test('ingest, claim, record and every list filter read indexes, prune partitions, and never scan a big table in full', async () => {
      await withSchema(async (store) => {
        const pool = store.pool;
        // Weeks +1 … +4 exist (partitions ahead), three with data: 60,000 requests, events and attempts, a tenth of them
        // this team's, over 10 routes; 1 % pending.
        const w1 = THIS_WEEK + WEEK_MS;
        await ensurePartitions(pool, w1 + WEEK_MS);
        const world = await newWorld(store);
        const routes = [world.connection];
        for (let i = 0; i < 9; i++) routes.push(await addRoute(store, world));
        const connectionIds = routes.map((r) => r.id);
        const destinationIds = routes.map((r) => r.destinationId);
        // g-th row at w1 + g × 30 s: 60,000 rows cover 20.8 days, so three weeks of 20,000 (enough for the planner to care).
        const at = (g: string) => `(${w1}::bigint + ${g}::bigint * 30000)`;
        const sid = (prefix: string, g: string) => `'${prefix}_' || sluice_id_time(${at(g)}) || lpad(${g}::text, 7, '0')`;
        await pool.query(
          `INSERT INTO requests (id, team_id, source_id, method, path, query, headers, body, body_is_json, event_ids, created_at)
           SELECT ${sid('req', 'g')}, CASE WHEN g % 10 = 0 THEN $1 ELSE 'tm_other_' || g % 7 END, $2, 'POST', '', '', '{}', '\\x7b7d', true, '[]', ${at('g')}
           FROM generate_series(1, 60000) g`,
          [world.teamId, world.source.id],
        );
        await pool.query(
          `INSERT INTO events (id, team_id, request_id, connection_id, source_id, destination_id, status, attempts, due_at, next_attempt_at, created_at, updated_at)
           SELECT ${sid('evt', 'g')}, CASE WHEN g % 10 = 0 THEN $1 ELSE 'tm_other_' || g % 7 END, ${sid('req', 'g')},
             ($3::text[])[1 + g % 10], $2, ($4::text[])[1 + g % 10],
             CASE WHEN g % 100 = 0 THEN 'QUEUED' WHEN g % 7 = 0 THEN 'FAILED' ELSE 'SUCCESSFUL' END, 1,
             CASE WHEN g % 100 = 0 THEN ${at('g')} END, CASE WHEN g % 100 = 0 THEN ${at('g')} END, ${at('g')}, ${at('g')}
           FROM generate_series(1, 60000) g`,
          [world.teamId, world.source.id, connectionIds, destinationIds],
        );
        await pool.query(
          `INSERT INTO attempts (id, team_id, event_id, destination_id, attempt_number, trigger, status, requested_url, http_method, created_at, updated_at)
           SELECT 'att_' || substr(e.id, 5), e.team_id, e.id, e.destination_id, 1, 'INITIAL', 'SUCCESSFUL', 'https://x.test', 'POST', e.created_at, e.created_at
           FROM events e`,
        );
        await pool.query('ANALYZE');
        const partitionsOf = async (table: string) => (await listPartitions(pool)).filter((p) => p.table === table).length;
        assert.ok((await partitionsOf('events')) >= 9, 'several partitions per table');
        const inDefault = await pool.query<{ n: number }>('SELECT (SELECT count(*) FROM events_default) + (SELECT count(*) FROM requests_default) + (SELECT count(*) FROM attempts_default) AS n');
        assert.equal(Number(inDefault.rows[0]?.n), 0, 'every row in its week');
        // A scan of an empty or tiny partition in full is the right plan; a big one is 1,000 rows or more.
        const big = new Set(
          (await pool.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND reltuples >= 1000")).rows.map(
            (r) => r.relname,
          ),
        );

        // Partition indexes are named by PostgreSQL; map each to the parent index it belongs to.
        const parents = new Map(
          (
            await pool.query<{ child: string; parent: string }>(
              `SELECT c.relname AS child, p.relname AS parent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
               WHERE c.relkind = 'i' AND c.relnamespace = current_schema()::regnamespace`,
            )
          ).rows.map((r) => [r.child, r.parent]),
        );

        /** EXPLAIN (ANALYZE inside a rolled-back transaction for writes and runtime pruning). */
        const explain = async (
          label: string,
          sql: string,
          params: readonly unknown[],
          expect: { indexes?: string[]; partitions?: { table: string; atMost: number }; unsorted?: boolean } = {},
        ): Promise<void> => {
          const client = await pool.connect();
          let plan: unknown;
          try {
            await client.query('BEGIN');
            plan = (await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params as unknown[])).rows[0]?.['QUERY PLAN'];
          } finally {
            await client.query('ROLLBACK');
            client.release();
          }
          const planNodes = nodes(plan);
          const shown = JSON.stringify(plan, null, 1);
          const fullScans = planNodes.filter(
            (n) => n['Node Type'] === 'Seq Scan' && BIG.test(n['Relation Name'] ?? '') && big.has(n['Relation Name'] ?? '') && (n['Actual Loops'] ?? 0) > 0,
          );
          assert.deepEqual(fullScans, [], `${label} scans a big table in full:\n${shown}`);
          const used = new Set(planNodes.flatMap((n) => (n['Index Name'] === undefined ? [] : [parents.get(n['Index Name']) ?? n['Index Name']])));
          if (process.env.SHOW_PLANS === '1') console.log(label, '→', [...used].join(', '));
          for (const index of expect.indexes ?? []) assert.ok(used.has(index), `${label} reads ${index}: ${[...used].join(', ')}\n${shown}`);
          // Read in index order and stopped at its limit, not every match read and sorted (a cost growing with the backlog).
          if (expect.unsorted === true) assert.deepEqual(planNodes.filter((n) => n['Node Type'] === 'Sort'), [], `${label} sorts:\n${shown}`);
          if (expect.partitions !== undefined) {
            const { table, atMost } = expect.partitions;
            const read = new Set(
              planNodes.filter((n) => (n['Relation Name'] ?? '').startsWith(`${table}_`) && (n['Actual Loops'] ?? 0) > 0).map((n) => n['Relation Name']),
            );
            assert.ok(read.size <= atMost, `${label} reads ${read.size} ${table} partitions (at most ${atMost}): ${[...read].join(', ')}`);
          }
        };

        // The API's lists: record the SQL the list functions send, then explain each statement.
        const recorded: { text: string; params: readonly unknown[] }[] = [];
        const recorder = new Db({
          query: (text: string, params?: unknown[]) => {
            recorded.push({ text, params: params ?? [] });
            return pool.query(text, params);
          },
        } as unknown as pg.Pool);
        const one = (await pool.query<{ id: string }>("SELECT id FROM events WHERE team_id = $1 AND id LIKE 'evt_%' ORDER BY id LIMIT 1 OFFSET 1000", [world.teamId])).rows[0]?.id ?? '';
        const cursor = (prefix: string) => `${prefix}_${one.slice(4)}`;
        const page = { orderDirection: 'desc' as const, limit: 100, after: cursor('evt') };
        const week2 = { createdAfter: w1 + WEEK_MS, createdBefore: w1 + 2 * WEEK_MS };
        const lists: [string, () => Promise<unknown>, number?][] = [
          ['events of a team', () => events.listEvents(recorder, world.teamId, {}, page)],
          ['events by status', () => events.listEvents(recorder, world.teamId, { status: ['FAILED'] }, page)],
          ['events by source', () => events.listEvents(recorder, world.teamId, { sourceId: world.source.id }, page)],
          ['events by destination', () => events.listEvents(recorder, world.teamId, { destinationId: destinationIds[3] ?? '' }, page)],
          ['events by connection', () => events.listEvents(recorder, world.teamId, { connectionId: connectionIds[3] ?? '' }, page)],
          ['events by request', () => events.listEvents(recorder, world.teamId, { requestId: `req_${one.slice(4)}` }, page)],
          ['events created in one week', () => events.listEvents(recorder, world.teamId, week2, { orderDirection: 'desc', limit: 100 }), 2],
          ['requests of a team', () => requests.listRequests(recorder, world.teamId, {}, { ...page, after: cursor('req') })],
          ['requests by source', () => requests.listRequests(recorder, world.teamId, { sourceId: world.source.id }, { ...page, after: cursor('req') })],
          ['requests created in one week', () => requests.listRequests(recorder, world.teamId, week2, { orderDirection: 'desc', limit: 100 }), 2],
          ['attempts of a team', () => attempts.listAttempts(recorder, world.teamId, {}, { ...page, after: cursor('att') })],
          ['attempts of an event', () => attempts.listAttempts(recorder, world.teamId, { eventId: one }, page)],
          ['deliveries of an event destination', () => deliveries.listDeliveries(recorder, world.teamId, destinationIds[2] ?? '', {}, { ...page, after: cursor('dlv') })],
          ['deliveries by status', () => deliveries.listDeliveries(recorder, world.teamId, destinationIds[2] ?? '', { status: ['FAILED'] }, page)],
          ['published events', () => published.listPublishedEvents(recorder, world.teamId, {}, page)],
          ['published event by id', () => published.getPublishedEvent(recorder, world.teamId, 'order-1')],
          ['event by id', () => events.getEvent(recorder, world.teamId, one), 1],
          ['request by id', () => requests.getRequest(recorder, world.teamId, `req_${one.slice(4)}`), 1],
        ];
        for (const [label, list, atMost] of lists) {
          recorded.length = 0;
          await list();
          assert.ok(recorded.length > 0);
          for (const { text, params } of recorded) {
            const table = /FROM (events|requests|attempts)\b/.exec(text)?.[1] ?? 'events';
            await explain(`${label}: ${text.slice(0, 60)}`, text, params, atMost === undefined ? {} : { partitions: { table, atMost } });
          }
        }

        // Ingest: requests and their events, one statement (routing only; no scan of a big table).
        const ingestAt = w1 + 3 * WEEK_MS;
        const reqId = newId('request', ingestAt);
        await explain(
          'ingest',
          ACCEPT_SQL,
          [[reqId], [world.teamId], [world.source.id], ['POST'], ['/'], [''], ['{}'], [Buffer.from('{}')], [true], [null], ['[]'], [ingestAt],
            [newId('event', ingestAt)], [reqId], [world.teamId], [world.source.id], [connectionIds[0] ?? null], [destinationIds[0] ?? null], [ingestAt],
            [null], [ingestAt]],
        );

        // The queue: claim heads, one destination's claim, live leases, next due, the lease, and recording results.
        const now = w1 + 4 * WEEK_MS;
        await explain('claim heads', CLAIM_HEADS_SQL, [now], { indexes: ['events_destination_due'] });
        await explain('claim one destination', CLAIM_DESTINATION_SQL, [destinationIds[0], now, 100, 20, 0, 'owner'], { indexes: ['events_destination_due', 'events_leased'], unsorted: true });
        await explain('live leases', LIVE_LEASES_SQL, [destinationIds[0], now, 'owner'], { indexes: ['events_leased'] });
        await explain('next due', NEXT_DUE_SQL, [], { indexes: ['events_destination_due'] });
        const due = (await pool.query<{ id: string }>("SELECT id FROM events WHERE due_at IS NOT NULL AND id LIKE 'evt_%' ORDER BY id LIMIT 5 OFFSET 10")).rows.map((r) => r.id);
        assert.equal(due.length, 5);
        await explain('lease', LEASE_SQL, [now + 60_000, due, 'token', 'owner'], { indexes: ['events_pkey'], partitions: { table: 'events', atMost: 1 } });
        const n = due.length;
        const fill = <T>(v: T): T[] => Array.from({ length: n }, () => v);
        const attemptIds = due.map((id) => `att_${id.slice(4)}x`);
        await explain(
          'record: insert attempts',
          INSERT_ATTEMPTS_SQL,
          [attemptIds, fill(world.teamId), due, fill(destinationIds[0]), fill(1), fill('INITIAL'), fill('SUCCESSFUL'), fill(200), fill(null), fill('ok'),
            fill('https://x.test'), fill('POST'), fill(5), fill(5), fill(now), fill(now), fill(now)],
        );
        await explain(
          'record: update events',
          RECORD_SQL,
          [now, due, fill(true), fill(200), fill(null), fill(now), fill(now), fill('token'), fill(null)],
          { indexes: ['events_pkey'], partitions: { table: 'events', atMost: 1 } },
        );
        await explain('release a connection', `UPDATE events SET status = 'QUEUED' WHERE connection_id = $1 AND status = 'HOLD'`, [connectionIds[0]], { indexes: ['events_held'] });
      });
    });
  });
}
