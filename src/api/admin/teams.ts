/**
 * Team administration, authorised by `SLUICE_ADMIN_KEY`: create and list teams, create, list and delete a team's
 * API keys. Secrets (the team's signing secret, a new API key) appear once, in the answer that creates them;
 * only a hash of a key and the encrypted signing secret are stored.
 */
import type { FastifyInstance } from 'fastify';
import { apiKeyHint, generateApiKey, hashApiKey } from '../../domain/apiKeys.js';
import { notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { teamSecretBinding, type ApiKey, type Team } from '../../domain/model.js';
import { encryptSecret, type SecretKeyring } from '../../domain/secretBox.js';
import { generateSigningSecret } from '../../domain/signing.js';
import type { ApiDeps } from '../deps.js';
import { iso } from '../inbound/render.js';
import { ADMIN_SECURITY, checkId, found } from '../routeHelpers.js';
import { COMMON_ERRORS, DeletedResponse, IdParams } from '../schemaHelpers.js';
import { ApiKeyListModel, CreateTeamBody, NewApiKeyModel, TeamKeyParams, TeamListModel, TeamWithSecretModel } from './schemas.js';

const tags = ['Teams (admin)'];

export function renderTeam(team: Team) {
  return { id: team.id, name: team.name, created_at: iso(team.createdAt), updated_at: iso(team.updatedAt) };
}

function renderApiKey(key: ApiKey) {
  return { id: key.id, team_id: key.teamId, hint: key.hint, created_at: iso(key.createdAt) };
}

/** A new signing secret, sealed and bound to its team (a sealed secret copied onto another team does not open). */
export function newSigningSecret(keyring: SecretKeyring, teamId: string): { secret: string; sealed: string } {
  const secret = generateSigningSecret();
  return { secret, sealed: encryptSecret(keyring, secret, teamSecretBinding(teamId)) };
}

export function adminTeamRoutes(app: FastifyInstance, { store, keyring, keyCache }: ApiDeps): void {
  const getTeam = async (id: string) => {
    checkId('team', 'team', id);
    return found(await store.getTeam(id), 'team', id);
  };

  app.post<{ Body: CreateTeamBody }>(
    '/teams',
    {
      schema: {
        summary: 'Create a team (its signing secret is in this answer only)',
        tags,
        security: ADMIN_SECURITY,
        body: CreateTeamBody,
        response: { 201: TeamWithSecretModel, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const id = newId('team');
      const { secret, sealed } = newSigningSecret(keyring, id);
      const team = await store.createTeam({ id, name: request.body.name, signingSecretEncrypted: sealed }, Date.now());
      return reply.code(201).send({ ...renderTeam(team), signing_secret: secret });
    },
  );

  app.get(
    '/teams',
    { schema: { summary: 'List teams', tags, security: ADMIN_SECURITY, response: { 200: TeamListModel, ...COMMON_ERRORS } } },
    async () => {
      const teams = await store.listTeams();
      return { count: teams.length, models: teams.map(renderTeam) };
    },
  );

  app.post<{ Params: IdParams }>(
    '/teams/:id/api-keys',
    {
      schema: {
        summary: 'Create an API key for a team (the key is in this answer only)',
        tags,
        security: ADMIN_SECURITY,
        params: IdParams,
        response: { 201: NewApiKeyModel, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const team = await getTeam(request.params.id);
      const key = generateApiKey();
      const record: ApiKey = { id: newId('apiKey'), teamId: team.id, hash: hashApiKey(key), hint: apiKeyHint(key), createdAt: Date.now() };
      await store.createApiKey(record);
      return reply.code(201).send({ id: record.id, team_id: record.teamId, key, hint: record.hint, created_at: iso(record.createdAt) });
    },
  );

  app.get<{ Params: IdParams }>(
    '/teams/:id/api-keys',
    {
      schema: {
        summary: "List a team's API keys (hints only)",
        tags,
        security: ADMIN_SECURITY,
        params: IdParams,
        response: { 200: ApiKeyListModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const team = await getTeam(request.params.id);
      const keys = await store.listApiKeys(team.id);
      return { count: keys.length, models: keys.map(renderApiKey) };
    },
  );

  app.delete<{ Params: TeamKeyParams }>(
    '/teams/:id/api-keys/:key_id',
    {
      schema: {
        summary: 'Delete an API key (it stops working at once on this gateway process)',
        tags,
        security: ADMIN_SECURITY,
        params: TeamKeyParams,
        response: { 200: DeletedResponse, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id, key_id: keyId } = request.params;
      await getTeam(id);
      checkId('apiKey', 'API key', keyId);
      if (!(await store.deleteApiKey(id, keyId))) throw notFound('API key', keyId);
      keyCache.clear();
      return { id: keyId };
    },
  );
}
