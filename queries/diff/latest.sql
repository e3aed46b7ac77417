-- The two newest collection runs that stored a snapshot (source live or
-- replay, status ok or partial), newest first: what 'diff' compares by
-- default. Imports and checks are runs of the chain too and never count.
-- Parameters: none
-- Columns: id
SELECT id
FROM runs
WHERE source IN ('live', 'replay') AND status IN ('ok', 'partial')
ORDER BY id DESC
LIMIT 2;
