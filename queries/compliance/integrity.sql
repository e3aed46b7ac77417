-- Compliance integrity: what the report's built-in 'chain' dataset found
-- in the whole history when the report was made (every body against its
-- SHA-256, every run hash recomputed from its stored fields, every link
-- to the run before, no run missing, the findings summary held to each
-- check's findings: evidence/tally.h; bound as parameters), what it did
-- not check (the re-derivation 'verify' does), the head of the chain as
-- of the report, and the hash of every run the report rests on (the
-- checks used and the runs they judged).
-- Parameters: :from, :to, :run, :as_of (scope.sql.inc); :chain_status
--   ('ok' or 'broken'), :chain_runs, :chain_bad_run, :chain_reason,
--   :chain_head_run, :chain_head_hash (the built-in dataset's columns)
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
	SELECT 1 AS ord, 0 AS k, 'chain' AS item, :chain_bad_run AS run,
	       NULL AS time, NULL AS hash,
	       CASE :chain_status
	            WHEN 'ok' THEN 'ok: ' || :chain_runs || ' runs; every '
	                 || 'evidence body against its SHA-256, every run hash '
	                 || 'recomputed from its stored fields (metadata, '
	                 || 'evidence list, errors, ledger, cost sources, '
	                 || 'findings), every link to the run before, no run '
	                 || 'missing; the findings summary the counts, pass '
	                 || 'rates and first seen are read from (finding_runs) '
	                 || 'held to the findings of every check (its counts '
	                 || 'by status, its time and a keyed digest of its '
	                 || 'rows)'
	            ELSE 'BROKEN at run ' || :chain_bad_run || ': ' ||
	                 coalesce(:chain_reason, '') END AS detail
	UNION ALL
	SELECT 1, 1, 'full verify', NULL, NULL, NULL,
	       'not run by the report: the typed rows, cost rows, metrics and '
	       || 'prices derived again from the evidence and compared, and '
	       || 'the findings summary (finding_runs) derived again from the '
	       || 'findings row by row; run ''amlfs-audit verify'' for that'
	UNION ALL
	SELECT 2, 0, 'history head (chain checked)', :chain_head_run, NULL,
	       :chain_head_hash, 'the newest run when the report was made'
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
