/**
 * Destinations' rate limits by time in the PostgreSQL claim (destinationRateLimit.ts has the arithmetic), as in
 * the SQLite store: per head that carries a limit, how many events its bucket lets the claim lease now, and after
 * leasing, the charge for what was leased, inside the claim's transaction. Heads without a limit cost no query.
 *
 * Across processes: the bucket is read only after the claim holds the destination's advisory lock (claim.ts), in
 * a statement of its own, so it sees the bucket as the previous holder committed it; the charge is written before
 * this claim commits and releases the lock. Two claimers therefore never spend the same token.
 */
import {
  availableTokens,
  type ChargedBucket,
  chargesOf,
  type HeadRateLimit,
  type ReadBucket,
  ruleOfHead,
  settleBucket,
} from '../../domain/destinationRateLimit.js';
import type { Db } from './db.js';

const READ_BUCKET = 'SELECT tokens, refilled_at AS "refilledAt", blocked_until AS "blockedUntil" FROM destination_rate_buckets WHERE destination_id = $1';

const WRITE_BUCKET = `INSERT INTO destination_rate_buckets (destination_id, tokens, refilled_at, blocked_until) VALUES ($1, $2, $3, $4)
ON CONFLICT (destination_id) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at, blocked_until = excluded.blocked_until`;

/** The buckets one claim has read (under their destinations' locks), settled at its `now`, and their charges. */
export class ClaimBuckets {
  private readonly read = new Map<string, ReadBucket>();

  constructor(
    private readonly db: Db,
    private readonly now: number,
  ) {}

  /** Events of this head the claim may lease by its time limit now (Infinity when it has none). Call under the lock. */
  async allowance(head: HeadRateLimit): Promise<number> {
    const rule = ruleOfHead(head);
    if (rule === null) return Number.POSITIVE_INFINITY;
    const stored = (await this.db.row<ChargedBucket>(READ_BUCKET, [head.id])) ?? null;
    const bucket = settleBucket(stored, rule, this.now);
    this.read.set(head.id, { rule, bucket, blockedUntil: stored?.blockedUntil ?? null });
    return availableTokens(bucket);
  }

  /**
   * Spends one token per leased event of a limited destination (`destinationIds`: one entry per leased event), and
   * records the next token's time of a bucket found empty, so that nextDueAt sleeps until it.
   */
  async charge(destinationIds: readonly string[]): Promise<void> {
    for (const { id, charged } of chargesOf(this.read, destinationIds)) {
      await this.db.run(WRITE_BUCKET, [id, charged.tokens, charged.refilledAt, charged.blockedUntil]);
    }
  }
}

/**
 * A destination's time limit changed or was removed: its bucket's blocked_until was computed under the old rule,
 * so it is cleared (the next claim settles the kept tokens under the new rule, never above its limit); without a
 * time limit the bucket goes.
 */
export async function forgetBlockedUntil(db: Db, destinationId: string, hasTimeLimit: boolean): Promise<void> {
  if (hasTimeLimit) await db.run('UPDATE destination_rate_buckets SET blocked_until = NULL WHERE destination_id = $1', [destinationId]);
  else await db.run('DELETE FROM destination_rate_buckets WHERE destination_id = $1', [destinationId]);
}
