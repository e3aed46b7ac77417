-- The run ledger says when each list was read: milliseconds from the
-- start of the run to its first request and to its last answer, so a
-- run shows how long each kind (ARM reads, cost queries) took. 0 for runs
-- collected before this. Timings are measurements, not evidence: the run
-- hash does not cover them.
ALTER TABLE run_ledger ADD COLUMN started_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run_ledger ADD COLUMN finished_ms INTEGER NOT NULL DEFAULT 0;
