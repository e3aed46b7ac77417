-- Compliance integrity: what 'verify' says of the whole history (the
-- report's built-in 'verify' dataset, bound as parameters), the head of
-- the chain as of the report, and the hash of every run the report rests
-- on (the checks used and the runs they judged).
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc); :verify_status
--   ('ok' or 'broken'), :verify_runs, :verify_bad_run, :verify_reason,
--   :verify_head_run, :verify_head_hash (the built-in dataset's columns)
-- Columns: item, run, time, hash, detail
WITH
-- include: compliance/scope.sql.inc
,head AS (
	SELECT r.id, r.finished_at AS t, x.run_hash
	  FROM allrun r JOIN runs x ON x.id = r.id
	 WHERE r.finished_at IS NOT NULL
	 ORDER BY r.id DESC LIMIT 1
)
SELECT item, run, time, hash, detail FROM (
	SELECT 1 AS ord, 0 AS k, 'verify' AS item, :verify_bad_run AS run,
	       NULL AS time, NULL AS hash,
	       CASE :verify_status
	            WHEN 'ok' THEN 'ok: ' || :verify_runs || ' runs verified '
	                 || '(bodies, run hashes, chain, typed rows, costs, '
	                 || 'findings)'
	            ELSE 'BROKEN at run ' || :verify_bad_run || ': ' ||
	                 coalesce(:verify_reason, '') END AS detail
	UNION ALL
	SELECT 2, 0, 'history head (verified)', :verify_head_run, NULL,
	       :verify_head_hash, 'the newest run when the report was made'
	UNION ALL
	SELECT 3, 0, 'head as of the report', h.id, h.t, h.run_hash,
	       CASE WHEN :as_of IS NULL THEN 'no --as-of: the newest run'
	            ELSE 'the newest run started by ' || :as_of END
	  FROM head h
	UNION ALL
	SELECT 4, c.judged_run, 'judged run', c.judged_run, r.finished_at,
	       r.run_hash, 'collection, ' || r.status
	  FROM chk c JOIN runs r ON r.id = c.judged_run
	UNION ALL
	SELECT 5, c.judged_run, 'check', c.check_run, r.finished_at, r.run_hash,
	       'judged run ' || c.judged_run || ', policy ' ||
	       coalesce(json_extract(r.scope, '$.policy_sha256'), '-')
	  FROM chk c JOIN runs r ON r.id = c.check_run
)
ORDER BY ord, k, run;
