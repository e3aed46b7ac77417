-- A setup statement of report compliance (reports/compliance.json): run
-- once per report before the datasets, the one pass over the findings of
-- the period's checks that the datasets share (the pass rates, each
-- finding's span, the scope's totals, each exemption's count), so none of
-- them reads every finding again.
-- comp_agg: one row per rule, resource, severity and exemption of those
-- findings: how many were ok, alarm, exempt, skip and error; of those not
-- ok, the newest check (bad_check) and the earliest first_seen
-- (bad_first_seen; NULL when all were ok).
-- Read from finding_runs (migration 0011: the findings in runs of
-- consecutive checks with the same result, which verify derives again
-- from the findings), not from the findings: a row counts per_check
-- times for each check of the period from its first_check to its
-- last_check. The same numbers, from a row per stretch of checks
-- instead of a row per finding.
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc)
CREATE TEMP TABLE comp_agg AS
WITH
-- include: compliance/scope.sql.inc
,ck AS MATERIALIZED (	-- each check: the period's checks up to it
	SELECT r.id,
	       (SELECT count(*) FROM chk c WHERE c.check_run < r.id) AS before,
	       (SELECT count(*) FROM chk c WHERE c.check_run <= r.id) AS upto,
	       (SELECT max(c.check_run) FROM chk c WHERE c.check_run <= r.id)
	         AS newest
	  FROM runs r WHERE r.source = 'check'
),
fr AS (	-- k: how many checks of the period a row spans
	SELECT r.*, l.upto - f.before AS k, l.newest
	  FROM finding_runs r NOT INDEXED	-- one pass, not a seek a row
	  JOIN ck f ON f.id = r.first_check
	  JOIN ck l ON l.id = r.last_check
)
SELECT rule, resource_id, severity, exemption,
       sum(CASE WHEN status = 'ok' THEN k * per_check ELSE 0 END) AS ok,
       sum(CASE WHEN status = 'alarm' THEN k * per_check ELSE 0 END) AS alarm,
       sum(CASE WHEN status = 'exempt' THEN k * per_check ELSE 0 END)
         AS exempt,
       sum(CASE WHEN status = 'skip' THEN k * per_check ELSE 0 END) AS skip,
       sum(CASE WHEN status = 'error' THEN k * per_check ELSE 0 END) AS error,
       max(CASE WHEN status <> 'ok' THEN newest END) AS bad_check,
       min(CASE WHEN status <> 'ok' THEN coalesce(first_seen, (
	         -- (NULL: each check's own time; the earliest of the period)
	         SELECT min(t.checked_at) FROM chk c
	           JOIN finding_checks t ON t.check_run = c.check_run
	          WHERE c.check_run BETWEEN fr.first_check AND fr.last_check))
	   END) AS bad_first_seen
  FROM fr
 WHERE k > 0
 GROUP BY rule, resource_id, severity, exemption;
