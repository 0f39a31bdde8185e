/**
 * Key rotation of secrets at rest: every stored secret of every kind (port: SEALED_SECRET_KINDS) not yet sealed in
 * the current format under the current key is opened with the keyring (current or previous keys) and sealed again
 * with the current key, in batches of rows, each batch in one compare-and-set transaction. A secret the API
 * replaced meanwhile is left as it is (it was sealed with the current key anyway). A secret that no key opens is
 * reported by kind and row id (never its value) and left untouched, so nothing is lost by running this twice.
 */
import { decryptSecret, encryptSecret, isSealedWithCurrentKey, SecretBoxError, type SecretKeyring } from '../domain/secretBox.js';
import { SEALED_SECRET_KINDS, type SealedSecretKind, type SealedSecretReplacement, type Store } from '../store/port.js';

export interface KindReport {
  /** Stored secrets of this kind. */
  examined: number;
  /** Rewritten under the current key. */
  resealed: number;
  /** Already in the current format under the current key. */
  current: number;
  /** Changed by the API between reading and writing (left alone: they were sealed with the current key). */
  changedMeanwhile: number;
}

export interface RotationReport {
  kinds: Record<SealedSecretKind, KindReport>;
  /** Secrets no key of the keyring opens: the row, and why (SecretBoxError reason). */
  unreadable: { kind: SealedSecretKind; rowId: string; reason: string }[];
}

export async function rotateStoredSecrets(
  store: Store,
  keyring: SecretKeyring,
  options: { batchSize: number; onBatch?: (kind: SealedSecretKind, report: KindReport) => void },
): Promise<RotationReport> {
  const report: RotationReport = { kinds: {} as Record<SealedSecretKind, KindReport>, unreadable: [] };
  for (const kind of SEALED_SECRET_KINDS) {
    const counts: KindReport = { examined: 0, resealed: 0, current: 0, changedMeanwhile: 0 };
    report.kinds[kind] = counts;
    let after: string | null = null;
    for (;;) {
      const rows = await store.listSealedSecrets(kind, after, options.batchSize);
      const replacements: SealedSecretReplacement[] = [];
      for (const row of rows) {
        counts.examined += 1;
        if (isSealedWithCurrentKey(keyring, row.sealed)) {
          counts.current += 1;
          continue;
        }
        const binding = { teamId: row.teamId, rowId: row.rowId };
        try {
          replacements.push({ rowId: row.rowId, expected: row.sealed, sealed: encryptSecret(keyring, decryptSecret(keyring, row.sealed, binding), binding) });
        } catch (error) {
          if (!(error instanceof SecretBoxError)) throw error;
          report.unreadable.push({ kind, rowId: row.rowId, reason: error.reason });
        }
      }
      const replaced = await store.replaceSealedSecrets(kind, replacements);
      counts.resealed += replaced;
      counts.changedMeanwhile += replacements.length - replaced;
      options.onBatch?.(kind, counts);
      const last = rows[rows.length - 1];
      if (rows.length < options.batchSize || last === undefined) break;
      after = last.rowId;
    }
  }
  return report;
}
