-- 002: the claim reads the queue per destination. events_due orders it by time only, so a destination at its
-- concurrency cap with a large backlog of due events would make every claim walk that whole backlog to reach the
-- other destinations' events. Keyed by destination first, this index lets a claim visit each destination with
-- queued work once and read only as many of its events as the destination has free slots.
CREATE INDEX events_destination_due ON events(destination_id, due_at) WHERE due_at IS NOT NULL;
