-- id: partial-run
-- title: The run read everything in scope
-- severity: high
-- rationale: A partial run judged as complete hides what it missed: a
--   file system whose jobs, locks or settings could not be read looks
--   clean. Every other rule skips what was not read; this one says so.
-- remediation: Read the run's errors (amlfs-audit runs show); grant the
--   missing permissions or retry, then collect again.
-- reads: runs, run_ledger, run_errors, evidence, requests
--
-- One row per subscription in the run's ledger, and one for the run as a
-- whole (resource_id '/', the tenant root: the subscription list, and
-- failures the ledger does not place).
WITH run AS (
  SELECT id, status, error_summary FROM runs WHERE id = :run
),
scopes AS (
  SELECT scope, sum(errors) AS errors,
         group_concat(CASE WHEN errors > 0
                           THEN list || ' (' || errors || ')' END, ', ')
           AS lists
  FROM run_ledger
  WHERE run_id = :run
  GROUP BY scope
),
scoped AS (
  SELECT '/subscriptions/' || s.scope AS resource_id, s.scope,
         s.errors, s.lists, NULL AS run_status, NULL AS summary
  FROM scopes s
  WHERE s.scope <> 'tenant'
  UNION ALL
  SELECT '/', 'tenant', coalesce(t.errors, 0), t.lists, run.status,
         run.error_summary
  FROM run
  LEFT JOIN scopes t ON t.scope = 'tenant'
),
failed AS (
  -- Answers stored that were errors or did not parse, by subscription.
  SELECT e.id, lower(q.url) AS url
  FROM evidence e
  JOIN requests q ON q.id = e.request
  WHERE e.run_id = :run
    AND (e.status NOT BETWEEN 200 AND 299 OR e.projected = 0)
)
SELECT r.resource_id,
       CASE WHEN r.errors > 0 OR r.run_status IN ('partial', 'failed')
            THEN 'alarm' ELSE 'ok' END AS status,
       CASE WHEN r.errors > 0
            THEN printf('run %d could not read: %s', :run, r.lists) ||
                 coalesce('; ' || (SELECT group_concat(m, '; ') FROM (
                   SELECT coalesce('HTTP ' || x.http_status || ' ', '') ||
                          coalesce(x.code || ': ', '') || x.message ||
                          ' (' || x.url || ')' AS m
                   FROM run_errors x
                   WHERE x.run_id = :run
                     AND (r.scope = 'tenant' OR instr(lower(x.url),
                          '/subscriptions/' || lower(r.scope) || '/') > 0
                          OR lower(x.url) LIKE '%/subscriptions/' ||
                             lower(r.scope))
                   ORDER BY x.seq LIMIT 3)), '')
            WHEN r.run_status IN ('partial', 'failed')
            THEN printf('run %d is %s', :run, r.run_status) ||
                 coalesce(': ' || r.summary, '')
            WHEN r.scope = 'tenant'
            THEN printf('run %d is %s', :run, r.run_status)
            ELSE printf('run %d read every list of this subscription', :run)
       END AS reason,
       (SELECT json_group_array(f.id) FROM failed f
         WHERE r.scope = 'tenant'
            OR instr(f.url, '/subscriptions/' || lower(r.scope) || '/') > 0
            OR f.url LIKE '%/subscriptions/' || lower(r.scope)) AS evidence
FROM scoped r
ORDER BY r.resource_id;
