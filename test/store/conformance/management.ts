/**
 * Conformance: teams, API keys, sources, destinations and connections — CRUD, team isolation, name conflicts and
 * the same-state-twice rule of disable/enable.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceError } from '../../../src/domain/errors.js';
import { newId } from '../../../src/domain/ids.js';
import { aConnection, aDestination, aSource, newTeam, newWorld, type OpenStore, pageOf, T0, withStore } from '../fixtures.js';

export function isCode(code: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, /\w+.*\./, 'the message should say what to do');
    return true;
  };
}

export function managementTests(open: OpenStore): void {
  describe('teams and API keys', () => {
    test('teams are created, read and listed; secrets are read and replaced', async () => {
      await withStore(open, async (store) => {
        const a = newId('team', T0);
        const b = newId('team', T0 + 1);
        assert.deepEqual(await store.createTeam({ id: a, name: 'Alpha', signingSecretEncrypted: 'sec-a' }, T0), {
          id: a,
          name: 'Alpha',
          createdAt: T0,
          updatedAt: T0,
        });
        await store.createTeam({ id: b, name: 'Beta', signingSecretEncrypted: 'sec-b' }, T0 + 1);
        assert.deepEqual(await store.getTeam(b), { id: b, name: 'Beta', createdAt: T0 + 1, updatedAt: T0 + 1 });
        assert.equal(await store.getTeam(newId('team', T0)), null);
        assert.deepEqual((await store.listTeams()).map((t) => t.id), [a, b]);
        assert.equal(await store.getTeamSigningSecret(a), 'sec-a');
        await store.setTeamSigningSecret(a, 'sec-a2', T0 + 5);
        assert.equal(await store.getTeamSigningSecret(a), 'sec-a2');
        assert.equal(await store.getTeamSigningSecret(b), 'sec-b');
        assert.equal((await store.getTeam(a))?.updatedAt, T0 + 5);
        assert.equal(await store.getTeamSigningSecret(newId('team', T0)), null);
      });
    });

    test('API keys belong to one team: listed, found by hash and deleted only by their team', async () => {
      await withStore(open, async (store) => {
        const a = await newTeam(store);
        const b = await newTeam(store);
        const key = (teamId: string, hash: string, at: number) => ({ id: newId('apiKey', at), teamId, hash, hint: 'sk_abcd…', createdAt: at });
        const a1 = key(a, 'a'.repeat(64), T0);
        const a2 = key(a, 'b'.repeat(64), T0 + 1);
        const b1 = key(b, 'c'.repeat(64), T0 + 2);
        for (const k of [a1, a2, b1]) await store.createApiKey(k);
        assert.deepEqual(await store.listApiKeys(a), [a1, a2]);
        assert.deepEqual(await store.listApiKeys(b), [b1]);
        assert.equal(await store.findTeamIdByKeyHash(a2.hash), a);
        assert.equal(await store.findTeamIdByKeyHash(b1.hash), b);
        assert.equal(await store.findTeamIdByKeyHash('d'.repeat(64)), null);
        assert.equal(await store.deleteApiKey(b, a1.id), false, 'team B cannot delete team A key');
        assert.equal(await store.findTeamIdByKeyHash(a1.hash), a);
        assert.equal(await store.deleteApiKey(a, a1.id), true);
        assert.equal(await store.findTeamIdByKeyHash(a1.hash), null);
        assert.equal(await store.deleteApiKey(a, a1.id), false);
        assert.deepEqual(await store.listApiKeys(a), [a2]);
        await assert.rejects(store.createApiKey(key(b, a2.hash, T0 + 3)), isCode('CONFLICT'));
      });
    });
  });

  describe('sources', () => {
    test('create, get, update, disable, enable and delete, scoped by team', async () => {
      await withStore(open, async (store) => {
        const a = await newTeam(store);
        const b = await newTeam(store);
        const source = aSource(a, { name: 'stripe', description: 'payments' });
        await store.createSource(source);
        assert.deepEqual(await store.getSource(a, source.id), source);
        assert.deepEqual(await store.getSourceForIngest(source.id), source);
        assert.equal(await store.getSource(b, source.id), null);
        assert.equal(await store.getSourceForIngest(newId('source', T0)), null);

        const config = {
          allowed_http_methods: ['POST' as const],
          custom_response: { content_type: 'json' as const, body: '{"ok":true}' },
          auth: { type: 'STRIPE' as const, shown: { secret: 'whsec_…abcd' }, sealed: 'v1.iv.tag.ciphertext' },
          rate_limit: { limit: 10, period: 'minute' as const },
        };
        assert.equal(await store.updateSource(b, source.id, { name: 'hijack' }, T0 + 9), null);
        const updated = await store.updateSource(a, source.id, { description: null, config }, T0 + 10);
        const expected = { ...source, description: null, config, updatedAt: T0 + 10 };
        assert.deepEqual(updated, expected);
        assert.deepEqual(await store.getSource(a, source.id), expected);
        assert.deepEqual(await store.updateSource(a, source.id, { name: 'stripe-live' }, T0 + 11), { ...expected, name: 'stripe-live', updatedAt: T0 + 11 });

        assert.equal(await store.setSourceDisabled(b, source.id, T0 + 12, T0 + 12), null);
        const disabled = await store.setSourceDisabled(a, source.id, T0 + 12, T0 + 12);
        assert.equal(disabled?.disabledAt, T0 + 12);
        assert.equal(disabled?.updatedAt, T0 + 12);
        assert.deepEqual(await store.setSourceDisabled(a, source.id, T0 + 13, T0 + 13), disabled, 'disabling twice changes nothing');
        const enabled = await store.setSourceDisabled(a, source.id, null, T0 + 14);
        assert.equal(enabled?.disabledAt, null);
        assert.equal((await store.getSource(a, source.id))?.disabledAt, null);
        assert.deepEqual(await store.setSourceDisabled(a, source.id, null, T0 + 15), enabled, 'enabling twice changes nothing');

        assert.equal(await store.deleteSource(b, source.id, T0 + 16), false);
        assert.notEqual(await store.getSource(a, source.id), null);
        assert.equal(await store.deleteSource(a, source.id, T0 + 16), true);
        assert.equal(await store.getSource(a, source.id), null);
        assert.equal(await store.deleteSource(a, source.id, T0 + 17), false);
      });
    });

    test('names are unique per team, on create, on update and among concurrent creates', async () => {
      await withStore(open, async (store) => {
        const a = await newTeam(store);
        const b = await newTeam(store);
        await store.createSource(aSource(a, { name: 'github' }));
        await assert.rejects(store.createSource(aSource(a, { name: 'github' })), isCode('CONFLICT'));
        await store.createSource(aSource(b, { name: 'github' }));
        const other = aSource(a, { name: 'shopify' });
        await store.createSource(other);
        await assert.rejects(store.updateSource(a, other.id, { name: 'github' }, T0 + 1), isCode('CONFLICT'));
        assert.equal((await store.getSource(a, other.id))?.name, 'shopify');

        // Writes issued together share a commit; the one conflicting write must fail alone.
        const results = await Promise.allSettled([
          store.createSource(aSource(a, { name: 'twin' })),
          store.createSource(aSource(a, { name: 'twin' })),
          store.createSource(aSource(a, { name: 'single' })),
        ]);
        assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'fulfilled', 'rejected']);
        const rejected = results.find((r) => r.status === 'rejected');
        assert.ok(rejected !== undefined && isCode('CONFLICT')(rejected.reason));
        assert.equal((await store.listSources(a, pageOf(), { name: 'twin' })).totalCount, 1);
        assert.equal((await store.listSources(a, pageOf(), { name: 'single' })).totalCount, 1);
        assert.equal((await store.listSources(a, pageOf(), {})).totalCount, 4);
      });
    });
  });

  describe('destinations', () => {
    test('create, get, update, disable, enable and delete, scoped by team', async () => {
      await withStore(open, async (store) => {
        const a = await newTeam(store);
        const b = await newTeam(store);
        const destination = aDestination(a, { name: 'orders-api' });
        await store.createDestination(destination);
        assert.deepEqual(await store.getDestination(a, destination.id), destination);
        assert.equal(await store.getDestination(b, destination.id), null);

        const config = { ...destination.config, url: 'https://example.test/v2', timeout: 1500, rate_limit: 3, rate_limit_period: 'concurrent' as const };
        assert.equal(await store.updateDestination(b, destination.id, { config }, T0 + 1), null);
        const updated = await store.updateDestination(a, destination.id, { config, description: null }, T0 + 2);
        assert.deepEqual(updated, { ...destination, config, description: null, updatedAt: T0 + 2 });
        assert.deepEqual(await store.getDestination(a, destination.id), updated);

        assert.equal(await store.setDestinationDisabled(b, destination.id, T0 + 3, T0 + 3), null);
        const disabled = await store.setDestinationDisabled(a, destination.id, T0 + 3, T0 + 3);
        assert.equal(disabled?.disabledAt, T0 + 3);
        assert.deepEqual(await store.setDestinationDisabled(a, destination.id, T0 + 4, T0 + 4), disabled);
        assert.equal((await store.setDestinationDisabled(a, destination.id, null, T0 + 5))?.disabledAt, null);

        assert.equal(await store.deleteDestination(b, destination.id), 'not_found');
        assert.equal(await store.deleteDestination(a, destination.id), 'deleted');
        assert.equal(await store.getDestination(a, destination.id), null);
        assert.equal(await store.deleteDestination(a, destination.id), 'not_found');
      });
    });

    test('names are unique per team; a destination in use by a connection is not deleted', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const b = await newTeam(store);
        const name = world.destination.name;
        await assert.rejects(store.createDestination(aDestination(world.teamId, { name })), isCode('CONFLICT'));
        await store.createDestination(aDestination(b, { name }));
        const other = aDestination(world.teamId);
        await store.createDestination(other);
        await assert.rejects(store.updateDestination(world.teamId, other.id, { name }, T0 + 1), isCode('CONFLICT'));

        assert.equal(await store.deleteDestination(world.teamId, world.destination.id), 'in_use');
        assert.notEqual(await store.getDestination(world.teamId, world.destination.id), null);
        assert.equal(await store.deleteConnection(world.teamId, world.connection.id, T0 + 2), true);
        assert.equal(await store.deleteDestination(world.teamId, world.destination.id), 'deleted');
      });
    });
  });

  describe('connections', () => {
    test('create, get, update and delete, scoped by team', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const b = await newTeam(store);
        const { connection, teamId } = world;
        assert.deepEqual(await store.getConnection(teamId, connection.id), connection);
        assert.deepEqual(await store.getConnectionForIngest(connection.id), connection);
        assert.equal(await store.getConnection(b, connection.id), null);
        assert.equal(await store.getConnectionForIngest(newId('connection', T0)), null);

        const rules = [{ type: 'retry' as const, strategy: 'linear' as const, interval: 1000, count: 3 }];
        assert.equal(await store.updateConnection(b, connection.id, { rules }, T0 + 1), null);
        const updated = await store.updateConnection(teamId, connection.id, { rules, name: 'renamed', description: 'x' }, T0 + 2);
        assert.deepEqual(updated, { ...connection, rules, name: 'renamed', description: 'x', updatedAt: T0 + 2 });
        assert.deepEqual(await store.getConnection(teamId, connection.id), updated);

        assert.equal(await store.setConnectionPaused(b, connection.id, T0 + 3, T0 + 3), null);
        assert.equal(await store.setConnectionDisabled(b, connection.id, T0 + 3, T0 + 3), null);
        assert.equal((await store.getConnection(teamId, connection.id))?.pausedAt, null);

        assert.equal(await store.deleteConnection(b, connection.id, T0 + 4), false);
        assert.equal(await store.deleteConnection(teamId, connection.id, T0 + 4), true);
        assert.equal(await store.getConnection(teamId, connection.id), null);
        assert.equal(await store.deleteConnection(teamId, connection.id, T0 + 5), false);
      });
    });

    test('names are unique per team and source', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId, source, destination, connection } = world;
        await assert.rejects(store.createConnection(aConnection(teamId, source.id, destination.id, { name: connection.name })), isCode('CONFLICT'));
        const otherSource = aSource(teamId);
        await store.createSource(otherSource);
        await store.createConnection(aConnection(teamId, otherSource.id, destination.id, { name: connection.name }));
        const sibling = aConnection(teamId, source.id, destination.id);
        await store.createConnection(sibling);
        await assert.rejects(store.updateConnection(teamId, sibling.id, { name: connection.name }, T0 + 1), isCode('CONFLICT'));
      });
    });

    test("a connection cannot join another team's source or destination", async () => {
      await withStore(open, async (store) => {
        const a = await newWorld(store);
        const b = await newWorld(store);
        await assert.rejects(store.createConnection(aConnection(b.teamId, a.source.id, b.destination.id)), isCode('NOT_FOUND'));
        await assert.rejects(store.createConnection(aConnection(b.teamId, b.source.id, a.destination.id)), isCode('NOT_FOUND'));
        assert.equal((await store.listConnections(b.teamId, pageOf(), {})).totalCount, 1);
      });
    });

    test('listActiveConnectionsOfSource: paused included, disabled and disabled destination excluded', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId, source } = world;
        const make = async () => {
          const d = aDestination(teamId);
          await store.createDestination(d);
          const c = aConnection(teamId, source.id, d.id);
          await store.createConnection(c);
          return c;
        };
        const paused = await make();
        const disabled = await make();
        const toDisabledDestination = await make();
        await store.setConnectionPaused(teamId, paused.id, T0 + 1, T0 + 1);
        await store.setConnectionDisabled(teamId, disabled.id, T0 + 1, T0 + 1);
        await store.setDestinationDisabled(teamId, toDisabledDestination.destinationId, T0 + 1, T0 + 1);
        const elsewhere = aSource(teamId);
        await store.createSource(elsewhere);
        await store.createConnection(aConnection(teamId, elsewhere.id, world.destination.id));

        const active = await store.listActiveConnectionsOfSource(source.id);
        assert.deepEqual(active.map((c) => c.id).sort(), [world.connection.id, paused.id].sort());
        assert.equal(active.find((c) => c.id === paused.id)?.pausedAt, T0 + 1);
      });
    });
  });
}
