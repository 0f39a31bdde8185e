/**
 * The /v2 face (seed 000, Deck's conventions) as one Fastify plugin, registered with prefix `/v2`: Bearer auth with
 * the team's API key, JSON bodies, the /v2 error shape (its own error and 404 handlers), Idempotency-Key on
 * POST/PATCH/DELETE, and the routes: events, event destinations, their deliveries, destination types.
 */
import type { FastifyInstance } from 'fastify';
import { teamAuth } from '../auth.js';
import { jsonBodiesOnly } from '../jsonBodies.js';
import type { V2Deps } from './deps.js';
import { v2DeliveryRoutes } from './deliveries.js';
import { v2DestinationTypeRoutes } from './destinationTypes.js';
import { installV2ErrorHandling } from './errors.js';
import { v2EventDestinationRoutes } from './eventDestinations.js';
import { v2EventRoutes } from './events.js';
import { installIdempotency } from './idempotency.js';

export function v2Plugin(deps: V2Deps, bodyLimit: number) {
  return async (scope: FastifyInstance): Promise<void> => {
    installV2ErrorHandling(scope, bodyLimit);
    scope.addHook('onRequest', teamAuth(deps.store, deps.keyCache, deps.keyRateLimit, deps.authFailures));
    jsonBodiesOnly(scope);
    installIdempotency(scope, deps.store);
    v2EventRoutes(scope, deps);
    v2EventDestinationRoutes(scope, deps);
    v2DeliveryRoutes(scope, deps);
    v2DestinationTypeRoutes(scope, deps);
  };
}
