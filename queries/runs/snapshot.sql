-- The run whose snapshot to show: :run_id when given, else the newest
-- collection run that stored one (status ok or partial; imports and
-- checks are runs of the chain too, with other sources).
-- Parameters: :run_id (NULL for the newest)
-- Columns: id, status
SELECT id, status
FROM runs
WHERE (source IN ('live', 'replay')
       AND ((:run_id IS NULL AND status IN ('ok', 'partial'))
            OR id = :run_id))
ORDER BY id DESC
LIMIT 1;
