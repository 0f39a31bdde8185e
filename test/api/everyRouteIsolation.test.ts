/**
 * Team isolation on every route of the generated OpenAPI document, so a route added later is covered without
 * editing this file: team B, with its own valid key, calls each operation with team A's real ids in every path
 * parameter and every `*_id` query parameter (and a body built from the operation's schema, with A's ids in its
 * `*_id` fields). Operations with a path id answer 404; admin operations answer 401/403 to a team key; lists and
 * creates answer without any of A's ids. Afterwards every one of A's objects reads exactly as before.
 *
 * A new kind of path id makes the test fail until `idFor` knows which of A's objects to use: that is the point.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { startGateway, type Gateway, type Team } from './harness.js';

/** Operations anyone may call without an API key, and why that is not a breach of isolation. */
const UNAUTHENTICATED: Record<string, string> = {
  '/e/{id}': 'ingest: the source (or connection) id in the URL is the credential, as in Hookdeck (docs/api.md)',
};

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  minItems?: number;
  items?: JsonSchema;
  pattern?: string;
  format?: string;
};
interface Operation {
  parameters?: { in: string; name: string; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  security?: Record<string, unknown>[];
}

describe('team isolation on every route of /openapi.json', () => {
  let gw: Gateway;
  let a: Team;
  let b: Team;
  /** Team A's objects by kind. */
  const ids: Record<string, string> = {};
  let paths: Record<string, Record<string, Operation>> = {};
  /** What A reads for each of its objects before team B's calls. */
  const snapshots = new Map<string, string>();

  /** Which of A's objects a path parameter names, from the path segment before it. */
  function idFor(path: string, param: string): string {
    const segments = path.split('/');
    const at = segments.indexOf(`{${param}}`);
    const collection = `${segments[1] === 'v2' ? 'v2/' : ''}${segments[at - 1] ?? ''}`;
    const kind = {
      sources: 'source', destinations: 'destination', connections: 'connection', events: 'event', requests: 'request', attempts: 'attempt',
      retry: 'bulkRetry', teams: 'team', 'api-keys': 'apiKey', 'v2/events': 'publishedEvent', 'v2/event-destinations': 'eventDestination',
      'v2/event-deliveries': 'delivery',
    }[collection];
    const id = kind === undefined ? undefined : ids[kind];
    assert.ok(id !== undefined, `${path}: no object of team A for {${param}} (after "${collection}"); teach idFor which one to use`);
    return id;
  }

  /** Team A's id for a `*_id` field or parameter (`source_id` → A's source), if it has one. */
  function idForField(name: string): string | undefined {
    return name.endsWith('_id') ? ids[name.slice(0, -3).replace(/_(\w)/g, (_, c: string) => c.toUpperCase())] : undefined;
  }

  /** A value valid against the schema, with A's ids in `*_id` fields. */
  function minimal(schema: JsonSchema, name = ''): unknown {
    const own = idForField(name);
    if (own !== undefined) return own;
    if (schema.enum !== undefined) return schema.enum[0];
    const variant = schema.anyOf?.[0] ?? schema.oneOf?.[0];
    if (variant !== undefined) return minimal(variant, name);
    switch (schema.type) {
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const key of schema.required ?? []) out[key] = minimal(schema.properties?.[key] ?? {}, key);
        return out;
      }
      case 'array':
        return Array.from({ length: schema.minItems ?? 0 }, () => minimal(schema.items ?? {}, name));
      case 'integer':
      case 'number':
        return schema.minimum ?? 1;
      case 'boolean':
        return false;
      default:
        if (name === 'type' || name === 'events') return name === 'type' ? 'isolation.test' : '*';
        if (name === 'url' || schema.format === 'uri') return 'https://b.example/hook';
        return `isolation-${name.replace(/[^A-Za-z0-9_-]/g, '') || 'x'}`;
    }
  }

  function bodyFor(op: Operation): unknown {
    const schema = op.requestBody?.content['application/json']?.schema;
    return schema === undefined ? undefined : minimal(schema);
  }

  function queryFor(op: Operation): string {
    const pairs: [string, string][] = (op.parameters ?? [])
      .filter((p) => p.in === 'query' && p.name.endsWith('_id'))
      .map((p): [string, string] => [p.name, idForField(p.name) ?? ids.connection ?? '']);
    return pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`;
  }

  /** Every GET with only path ids, called as A with A's ids: what "unchanged" compares. */
  async function readAll(): Promise<Map<string, string>> {
    const seen = new Map<string, string>();
    for (const [path, ops] of Object.entries(paths)) {
      if (ops.get === undefined || !path.includes('{') || path in UNAUTHENTICATED || isAdmin(ops.get)) continue;
      const concrete = path.replace(/\{(\w+)\}/g, (_, param: string) => idFor(path, param));
      const answer = await a.call('GET', concrete);
      assert.equal(answer.status, 200, `${concrete} as team A: ${answer.text}`);
      seen.set(concrete, answer.text);
    }
    return seen;
  }

  const isAdmin = (op: Operation) => (op.security ?? []).some((s) => 'adminKey' in s);

  before(async () => {
    gw = await startGateway();
    a = await gw.team('a');
    b = await gw.team('b');
    ids.team = a.id;
    ids.apiKey = (await gw.admin('GET', `/teams/${a.id}/api-keys`)).json.models[0].id;
    ids.source = (await a.call('POST', '/sources', { body: { name: 'a-source' } })).json.id;
    ids.destination = (await a.call('POST', '/destinations', { body: { name: 'a-destination', config: { url: 'https://a.example' } } })).json.id;
    ids.connection = (await a.call('POST', '/connections', { body: { name: 'a-connection', source_id: ids.source, destination_id: ids.destination } })).json.id;
    ids.webhook = ids.connection ?? ''; // the connection's id under its seed name (`webhook_id`)
    const ingested = await gw.call('POST', `${gw.base}/e/${ids.source}`, { body: { of: 'team a' } });
    ids.request = ingested.json.request_id;
    ids.event = ingested.json.event_ids[0];
    const now = Date.now();
    ids.attempt = newId('attempt', now);
    await gw.store.recordAttempts(
      [
        {
          attempt: {
            id: ids.attempt ?? '', teamId: a.id, eventId: ids.event ?? '', destinationId: ids.destination ?? '', attemptNumber: 1, trigger: 'MANUAL',
            status: 'FAILED', responseStatus: 500, errorCode: null, body: null, requestedUrl: 'https://a.example', httpMethod: 'POST',
            deliveryLatency: 1, responseLatency: 1, successfulAt: null, createdAt: now, updatedAt: now,
          },
          leaseToken: null,
          nextAttemptAt: null,
        },
      ],
      now,
    );
    ids.bulkRetry = (await a.call('POST', '/bulk/events/retry', { body: { query: { status: ['FAILED'] } } })).json.id;
    // Let it finish, so that its progress does not change between the snapshots.
    for (const until = Date.now() + 30_000; Date.now() < until && (await a.call('GET', `/bulk/events/retry/${ids.bulkRetry}`)).json.in_progress === true; ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    ids.eventDestination = (
      await a.call('POST', '/v2/event-destinations', { body: { name: 'A', type: 'webhook', events: ['*'], webhook: { url: 'https://a.example/hook' } } })
    ).json.id;
    ids.publishedEvent = 'a-event-1';
    assert.equal((await a.call('POST', '/v2/events', { body: { type: 'order.created', data: { of: 'team a' }, id: ids.publishedEvent } })).status, 202);
    ids.delivery = (await a.call('GET', `/v2/event-destinations/${ids.eventDestination}/event-deliveries`)).json.data[0].id;
    for (const [kind, id] of Object.entries(ids)) assert.ok(typeof id === 'string' && id !== '', `team A has a ${kind}`);
    gw.engine.nextAttempt = null;

    paths = (await gw.call('GET', '/openapi.json')).json.paths;
    for (const [path, text] of await readAll()) snapshots.set(path, text);
  });
  after(async () => {
    await gw.close();
  });

  test('every operation answers team B without reaching any of team A’s objects', async () => {
    const operations = Object.entries(paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));
    assert.ok(operations.length >= 60, `the document lists the API (${operations.length} operations)`);
    // Deleting last, so an unexpected success cannot hide the answers of the other calls.
    operations.sort((x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE'));
    const retries = gw.engine.retries.length;
    const checked: string[] = [];
    const aIds = Object.values(ids).filter((id) => id !== ids.publishedEvent);

    for (const { path, method, op } of operations) {
      if (path in UNAUTHENTICATED) {
        assert.deepEqual(op.security ?? [], [], `${path} is listed as unauthenticated`);
        continue;
      }
      assert.ok((op.security ?? []).length > 0, `${method} ${path} declares no security: list it in UNAUTHENTICATED with the reason, or protect it`);
      const concrete = path.replace(/\{(\w+)\}/g, (_, param: string) => idFor(path, param)) + queryFor(op);
      const body = bodyFor(op);
      const answer = await b.call(method, concrete, body === undefined ? {} : { body });
      const label = `${method} ${concrete} ${body === undefined ? '' : JSON.stringify(body)} → ${answer.status} ${answer.text.slice(0, 300)}`;
      if (isAdmin(op)) {
        assert.ok([401, 403].includes(answer.status), `admin operation with a team key: ${label}`);
      } else if (path.includes('{')) {
        assert.equal(answer.status, 404, `another team's id: ${label}`);
      } else {
        assert.ok(answer.status < 500, label);
        if (method === 'GET') {
          const leaked = aIds.filter((id) => answer.text.includes(id) && !concrete.includes(id));
          assert.deepEqual(leaked, [], `a list shows team A's objects: ${label}`);
        }
        // A create that names another team's object (a connection from A's source to A's destination) fails.
        if (method === 'POST' && /"(source|destination)_id":/.test(JSON.stringify(body ?? {}))) {
          assert.equal(answer.status, 404, `building on team A's objects: ${label}`);
        }
      }
      checked.push(`${method} ${path}`);
    }
    // The engine (the dispatcher) scopes a manual attempt by the team it is given: it must only ever be given B.
    assert.ok(gw.engine.retries.slice(retries).every((retry) => retry.teamId === b.id), "the engine is asked with the caller's team only");
    assert.ok(checked.includes('PUT /connections/{id}/pause') && checked.includes('POST /v2/event-destinations/{id}/event-deliveries/{delivery_id}/retry'));

    const now = await readAll();
    for (const [path, text] of snapshots) assert.equal(now.get(path), text, `team A's ${path} is unchanged`);
    assert.ok(snapshots.size >= 11, `compared ${snapshots.size} objects`);
  });
});
