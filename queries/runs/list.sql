-- List collection runs, newest first, with what each could not read and
-- its completeness ledger.
-- Parameters: :limit (at most this many rows; 0 for all)
-- Columns: id, started_at, finished_at, status, source, tool_version,
--          tenant_id, principal_id, scope, filesystems, evidence, requests,
--          retries, throttled, throttle_wait_ms, errors, error_summary,
--          notes, run_hash, errors_detail (array of {url, http_status,
--          code, message}), ledger (array of {scope, list, requests, pages,
--          items, retries, throttled, throttle_wait_ms, errors,
--          started_ms, finished_ms: ms from the run's start to the list's
--          first request and last answer})
SELECT r.id,
       r.started_at,
       r.finished_at,
       r.status,
       r.source,
       r.tool_version,
       r.tenant_id,
       r.principal_id,
       r.scope AS scope__json,
       (SELECT count(*) FROM items i
         WHERE i.run_id = r.id AND i.kind = 'fs') AS filesystems,
       (SELECT count(*) FROM evidence e WHERE e.run_id = r.id) AS evidence,
       (SELECT coalesce(sum(requests), 0) FROM run_ledger l
         WHERE l.run_id = r.id) AS requests,
       (SELECT coalesce(sum(retries), 0) FROM run_ledger l
         WHERE l.run_id = r.id) AS retries,
       (SELECT coalesce(sum(throttled), 0) FROM run_ledger l
         WHERE l.run_id = r.id) AS throttled,
       (SELECT coalesce(sum(throttle_wait_ms), 0) FROM run_ledger l
         WHERE l.run_id = r.id) AS throttle_wait_ms,
       (SELECT count(*) FROM run_errors x WHERE x.run_id = r.id) AS errors,
       r.error_summary,
       r.notes,
       r.run_hash,
       (SELECT json_group_array(json_object('url', x.url,
                                            'http_status', x.http_status,
                                            'code', x.code,
                                            'message', x.message))
          FROM (SELECT * FROM run_errors WHERE run_id = r.id ORDER BY seq) x)
         AS errors_detail__json,
       (SELECT json_group_array(json_object(
                 'scope', l.scope, 'list', l.list, 'requests', l.requests,
                 'pages', l.pages, 'items', l.items, 'retries', l.retries,
                 'throttled', l.throttled,
                 'throttle_wait_ms', l.throttle_wait_ms, 'errors', l.errors,
                 'started_ms', l.started_ms, 'finished_ms', l.finished_ms))
          FROM (SELECT * FROM run_ledger WHERE run_id = r.id
                 ORDER BY scope, list) l) AS ledger__json
FROM runs r
ORDER BY r.id DESC
LIMIT CASE WHEN :limit > 0 THEN :limit ELSE -1 END;
