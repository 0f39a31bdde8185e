-- 002 (as SQLite's 002): the claim reads the queue per destination. Keyed by destination first, this index lets a
-- claim visit each destination with queued work once (a loose index scan) and read only as many of its events as
-- the destination has free slots, so a destination at its cap with a large backlog costs every claim nothing.
CREATE INDEX events_destination_due ON events(destination_id, due_at) WHERE due_at IS NOT NULL;
