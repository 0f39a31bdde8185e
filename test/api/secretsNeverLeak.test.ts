/**
 * No secret ever leaves the gateway except in the one answer that creates it. The whole gateway runs in this
 * process (store, dispatcher, API) with every log line captured at trace level. Every kind of secret is created
 * (SECRET_KINDS: adding a kind is one entry), deliveries are attempted with them, every GET operation of
 * /openapi.json is called, and error paths that echo input are provoked with secrets in the input. Then every
 * answer and every log line is searched for every secret, as written and as base64, base64url, hex and
 * JSON-escaped text. Answers that show a secret once by design (creating a key, rotating a signing secret) are
 * not searched; everything else is.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   JSON answers are read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Gateway } from '../../src/app/gateway.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { createLogger } from '../../src/observability/logger.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const ADMIN_KEY = `admin_${randomBytes(16).toString('hex')}`;
const API_KEY = `sk_conf_${randomBytes(16).toString('hex')}`;
const token = (prefix = '') => `${prefix}${randomBytes(18).toString('base64url')}`;

interface Call {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON answer, read field by field
  json: any;
}
interface Context {
  gateway: Gateway;
  receiver: Receiver;
  /** A call whose answer is searched for secrets. */
  call(method: string, path: string, body?: unknown, key?: string): Promise<Call>;
  /** A call whose answer shows a secret once by design: not searched. */
  callShowingSecretOnce(method: string, path: string, body?: unknown, key?: string): Promise<Call>;
  /** Ids of the objects made, by collection (`v2/event-destinations`, `sources`, …), for the GET operations. */
  made: Map<string, string[]>;
}

/** Creates an event destination of `type` whose credentials hold `secrets`; returns them. */
async function eventDestination(ctx: Context, type: string, settings: Record<string, unknown>, secrets: string[]): Promise<string[]> {
  const created = await ctx.call('POST', '/v2/event-destinations', { name: `${type} with secrets`, type, events: ['*'], [type]: settings });
  assert.equal(created.status, 201, created.text);
  remember(ctx, 'v2/event-destinations', created.json.id);
  // Error paths with the same secrets in the input: the credentials without the config (a missing required setting
  // for every type that has one), settings under another type, an unknown setting, a secret used as an API key.
  const onlySecrets = Object.fromEntries(Object.entries(settings).filter(([, v]) => secrets.includes(v as string)));
  assert.ok((await ctx.call('POST', '/v2/event-destinations', { name: 'bad', type, events: ['*'], [type]: onlySecrets })).status < 500);
  const other = type === 'webhook' ? 'aws_sqs' : 'webhook';
  assert.equal((await ctx.call('POST', '/v2/event-destinations', { name: 'bad', type: other, events: ['*'], [type]: settings })).status, 422);
  assert.equal((await ctx.call('PATCH', `/v2/event-destinations/${created.json.id}`, { [type]: { ...settings, unknown_setting: secrets[0] } })).status, 422);
  assert.equal((await ctx.call('GET', '/v2/event-destinations', undefined, secrets[0])).status, 401);
  return secrets;
}

const unreachable = 'http://127.0.0.1:9';
const privateKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/**
 * Every kind of secret the gateway stores or accepts, each with how to create it. Another kind of secret (source
 * verification secrets, say) is one more entry here.
 */
const SECRET_KINDS: { kind: string; create: (ctx: Context) => Promise<string[]> }[] = [
  { kind: 'admin key', create: async () => [ADMIN_KEY] },
  { kind: 'configured API key', create: async () => [API_KEY] },
  {
    kind: 'API key created by an admin',
    create: async (ctx) => {
      const team = (await ctx.call('GET', '/team')).json.id;
      const key = (await ctx.callShowingSecretOnce('POST', `/teams/${team}/api-keys`, undefined, ADMIN_KEY)).json.key;
      remember(ctx, 'api-keys', (await ctx.call('GET', `/teams/${team}/api-keys`, undefined, ADMIN_KEY)).json.models[0].id);
      return [key];
    },
  },
  {
    kind: 'team signing secret (first start, and rotated)',
    create: async (ctx) => [
      ctx.gateway.bootstrap?.createdSigningSecret ?? '',
      (await ctx.callShowingSecretOnce('POST', '/team/signing-secret/rotate')).json.signing_secret,
    ],
  },
  {
    kind: 'webhook whsec_ secret and its previous secret',
    create: async (ctx) => {
      const [first, second] = [`whsec_${randomBytes(32).toString('base64')}`, `whsec_${randomBytes(32).toString('base64')}`];
      await eventDestination(ctx, 'webhook', { url: ctx.receiver.url, secret: first }, [first]);
      const id = ctx.made.get('v2/event-destinations')?.at(-1) ?? '';
      assert.equal((await ctx.call('PATCH', `/v2/event-destinations/${id}`, { webhook: { secret: second } })).status, 200);
      assert.equal((await ctx.call('PATCH', `/v2/event-destinations/${id}`, { webhook: { secret: `whsec_${token()}!!` } })).status, 422);
      return [first, second];
    },
  },
  { kind: 'aws_sqs key, secret, session', create: (ctx) => awsLike(ctx, 'aws_sqs', { queue_url: `${unreachable}/000000000000/q`, region: 'eu-west-1', endpoint: unreachable }) },
  { kind: 'aws_kinesis key, secret, session', create: (ctx) => awsLike(ctx, 'aws_kinesis', { stream_name: 'sluice-stream', region: 'eu-west-1', endpoint: unreachable }) },
  { kind: 'aws_s3 key, secret, session', create: (ctx) => awsLike(ctx, 'aws_s3', { bucket: 'sluice-bucket', region: 'eu-west-1', endpoint: unreachable }) },
  {
    kind: 'gcp_pubsub service account JSON',
    create: async (ctx) => {
      const json = JSON.stringify({ type: 'service_account', project_id: 'p', private_key_id: token(), private_key: privateKeyPem, client_email: 'x@p.iam.gserviceaccount.com', client_id: '1' });
      const keyLines = privateKeyPem.split('\n').filter((line) => line.length >= 60);
      await eventDestination(ctx, 'gcp_pubsub', { project_id: 'sluice-project', topic: 'events', endpoint: unreachable, service_account_json: json }, [json]);
      return [json, ...keyLines, JSON.parse(json).private_key_id];
    },
  },
  {
    kind: 'azure_servicebus connection string',
    create: async (ctx) => {
      const key = randomBytes(32).toString('base64');
      const connection = `Endpoint=sb://127.0.0.1:9/;SharedAccessKeyName=send;SharedAccessKey=${key}`;
      await eventDestination(ctx, 'azure_servicebus', { name: 'q', connection_string: connection }, [connection]);
      return [connection, key];
    },
  },
  {
    kind: 'rabbitmq username and password',
    create: async (ctx) => {
      const [username, password] = [token('user_'), token('pass_')];
      await eventDestination(ctx, 'rabbitmq', { server_url: 'amqp://127.0.0.1:9', exchange: 'events', username, password }, [password, username]);
      return [username, password];
    },
  },
  {
    kind: 'source verification secret, password and API key (and the credentials senders present)',
    create: async (ctx) => {
      const [secret, password, apiKey] = [token('hmac_'), token('pass_'), token('key_')];
      const destination = await ctx.call('POST', '/destinations', { name: 'verified-receiver', config: { url: ctx.receiver.url } });
      const verified = async (name: string, config: unknown, headers: Record<string, string>) => {
        const source = await ctx.call('POST', '/sources', { name, config });
        assert.equal(source.status, 201, source.text);
        await ctx.call('POST', '/connections', { name, source_id: source.json.id, destination_id: destination.json.id });
        remember(ctx, 'sources', source.json.id);
        const answer = await fetch(`${ctx.gateway.url}/e/${source.json.id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
        assert.equal(answer.status, 200, await answer.clone().text());
        remember(ctx, 'requests', ((await answer.json()) as { request_id: string }).request_id);
      };
      await verified('hmac', { auth_type: 'HMAC', auth: { header_key: 'x-sig', secret } }, { 'x-sig': createHmac('sha256', secret).update('{}').digest('hex') });
      await verified('basic', { auth_type: 'BASIC_AUTH', auth: { username: 'sender', password } }, { authorization: `Basic ${Buffer.from(`sender:${password}`).toString('base64')}` });
      await verified('api-key', { auth_type: 'API_KEY', auth: { api_key: apiKey } }, { 'x-api-key': apiKey });
      return [secret, password, apiKey];
    },
  },
  {
    kind: 'hookdeck token',
    create: async (ctx) => {
      const hookdeck = token('src_');
      await eventDestination(ctx, 'hookdeck', { endpoint: unreachable, token: hookdeck }, [hookdeck]);
      return [hookdeck];
    },
  },
];

async function awsLike(ctx: Context, type: string, config: Record<string, unknown>): Promise<string[]> {
  const secrets = [`AKIA${randomBytes(8).toString('hex').toUpperCase()}`, token('aws_secret_'), token('aws_session_')];
  const [key, secret, session] = secrets;
  await eventDestination(ctx, type, { ...config, key, secret, session }, [secret ?? '', key ?? '', session ?? '']);
  return secrets;
}

function remember(ctx: Context, collection: string, id: string): void {
  ctx.made.set(collection, [...(ctx.made.get(collection) ?? []), id]);
}

/** The forms a secret could leak in. */
function formsOf(secret: string): string[] {
  const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), Buffer.from(secret).toString('hex'), JSON.stringify(secret).slice(1, -1)];
  const body = secret.replace(/^whsec_/, '');
  if (body !== secret) forms.push(body, Buffer.from(body, 'base64').toString('hex'));
  return [...new Set(forms)].filter((form) => form.length >= 12);
}

describe('secrets never leak', () => {
  const logLines: string[] = [];
  const searched: { where: string; text: string }[] = [];
  const secrets: { kind: string; value: string }[] = [];
  let dataDir = '';
  let gateway: Gateway | undefined;
  let receiver: Receiver;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-secrets-'));
    receiver = await startReceiver();
    const config = loadConfig({
      PORT: '0', HOST: '127.0.0.1', SLUICE_DATA_DIR: dataDir, SLUICE_API_KEY: API_KEY, SLUICE_ADMIN_KEY: ADMIN_KEY,
      SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32', SLUICE_POLL_INTERVAL_MS: '50', SLUICE_RETRY_INTERVAL_MS: '100', SLUICE_RETRY_COUNT: '1',
      SLUICE_DEFAULT_TIMEOUT_MS: '2000', LOG_LEVEL: 'trace',
    });
    const running = await startGateway(config, createLogger(config, { write: (line: string) => void logLines.push(line) }));
    gateway = running;
    const send = async (method: string, path: string, body: unknown, key: string): Promise<Call> => {
      // Ingest takes no API key: what a sender puts in its headers is its payload, stored and shown as received.
      const headers: Record<string, string> = path.startsWith('/e/') ? {} : { authorization: `Bearer ${key}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(running.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, text: `${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${text}`, json };
    };
    const ctx: Context = {
      gateway: running,
      receiver,
      made: new Map(),
      async call(method, path, body, key = API_KEY) {
        const answer = await send(method, path, body, key);
        searched.push({ where: `${method} ${path} → ${answer.status}`, text: answer.text });
        return answer;
      },
      callShowingSecretOnce: (method, path, body, key = API_KEY) => send(method, path, body, key),
    };
    for (const { kind, create } of SECRET_KINDS) for (const value of await create(ctx)) secrets.push({ kind, value });

    // Inbound traffic signed with the team signing secret, and events published to every destination above.
    const destination = await ctx.call('POST', '/destinations', { name: 'receiver', config: { url: receiver.url } });
    const source = await ctx.call('POST', '/sources', { name: 'source' });
    const connection = await ctx.call('POST', '/connections', { name: 'conn', source_id: source.json.id, destination_id: destination.json.id });
    remember(ctx, 'destinations', destination.json.id);
    remember(ctx, 'sources', source.json.id);
    remember(ctx, 'connections', connection.json.id);
    const ingested = await ctx.call('POST', `/e/${source.json.id}`, { order: 1 });
    remember(ctx, 'requests', ingested.json.request_id);
    remember(ctx, 'events', ingested.json.event_ids[0]);
    const published = await ctx.call('POST', '/v2/events', { type: 'order.created', data: { n: 1 }, id: 'evt-secrets-1' });
    assert.equal(published.status, 202, published.text);
    remember(ctx, 'v2/events', 'evt-secrets-1');
    const bulk = await ctx.call('POST', '/bulk/events/retry', { query: { status: ['FAILED'] } });
    remember(ctx, 'retry', bulk.json.id);

    // Every delivery attempted at least once (the unreachable ones fail, and are retried once).
    const deadline = Date.now() + 20_000;
    for (const id of ctx.made.get('v2/event-destinations') ?? []) {
      for (;;) {
        const deliveries = await ctx.call('GET', `/v2/event-destinations/${id}/event-deliveries`);
        const first = deliveries.json.data[0];
        if (first !== undefined && first.attempts.length > 0) {
          remember(ctx, 'v2/event-deliveries', first.id);
          break;
        }
        assert.ok(Date.now() < deadline, `no attempt on ${id} after 20 s: ${deliveries.text}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    for (;;) {
      const attempts = await ctx.call('GET', `/attempts?event_id=${ingested.json.event_ids[0]}`);
      if (attempts.json.models.length > 0) {
        remember(ctx, 'attempts', attempts.json.models[0].id);
        break;
      }
      assert.ok(Date.now() < deadline, 'the inbound event was not attempted');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Every GET operation of the API, with this team's objects in its path.
    const paths = (await ctx.call('GET', '/openapi.json')).json.paths as Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
    const team = (await ctx.call('GET', '/team')).json.id;
    remember(ctx, 'teams', team);
    for (const [path, ops] of Object.entries(paths)) {
      if (ops.get === undefined || path.startsWith('/e/')) continue;
      const admin = (ops.get.security ?? []).some((s) => 'adminKey' in s);
      const concrete = path.replace(/\{(\w+)\}/g, (_, param: string) => {
        const segments = path.split('/');
        const collection = `${segments[1] === 'v2' ? 'v2/' : ''}${segments[segments.indexOf(`{${param}}`) - 1] ?? ''}`;
        const id = ctx.made.get(collection)?.[0];
        assert.ok(id !== undefined, `${path}: no object made for {${param}} (after "${collection}"); add one so its GET is searched`);
        return id;
      });
      const answer = await ctx.call('GET', concrete, undefined, admin ? ADMIN_KEY : API_KEY);
      assert.ok(answer.status < 400, `${concrete}: ${answer.text}`);
    }
    await running.close();
  });
  after(async () => {
    await gateway?.close(); // already closed unless set-up failed half-way
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('every kind of secret was made, and the test saw the traffic it searches', () => {
    assert.deepEqual([...new Set(secrets.map((s) => s.kind))], SECRET_KINDS.map((k) => k.kind));
    for (const { kind, value } of secrets) assert.ok(value.length >= 16, `${kind}: ${value.length} characters`);
    assert.ok(searched.length > 60, `${searched.length} answers`);
    assert.ok(logLines.length > 50, `${logLines.length} log lines`);
    assert.ok(logLines.some((line) => line.includes('"req":')), 'request lines are captured');
    assert.ok(logLines.some((line) => line.includes('"component":"dispatcher"')), "the dispatcher's lines are captured");
    assert.ok(receiver.received.length >= 2, 'deliveries were made with the secrets');
  });

  test('no answer and no log line contains any secret, in any encoding', () => {
    const haystacks = [...searched, ...logLines.map((text, i) => ({ where: `log line ${i}`, text }))];
    const leaks: string[] = [];
    for (const { kind, value } of secrets) {
      for (const form of formsOf(value)) {
        for (const { where, text } of haystacks) if (text.includes(form)) leaks.push(`${kind} in ${where}: …${text.slice(Math.max(0, text.indexOf(form) - 80), text.indexOf(form) + 20)}`);
      }
    }
    assert.deepEqual(leaks, []);
  });
});
