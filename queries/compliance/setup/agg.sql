-- A setup statement of report compliance (reports/compliance.json): run
-- once per report before the datasets, the one pass over the findings of
-- the period's checks that the datasets share (the pass rates, each
-- finding's span, the scope's totals, each exemption's count), so none of
-- them reads every finding again.
-- comp_agg: one row per rule, resource, severity and exemption of those
-- findings: how many were ok, alarm, exempt, skip and error; of those not
-- ok, the newest check (bad_check) and the earliest first_seen
-- (bad_first_seen; NULL when all were ok).
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc)
CREATE TEMP TABLE comp_agg AS
WITH
-- include: compliance/scope.sql.inc
SELECT rule, resource_id, severity, exemption,
       count(CASE WHEN status = 'ok' THEN 1 END) AS ok,
       count(CASE WHEN status = 'alarm' THEN 1 END) AS alarm,
       count(CASE WHEN status = 'exempt' THEN 1 END) AS exempt,
       count(CASE WHEN status = 'skip' THEN 1 END) AS skip,
       count(CASE WHEN status = 'error' THEN 1 END) AS error,
       max(CASE WHEN status <> 'ok' THEN check_run END) AS bad_check,
       min(CASE WHEN status <> 'ok' THEN first_seen END) AS bad_first_seen
  FROM findings
 WHERE check_run IN (SELECT check_run FROM chk)
 GROUP BY rule, resource_id, severity, exemption;
