-- 010 (as SQLite's 010): rate limits by time per destination (rate_limit per second|minute|hour), held across
-- every process. The destination row carries its rule for the claim, as `concurrency` carries the concurrent cap,
-- so a claim reads it with the heads it already lists (NULL: no time limit, nothing more to read). The bucket is a
-- row of its own, read and written inside the claim transaction under the destination's advisory lock;
-- `blocked_until` is when its next whole token is due while it has none (the dispatchers' next wake-up for that
-- destination), NULL when it holds one. No index on it: the table holds one row per time-limited destination,
-- read whole only when a limit binds, and every claim of such a destination rewrites its row, which an index
-- would slow (without one PostgreSQL can update the row in place, HOT).
ALTER TABLE destinations ADD COLUMN rate_limit integer;
ALTER TABLE destinations ADD COLUMN rate_period_ms integer;

CREATE TABLE destination_rate_buckets (
  destination_id text COLLATE "C" PRIMARY KEY REFERENCES destinations(id) ON DELETE CASCADE,
  tokens double precision NOT NULL,
  refilled_at bigint NOT NULL,
  blocked_until bigint
);
