-- Compliance summary, in one table of sections (the workbook's Summary
-- sheet; the Markdown picks rows by the in_* flags):
--  pass rates  over every result of every check of the period, by rule,
--              file system (findings on a job count for its file system;
--              "(not a file system)" gathers subscriptions and exemption
--              findings), subscription and severity: ok, alarm, exempt,
--              skip, error and pass_rate = ok / (ok + alarm + exempt +
--              error) (skip is not judged; an exemption is not a pass);
--  open by age what is open (alarm or exempt) at the last check, by the
--              age of its first_seen at that check: under 7 days, 7 to 29,
--              30 to 89, 90 and more;
--  coverage    collection runs, ok, partial (and what each could not
--              read), failed, the longest time between two consecutive
--              collection runs (from the run before the period to its
--              first, and between its runs), checks used and runs no
--              check judged.
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc; comp_agg and
--   comp_res, made by the report's setup, are of the same period)
-- Columns: section, item, ok, alarm, exempt, skip, error, pass_rate,
--   pass_pct (pass_rate as text: '66.4%'; NULL with it), count, detail,
--   in_rates, in_age, in_coverage (1 or NULL: the row's section)
WITH
-- include: compliance/scope.sql.inc
,agg AS MATERIALIZED (	-- the findings, counted once by setup/agg.sql
	SELECT rule, resource_id, severity, sum(ok) AS ok, sum(alarm) AS alarm,
	       sum(exempt) AS exempt, sum(skip) AS skip, sum(error) AS error
	  FROM comp_agg
	 GROUP BY rule, resource_id, severity
),
fres AS (SELECT * FROM agg)
-- include: compliance/resources.sql.inc
,tagged AS (
	SELECT 1 AS ord, 'rule' AS dim, a.rule AS item, a.ok, a.alarm, a.exempt,
	       a.skip, a.error
	  FROM agg a
	UNION ALL
	SELECT 2, 'file system', coalesce(a.fs_name || ' (' || a.resource_group || ')',
	                                  '(not a file system)'),
	       a.ok, a.alarm, a.exempt, a.skip, a.error
	  FROM rk a
	UNION ALL
	SELECT 3, 'subscription', coalesce(a.subscription, '(none)'),
	       a.ok, a.alarm, a.exempt, a.skip, a.error
	  FROM rk a
	UNION ALL
	SELECT 4, 'severity', a.severity, a.ok, a.alarm, a.exempt, a.skip, a.error
	  FROM agg a
),
rates AS (
	SELECT ord, 'pass rate by ' || dim AS section, item,
	       CASE WHEN dim = 'severity'
	            THEN instr('critical high medium low info', item) END AS sub,
	       sum(ok) AS ok, sum(alarm) AS alarm, sum(exempt) AS exempt,
	       sum(skip) AS skip, sum(error) AS error
	  FROM tagged
	 GROUP BY ord, dim, item
),
open_now AS (
	SELECT x.severity,
	       julianday(l.checked_at) - julianday(x.first_seen) AS age
	  FROM last_chk l JOIN findings x ON x.check_run = l.check_run
	 WHERE x.status IN ('alarm', 'exempt')
),
buckets(b, label, lo, hi) AS (
	VALUES (1, 'under 7 days', -1e9, 7), (2, '7 to 29 days', 7, 30),
	       (3, '30 to 89 days', 30, 90), (4, '90 days and more', 90, 1e9)
),
gaps AS (
	SELECT id, prev_started, started_at,
	       (julianday(started_at) - julianday(prev_started)) * 24 AS hours
	  FROM crun WHERE prev_started IS NOT NULL
),
partial AS (
	SELECT c.id, c.status,
	       (SELECT count(*) FROM run_errors e WHERE e.run_id = c.id) AS n,
	       (SELECT group_concat(coalesce(e.http_status, '-') || ' ' ||
	                            coalesce(e.code, '-') || ' ' || e.url, '; ')
	          FROM (SELECT * FROM run_errors WHERE run_id = c.id
	                ORDER BY seq) e) AS missed
	  FROM crun c WHERE c.status <> 'ok'
)
SELECT section, item, ok, alarm, exempt, skip, error, pass_rate,
       CASE WHEN pass_rate IS NOT NULL
            THEN printf('%.1f%%', 100 * pass_rate) END AS pass_pct, count, detail,
       in_rates, in_age, in_coverage
FROM (
	SELECT ord, coalesce(sub, 0) AS sub, section, item, ok, alarm, exempt,
	       skip, error,
	       CASE WHEN ok + alarm + exempt + error > 0
	            THEN round(1.0 * ok / (ok + alarm + exempt + error), 4)
	       END AS pass_rate,
	       ok + alarm + exempt + skip + error AS count, NULL AS detail,
	       1 AS in_rates, NULL AS in_age, NULL AS in_coverage
	  FROM rates
	UNION ALL
	SELECT 5, b.b, 'open by age', b.label, NULL, NULL, NULL, NULL, NULL, NULL,
	       (SELECT count(*) FROM open_now o WHERE o.age >= b.lo AND o.age < b.hi),
	       (SELECT group_concat(severity || ': ' || n, ', ')
	          FROM (SELECT severity, count(*) AS n FROM open_now o
	                 WHERE o.age >= b.lo AND o.age < b.hi
	                 GROUP BY severity ORDER BY severity)),
	       NULL, 1, NULL
	  FROM buckets b
	UNION ALL
	SELECT 6, k, 'coverage', item, NULL, NULL, NULL, NULL, NULL, NULL, n, detail,
	       NULL, NULL, 1
	  FROM (
		SELECT 1 AS k, 'collection runs' AS item,
		       (SELECT count(*) FROM crun) AS n,
		       (SELECT 'runs ' || min(id) || ' to ' || max(id) || ', ' ||
		               min(started_at) || ' to ' || max(started_at)
		          FROM crun HAVING count(*)) AS detail
		UNION ALL
		SELECT 2, 'ok runs', (SELECT count(*) FROM crun WHERE status = 'ok'),
		       NULL
		UNION ALL
		SELECT 3, 'partial runs',
		       (SELECT count(*) FROM partial WHERE status = 'partial'),
		       (SELECT group_concat('run ' || id || ' missed ' || n || ': ' ||
		                            coalesce(missed, '(nothing recorded)'), ' | ')
		          FROM (SELECT * FROM partial WHERE status = 'partial'
		                ORDER BY id))
		UNION ALL
		SELECT 4, 'failed or unfinished runs',
		       (SELECT count(*) FROM partial WHERE status <> 'partial'),
		       (SELECT group_concat('run ' || id || ' ' || status, ', ')
		          FROM (SELECT * FROM partial WHERE status <> 'partial'
		                ORDER BY id))
		UNION ALL
		SELECT 5, 'longest gap (hours)',
		       (SELECT round(max(hours), 1) FROM gaps),
		       (SELECT 'before run ' || id || ': ' || prev_started || ' to ' ||
		               started_at FROM gaps ORDER BY hours DESC, id LIMIT 1)
		UNION ALL
		SELECT 6, 'checks used', (SELECT count(*) FROM chk),
		       (SELECT group_concat('check ' || check_run || ' of run ' ||
		                            judged_run, ', ')
		          FROM (SELECT * FROM chk ORDER BY judged_run))
		UNION ALL
		SELECT 7, 'runs without a check',
		       (SELECT count(*) FROM crun
		         WHERE id NOT IN (SELECT judged_run FROM chk)),
		       (SELECT group_concat(id, ', ')
		          FROM (SELECT id FROM crun
		                 WHERE id NOT IN (SELECT judged_run FROM chk)
		                 ORDER BY id))
	  )
)
ORDER BY ord, sub, item;
