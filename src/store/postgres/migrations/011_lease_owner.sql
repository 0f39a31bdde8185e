-- 011 (PostgreSQL only; 009 and 010 belong to other changes): who holds a lease. Each store (one per gateway
-- process) leases events under an owner id of its own, made when it opens. A destination's used slots are then
-- the live leases of OTHER owners plus the claiming process's own attempts in flight: this process's leases whose
-- attempts already finished (their records not yet committed) no longer count against the cap, so a slot is free
-- again as soon as its attempt ends, as on SQLite, rather than when the record's commit lands (docs/postgres.md,
-- "Delivery throughput"). Meaningful only while lease_token is set; rows leased before 011 (owner NULL) count as
-- another process's, which errs on the safe side until they are recorded or run out.
ALTER TABLE events ADD COLUMN lease_owner text COLLATE "C";
