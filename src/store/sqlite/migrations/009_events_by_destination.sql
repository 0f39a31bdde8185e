-- 009 (007 belongs to another change): GET /events?destination_id=… walks one destination's events in id order
-- (newest first), as PostgreSQL's events_destination (destination_id, id) does; before, SQLite read the team's
-- whole id range through events_team and filtered each row, so a destination with few events among many read
-- them all. The index also serves the outbound face's delivery log (dlv_ ids), so the partial index of migration
-- 003 that did only that is dropped: still one index entry per delivery row.
-- (destination_id, id, team_id) would make the count covering, but without table statistics SQLite's planner
-- then prefers events_team for the page: measured in docs/console.md, "Fast on big data".
CREATE INDEX events_destination_id ON events(destination_id, id);
DROP INDEX events_deliveries;
