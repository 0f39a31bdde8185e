/**
 * `/connections` (`web_`, the seed's `webhook_id`): a source routed to a destination, with rules. Create, list
 * (filter by source, destination, name), get, partial update, delete, disable/enable and pause/unpause (paused or
 * disabled: new and pending events are held; unpausing or enabling delivers them).
 */
import type { FastifyInstance } from 'fastify';
import { notFound, SluiceError } from '../../domain/errors.js';
import { isIdOf, newId } from '../../domain/ids.js';
import { validateFilter } from '../../domain/filterMatch.js';
import type { Connection, DeduplicateRule, Destination, FilterRule, RetryRule, Rule, Source } from '../../domain/model.js';
import { parseStatusPatterns } from '../../domain/retryStatusCodes.js';
import type { ConnectionPatch } from '../../store/port.js';
import type { ApiDeps } from '../deps.js';
import { managementList, managementPageQuery, ManagementListResponse } from '../pagination.js';
import { checkId, found, TEAM_SECURITY } from '../routeHelpers.js';
import { COMMON_ERRORS, DeletedResponse, IdParams } from '../schemaHelpers.js';
import { invalidField } from '../validation.js';
import { renderConnection } from './render.js';
import { ConnectionModel, ConnectionsQuery, CreateConnectionBody, RULE_TYPES, UpdateConnectionBody } from './schemas.js';

const tags = ['Connections'];

type RuleInput = NonNullable<CreateConnectionBody['rules']>[number];

/** Rules as stored, after the checks the schema cannot make: one rule of each type, well-formed filters. */
function checkRules(rules: CreateConnectionBody['rules']): Rule[] {
  if (rules === undefined) return [];
  for (const type of RULE_TYPES) {
    if (rules.filter((rule) => rule.type === type).length > 1) {
      throw invalidField('rules', `has more than one ${type} rule; keep one (they would contradict each other)`);
    }
  }
  return rules.map((rule, index) => checkRule(rule, `rules[${index}]`));
}

function checkRule(rule: RuleInput, at: string): Rule {
  if (rule.type === 'delay') return { type: 'delay', delay: rule.delay };
  if (rule.type === 'deduplicate') return checkDeduplicate(rule, at);
  if (rule.type === 'filter') {
    const out: FilterRule = { type: 'filter' };
    for (const part of ['headers', 'body', 'query', 'path'] as const) {
      if (rule[part] !== undefined) out[part] = validateFilter(rule[part], `${at}.${part}`);
    }
    if (Object.keys(out).length === 1) throw invalidField(at, 'is a filter rule without a filter; give at least one of headers, body, query, path');
    return out;
  }
  const out: RetryRule = { type: 'retry', strategy: rule.strategy, interval: rule.interval, count: rule.count };
  if (rule.response_status_codes !== undefined) {
    try {
      parseStatusPatterns(rule.response_status_codes);
    } catch (error) {
      if (error instanceof SluiceError) throw invalidField(`${at}.response_status_codes`, error.message);
      throw error;
    }
    out.response_status_codes = rule.response_status_codes;
  }
  return out;
}

function checkDeduplicate(rule: Extract<RuleInput, { type: 'deduplicate' }>, at: string): DeduplicateRule {
  if (rule.include_fields !== undefined && rule.exclude_fields !== undefined) {
    throw invalidField(at, 'has both include_fields and exclude_fields; give one (repeats are equal on the fields included, or on the body but for the fields excluded)');
  }
  const outside = (rule.exclude_fields ?? []).findIndex((field) => !field.startsWith('body.'));
  if (outside !== -1) throw invalidField(`${at}.exclude_fields[${outside}]`, 'must name a field of the body (body.<key>…): exclude_fields leave fields out of the body comparison');
  const out: DeduplicateRule = { type: 'deduplicate', window: rule.window };
  if (rule.include_fields !== undefined) out.include_fields = rule.include_fields;
  if (rule.exclude_fields !== undefined) out.exclude_fields = rule.exclude_fields;
  return out;
}

/** A referenced object of the team, or 404 naming the field that pointed at it. */
function missingReference(field: string, what: string, id: string): SluiceError {
  return new SluiceError('NOT_FOUND', `${field}: no ${what} with id ${id} in this team. Create it first, or check the id.`, [
    { location: 'body', field, message: `no ${what} with this id in this team` },
  ]);
}

export function connectionRoutes(app: FastifyInstance, { store, config, engine }: ApiDeps): void {
  /** Renders connections, loading each source and destination once per answer. */
  function renderer(teamId: string) {
    const sources = new Map<string, Promise<Source | null>>();
    const destinations = new Map<string, Promise<Destination | null>>();
    return async (connection: Connection) => {
      let source = sources.get(connection.sourceId);
      if (source === undefined) sources.set(connection.sourceId, (source = store.getSource(teamId, connection.sourceId)));
      let destination = destinations.get(connection.destinationId);
      if (destination === undefined) {
        destinations.set(connection.destinationId, (destination = store.getDestination(teamId, connection.destinationId)));
      }
      const [s, d] = await Promise.all([source, destination]);
      // Both are deleted with (source) or blocked by (destination) the connection, so absence is a broken store.
      if (s === null || d === null) throw new Error(`connection ${connection.id} points at a missing source or destination`);
      return renderConnection(connection, s, d, config.publicUrl);
    };
  }
  const renderOne = (teamId: string, connection: Connection) => renderer(teamId)(connection);
  const get = async (teamId: string, id: string) => {
    checkId('connection', 'connection', id);
    return found(await store.getConnection(teamId, id), 'connection', id);
  };

  app.post<{ Body: CreateConnectionBody }>(
    '/connections',
    {
      schema: {
        summary: 'Create a connection from a source to a destination',
        tags,
        security: TEAM_SECURITY,
        body: CreateConnectionBody,
        response: { 201: ConnectionModel, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const { body, teamId } = request;
      const rules = checkRules(body.rules);
      const [source, destination] = await Promise.all([
        isIdOf('source', body.source_id) ? store.getSource(teamId, body.source_id) : null,
        isIdOf('destination', body.destination_id) ? store.getDestination(teamId, body.destination_id) : null,
      ]);
      if (source === null) throw missingReference('source_id', 'source', body.source_id);
      if (destination === null) throw missingReference('destination_id', 'destination', body.destination_id);
      const now = Date.now();
      const connection: Connection = {
        id: newId('connection', now),
        teamId,
        name: body.name,
        description: body.description ?? null,
        sourceId: source.id,
        destinationId: destination.id,
        rules,
        pausedAt: null,
        disabledAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.createConnection(connection);
      return reply.code(201).send(renderConnection(connection, source, destination, config.publicUrl));
    },
  );

  app.get<{ Querystring: ConnectionsQuery }>(
    '/connections',
    {
      schema: {
        summary: 'List connections',
        tags,
        security: TEAM_SECURITY,
        querystring: ConnectionsQuery,
        response: { 200: ManagementListResponse(ConnectionModel), ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { query, teamId } = request;
      const page = managementPageQuery('connection', query);
      const filter: { sourceId?: string; destinationId?: string; name?: string } = {};
      if (query.source_id !== undefined) filter.sourceId = query.source_id;
      if (query.destination_id !== undefined) filter.destinationId = query.destination_id;
      if (query.name !== undefined) filter.name = query.name;
      const result = await store.listConnections(teamId, page, filter);
      const render = renderer(teamId);
      const models = await Promise.all(result.models.map(render));
      return managementList({ ...result, models }, page, (model) => model);
    },
  );

  app.get<{ Params: IdParams }>(
    '/connections/:id',
    {
      schema: { summary: 'Get a connection', tags, security: TEAM_SECURITY, params: IdParams, response: { 200: ConnectionModel, ...COMMON_ERRORS } },
    },
    async (request) => renderOne(request.teamId, await get(request.teamId, request.params.id)),
  );

  app.put<{ Params: IdParams; Body: UpdateConnectionBody }>(
    '/connections/:id',
    {
      schema: {
        summary: 'Update a connection (only the fields sent)',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        body: UpdateConnectionBody,
        response: { 200: ConnectionModel, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { body, teamId } = request;
      checkId('connection', 'connection', id);
      const patch: ConnectionPatch = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.description !== undefined) patch.description = body.description;
      if (body.rules !== undefined) patch.rules = checkRules(body.rules);
      return renderOne(teamId, found(await store.updateConnection(teamId, id, patch, Date.now()), 'connection', id));
    },
  );

  app.delete<{ Params: IdParams }>(
    '/connections/:id',
    {
      schema: {
        summary: 'Delete a connection (its pending events are cancelled)',
        tags,
        security: TEAM_SECURITY,
        params: IdParams,
        response: { 200: DeletedResponse, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      checkId('connection', 'connection', id);
      if (!(await store.deleteConnection(request.teamId, id, Date.now()))) throw notFound('connection', id);
      return { id };
    },
  );

  const stateChanges = [
    { action: 'disable', summary: 'Disable a connection (new requests make no event for it; pending events are held)' },
    { action: 'enable', summary: 'Enable a connection (held events are delivered)' },
    { action: 'pause', summary: 'Pause a connection (events are created with status HOLD and held)' },
    { action: 'unpause', summary: 'Unpause a connection (held events are delivered with trigger UNPAUSE)' },
  ] as const;
  for (const { action, summary } of stateChanges) {
    app.put<{ Params: IdParams }>(
      `/connections/:id/${action}`,
      { schema: { summary, tags, security: TEAM_SECURITY, params: IdParams, response: { 200: ConnectionModel, ...COMMON_ERRORS } } },
      async (request) => {
        const { id } = request.params;
        const { teamId } = request;
        checkId('connection', 'connection', id);
        const now = Date.now();
        const updated =
          action === 'disable' || action === 'enable'
            ? await store.setConnectionDisabled(teamId, id, action === 'disable' ? now : null, now)
            : await store.setConnectionPaused(teamId, id, action === 'pause' ? now : null, now);
        const connection = found(updated, 'connection', id);
        if (action === 'enable' || action === 'unpause') engine.wake(); // held events may be due now
        return renderOne(teamId, connection);
      },
    );
  }
}
