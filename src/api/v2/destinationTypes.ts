/**
 * `GET /v2/destination-types`: every destination type this gateway delivers to, with its config and credential
 * fields (key, label, field type, required, sensitive), so that a UI can build its forms (as Outpost's
 * `/destination-types`). Straight from the catalog: adding a type adds it here.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { V2_ERRORS } from '../schemaHelpers.js';
import { V2_SECURITY, type V2Deps } from './deps.js';
import { renderDestinationType } from './render.js';
import { DestinationTypeModel } from './schemas.js';

export function v2DestinationTypeRoutes(app: FastifyInstance, { types }: V2Deps): void {
  const answer = { data: types.map(renderDestinationType), has_more: false, next_cursor: null };
  app.get(
    '/destination-types',
    {
      schema: {
        summary: 'List the destination types and their fields',
        tags: ['Destination types'],
        security: V2_SECURITY,
        response: {
          200: Type.Object({ data: Type.Array(DestinationTypeModel), has_more: Type.Boolean(), next_cursor: Type.Null() }),
          ...V2_ERRORS,
        },
      },
    },
    async () => answer,
  );
}
