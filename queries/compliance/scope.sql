-- Compliance: the period in one row (see scope.sql.inc for what the
-- period and its checks are).
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc; comp_agg, made by
--   the report's setup, is of the same period)
-- Columns: period_from, period_to (YYYY-MM-DD), runs (collection runs),
--   ok_runs, partial_runs, failed_runs, checks (checks used),
--   unchecked_runs, first_run, last_run (the runs 'Changes' compares: the
--   period's first and last; for a run report the collection run before
--   it and the run), last_check, last_checked_at, findings (results of
--   every check), judged (ok, alarm, exempt or error), passed (ok),
--   pass_rate (passed / judged; NULL when nothing was judged), pass_pct
--   (the same as text: '66.4%'), open_now
--   (alarm or exempt at the last check), policy_sha256 (of the last
--   check's policy)
WITH
-- include: compliance/scope.sql.inc
SELECT s.p_from AS period_from, s.p_to AS period_to,
       (SELECT count(*) FROM crun) AS runs,
       (SELECT count(*) FROM crun WHERE status = 'ok') AS ok_runs,
       (SELECT count(*) FROM crun WHERE status = 'partial') AS partial_runs,
       (SELECT count(*) FROM crun WHERE status NOT IN ('ok', 'partial'))
         AS failed_runs,
       (SELECT count(*) FROM chk) AS checks,
       (SELECT count(*) FROM crun WHERE id NOT IN (SELECT judged_run FROM chk))
         AS unchecked_runs,
       CASE WHEN :run IS NOT NULL
            THEN (SELECT max(r.id) FROM runs r
                   WHERE r.source IN ('live', 'replay')
                     AND r.status IN ('ok', 'partial')
                     AND r.id < (SELECT min(id) FROM crun))
            ELSE (SELECT min(id) FROM crun WHERE status IN ('ok', 'partial'))
       END AS first_run,
       (SELECT max(id) FROM crun WHERE status IN ('ok', 'partial')) AS last_run,
       l.check_run AS last_check, l.checked_at AS last_checked_at,
       t.findings, t.judged, t.passed,
       CASE WHEN t.judged > 0 THEN round(1.0 * t.passed / t.judged, 4) END
         AS pass_rate,
       CASE WHEN t.judged > 0
            THEN printf('%.1f%%', 100.0 * t.passed / t.judged) END AS pass_pct,
       (SELECT count(*) FROM findings x
         WHERE x.check_run = l.check_run AND x.status IN ('alarm', 'exempt'))
         AS open_now,
       (SELECT json_extract(r.scope, '$.policy_sha256') FROM runs r
         WHERE r.id = l.check_run) AS policy_sha256
FROM span s
LEFT JOIN last_chk l ON 1
JOIN (	-- the findings, counted once by setup/agg.sql
      SELECT coalesce(sum(ok + alarm + exempt + skip + error), 0) AS findings,
             coalesce(sum(ok + alarm + exempt + error), 0) AS judged,
             coalesce(sum(ok), 0) AS passed
        FROM comp_agg) t;
