-- List collection runs, newest first.
-- Parameters: :limit (at most this many rows; 0 for all)
-- Columns: id, started_at, finished_at, status, source, tool_version,
--          tenant_id, principal_id, filesystems, evidence, errors,
--          error_summary, run_hash, errors_detail (JSON array of
--          {url, http_status, code, message})
SELECT r.id,
       r.started_at,
       r.finished_at,
       r.status,
       r.source,
       r.tool_version,
       r.tenant_id,
       r.principal_id,
       (SELECT count(*) FROM filesystems f WHERE f.run_id = r.id) AS filesystems,
       (SELECT count(*) FROM evidence e WHERE e.run_id = r.id) AS evidence,
       (SELECT count(*) FROM run_errors x WHERE x.run_id = r.id) AS errors,
       r.error_summary,
       r.run_hash,
       (SELECT json_group_array(json_object('url', x.url,
                                            'http_status', x.http_status,
                                            'code', x.code,
                                            'message', x.message))
          FROM (SELECT * FROM run_errors WHERE run_id = r.id ORDER BY seq) x)
         AS errors_detail__json
FROM runs r
ORDER BY r.id DESC
LIMIT CASE WHEN :limit > 0 THEN :limit ELSE -1 END;
