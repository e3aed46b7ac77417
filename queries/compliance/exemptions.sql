-- Compliance exemptions: every [exemption NAME] of the policy files the
-- period's checks used (read from the policy kept as each check's
-- evidence, with ini_entries()), once per exemption and policy text.
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc; comp_agg, made by
--   the report's setup, is of the same period)
-- Columns: exemption, rule, resource (the ARM id, or 'regex: ' and the
--   pattern), reason, approver, ticket, expires (as written),
--   expired_in_period ('yes' when the exemption stopped applying during
--   the period), expired ('yes' when it had stopped by the period's end),
--   exempted (results of the period's checks it turned into 'exempt'),
--   policy_sha256, check_run (the newest check that used this policy)
-- Instants, as the policy reads them (policy.c ex_expires): an exemption
-- stops applying at its expires, a date alone meaning the end of that
-- day (midnight after it, UTC), a date-time in its zone (UTC without
-- one). The period runs from the midnight (UTC) that starts its first
-- day to the one that ends its last. Both are compared as
-- "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds: the policy drops a
-- fraction too).
WITH
-- include: compliance/scope.sql.inc
,pol AS (
	SELECT e.sha256, max(e.run_id) AS check_run, e.body
	  FROM evidence_log e
	 WHERE e.run_id IN (SELECT check_run FROM chk) AND e.kind = 'policy'
	 GROUP BY e.sha256
),
kv AS (
	SELECT p.sha256, p.check_run,
	       substr(json_extract(j.value, '$.section'), 11) AS name,
	       json_extract(j.value, '$.key') AS key,
	       json_extract(j.value, '$.value') AS value
	  FROM pol p
	  JOIN bodies b ON b.id = p.body,
	       json_each(ini_entries(CAST(b.content AS TEXT))) j
	 WHERE json_extract(j.value, '$.section') LIKE 'exemption %'
),
ex AS (
	SELECT name, sha256, check_run,
	       max(CASE key WHEN 'rule' THEN value END) AS rule,
	       max(CASE key WHEN 'resource' THEN value END) AS resource,
	       max(CASE key WHEN 'resource_regex' THEN value END) AS regex,
	       max(CASE key WHEN 'reason' THEN value END) AS reason,
	       max(CASE key WHEN 'approver' THEN value END) AS approver,
	       max(CASE key WHEN 'ticket' THEN value END) AS ticket,
	       max(CASE key WHEN 'expires' THEN value END) AS expires
	  FROM kv GROUP BY sha256, name
),
ends AS (
	SELECT x.*,
	       strftime('%Y-%m-%dT%H:%M:%SZ', x.expires,
	                CASE WHEN length(x.expires) = 10 THEN '+1 day'
	                     ELSE '+0 days' END) AS ends_at
	  FROM ex x
),
bounds AS (
	SELECT strftime('%Y-%m-%dT%H:%M:%SZ', p_from) AS start_at,
	       strftime('%Y-%m-%dT%H:%M:%SZ', p_to, '+1 day') AS end_at
	  FROM span
)
SELECT x.name AS exemption, x.rule,
       coalesce(x.resource, 'regex: ' || x.regex) AS resource,
       replace(x.reason, char(10), ' ') AS reason, x.approver, x.ticket,
       x.expires,
       CASE WHEN x.ends_at >= s.start_at AND x.ends_at < s.end_at
            THEN 'yes' ELSE 'no' END AS expired_in_period,
       CASE WHEN x.ends_at < s.end_at THEN 'yes' ELSE 'no' END AS expired,
       (SELECT coalesce(sum(a.exempt), 0) FROM comp_agg a
         WHERE a.exemption = x.name) AS exempted,
       x.sha256 AS policy_sha256, x.check_run
FROM ends x, bounds s
ORDER BY x.name, x.check_run;
