-- Compliance findings: every rule and resource with a result other than
-- ok in a check of the period, once, as its newest check saw it, with the
-- evidence behind that result (the responses the rule read, through
-- evidence_log).
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc; comp_agg and
--   comp_res, made by the report's setup, are of the same period)
-- Columns: rule, file_system (name, when the resource is or belongs to
--   one), resource_id, severity, reason, first_seen (first open, as check
--   kept it), last_seen (the newest check of the period where it was not
--   ok), status (at the last check of the period; 'resolved' when that
--   check found it ok, 'not judged' when it did not judge it), exemption,
--   checks (how many checks of the period saw it not ok), check_run,
--   evidence_runs, response_sha256, request_ids, fetched_at (one entry
--   per evidence item the history holds, in the rule's order, '; '
--   between; a request id the response lacked is '-'; NULL: none)
WITH
-- include: compliance/scope.sql.inc
,bad0 AS (	-- from the findings counted once by setup/agg.sql
	SELECT rule, resource_id, max(bad_check) AS check_run,
	       min(bad_first_seen) AS first_seen,
	       sum(alarm + exempt + skip + error) AS checks
	  FROM comp_agg
	 GROUP BY rule, resource_id
	HAVING max(bad_check) IS NOT NULL
),
bad AS (	-- last seen: when the newest of those checks ran
	SELECT b.*, c.checked_at AS last_seen
	  FROM bad0 b JOIN chk c ON c.check_run = b.check_run
),
fres AS (SELECT * FROM bad)
-- include: compliance/resources.sql.inc
,one AS MATERIALIZED (	-- the newest check's result
	SELECT b.*, (SELECT min(z.id) FROM findings z
	              WHERE z.check_run = b.check_run AND z.rule = b.rule
	                AND z.resource_id = b.resource_id
	                AND z.status <> 'ok') AS xid
	  FROM rk b
),
withev AS MATERIALIZED (	-- and the evidence it names, as one JSON object
	SELECT b.*, x.severity, x.reason, x.exemption,
	       (SELECT json_object('runs', group_concat(e.run_id, '; '),
	                           'sha256', group_concat(e.sha256, '; '),
	                           'ids', group_concat(coalesce(e.request_id, '-'),
	                                               '; '),
	                           'at', group_concat(e.fetched_at, '; '))
	          FROM json_each(CASE WHEN json_valid(x.evidence) THEN x.evidence
	                         ELSE '[]' END) j
	          JOIN evidence_log e ON e.id = j.value) AS ev
	  FROM one b JOIN findings x ON x.id = b.xid
)
SELECT b.rule, b.fs_name AS file_system, b.resource_id, b.severity, b.reason,
       b.first_seen, b.last_seen,
       coalesce((SELECT CASE y.status WHEN 'ok' THEN 'resolved'
                        ELSE y.status END
                   FROM findings y
                  WHERE y.check_run = (SELECT check_run FROM last_chk)
                    AND y.rule = b.rule
                    AND y.resource_id = b.resource_id
                  ORDER BY y.id LIMIT 1), 'not judged') AS status,
       b.exemption, b.checks, b.check_run,
       json_extract(b.ev, '$.runs') AS evidence_runs,
       json_extract(b.ev, '$.sha256') AS response_sha256,
       json_extract(b.ev, '$.ids') AS request_ids,
       json_extract(b.ev, '$.at') AS fetched_at
FROM withev b
ORDER BY CASE b.severity WHEN 'critical' THEN 1 WHEN 'high' THEN 2
         WHEN 'medium' THEN 3 WHEN 'low' THEN 4 ELSE 5 END,
         b.rule, b.resource_id;
