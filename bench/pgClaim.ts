/**
 * `tsx bench/pgClaim.ts`: what time partitioning costs the queue. The same events — 300,000 over five weeks, 0.5 %
 * of them pending, on 20 destinations — in an unpartitioned `events` table (migrations before 006) and in the
 * partitioned one (006, with the steady state's partitions: the first one, five weeks of data, two ahead, per
 * prefix), then `claimDue` (limit 100) timed 200 times in each, alternating, each claim given back before the next.
 * Prints the median and p99 per variant. Needs PostgreSQL at BENCH_DATABASE_URL (default the local server's
 * `postgres` database); each variant runs in a schema of its own, dropped after.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { newId } from '../src/domain/ids.js';
import { migrate, MIGRATIONS_DIR, readMigrations } from '../src/store/postgres/migrate.js';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres/openPostgresStore.js';
import { WEEK_MS, weekStart } from '../src/store/postgres/partitionPlan.js';
import { ensurePartitions, listPartitions } from '../src/store/postgres/partitions.js';
import { aCappedDestination, aConnection, aSource } from '../test/store/fixtures.js';
import { summarise } from './lib/common.js';
import { SERVER_URL } from './lib/postgres.js';

const EVENTS = 300_000;
const DESTINATIONS = 20;
const ROUNDS = 200;
const FIRST = weekStart(Date.now()) + WEEK_MS;
const SPAN = 5 * WEEK_MS;

/** The id-time function of migration 006, for the unpartitioned variant's seeding (it predates 006). */
function idTimeFunction(): string {
  const sql = readFileSync(`${MIGRATIONS_DIR}/006_partition_by_time.sql`, 'utf8');
  const start = sql.indexOf('CREATE FUNCTION sluice_id_time');
  return sql.slice(start, sql.indexOf('END $$;', start) + 'END $$;'.length);
}

async function seed(store: PostgresStore): Promise<void> {
  const teamId = newId('team', FIRST);
  await store.createTeam({ id: teamId, name: 'bench', signingSecretEncrypted: 'x' }, FIRST);
  const source = aSource(teamId, {}, FIRST);
  await store.createSource(source);
  const connections: string[] = [];
  const destinations: string[] = [];
  for (let i = 0; i < DESTINATIONS; i++) {
    const destination = aCappedDestination(teamId, 1000, FIRST);
    await store.createDestination(destination);
    const connection = aConnection(teamId, source.id, destination.id, {}, FIRST);
    await store.createConnection(connection);
    connections.push(connection.id);
    destinations.push(destination.id);
  }
  const at = `(${FIRST}::bigint + g::bigint * ${Math.floor(SPAN / EVENTS)})`;
  // Only the pending events' requests: what a claim loads; the rest never reach it.
  await store.pool.query(
    `INSERT INTO requests (id, team_id, source_id, method, path, query, headers, body, body_is_json, event_ids, created_at)
     SELECT 'req_' || sluice_id_time(${at}) || lpad(g::text, 7, '0'), $1, $2, 'POST', '', '', '{}', '\\x7b7d', true, '[]', ${at}
     FROM generate_series(200, ${EVENTS}, 200) g`,
    [teamId, source.id],
  );
  await store.pool.query(
    `INSERT INTO events (id, team_id, request_id, connection_id, source_id, destination_id, status, attempts, due_at, next_attempt_at, created_at, updated_at)
     SELECT 'evt_' || sluice_id_time(${at}) || lpad(g::text, 7, '0'), $1, 'req_' || sluice_id_time(${at}) || lpad(g::text, 7, '0'),
       ($3::text[])[1 + g % ${DESTINATIONS}], $2, ($4::text[])[1 + g % ${DESTINATIONS}],
       CASE WHEN g % 200 = 0 THEN 'QUEUED' ELSE 'SUCCESSFUL' END, 1,
       CASE WHEN g % 200 = 0 THEN ${at} END, CASE WHEN g % 200 = 0 THEN ${at} END, ${at}, ${at}
     FROM generate_series(1, ${EVENTS}) g`,
    [teamId, source.id, connections, destinations],
  );
  await store.pool.query('ANALYZE');
}

async function variant(partitioned: boolean): Promise<{ store: PostgresStore; schema: string; partitions: number }> {
  const schema = `sluice_claim_${randomBytes(4).toString('hex')}`;
  const store = await openPostgresStore(SERVER_URL, { schema, poolSize: 4, channel: `due_${schema}` });
  if (partitioned) {
    await store.migrate();
    await ensurePartitions(store.pool, FIRST + WEEK_MS);
    await ensurePartitions(store.pool, FIRST + 4 * WEEK_MS);
  } else {
    await migrate(store.pool, { schema, migrations: readMigrations().filter((m) => m.version < 6) });
    await store.pool.query(idTimeFunction());
  }
  await seed(store);
  const partitions = partitioned ? (await listPartitions(store.pool)).filter((p) => p.table === 'events').length : 1;
  return { store, schema, partitions };
}

async function claimOnce(store: PostgresStore, now: number): Promise<number> {
  const t0 = performance.now();
  const claimed = await store.claimDue({ now, leaseMs: 60_000, limit: 100, inFlight: new Map(), defaultConcurrency: 1000 });
  const ms = performance.now() - t0;
  if (claimed.length === 0) throw new Error('nothing claimed: the seeding went wrong');
  await store.releaseClaims(claimed.map((c) => ({ eventId: c.event.id, leaseToken: c.leaseToken })));
  return ms;
}

async function main(): Promise<void> {
  const flat = await variant(false);
  const part = await variant(true);
  const now = FIRST + SPAN + 1000;
  const times = { flat: [] as number[], part: [] as number[] };
  try {
    for (let i = 0; i < 10; i++) {
      await claimOnce(flat.store, now);
      await claimOnce(part.store, now);
    }
    for (let i = 0; i < ROUNDS; i++) {
      times.flat.push(await claimOnce(flat.store, now));
      times.part.push(await claimOnce(part.store, now));
    }
    const line = (label: string, samples: number[], partitions: number) => {
      const s = summarise(samples);
      process.stdout.write(`${label.padEnd(34)} ${String(partitions).padStart(3)} partitions   claim of 100: p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms\n`);
    };
    process.stdout.write(`${EVENTS.toLocaleString('en-US')} events over 5 weeks, ${EVENTS / 200} pending on ${DESTINATIONS} destinations; ${ROUNDS} claims each\n`);
    line('events unpartitioned (before 006)', times.flat, flat.partitions);
    line('events partitioned by week (006)', times.part, part.partitions);
  } finally {
    for (const v of [flat, part]) {
      await v.store.pool.query(`DROP SCHEMA "${v.schema}" CASCADE`);
      await v.store.close();
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`pgClaim: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
