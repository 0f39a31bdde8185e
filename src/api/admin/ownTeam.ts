/**
 * A team's own record, with its team API key: `GET /team`, and `POST /team/signing-secret/rotate`, which
 * replaces the key of the `x-sluice-signature` header and shows the new one once. Deliveries signed after the
 * rotation use the new secret.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { found, TEAM_SECURITY } from '../routeHelpers.js';
import { COMMON_ERRORS } from '../schemaHelpers.js';
import { TeamModel, TeamWithSecretModel } from './schemas.js';
import { newSigningSecret, renderTeam } from './teams.js';

const tags = ['Team'];

export function ownTeamRoutes(app: FastifyInstance, { store, keyring }: ApiDeps): void {
  app.get(
    '/team',
    { schema: { summary: 'Get the team of the API key', tags, security: TEAM_SECURITY, response: { 200: TeamModel, ...COMMON_ERRORS } } },
    async (request) => renderTeam(found(await store.getTeam(request.teamId), 'team', request.teamId)),
  );

  app.post(
    '/team/signing-secret/rotate',
    {
      schema: {
        summary: "Replace the team's signing secret (the new one is in this answer only)",
        tags,
        security: TEAM_SECURITY,
        response: { 200: TeamWithSecretModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { secret, sealed } = newSigningSecret(keyring, request.teamId);
      await store.setTeamSigningSecret(request.teamId, sealed, Date.now());
      const team = found(await store.getTeam(request.teamId), 'team', request.teamId);
      return { ...renderTeam(team), signing_secret: secret };
    },
  );
}
