/**
 * `tsx bench/pgAccept.ts [--roots a,b] [--rounds 4] [--count 4000] [--concurrency 64]`: the PostgreSQL store's
 * ingest alone, in-process, no HTTP. Each run opens a store on a fresh schema (pool 10, the gateway's default),
 * creates one source with one connection, then makes `count` ingests `concurrency` at a time, in two shapes:
 * `accept` = acceptRequest only; `path` = what the ingest route asks of the store per request (getSourceForIngest,
 * listActiveConnectionsOfSource, acceptRequest). Several checkouts (`--roots`, default this one) run alternately,
 * `rounds` times each, so a before/after comparison shares the machine's load; the load average is printed with
 * every figure. Needs PostgreSQL at BENCH_DATABASE_URL (default the local server's `postgres` database).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { newId } from '../src/domain/ids.js';
import type { NewEvent } from '../src/store/port.js';
import type { PostgresStore } from '../src/store/postgres/openPostgresStore.js';
import { aConnection, aDestination, aRequest, aSource, newTeam, type World } from '../test/store/fixtures.js';
import { SERVER_URL } from './lib/postgres.js';

const { values } = parseArgs({
  options: {
    roots: { type: 'string', default: '.' },
    rounds: { type: 'string', default: '4' },
    count: { type: 'string', default: '4000' },
    concurrency: { type: 'string', default: '64' },
  },
});
const roots = (values.roots ?? '.').split(',').map((r) => resolve(r));
const ROUNDS = Number(values.rounds);
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
type Shape = 'accept' | 'path';

type Open = (url: string, options: { poolSize: number; schema: string; channel: string }) => Promise<PostgresStore>;

async function opener(root: string): Promise<Open> {
  const module = (await import(`${root}/src/store/postgres/openPostgresStore.ts`)) as { openPostgresStore: Open };
  return module.openPostgresStore;
}

async function oneIngest(store: PostgresStore, world: World, shape: Shape, at: number): Promise<void> {
  let routes: NewEvent[] = [{ id: '', connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' }];
  if (shape === 'path') {
    const source = await store.getSourceForIngest(world.source.id);
    if (source === null) throw new Error('the source vanished');
    const active = await store.listActiveConnectionsOfSource(source.id);
    routes = active.map((c) => ({ id: '', connectionId: c.id, destinationId: c.destinationId, status: 'QUEUED' }));
  }
  const events = routes.map((r) => ({ ...r, id: newId('event', at) }));
  await store.acceptRequest(aRequest(world, at, events.map((e) => e.id), { body: Buffer.alloc(1024, 0x61) }), events);
}

async function run(open: Open, shape: Shape): Promise<number> {
  const schema = `sluice_bench_${randomBytes(5).toString('hex')}`;
  const store = await open(SERVER_URL, { poolSize: 10, schema, channel: `due_${schema}` });
  try {
    await store.migrate();
    const teamId = await newTeam(store);
    const source = aSource(teamId);
    const destination = aDestination(teamId);
    await store.createSource(source);
    await store.createDestination(destination);
    const connection = aConnection(teamId, source.id, destination.id, { pausedAt: Date.now() });
    await store.createConnection(connection);
    const world: World = { teamId, source, destination, connection };
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < COUNT) {
          next += 1;
          await oneIngest(store, world, shape, Date.now());
        }
      }),
    );
    return COUNT / ((performance.now() - start) / 1000);
  } finally {
    await store.close();
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

const opens = await Promise.all(roots.map(opener));
const results = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const shape of ['accept', 'path'] as const) {
    for (const [index, root] of roots.entries()) {
      const open = opens[index];
      if (open === undefined) continue;
      const load = loadavg()[0]?.toFixed(2);
      const rate = await run(open, shape);
      const key = `${shape} ${root}`;
      results.set(key, [...(results.get(key) ?? []), rate]);
      console.log(`round ${round + 1} ${shape.padEnd(6)} ${root}: ${rate.toFixed(0)}/s (load ${load})`);
    }
  }
}
for (const [key, rates] of results) {
  const sorted = [...rates].sort((a, b) => a - b);
  console.log(`${key}: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)}/s, range ${sorted[0]?.toFixed(0)}–${sorted.at(-1)?.toFixed(0)}/s`);
}
