/**
 * Destinations' rate limits by time in the claim (destinationRateLimit.ts has the arithmetic). A claim asks, per
 * destination head that carries a limit, how many events its bucket lets it lease now, and after leasing charges
 * the buckets for what it leased, all inside the claim's transaction: one writer at a time, so no two claims can
 * spend the same token. Heads without a limit cost nothing here (no query).
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
import type { Sql } from './sql.js';

const READ_BUCKET = 'SELECT tokens, refilled_at AS refilledAt, blocked_until AS blockedUntil FROM destination_rate_buckets WHERE destination_id = ?';

const WRITE_BUCKET = `INSERT INTO destination_rate_buckets (destination_id, tokens, refilled_at, blocked_until) VALUES (?, ?, ?, ?)
ON CONFLICT (destination_id) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at, blocked_until = excluded.blocked_until`;

/** The buckets one claim has read, settled at its `now`, and charges for what it leased. */
export class ClaimBuckets {
  private readonly read = new Map<string, ReadBucket>();

  constructor(
    private readonly sql: Sql,
    private readonly now: number,
  ) {}

  /** Events of this head the claim may lease by its time limit now (Infinity when it has none). */
  allowance(head: HeadRateLimit): number {
    const rule = ruleOfHead(head);
    if (rule === null) return Number.POSITIVE_INFINITY;
    const stored = this.sql.get<ChargedBucket>(READ_BUCKET, head.id) ?? null;
    const bucket = settleBucket(stored, rule, this.now);
    this.read.set(head.id, { rule, bucket, blockedUntil: stored?.blockedUntil ?? null });
    return availableTokens(bucket);
  }

  /**
   * Spends one token per leased event of a limited destination (`destinationIds`: one entry per leased event), and
   * records the next token's time of a bucket found empty, so that nextDueAt sleeps until it.
   */
  charge(destinationIds: readonly string[]): void {
    for (const { id, charged } of chargesOf(this.read, destinationIds)) {
      this.sql.run(WRITE_BUCKET, id, charged.tokens, charged.refilledAt, charged.blockedUntil);
    }
  }
}

/**
 * A destination's time limit changed or was removed: its bucket's blocked_until was computed under the old rule,
 * so it is cleared (the next claim settles the kept tokens under the new rule, never above its limit); without a
 * time limit the bucket goes.
 */
export function forgetBlockedUntil(sql: Sql, destinationId: string, hasTimeLimit: boolean): void {
  if (hasTimeLimit) sql.run('UPDATE destination_rate_buckets SET blocked_until = NULL WHERE destination_id = ?', destinationId);
  else sql.run('DELETE FROM destination_rate_buckets WHERE destination_id = ?', destinationId);
}
