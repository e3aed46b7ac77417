-- Collection runs, newest first, for the terminal table.
-- Parameters: :limit (at most this many rows; 0 for all)
-- Columns: id, started_at, status, source, filesystems, evidence, errors,
--          error_summary
SELECT r.id,
       r.started_at,
       r.status,
       r.source,
       (SELECT count(*) FROM filesystems f WHERE f.run_id = r.id) AS filesystems,
       (SELECT count(*) FROM evidence e WHERE e.run_id = r.id) AS evidence,
       (SELECT count(*) FROM run_errors x WHERE x.run_id = r.id) AS errors,
       r.error_summary
FROM runs r
ORDER BY r.id DESC
LIMIT CASE WHEN :limit > 0 THEN :limit ELSE -1 END;
