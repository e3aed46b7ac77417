-- The run whose snapshot to show: :run_id when given, else the newest
-- run that stored one (status ok or partial).
-- Parameters: :run_id (NULL for the newest)
-- Columns: id, status
SELECT id, status
FROM runs
WHERE (:run_id IS NULL AND status IN ('ok', 'partial'))
   OR id = :run_id
ORDER BY id DESC
LIMIT 1;
