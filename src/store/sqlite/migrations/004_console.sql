-- 004: what the console needs beyond the seeds' API. Bulk retries (Hookdeck's batch operations): a filter of the
-- Events API whose matching events are queued again in batches, in id order from `cursor` on, by a background
-- runner; each batch advances the row in the same transaction as the events it queues.
CREATE TABLE bulk_retries (
  id TEXT PRIMARY KEY,                    -- bch_
  team_id TEXT NOT NULL,
  query TEXT NOT NULL,                    -- JSON: the query as the API took it
  filter TEXT NOT NULL,                   -- JSON EventFilter, bounded above by the creation time
  cursor TEXT,                            -- last event id examined
  estimated_count INTEGER NOT NULL,
  processed_count INTEGER NOT NULL DEFAULT 0,
  retried_count INTEGER NOT NULL DEFAULT 0,
  skipped_count INTEGER NOT NULL DEFAULT 0,
  cancelled_at INTEGER,
  completed_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX bulk_retries_team ON bulk_retries(team_id, id);
-- The runner's work list: small, only unfinished jobs.
CREATE INDEX bulk_retries_active ON bulk_retries(id) WHERE completed_at IS NULL AND cancelled_at IS NULL;
