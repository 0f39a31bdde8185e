/**
 * `tsx bench/sqliteCycle.ts [claimSize=20] [rounds=2000]`: what the embedded store's dispatch writes cost, without
 * HTTP or a load generator in the way. A backlog of 200,000 deliveries on one destination, then rounds of
 * claimDue (at most `claimSize` events) → recordAttempts (all successful), each through the store's group writer
 * as the dispatcher does it. Prints CPU µs per delivered event (this process's user + system time, so a loaded
 * machine changes it less than wall time) and commits per round. For A/B runs of store changes.
 *
 *   CYCLE_SQL='PRAGMA wal_autocheckpoint=0' npx tsx bench/sqliteCycle.ts 5   also prints WAL frames (pages) per round
 *
 * Instruction counts, which a loaded machine does not change: run it under callgrind with instrumentation off,
 * and CYCLE_CALLGRIND=1 turns it on for the measured rounds only (not the seeding or the warm-up):
 *
 *   CYCLE_CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cycle.%p \
 *     node --import tsx bench/sqliteCycle.ts 14 300      then: callgrind_annotate /tmp/cycle.<pid> | head
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRetryRule } from '../src/domain/backoff.js';
import { newId } from '../src/domain/ids.js';
import { toAttemptResult } from '../src/dispatch/attemptResult.js';
import { openSqliteStore } from '../src/store/sqlite/openSqliteStore.js';
import { aCappedDestination, aConnection, aSource } from '../test/store/fixtures.js';
import { seedBacklog } from './lib/seed.js';

const BACKLOG = 200_000;
const claimSize = Number(process.argv[2] ?? 20);
const rounds = Number(process.argv[3] ?? 2000);

const dir = mkdtempSync(join(tmpdir(), 'sluice-cycle-'));
const file = join(dir, 'sluice.db');
try {
  const now = Date.now();
  let store = openSqliteStore(file);
  await store.migrate();
  const team = await store.createTeam({ id: newId('team', now), name: 'bench', signingSecretEncrypted: 'x' }, now);
  const source = aSource(team.id, {}, now);
  await store.createSource(source);
  const destination = aCappedDestination(team.id, 1000, now);
  await store.createDestination(destination);
  const connection = aConnection(team.id, source.id, destination.id, {}, now);
  await store.createConnection(connection);
  await store.close();
  seedBacklog(dir, { sourceId: source.id, connectionId: connection.id, destinationId: destination.id }, BACKLOG);

  store = openSqliteStore(file, { exclusive: true });
  const db = (store as unknown as { db: { exec(s: string): unknown } }).db;
  // Experiments: extra SQL (pragmas, index changes) run before the rounds.
  if (process.env.CYCLE_SQL !== undefined) db.exec(process.env.CYCLE_SQL);
  const retry = { rule: defaultRetryRule(60_000, 5), patterns: [] };
  const cycle = async (): Promise<number> => {
    const at = Date.now();
    const claims = await store.claimDue({ now: at, leaseMs: 60_000, limit: claimSize, inFlight: new Map(), defaultConcurrency: 1000 });
    const results = claims.map((c) =>
      toAttemptResult({
        attemptId: newId('attempt', at),
        event: c.event,
        destinationId: c.destination.id,
        trigger: c.trigger,
        leaseToken: c.leaseToken,
        dueAt: c.dueAt,
        retry,
        outcome: { kind: 'success', status: 200, body: 'ok', requestedUrl: c.destination.config.url ?? '', httpMethod: 'POST', responseLatency: 1 },
        startedAt: at,
        finishedAt: at + 1,
      }),
    );
    await store.recordAttempts(results, at + 1);
    return claims.length;
  };
  for (let i = 0; i < 200; i++) await cycle(); // warm-up
  const callgrind = (on: boolean): void => {
    if (process.env.CYCLE_CALLGRIND === '1') execFileSync('callgrind_control', ['-i', on ? 'on' : 'off', String(process.pid)], { stdio: 'ignore' });
  };
  callgrind(true);
  const commitsBefore = store.commits;
  const cpu = process.cpuUsage();
  const wall = performance.now();
  let delivered = 0;
  for (let i = 0; i < rounds; i++) delivered += await cycle();
  const used = process.cpuUsage(cpu);
  callgrind(false);
  const wallMs = performance.now() - wall;
  const cpuUs = used.user + used.system;
  console.log(
    `claim size ${claimSize}: ${delivered} delivered in ${rounds} rounds; CPU ${(cpuUs / delivered).toFixed(1)} µs/event ` +
      `(user ${(used.user / delivered).toFixed(1)}, system ${(used.system / delivered).toFixed(1)}), wall ${((wallMs * 1000) / delivered).toFixed(1)} µs/event, ` +
      `${((store.commits - commitsBefore) / rounds).toFixed(2)} commits/round`,
  );
  if (process.env.CYCLE_SQL?.includes('wal_autocheckpoint=0') === true) {
    console.log(`WAL frames per round: ${(statSync(`${file}-wal`).size / 4120 / (rounds + 200)).toFixed(1)}`);
  }
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
