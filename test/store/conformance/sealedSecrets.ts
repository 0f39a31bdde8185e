/**
 * Conformance: the verbs of key rotation — every stored secret of each kind listed in row id order, in batches,
 * and replaced compare-and-set (a secret changed meanwhile is left alone; nothing else on the row changes).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../../src/domain/ids.js';
import { SEALED_SECRET_KINDS, type SealedSecretKind, type SealedSecretRow, type Store } from '../../../src/store/port.js';
import { aDestination, aSource, T0, withStore, type OpenStore } from '../fixtures.js';
import { asGatewayStore, newEventDestination } from '../outboundFixtures.js';

async function listAll(store: Store, kind: SealedSecretKind, batch: number): Promise<SealedSecretRow[]> {
  const all: SealedSecretRow[] = [];
  let after: string | null = null;
  for (;;) {
    const rows: SealedSecretRow[] = await store.listSealedSecrets(kind, after, batch);
    assert.ok(rows.length <= batch);
    all.push(...rows);
    if (rows.length < batch) return all;
    after = rows[rows.length - 1]?.rowId ?? null;
  }
}

export function sealedSecretsTests(open: OpenStore): void {
  describe('sealed secrets (key rotation)', () => {
    test('lists every team signing secret and event destination credential in batches, and replaces them compare-and-set', async () => {
      await withStore(open, async (plain) => {
        const store = asGatewayStore(plain);
        const teams: string[] = [];
        for (let i = 0; i < 5; i += 1) {
          const id = newId('team', T0 + i);
          await store.createTeam({ id, name: `t${i}`, signingSecretEncrypted: `team-secret-${i}` }, T0 + i);
          teams.push(id);
        }
        const [a = '', b = ''] = teams;
        const withCredentials = [
          await newEventDestination(store, a, { credentials: 'cred-a1' }, T0 + 10),
          await newEventDestination(store, b, { credentials: 'cred-b1' }, T0 + 11),
          await newEventDestination(store, a, { credentials: 'cred-a2' }, T0 + 12),
        ];
        await newEventDestination(store, a, { credentials: null }, T0 + 13); // no credentials: not listed
        await store.createDestination(aDestination(a, {}, T0 + 14)); // an inbound destination holds no sealed secret
        const auth = (sealed: string) => ({ type: 'API_KEY' as const, shown: { header_key: 'x-api-key', api_key: '…abcd' }, sealed });
        const verified = aSource(b, { config: { allowed_http_methods: ['POST'], custom_response: null, auth: auth('src-sealed-1'), rate_limit: null } }, T0 + 15);
        await store.createSource(verified);
        await store.createSource(aSource(b, {}, T0 + 16)); // no verification: not listed

        const teamRows = await listAll(store, 'team_signing_secret', 2);
        assert.deepEqual(teamRows, teams.map((id, i) => ({ teamId: id, rowId: id, sealed: `team-secret-${i}` })));
        const credentialRows = await listAll(store, 'event_destination_credentials', 2);
        assert.deepEqual(
          credentialRows,
          [...withCredentials].sort((x, y) => (x.id < y.id ? -1 : 1)).map((d) => ({ teamId: d.teamId, rowId: d.id, sealed: d.outbound?.credentials })),
        );
        assert.deepEqual(await store.listSealedSecrets('team_signing_secret', teams[4] ?? '', 10), [], 'nothing after the last row');

        const first = withCredentials[0];
        assert.ok(first !== undefined);
        const replaced = await store.replaceSealedSecrets('event_destination_credentials', [
          { rowId: first.id, expected: 'cred-a1', sealed: 'cred-a1-new' },
          { rowId: withCredentials[1]?.id ?? '', expected: 'stale value', sealed: 'must not be written' },
        ]);
        assert.equal(replaced, 1, 'the row whose secret changed meanwhile is left alone');
        const after = await store.getEventDestination(a, first.id);
        assert.equal(after?.outbound?.credentials, 'cred-a1-new');
        assert.equal(after?.updatedAt, first.updatedAt, 'the object did not change: updated_at stays');
        assert.equal((await store.getEventDestination(b, withCredentials[1]?.id ?? ''))?.outbound?.credentials, 'cred-b1');

        assert.equal(await store.replaceSealedSecrets('team_signing_secret', [{ rowId: a, expected: 'team-secret-0', sealed: 'team-secret-0-new' }]), 1);
        assert.equal(await store.getTeamSigningSecret(a), 'team-secret-0-new');
        assert.equal((await store.getTeam(a))?.updatedAt, T0);
        assert.equal(await store.replaceSealedSecrets('team_signing_secret', []), 0);

        // A source's verification settings live inside its JSON config: replaced in place, the rest untouched.
        assert.deepEqual(await listAll(store, 'source_verification', 2), [{ teamId: b, rowId: verified.id, sealed: 'src-sealed-1' }]);
        assert.equal(await store.replaceSealedSecrets('source_verification', [{ rowId: verified.id, expected: 'stale value', sealed: 'must not be written' }]), 0);
        assert.equal(await store.replaceSealedSecrets('source_verification', [{ rowId: verified.id, expected: 'src-sealed-1', sealed: 'src-sealed-1-new' }]), 1);
        const resealed = await store.getSource(b, verified.id);
        assert.deepEqual(resealed?.config, { ...verified.config, auth: auth('src-sealed-1-new') });
        assert.equal(resealed?.updatedAt, verified.updatedAt);
        for (const kind of SEALED_SECRET_KINDS) assert.ok((await listAll(store, kind, 100)).length > 0, `${kind} is listed`);
      });
    });
  });
}
