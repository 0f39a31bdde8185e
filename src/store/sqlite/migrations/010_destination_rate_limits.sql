-- 010: rate limits by time per destination (rate_limit per second|minute|hour), held across every process.
-- The destination row carries its rule for the claim, as `concurrency` carries the concurrent cap, so a claim
-- reads it with the heads it already lists (NULL: no time limit, nothing more to read). The bucket is a row of its
-- own, read and written inside the claim transaction; `blocked_until` is when its next whole token is due while
-- it has none (the dispatcher's next wake-up for that destination), NULL when it holds one. No index on it: the
-- table holds one row per time-limited destination, read whole only when a limit binds, and every claim of such
-- a destination rewrites its row, which an index would slow.
ALTER TABLE destinations ADD COLUMN rate_limit INTEGER;
ALTER TABLE destinations ADD COLUMN rate_period_ms INTEGER;

CREATE TABLE destination_rate_buckets (
  destination_id TEXT PRIMARY KEY REFERENCES destinations(id) ON DELETE CASCADE,
  tokens REAL NOT NULL,
  refilled_at INTEGER NOT NULL,
  blocked_until INTEGER
);
