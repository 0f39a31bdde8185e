/**
 * What the /v2 routes are given: the API's deps plus the destination catalog, the publishing service and the
 * route cache (which every change to an event destination invalidates).
 */
import type { DestinationType } from '../../destinations/types.js';
import type { EventPublisher } from '../../publish/eventPublisher.js';
import type { RouteCache } from '../../publish/routeCache.js';
import type { ApiDeps } from '../deps.js';

export interface V2Deps extends ApiDeps {
  types: readonly DestinationType[];
  publisher: EventPublisher;
  routes: RouteCache;
}

/** OpenAPI: the /v2 routes take the team API key as a Bearer token (Basic works too, as on every team route). */
export const V2_SECURITY: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { basicAuth: [] }];
