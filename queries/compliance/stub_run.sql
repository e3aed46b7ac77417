-- STUB (replaced by the compliance report's branch): the run reported on.
-- Parameters: :run
-- Columns: id, status, source, started_at, finished_at, run_hash
SELECT id, status, source, started_at, finished_at, run_hash
FROM runs WHERE id = :run;
