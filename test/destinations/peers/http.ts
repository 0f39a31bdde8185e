/**
 * HTTP peers for the conformance suite. `webhook`: a real HTTP receiver on 127.0.0.1 that can be stopped and
 * started again on the same port. `hookdeck`: the real Sluice gateway, in this process, standing in for a
 * Hookdeck source — its ingest `/e/<source id>` takes the place of `https://hkdk.events/<token>`; a restart
 * closes the gateway and starts it again on the same port and data dir, and what arrived is read from its store.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../../../src/app/gateway.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import type { HookdeckConfig, HookdeckCredentials } from '../../../src/destinations/hookdeck/config.js';
import type { DestinationTarget } from '../../../src/destinations/types.js';
import type { WebhookConfig, WebhookCredentials } from '../../../src/destinations/webhook/config.js';
import { webhook } from '../../../src/destinations/webhook/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { apiClient } from '../../support/apiClient.js';
import type { Arrived, PeerTarget } from '../conformance.js';
import { closedPort } from '../receiver.js';
import { poll } from './aws.js';

export interface HttpRequestSeen {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Metadata from `x-sluice-*` headers, keyed as in the message (`x-sluice-event-id` → `event-id`). */
function metadataFromHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (name.startsWith('x-sluice-')) out[name.slice('x-sluice-'.length)] = value;
  return out;
}

export interface WebhookPeer {
  seen: HttpRequestSeen[];
  connections(): number;
  newTarget(): Promise<PeerTarget<WebhookConfig, WebhookCredentials>>;
  /** A URL the SSRF guard refuses (link-local metadata address): the one webhook failure no retry can fix. */
  missingTarget(): Promise<DestinationTarget<WebhookConfig, WebhookCredentials>>;
  downTarget(): Promise<DestinationTarget<WebhookConfig, WebhookCredentials>>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookPeer(): Promise<WebhookPeer> {
  const seen: HttpRequestSeen[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  // A new server per start: a Node server that was closed answers `connection: close` ever after.
  const listen = async (port: number): Promise<Server> => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    server.on('connection', (socket: Socket) => {
      connections += 1;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return server;
  };
  let server = await listen(0);
  const port = (server.address() as AddressInfo).port;
  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  let n = 0;
  const target = (url: string): DestinationTarget<WebhookConfig, WebhookCredentials> => ({
    destinationId: `evtd_webhook_${(n += 1)}`,
    config: webhook.parseConfig({ url }),
    credentials: webhook.parseCredentials({}, null, Date.now()),
  });
  return {
    seen,
    connections: () => connections,
    async newTarget() {
      const t = target(`http://127.0.0.1:${port}/hooks/${n + 1}`);
      return {
        target: t,
        arrived: (eventId, timeoutMs = 5000) =>
          poll(
            async () => {
              const got = seen.find((r) => r.headers['webhook-id'] === eventId);
              return got === undefined ? undefined : ({ body: got.body, metadata: metadataFromHeaders(got.headers) } satisfies Arrived);
            },
            timeoutMs,
            `webhook ${eventId}`,
          ),
      };
    },
    missingTarget: async () => target('http://169.254.169.254/latest/meta-data/'),
    downTarget: async () => target(`http://127.0.0.1:${await closedPort()}/hooks`),
    async restart() {
      await stop();
      server = await listen(port);
    },
    close: stop,
  };
}

const API_KEY = 'sk_test_hookdeck_peer_000000001';

export interface HookdeckPeer {
  connections(): number;
  newTarget(): Promise<PeerTarget<HookdeckConfig, HookdeckCredentials>>;
  /** A token no source has: the ingest answers 404. */
  missingTarget(): Promise<DestinationTarget<HookdeckConfig, HookdeckCredentials>>;
  downTarget(): Promise<DestinationTarget<HookdeckConfig, HookdeckCredentials>>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHookdeckPeer(): Promise<HookdeckPeer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-hookdeck-peer-'));
  const env = { HOST: '127.0.0.1', SLUICE_DATA_DIR: dataDir, SLUICE_API_KEY: API_KEY, LOG_LEVEL: 'silent', SLUICE_POLL_INTERVAL_MS: '50' };
  const start = async (port: number) => {
    const config = loadConfig({ ...env, PORT: String(port) });
    return startGateway(config, createLogger(config));
  };
  let gateway: Gateway = await start(0);
  const port = Number(new URL(gateway.url).port);
  let connections = 0;
  const countConnections = (g: Gateway) => g.server.server.on('connection', () => (connections += 1));
  countConnections(gateway);
  const api = apiClient(gateway.url, API_KEY);
  let n = 0;
  const target = (token: string, endpoint = `${gateway.url}/e`): DestinationTarget<HookdeckConfig, HookdeckCredentials> => ({
    destinationId: `evtd_hookdeck_${(n += 1)}`,
    config: { endpoint },
    credentials: { token },
  });
  return {
    connections: () => connections,
    async newTarget() {
      const source = await api.post<{ id: string }>('/sources', { name: `hookdeck-peer-${process.pid}-${Date.now()}-${n + 1}` });
      if (source.status !== 201) throw new Error(`create source: ${source.status} ${JSON.stringify(source.body)}`);
      return {
        target: target(source.body.id),
        arrived: (eventId, timeoutMs = 5000) =>
          poll(
            async () => {
              const page = await gateway.store.listRequests(gateway.bootstrap?.teamId ?? '', { sourceId: source.body.id }, { orderDirection: 'desc', limit: 100 });
              const got = page.models.find((r) => r.headers['x-sluice-event-id'] === eventId);
              return got === undefined ? undefined : ({ body: got.body, metadata: metadataFromHeaders(got.headers) } satisfies Arrived);
            },
            timeoutMs,
            `request for ${eventId} at the Sluice ingest`,
          ),
      };
    },
    missingTarget: async () => target('src_0000000000000000'),
    downTarget: async () => target('src_0000000000000000', `http://127.0.0.1:${await closedPort()}/e`),
    async restart() {
      await gateway.close();
      gateway = await start(port);
      countConnections(gateway);
    },
    async close() {
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
