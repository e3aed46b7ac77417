-- Compliance matrix, long form: at the last check of the period, every
-- rule's status on every resource it judged, a file system's jobs counted
-- as the file system. Several results of one rule on one row (a file
-- system's jobs) give the worst: error, alarm, exempt, skip, ok. The
-- report pivots it into rules x file systems (the 'matrix' dataset).
-- Resources that are not file systems (subscriptions; exemptions that
-- matched nothing) are rows of their own, after the file systems.
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc; comp_res, made by
--   the report's setup, is of the same period)
-- Columns: file_system (its name, or the resource id), resource_group,
--   subscription, rule, status, resource_id (the file system's id, or the
--   resource's)
WITH
-- include: compliance/scope.sql.inc
,last AS MATERIALIZED (
	SELECT x.rule, x.status, x.resource_id
	  FROM findings x JOIN last_chk l ON l.check_run = x.check_run
),
fres AS (SELECT * FROM last)
-- include: compliance/resources.sql.inc
,judged AS (
	SELECT CASE WHEN fs_key IS NULL THEN 1 ELSE 0 END AS other,
	       coalesce(min(fs_name), resource_id) AS file_system,
	       min(resource_group) AS resource_group, subscription, rule,
	       max(CASE status WHEN 'ok' THEN 1 WHEN 'skip' THEN 2
	                WHEN 'exempt' THEN 3 WHEN 'alarm' THEN 4 ELSE 5 END) AS w,
	       coalesce(fs_key, resource_id) AS rkey
	  FROM rk
	 GROUP BY rkey, rule
)
SELECT file_system, resource_group, subscription, rule,
       CASE w WHEN 1 THEN 'ok' WHEN 2 THEN 'skip' WHEN 3 THEN 'exempt'
              WHEN 4 THEN 'alarm' ELSE 'error' END AS status,
       rkey AS resource_id
FROM judged
ORDER BY other, subscription, lower(resource_group), lower(file_system),
         rkey, rule;
