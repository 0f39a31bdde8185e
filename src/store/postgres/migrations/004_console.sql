-- 004 (as SQLite's 004): what the console needs beyond the seeds' API. Bulk retries (Hookdeck's batch operations): a filter of the
-- Events API whose matching events are queued again in batches, in id order from `cursor` on, by a background
-- runner; each batch advances the row in the same transaction as the events it queues.
CREATE TABLE bulk_retries (
  id text COLLATE "C" PRIMARY KEY,                    -- bch_
  team_id text COLLATE "C" NOT NULL,
  query text NOT NULL,                    -- JSON: the query as the API took it
  filter text NOT NULL,                   -- JSON EventFilter, bounded above by the creation time
  cursor text COLLATE "C",                            -- last event id examined
  estimated_count integer NOT NULL,
  processed_count integer NOT NULL DEFAULT 0,
  retried_count integer NOT NULL DEFAULT 0,
  skipped_count integer NOT NULL DEFAULT 0,
  cancelled_at bigint,
  completed_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX bulk_retries_team ON bulk_retries(team_id, id);
-- The runner's work list: small, only unfinished jobs.
CREATE INDEX bulk_retries_active ON bulk_retries(id) WHERE completed_at IS NULL AND cancelled_at IS NULL;
