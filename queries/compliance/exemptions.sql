-- Compliance exemptions: every [exemption NAME] of the policy files the
-- period's checks used (read from the policy kept as each check's
-- evidence, with ini_entries()), once per exemption and policy text.
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc; comp_agg, made by
--   the report's setup, is of the same period)
-- Columns: exemption, rule, resource (the ARM id, or 'regex: ' and the
--   pattern), reason, approver, ticket, expires, expired_in_period ('yes'
--   when expires falls on a day of the period), expired ('yes' when
--   expires is before the period's last day), exempted (results of the
--   period's checks it turned into 'exempt'), policy_sha256, check_run
--   (the newest check that used this policy)
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
)
SELECT x.name AS exemption, x.rule,
       coalesce(x.resource, 'regex: ' || x.regex) AS resource,
       replace(x.reason, char(10), ' ') AS reason, x.approver, x.ticket,
       x.expires,
       CASE WHEN x.expires BETWEEN s.p_from AND s.p_to THEN 'yes' ELSE 'no'
       END AS expired_in_period,
       CASE WHEN x.expires < s.p_to THEN 'yes' ELSE 'no' END AS expired,
       (SELECT coalesce(sum(a.exempt), 0) FROM comp_agg a
         WHERE a.exemption = x.name) AS exempted,
       x.sha256 AS policy_sha256, x.check_run
FROM ex x, span s
ORDER BY x.name, x.check_run;
