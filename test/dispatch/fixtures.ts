/**
 * A real SQLite store in a temporary directory with one team, and helpers to make a source → connection →
 * destination pipeline, ingest requests into it, and wait for events to reach a state, for dispatcher tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config } from '../../src/config/loadConfig.js';
import { newId } from '../../src/domain/ids.js';
import type { Destination, EventRecord, RetryRule } from '../../src/domain/model.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/openSqliteStore.js';

export const SIGNING_SECRET = 'shsec_dispatchertests0000000000000000';

export interface TestStore {
  store: SqliteStore;
  teamId: string;
  close(): Promise<void>;
}

export async function openTestStore(): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-dispatch-'));
  const store = openSqliteStore(join(dir, 'sluice.db'), { synchronous: 'NORMAL' });
  await store.migrate();
  const teamId = newId('team');
  await store.createTeam({ id: teamId, name: 'test', signingSecretEncrypted: 'unused: the tests pass secretFor' }, Date.now());
  return {
    store,
    teamId,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32', SLUICE_DEFAULT_TIMEOUT_MS: '2000', ...env });
}

export interface Pipeline {
  sourceId: string;
  connectionId: string;
  destinationId: string;
  /** Stores one request and its event, as ingest does; returns the event id. */
  ingest(body?: string): Promise<string>;
}

export async function createPipeline(
  t: TestStore,
  options: { url: string; retry?: RetryRule; destination?: Partial<Destination['config']> },
): Promise<Pipeline> {
  const { store, teamId } = t;
  const now = Date.now();
  const sourceId = newId('source');
  const destinationId = newId('destination');
  const connectionId = newId('connection');
  await store.createSource({
    id: sourceId,
    teamId,
    name: `src-${sourceId}`,
    description: null,
    config: { allowed_http_methods: ['POST'], custom_response: null },
    disabledAt: null,
    createdAt: now,
    updatedAt: now,
  });
  await store.createDestination({
    id: destinationId,
    teamId,
    name: `des-${destinationId}`,
    description: null,
    type: 'HTTP',
    config: { url: options.url, http_method: null, timeout: 2000, headers: {}, rate_limit: null, rate_limit_period: null, ...options.destination },
    disabledAt: null,
    createdAt: now,
    updatedAt: now,
  });
  await store.createConnection({
    id: connectionId,
    teamId,
    name: `web-${connectionId}`,
    description: null,
    sourceId,
    destinationId,
    rules: options.retry === undefined ? [] : [options.retry],
    pausedAt: null,
    disabledAt: null,
    createdAt: now,
    updatedAt: now,
  });
  return {
    sourceId,
    connectionId,
    destinationId,
    ingest: async (body = '{"hello":"world"}') => {
      const createdAt = Date.now();
      const requestId = newId('request', createdAt);
      const eventId = newId('event', createdAt);
      await store.acceptRequest(
        {
          id: requestId,
          teamId,
          sourceId,
          method: 'POST',
          path: '',
          query: '',
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(body),
          bodyIsJson: true,
          rejectionCause: null,
          eventIds: [eventId],
          createdAt,
        },
        [{ id: eventId, connectionId, destinationId, status: 'QUEUED' }],
      );
      return eventId;
    },
  };
}

/** Polls the event until `predicate` holds; fails with the last state seen. */
export async function waitForEvent(
  t: TestStore,
  eventId: string,
  predicate: (event: EventRecord) => boolean,
  timeoutMs = 5000,
): Promise<EventRecord> {
  const until = Date.now() + timeoutMs;
  let last: EventRecord | null = null;
  while (Date.now() < until) {
    last = await t.store.getEvent(t.teamId, eventId);
    if (last !== null && predicate(last)) return last;
    await sleep(5);
  }
  throw new Error(`event ${eventId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

export const retryRule = (interval: number, count: number, codes?: string[]): RetryRule => ({
  type: 'retry',
  strategy: 'linear',
  interval,
  count,
  ...(codes === undefined ? {} : { response_status_codes: codes }),
});
