-- Compliance coverage: every collection run of the period, with what it
-- could not read, the time since the collection run before it, the check
-- the report used for it and its hash.
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc)
-- Columns: id, started_at, finished_at, status, filesystems, errors,
--   missed (HTTP status, ARM code and URL of each, '; ' between),
--   gap_hours (since the collection run before it; NULL for the first
--   ever), check_run (NULL: no check judged it), run_hash
WITH
-- include: compliance/scope.sql.inc
SELECT c.id, c.started_at, c.finished_at, c.status,
       (SELECT count(*) FROM items i WHERE i.run_id = c.id AND i.kind = 'fs')
         AS filesystems,
       (SELECT count(*) FROM run_errors e WHERE e.run_id = c.id) AS errors,
       (SELECT group_concat(coalesce(e.http_status, '-') || ' ' ||
                            coalesce(e.code, '-') || ' ' || e.url, '; ')
          FROM (SELECT * FROM run_errors WHERE run_id = c.id ORDER BY seq) e)
         AS missed,
       round((julianday(c.started_at) - julianday(c.prev_started)) * 24, 1)
         AS gap_hours,
       k.check_run, r.run_hash
FROM crun c
JOIN runs r ON r.id = c.id
LEFT JOIN chk k ON k.judged_run = c.id
ORDER BY c.id;
