/**
 * The OpenAPI document: served without a key, OpenAPI 3.1, every route the API serves is in it with a summary,
 * tags and responses, parameters for the query filters, security schemes, and components a client generator needs.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Gateway } from './harness.js';

interface Operation {
  summary?: string;
  tags?: string[];
  responses?: Record<string, unknown>;
  parameters?: { name: string; in: string }[];
  security?: unknown[];
  requestBody?: unknown;
}

describe('openapi', () => {
  let gw: Gateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    await gw.close();
  });

  test('GET /openapi.json describes every route', async () => {
    const answer = await gw.call('GET', '/openapi.json');
    assert.equal(answer.status, 200);
    const doc = answer.json;
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.title, 'Sluice');
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['adminKey', 'basicAuth', 'bearerAuth']);

    const expected: [string, string][] = [
      ['post', '/teams'], ['get', '/teams'], ['post', '/teams/{id}/api-keys'], ['get', '/teams/{id}/api-keys'],
      ['delete', '/teams/{id}/api-keys/{key_id}'], ['get', '/team'], ['post', '/team/signing-secret/rotate'],
      ['post', '/sources'], ['get', '/sources'], ['get', '/sources/{id}'], ['put', '/sources/{id}'], ['delete', '/sources/{id}'],
      ['put', '/sources/{id}/disable'], ['put', '/sources/{id}/enable'],
      ['post', '/destinations'], ['get', '/destinations'], ['get', '/destinations/{id}'], ['put', '/destinations/{id}'],
      ['delete', '/destinations/{id}'], ['put', '/destinations/{id}/disable'], ['put', '/destinations/{id}/enable'],
      ['post', '/connections'], ['get', '/connections'], ['get', '/connections/{id}'], ['put', '/connections/{id}'],
      ['delete', '/connections/{id}'], ['put', '/connections/{id}/disable'], ['put', '/connections/{id}/enable'],
      ['put', '/connections/{id}/pause'], ['put', '/connections/{id}/unpause'],
      ['get', '/events'], ['get', '/events/{id}'], ['post', '/events/{id}/retry'], ['put', '/events/{id}/mute'],
      ['get', '/requests'], ['get', '/requests/{id}'], ['get', '/attempts'], ['get', '/attempts/{id}'],
      ['post', '/e/{id}'], ['get', '/e/{id}'],
      ['post', '/v2/events'], ['get', '/v2/events'], ['get', '/v2/events/{id}'],
      ['post', '/v2/event-destinations'], ['get', '/v2/event-destinations'], ['get', '/v2/event-destinations/{id}'],
      ['patch', '/v2/event-destinations/{id}'], ['delete', '/v2/event-destinations/{id}'],
      ['get', '/v2/event-destinations/{id}/event-deliveries'], ['get', '/v2/event-destinations/{id}/event-deliveries/{delivery_id}'],
      ['post', '/v2/event-destinations/{id}/event-deliveries/{delivery_id}/retry'], ['get', '/v2/destination-types'],
    ];
    for (const [method, path] of expected) {
      const operation: Operation | undefined = doc.paths[path]?.[method];
      assert.ok(operation, `${method.toUpperCase()} ${path} is documented`);
      assert.ok(operation.summary, `${method} ${path} has a summary`);
      assert.ok(operation.tags && operation.tags.length > 0, `${method} ${path} has tags`);
      assert.ok(operation.responses && Object.keys(operation.responses).length > 0, `${method} ${path} has responses`);
    }
    const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
    for (const [path, item] of Object.entries<Record<string, Operation>>(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(methods.has(method), `${method} ${path} is an OpenAPI operation`);
        assert.ok(operation.summary, `${method} ${path} has a summary`);
        assert.ok(operation.tags?.length, `${method} ${path} has tags`);
      }
    }
    assert.equal(doc.paths['/openapi.json'], undefined);

    const events: Operation = doc.paths['/events'].get;
    const names = new Set((events.parameters ?? []).map((parameter) => parameter.name));
    for (const name of ['status', 'source_id', 'destination_id', 'webhook_id', 'response_status', 'created_at[gte]', 'created_at[lte]', 'order_by', 'order_direction', 'limit', 'after', 'before']) {
      assert.ok(names.has(name), `GET /events documents ${name}`);
    }
    assert.ok(doc.paths['/sources'].post.requestBody, 'bodies are documented');
    assert.deepEqual(doc.paths['/sources'].post.security, [{ bearerAuth: [] }, { basicAuth: [] }]);
    assert.deepEqual(doc.paths['/teams'].get.security, [{ adminKey: [] }]);
    const v2Events: Operation = doc.paths['/v2/events'].get;
    const v2Names = new Set((v2Events.parameters ?? []).map((parameter) => parameter.name));
    for (const name of ['type', 'created_after', 'created_before', 'limit', 'cursor']) assert.ok(v2Names.has(name), `GET /v2/events documents ${name}`);
    const v2Error = doc.paths['/v2/events'].post.responses['4XX'] ?? doc.paths['/v2/events'].post.responses['4xx'];
    assert.ok(JSON.stringify(v2Error).includes('request_id'), '/v2 errors are documented in their own shape');
    const created = doc.paths['/sources'].post.responses['201'].content['application/json'].schema;
    assert.deepEqual(Object.keys(created.properties), ['id', 'name', 'description', 'team_id', 'url', 'config', 'disabled_at', 'created_at', 'updated_at']);
    // Source verification and rate limits, from the same TypeBox schemas that validate the body.
    const input = doc.paths['/sources'].post.requestBody.content['application/json'].schema.properties.config.properties;
    const authTypes = JSON.stringify(input.auth_type);
    for (const type of ['HMAC', 'BASIC_AUTH', 'API_KEY', 'STRIPE', 'GITHUB', 'SHOPIFY']) assert.ok(authTypes.includes(`"${type}"`), `auth_type ${type} documented`);
    assert.ok(JSON.stringify(input.auth).includes('webhook_secret_key'));
    assert.ok(JSON.stringify(input.rate_limit_period).includes('"minute"'));
    assert.deepEqual(Object.keys(created.properties.config.properties), ['allowed_http_methods', 'custom_response', 'auth_type', 'auth', 'rate_limit', 'rate_limit_period']);
  });
});
