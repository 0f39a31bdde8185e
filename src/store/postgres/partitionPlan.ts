/**
 * The time partitions of the PostgreSQL store, as pure calculations (no database): which weekly partitions should
 * exist at a given time, what an existing partition's bounds mean, and which partitions lie wholly before a
 * retention cutoff. partitions.ts does the I/O; migration 006 made the tables and the first partitions.
 *
 * requests, events and attempts are partitioned by RANGE of id. Ids are `<prefix>_` + 9 base-36 characters of the
 * creation time + 7 random ones (src/domain/ids.ts), so the ids of one prefix created in [from, to) are exactly
 * those in [`<prefix>_` + encodeTime(from), `<prefix>_` + encodeTime(to)) under byte order (COLLATE "C"). Each
 * table holds two prefixes (one per face), hence one partition per prefix per week.
 */
import { ID_PREFIX, type IdKind } from '../../domain/glossary.js';
import { encodeTime } from '../../domain/ids.js';

export const WEEK_MS = 7 * 86_400_000;
/** 1970-01-05T00:00Z, the first Monday after the epoch: weeks run Monday to Monday, UTC (as migration 006). */
const FIRST_MONDAY_MS = 4 * 86_400_000;

/** The partitioned tables and the id kinds each holds. */
export const PARTITIONED_TABLES = {
  requests: ['request', 'publishedEvent'],
  events: ['event', 'delivery'],
  attempts: ['attempt', 'deliveryAttempt'],
} as const satisfies Record<string, readonly IdKind[]>;

export type PartitionedTable = keyof typeof PARTITIONED_TABLES;

/** One range partition: a table's ids of one prefix created in [fromMs, toMs). */
export interface PartitionRange {
  table: PartitionedTable;
  prefix: string;
  /** Inclusive lower bound; null = from the beginning of time (the `<prefix>_` bound of migration 006). */
  fromMs: number | null;
  toMs: number;
}

/** The Monday 00:00 UTC that starts the week containing `ms`. */
export function weekStart(ms: number): number {
  return Math.floor((ms - FIRST_MONDAY_MS) / WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS;
}

function yyyymmdd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}

/** The partition's name: `<table>_<prefix>_<yyyymmdd of its first day>` (under 63 bytes). */
export function partitionName(range: PartitionRange): string {
  return range.fromMs === null
    ? `${range.table}_${range.prefix}_until_${yyyymmdd(range.toMs)}`
    : `${range.table}_${range.prefix}_${yyyymmdd(range.fromMs)}`;
}

/** The id bounds of the range: `FOR VALUES FROM (lower) TO (upper)`. */
export function idBounds(range: PartitionRange): { lower: string; upper: string } {
  return {
    lower: range.fromMs === null ? `${range.prefix}_` : `${range.prefix}_${encodeTime(range.fromMs)}`,
    upper: `${range.prefix}_${encodeTime(range.toMs)}`,
  };
}

/** The weekly partitions that should exist at `now`: the current week and the `weeksAhead` after it, per table and prefix. */
export function wantedPartitions(now: number, weeksAhead: number): PartitionRange[] {
  const first = weekStart(now);
  const out: PartitionRange[] = [];
  for (const [table, kinds] of Object.entries(PARTITIONED_TABLES) as [PartitionedTable, readonly IdKind[]][]) {
    for (const kind of kinds) {
      for (let week = 0; week <= weeksAhead; week++) {
        const fromMs = first + week * WEEK_MS;
        out.push({ table, prefix: ID_PREFIX[kind], fromMs, toMs: fromMs + WEEK_MS });
      }
    }
  }
  return out;
}

const TIME = /^([a-z]+)_([0-9a-z]{9})$/;

/** The creation time an id bound stands for (`<prefix>_<9 base-36 chars>`); null for `<prefix>_` or anything else. */
function boundTime(bound: string): { prefix: string; ms: number } | null {
  const match = TIME.exec(bound);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return { prefix: match[1], ms: parseInt(match[2], 36) };
}

/** An existing partition as the catalog describes it (`pg_get_expr(relpartbound)`). */
export interface ExistingPartition {
  name: string;
  table: PartitionedTable;
  /** `FOR VALUES FROM ('evt_…') TO ('evt_…')`, or `DEFAULT`. */
  bound: string;
}

const RANGE_BOUND = /^FOR VALUES FROM \('([^']*)'\) TO \('([^']*)'\)$/;

/** The id range of an existing partition; null for the DEFAULT partition or a bound Sluice did not make. */
export function parseBound(bound: string): { lower: string; upper: string } | null {
  const match = RANGE_BOUND.exec(bound.trim());
  return match === null || match[1] === undefined || match[2] === undefined ? null : { lower: match[1], upper: match[2] };
}

/** True when two half-open id ranges share an id. */
function overlaps(a: { lower: string; upper: string }, b: { lower: string; upper: string }): boolean {
  return a.lower < b.upper && b.lower < a.upper;
}

/** The wanted partitions that no existing partition covers or overlaps (creating an overlapping one would fail). */
export function missingPartitions(wanted: PartitionRange[], existing: ExistingPartition[]): PartitionRange[] {
  return wanted.filter((range) => {
    const bounds = idBounds(range);
    return !existing.some((e) => {
      if (e.table !== range.table) return false;
      const other = parseBound(e.bound);
      return other !== null && overlaps(bounds, other);
    });
  });
}

/**
 * Existing range partitions whose every id was created before `cutoff`: their upper bound is a creation time at
 * or before it. Retention drops them whole. The DEFAULT partition and foreign bounds are never returned.
 */
export function expiredPartitions(existing: ExistingPartition[], cutoff: number): (ExistingPartition & { prefix: string; lower: string; upper: string; toMs: number })[] {
  return existing.flatMap((partition) => {
    const bounds = parseBound(partition.bound);
    if (bounds === null) return [];
    const upper = boundTime(bounds.upper);
    if (upper === null || upper.ms > cutoff || !bounds.lower.startsWith(`${upper.prefix}_`)) return [];
    return [{ ...partition, prefix: upper.prefix, lower: bounds.lower, upper: bounds.upper, toMs: upper.ms }];
  });
}
