import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildForwardRequest, forwardUrl, type ForwardAttempt } from '../../src/domain/forwardRequest.js';
import type { HttpDestinationConfig, RequestRecord } from '../../src/domain/model.js';
import { signBody } from '../../src/domain/signing.js';

const request: RequestRecord = {
  id: 'req_000000000aaaaaaa',
  teamId: 'tm_000000000aaaaaaa',
  sourceId: 'src_000000000aaaaaaa',
  method: 'POST',
  path: '/orders/1',
  query: 'x=1&y=%20z',
  headers: {
    host: 'gateway.example',
    connection: 'keep-alive, x-drop-me',
    'keep-alive': 'timeout=5',
    'proxy-authorization': 'Basic abc',
    te: 'trailers',
    trailer: 'x',
    'transfer-encoding': 'chunked',
    upgrade: 'h2c',
    'content-length': '17',
    'x-drop-me': '1',
    'x-sluice-signature': 'forged',
    'content-type': 'application/json',
    authorization: 'Bearer upstream',
    'x-custom': 'kept',
  },
  body: Buffer.from('{"test3":true}'),
  bodyIsJson: true,
  rejectionCause: null,
  eventIds: ['evt_000000000aaaaaaa'],
  createdAt: 0,
};

const config: HttpDestinationConfig = {
  url: 'https://receiver.example/hooks/?token=abc',
  http_method: null,
  timeout: 5000,
  headers: { 'X-Custom': 'from-destination', 'x-extra': 'yes' },
  rate_limit: null,
  rate_limit_period: null,
};

const attempt: ForwardAttempt = {
  eventId: 'evt_000000000aaaaaaa',
  requestId: request.id,
  sourceName: 'stripe',
  attemptNumber: 3,
  trigger: 'AUTOMATIC',
  willRetryAfterMs: 119_500,
  signingSecret: 'shsec_test',
};

describe('forwardUrl', () => {
  it('joins paths with exactly one slash and appends the query after the destination’s', () => {
    assert.equal(forwardUrl('https://a.example/hooks/', '/orders/1', ''), 'https://a.example/hooks/orders/1');
    assert.equal(forwardUrl('https://a.example/hooks', 'orders', ''), 'https://a.example/hooks/orders');
    assert.equal(forwardUrl('https://a.example', '/x', 'a=1'), 'https://a.example/x?a=1');
    assert.equal(forwardUrl('https://a.example/h?k=v', '', 'a=1&b=2'), 'https://a.example/h?k=v&a=1&b=2');
    assert.equal(forwardUrl('https://a.example/h?k=v', '', ''), 'https://a.example/h?k=v');
    assert.equal(forwardUrl('https://a.example/h//', '//x', ''), 'https://a.example/h/x');
  });
});

describe('buildForwardRequest', () => {
  const built = buildForwardRequest(request, config, attempt);

  it('keeps method and body, and targets destination URL + path + merged query', () => {
    assert.equal(built.method, 'POST');
    assert.deepEqual(built.body, request.body);
    assert.equal(built.url, 'https://receiver.example/hooks/orders/1?token=abc&x=1&y=%20z');
  });

  it('drops hop-by-hop headers (and those the connection header names) and forged x-sluice-* ones', () => {
    for (const name of ['host', 'connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'x-drop-me']) {
      assert.equal(built.headers[name], undefined, name);
    }
    assert.notEqual(built.headers['x-sluice-signature'], 'forged');
  });

  it('keeps end-to-end headers, lets destination headers override, and adds the x-sluice-* headers', () => {
    assert.equal(built.headers['content-type'], 'application/json');
    assert.equal(built.headers.authorization, 'Bearer upstream');
    assert.equal(built.headers['x-custom'], 'from-destination');
    assert.equal(built.headers['x-extra'], 'yes');
    assert.equal(built.headers['x-sluice-event-id'], attempt.eventId);
    assert.equal(built.headers['x-sluice-request-id'], request.id);
    assert.equal(built.headers['x-sluice-source-name'], 'stripe');
    assert.equal(built.headers['x-sluice-attempt-count'], '3');
    assert.equal(built.headers['x-sluice-attempt-trigger'], 'AUTOMATIC');
    assert.equal(built.headers['x-sluice-will-retry-after'], '120');
    assert.equal(built.headers['x-sluice-signature'], signBody('shsec_test', request.body));
  });

  it('omits x-sluice-will-retry-after when no retry would follow', () => {
    const last = buildForwardRequest(request, config, { ...attempt, willRetryAfterMs: null });
    assert.equal('x-sluice-will-retry-after' in last.headers, false);
  });

  it('uses the destination’s http_method, and sends no body with GET or HEAD', () => {
    const get = buildForwardRequest(request, { ...config, http_method: 'GET' }, attempt);
    assert.equal(get.method, 'GET');
    assert.equal(get.body, null);
    assert.equal(get.headers['x-sluice-signature'], signBody('shsec_test', Buffer.alloc(0)));
    const head = buildForwardRequest({ ...request, method: 'HEAD' }, config, attempt);
    assert.equal(head.body, null);
    const put = buildForwardRequest(request, { ...config, http_method: 'PUT' }, attempt);
    assert.deepEqual([put.method, put.body], ['PUT', request.body]);
  });
});
