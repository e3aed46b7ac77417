-- Collection runs, newest first, for the terminal table.
-- Parameters: :limit (at most this many rows; 0 for all)
-- Columns: id, started_at, status, source, filesystems, requests, retries,
--          errors, error_summary, notes
SELECT r.id,
       r.started_at,
       r.status,
       r.source,
       (SELECT count(*) FROM items i
         WHERE i.run_id = r.id AND i.kind = 'fs') AS filesystems,
       (SELECT coalesce(sum(requests), 0) FROM run_ledger l
         WHERE l.run_id = r.id) AS requests,
       (SELECT coalesce(sum(retries), 0) FROM run_ledger l
         WHERE l.run_id = r.id) AS retries,
       (SELECT count(*) FROM run_errors x WHERE x.run_id = r.id) AS errors,
       r.error_summary,
       r.notes
FROM runs r
ORDER BY r.id DESC
LIMIT CASE WHEN :limit > 0 THEN :limit ELSE -1 END;
