-- File systems added and removed between two runs: in :to and not in
-- :from ('added'), or the other way round ('removed'). A file system
-- is the same one in both runs when its ARM id matches, case aside.
--
-- A file system missing from one run is added or removed only when that
-- run read the list that would have held it in full: its subscription's
-- 'filesystems' list (run_ledger scope: the subscription id, any case) or,
-- with Resource Graph discovery, the tenant's 'graph' list, with a ledger
-- row and no errors. Otherwise it is 'unread', and not_read_in names the
-- run that could not read it (a partial run whose list failed on a page,
-- or a subscription that run never listed): nothing is known of it there.
-- Parameters: :from, :to (run ids: what changed from :from to :to)
-- Columns: change ('added', 'removed' or 'unread'), id, name,
--   subscription_id, resource_group, location, sku, capacity_tib,
--   provisioning_state, not_read_in (the run that did not read it, for
--   'unread'; else null)
WITH
-- 1 when run_id read sub's list of file systems without an error.
lists AS MATERIALIZED (
	SELECT run_id, CASE WHEN list = 'graph' THEN '' ELSE lower(scope) END
		 AS sub,
	       max(errors) = 0 AS complete
	  FROM run_ledger
	 WHERE run_id IN (:from, :to)
	   AND (list = 'filesystems' OR (list = 'graph' AND scope = 'tenant'))
	 GROUP BY 1, 2
),
one_side AS (
	SELECT b.*, :from AS without
	  FROM filesystems b
	 WHERE b.run_id = :to
	   AND NOT EXISTS (SELECT 1 FROM filesystems a
			    WHERE a.run_id = :from
			      AND a.resource_key = b.resource_key)
	UNION ALL
	SELECT a.*, :to
	  FROM filesystems a
	 WHERE a.run_id = :from
	   AND NOT EXISTS (SELECT 1 FROM filesystems b
			    WHERE b.run_id = :to
			      AND b.resource_key = a.resource_key)
),
-- read: the run without it read the list that would have held it.
judged AS (
	SELECT o.*,
	       EXISTS (SELECT 1 FROM lists l
			WHERE l.run_id = o.without
			  AND l.sub IN (lower(o.subscription_id), ''))
	       AND NOT EXISTS (SELECT 1 FROM lists l
				WHERE l.run_id = o.without
				  AND l.sub IN (lower(o.subscription_id), '')
				  AND NOT l.complete) AS read
	  FROM one_side o
)
SELECT CASE WHEN NOT read THEN 'unread'
	    WHEN run_id = :to THEN 'added' ELSE 'removed' END AS change,
       resource_id AS id, name, subscription_id, resource_group, location,
       sku, capacity_tib, provisioning_state,
       CASE WHEN NOT read THEN without END AS not_read_in
FROM judged
ORDER BY change, subscription_id, lower(resource_group), lower(name);
