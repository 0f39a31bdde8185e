/**
 * An event destination's delivery log (seed 000: `GET /v2/event-destinations/{id}/event-deliveries`), one delivery,
 * and a manual retry of one. A manual retry makes an attempt now through the same engine as every other attempt
 * (engine.retryNow: trigger MANUAL); it answers the delivery with that attempt. A successful one ends the delivery
 * (pending automatic retries are cancelled); a failed one leaves its schedule as it was.
 */
import type { FastifyInstance } from 'fastify';
import type { DeliveryFilter } from '../../store/port.js';
import { oneOfEach, splitMulti } from '../pagination.js';
import { checkId, found } from '../routeHelpers.js';
import { V2_ERRORS } from '../schemaHelpers.js';
import { V2_SECURITY, type V2Deps } from './deps.js';
import { eventTypesOf } from './events.js';
import { v2List, V2ListResponse, v2PageQuery } from './list.js';
import { DELIVERY_STATUSES, engineStatuses, renderDelivery } from './render.js';
import { DeliveriesQuery, DeliveryModel, DeliveryParams, EventIdParams } from './schemas.js';

const tags = ['Event destinations'];

export function v2DeliveryRoutes(app: FastifyInstance, { store, engine }: V2Deps): void {
  const destination = async (teamId: string, id: string) => {
    checkId('eventDestination', 'event destination', id);
    return found(await store.getEventDestination(teamId, id), 'event destination', id);
  };
  const delivery = async (teamId: string, destinationId: string, id: string) => {
    checkId('delivery', 'event delivery', id);
    return found(await store.getDelivery(teamId, destinationId, id), 'event delivery', id);
  };

  app.get<{ Params: EventIdParams; Querystring: DeliveriesQuery }>(
    '/event-destinations/:id/event-deliveries',
    {
      schema: {
        summary: "List an event destination's deliveries with their attempts, newest first",
        description: 'Filters: status (success, failure, pending; repeatable), type (event type; repeatable). Pagination: limit and cursor.',
        tags,
        security: V2_SECURITY,
        params: EventIdParams,
        querystring: DeliveriesQuery,
        response: { 200: V2ListResponse(DeliveryModel), ...V2_ERRORS },
      },
    },
    async (request) => {
      const { teamId, query } = request;
      const target = await destination(teamId, request.params.id);
      const page = v2PageQuery('delivery', query);
      const filter: DeliveryFilter = {};
      const statuses = oneOfEach('status', splitMulti(query.status), DELIVERY_STATUSES);
      if (statuses !== undefined) filter.status = engineStatuses(statuses);
      const types = eventTypesOf('type', query.type);
      if (types !== undefined) filter.types = types;
      return v2List(await store.listDeliveries(teamId, target.id, filter, page), renderDelivery);
    },
  );

  app.get<{ Params: DeliveryParams }>(
    '/event-destinations/:id/event-deliveries/:delivery_id',
    {
      schema: { summary: 'Get an event delivery with its attempts', tags, security: V2_SECURITY, params: DeliveryParams, response: { 200: DeliveryModel, ...V2_ERRORS } },
    },
    async (request) => {
      const target = await destination(request.teamId, request.params.id);
      return renderDelivery(await delivery(request.teamId, target.id, request.params.delivery_id));
    },
  );

  app.post<{ Params: DeliveryParams }>(
    '/event-destinations/:id/event-deliveries/:delivery_id/retry',
    {
      schema: {
        summary: 'Retry an event delivery now (trigger manual); answers the delivery with the new attempt',
        tags,
        security: V2_SECURITY,
        params: DeliveryParams,
        response: { 200: DeliveryModel, ...V2_ERRORS },
      },
    },
    async (request) => {
      const { teamId } = request;
      const target = await destination(teamId, request.params.id);
      const existing = await delivery(teamId, target.id, request.params.delivery_id);
      found(await engine.retryNow(teamId, existing.delivery.id), 'event delivery', existing.delivery.id);
      return renderDelivery(await delivery(teamId, target.id, existing.delivery.id));
    },
  );
}
