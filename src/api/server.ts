/**
 * The HTTP server of the gateway: management API (team key), team administration (admin key), ingest (`/e/:id`),
 * the outbound face under `/v2` (seed 000), the OpenAPI document and the web console's assets (`/console`), with one
 * error shape per face. Returns the Fastify instance, not listening: the caller listens (and closes it on shutdown).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config/loadConfig.js';
import { consoleRoutes, type ConsoleOptions } from '../console/serve.js';
import { DESTINATION_TYPES } from '../destinations/catalog.js';
import type { DestinationType } from '../destinations/types.js';
import type { DeliveryEngine } from '../dispatch/port.js';
import { RateLimiter } from '../domain/rateLimit.js';
import { EventPublisher } from '../publish/eventPublisher.js';
import { RouteCache } from '../publish/routeCache.js';
import type { GatewayStore } from '../store/port.js';
import { ownTeamRoutes } from './admin/ownTeam.js';
import { adminTeamRoutes } from './admin/teams.js';
import { adminAuth, ApiKeyCache, teamAuth } from './auth.js';
import { AuthFailureGuard } from './authFailures.js';
import type { ApiDeps } from './deps.js';
import { clientErrorHandler, httpServerOptions } from './clientErrors.js';
import { installErrorHandlers } from './errorHandler.js';
import { attemptRoutes } from './inbound/attempts.js';
import { bulkRetryRoutes } from './inbound/bulkRetries.js';
import { connectionRoutes } from './inbound/connections.js';
import { destinationRoutes } from './inbound/destinations.js';
import { eventRoutes } from './inbound/events.js';
import { metricsRoutes } from './inbound/metrics.js';
import { requestRoutes } from './inbound/requests.js';
import { sourceRoutes } from './inbound/sources.js';
import { ingestRoutes } from './ingest/ingest.js';
import { jsonBodiesOnly } from './jsonBodies.js';
import { registerOpenApi } from './openapi.js';
import { v2Plugin } from './v2/index.js';
import { typeboxValidatorCompiler } from './validation.js';
import type { SecretKeyring } from '../domain/secretBox.js';

export interface ServerDeps {
  config: Config;
  store: GatewayStore;
  engine: DeliveryEngine;
  keyring: SecretKeyring;
  /**
   * The outbound face's parts, shared with the dispatcher (which publishes operator events through the same route
   * cache). Default: the catalog's types, and a route cache and publisher of the server's own.
   */
  outbound?: { types?: readonly DestinationType[]; routes?: RouteCache; publisher?: EventPublisher };
  /** Where the console's built assets are (default: dist/console; see src/console/serve.ts). */
  console?: ConsoleOptions;
  /** false (default), true, pino options, or a pino logger instance (shared with the rest of the process). */
  logger?: boolean | object;
}

const LOGGER_METHODS = ['info', 'error', 'debug', 'fatal', 'warn', 'trace', 'child'] as const;

/** Fastify 5 takes a logger instance as `loggerInstance` and refuses one given as `logger`: route it. */
function loggerOptions(logger: boolean | object | undefined): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  if (typeof logger === 'object' && LOGGER_METHODS.every((method) => typeof (logger as Record<string, unknown>)[method] === 'function')) {
    return { loggerInstance: logger as FastifyServerOptions['loggerInstance'] };
  }
  return { logger: logger ?? false };
}

function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** Management bodies are small JSON documents; ingest has its own limit (SLUICE_MAX_BODY_BYTES). */
const MANAGEMENT_BODY_LIMIT = 1024 * 1024;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, store } = deps;
  const app = Fastify({
    ...loggerOptions(deps.logger),
    bodyLimit: MANAGEMENT_BODY_LIMIT,
    // Hostile clients: oversized headers (431) and slow uploads (408) are cut off by Node's parser; see clientErrors.ts.
    http: httpServerOptions(config),
    requestTimeout: config.requestTimeoutMs,
    clientErrorHandler: clientErrorHandler(config),
    routerOptions: { ignoreTrailingSlash: true },
    // A hop count as Fastify's function form (its types take no number): believe the `hops` nearest proxies.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // Errors the router meets before any route runs (a malformed percent-encoding in the URL): our shape too.
    frameworkErrors: (error, _request, frameworkReply) => {
      // Its reply is typed for a generic route; it is an ordinary reply.
      const reply = frameworkReply as unknown as FastifyReply;
      void reply
        .code(400)
        .type('application/json; charset=utf-8')
        .send({ code: 'BAD_REQUEST', status: 400, message: `${error.message}. Correct the URL (percent-encode special characters) and try again.` });
    },
  });
  app.setValidatorCompiler(typeboxValidatorCompiler);
  installErrorHandlers(app, MANAGEMENT_BODY_LIMIT);
  app.decorateRequest('teamId', '');
  await registerOpenApi(app);

  const api: ApiDeps = {
    config,
    store,
    engine: deps.engine,
    keyring: deps.keyring,
    keyCache: new ApiKeyCache(),
    keyRateLimit: config.apiRateLimit === null ? null : { limiter: new RateLimiter(), rule: config.apiRateLimit },
    authFailures: config.authFailureLimit === null ? null : new AuthFailureGuard(config.authFailureLimit),
  };
  const routes = deps.outbound?.routes ?? new RouteCache(store);
  const publisher = deps.outbound?.publisher ?? new EventPublisher({ store, routes, wake: () => deps.engine.wake() });
  const types = deps.outbound?.types ?? DESTINATION_TYPES;

  await app.register(async (scope) => {
    scope.addHook('onRequest', adminAuth(config.adminKey, api.authFailures));
    jsonBodiesOnly(scope);
    adminTeamRoutes(scope, api);
  });

  await app.register(async (scope) => {
    scope.addHook('onRequest', teamAuth(store, api.keyCache, api.keyRateLimit, api.authFailures));
    jsonBodiesOnly(scope);
    ownTeamRoutes(scope, api);
    sourceRoutes(scope, api);
    destinationRoutes(scope, api);
    connectionRoutes(scope, api);
    eventRoutes(scope, api);
    requestRoutes(scope, api);
    attemptRoutes(scope, api);
    metricsRoutes(scope, api);
    bulkRetryRoutes(scope, api);
  });

  await app.register(async (scope) => {
    ingestRoutes(scope, api);
  });

  await app.register(v2Plugin({ ...api, types, routes, publisher }, MANAGEMENT_BODY_LIMIT), { prefix: '/v2' });

  // The web console: static assets only; it calls the API above like any client.
  await app.register(consoleRoutes(deps.console));

  // Not ready()-ed: the caller may still add routes (a console, health checks); listen() readies it.
  return app;
}
