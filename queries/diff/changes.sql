-- What changed in each file system present in both runs, as
-- 'amlfs-audit diff' shows it. One row per file system with at least one
-- change, its changes in a JSON array of {kind, path, before, after},
-- property changes first, then tags, then jobs, each by path:
--
--  property  Every leaf of the ARM resource's location, sku, zones,
--            identity and properties, compared as JSON (json_tree):
--            sku.name, properties.storageCapacityTiB,
--            properties.maintenanceWindow.dayOfWeek, ... Arrays (zones,
--            importPrefixesInitial) compare as wholes. Left out as
--            progress, not configuration: properties.hsm.archiveStatus and
--            properties.clientInfo.containerStorageInterface. A leaf
--            absent on one side shows as null there (absent and null are
--            the same change).
--  tag       tags.<key> with the key as stored; a key whose spelling
--            changed shows as the old one removed and the new one added.
--  job       importJobs/<name>, autoExportJobs/<name>,
--            autoImportJobs/<name>: added (before null, after {state,
--            adminStatus, provisioningState}) or removed (the other way
--            round); for a job in both runs, .../<name>/state,
--            .../adminStatus and .../provisioningState when they changed.
--  unread    importJobs/<name>, ...: a job in one run only, where the
--            other run did not read that list of the file system in full
--            (its subscription's ledger row for the list shows errors and
--            one of them, in run_errors, is a URL of this file system's
--            list; or the run has no ledger row for it). before and after
--            as for a job added or removed; nothing is known of the job in
--            the run whose side is null.
--
-- A key in a path is bare when it is a letter and then letters and
-- digits, else a JSON string, as SQLite's json_tree writes it:
-- tags.env, tags."cost-center". before and after are JSON values.
-- The resource's own fields are compared only when its stored item
-- differs (its digest), so an unchanged estate costs little.
-- Parameters: :from, :to (run ids: what changed from :from to :to)
-- Columns: id, name, changes (JSON)
WITH
pair AS MATERIALIZED (
	SELECT b.resource_key, b.resource_id, b.name, b.subscription_id,
	       b.resource_group, a.digest <> b.digest AS item_changed
	  FROM filesystems a
	  JOIN filesystems b ON b.resource_key = a.resource_key
	 WHERE a.run_id = :from AND b.run_id = :to
),
side(run_id, side) AS (VALUES (:from, 'a'), (:to, 'b')),
roots(root) AS (VALUES ('$.location'), ('$.sku'), ('$.zones'),
			('$.identity'), ('$.properties')),
skipped(path) AS (VALUES ('$.properties.hsm.archiveStatus'),
			 ('$.properties.clientInfo.containerStorageInterface')),
leaves AS MATERIALIZED (
	SELECT p.resource_key, s.side, t.fullkey,
	       CASE WHEN t.type IN ('array', 'object') THEN json(t.value)
		    WHEN t.type IN ('true', 'false', 'null') THEN t.type
		    ELSE json_quote(t.value) END AS v
	  FROM pair p
	  JOIN side s
	  JOIN raw_items r ON r.run_id = s.run_id AND r.kind = 'fs'
			  AND r.resource_key = p.resource_key
	  JOIN roots
	  JOIN json_tree(r.raw_json, roots.root) t
	 WHERE p.item_changed
	   AND t.type <> 'object'
	   AND instr(t.fullkey, '[') = 0
	   AND NOT EXISTS (SELECT 1 FROM skipped k
			    WHERE t.fullkey = k.path
			       OR substr(t.fullkey, 1, length(k.path) + 1)
				  IN (k.path || '.', k.path || '['))
),
prop_changes AS (
	SELECT coalesce(b.resource_key, a.resource_key) AS resource_key,
	       1 AS ord, 'property' AS kind,
	       substr(coalesce(b.fullkey, a.fullkey), 3) AS path,
	       a.v AS before, b.v AS after
	  FROM (SELECT * FROM leaves WHERE side = 'a') a
	  FULL JOIN (SELECT * FROM leaves WHERE side = 'b') b
	    ON b.resource_key = a.resource_key AND b.fullkey = a.fullkey
	 WHERE coalesce(a.v, 'null') <> coalesce(b.v, 'null')
),
tag_pairs AS (
	SELECT coalesce(b.resource_key, a.resource_key) AS resource_key,
	       coalesce(b.key, a.key) AS key, a.value AS before,
	       b.value AS after
	  FROM (SELECT t.resource_key, t.key, t.value
		  FROM tags t JOIN pair p USING (resource_key)
		 WHERE t.run_id = :from AND p.item_changed) a
	  FULL JOIN (SELECT t.resource_key, t.key, t.value
		       FROM tags t JOIN pair p USING (resource_key)
		      WHERE t.run_id = :to AND p.item_changed) b
	    ON b.resource_key = a.resource_key AND b.key = a.key
	 WHERE a.value IS NOT b.value
),
tag_changes AS (
	SELECT resource_key, 2 AS ord, 'tag' AS kind,
	       'tags.' || CASE WHEN key GLOB '[A-Za-z]*'
				AND substr(key, 2) NOT GLOB '*[^A-Za-z0-9]*'
			   THEN key ELSE json_quote(key) END AS path,
	       CASE WHEN before IS NOT NULL THEN json_quote(before) END
		 AS before,
	       CASE WHEN after IS NOT NULL THEN json_quote(after) END AS after
	  FROM tag_pairs
),
jobs AS MATERIALIZED (
	SELECT j.run_id, j.fs_key, 'importJobs' AS kind, j.name, j.state,
	       j.admin_status, j.provisioning_state
	  FROM import_jobs j JOIN pair p ON p.resource_key = j.fs_key
	 WHERE j.run_id IN (:from, :to)
	UNION ALL
	SELECT j.run_id, j.fs_key, 'autoExportJobs', j.name, j.state,
	       j.admin_status, j.provisioning_state
	  FROM auto_export_jobs j JOIN pair p ON p.resource_key = j.fs_key
	 WHERE j.run_id IN (:from, :to)
	UNION ALL
	SELECT j.run_id, j.fs_key, 'autoImportJobs', j.name, j.state,
	       j.admin_status, j.provisioning_state
	  FROM auto_import_jobs j JOIN pair p ON p.resource_key = j.fs_key
	 WHERE j.run_id IN (:from, :to)
),
-- A full join of the two runs' jobs, written as a left join and the jobs
-- only in :to: SQLite indexes the inner side of a left join, while a FULL
-- JOIN compared every job with every job (0.6 s for 1,000 file systems).
jobs_a AS MATERIALIZED (SELECT * FROM jobs WHERE run_id = :from),
jobs_b AS MATERIALIZED (SELECT * FROM jobs WHERE run_id = :to),
job_pairs AS MATERIALIZED (
	SELECT coalesce(b.fs_key, a.fs_key) AS resource_key,
	       coalesce(b.kind, a.kind) || '/' || coalesce(b.name, a.name)
		 AS path,
	       a.name IS NOT NULL AS in_a, b.name IS NOT NULL AS in_b,
	       a.state AS a_state, a.admin_status AS a_admin,
	       a.provisioning_state AS a_prov,
	       b.state AS b_state, b.admin_status AS b_admin,
	       b.provisioning_state AS b_prov
	  FROM jobs_a a
	  LEFT JOIN jobs_b b
	    ON b.fs_key = a.fs_key AND b.kind = a.kind
	   AND b.name = a.name COLLATE NOCASE
	UNION ALL
	SELECT b.fs_key, b.kind || '/' || b.name, 0, 1, NULL, NULL, NULL,
	       b.state, b.admin_status, b.provisioning_state
	  FROM jobs_b b
	 WHERE NOT EXISTS (SELECT 1 FROM jobs_a a
			    WHERE b.fs_key = a.fs_key AND b.kind = a.kind
			      AND b.name = a.name COLLATE NOCASE)
),
-- The job lists of each file system in both runs that a run did not read
-- in full: (resource_key, run_id, kind).
job_lists(kind, list, seg) AS (VALUES
	('importJobs', 'import_jobs', '/importjobs'),
	('autoExportJobs', 'auto_export_jobs', '/autoexportjobs'),
	('autoImportJobs', 'auto_import_jobs', '/autoimportjobs')),
unread_lists AS MATERIALIZED (
	SELECT p.resource_key, s.run_id, k.kind
	  FROM pair p
	  JOIN side s
	  JOIN job_lists k
	 WHERE NOT EXISTS (SELECT 1 FROM run_ledger l
			    WHERE l.run_id = s.run_id AND l.list = k.list
			      AND lower(l.scope) = lower(p.subscription_id))
	    OR (EXISTS (SELECT 1 FROM run_ledger l
			 WHERE l.run_id = s.run_id AND l.list = k.list
			   AND lower(l.scope) = lower(p.subscription_id)
			   AND l.errors > 0)
		AND EXISTS (SELECT 1 FROM run_errors e
			     WHERE e.run_id = s.run_id
			       AND instr(lower(e.url), lower(p.resource_id)
					 || k.seg) > 0))
),
fields(field) AS (VALUES ('state'), ('adminStatus'), ('provisioningState')),
job_changes AS (
	SELECT resource_key, 3 AS ord,
	       CASE WHEN EXISTS (SELECT 1 FROM unread_lists u
				  WHERE u.resource_key = j.resource_key
				    AND u.run_id = CASE WHEN in_a THEN :to
							ELSE :from END
				    AND j.path GLOB u.kind || '/*')
		    THEN 'unread' ELSE 'job' END AS kind,
	       path,
	       CASE WHEN in_a THEN json_object('state', a_state,
			'adminStatus', a_admin, 'provisioningState', a_prov)
	       END AS before,
	       CASE WHEN in_b THEN json_object('state', b_state,
			'adminStatus', b_admin, 'provisioningState', b_prov)
	       END AS after
	  FROM job_pairs j
	 WHERE NOT (in_a AND in_b)
	UNION ALL
	SELECT resource_key, 3, 'job', path || '/' || field,
	       json_quote(before), json_quote(after)
	  FROM (SELECT j.resource_key, j.path, f.field,
		       CASE f.field WHEN 'state' THEN a_state
				    WHEN 'adminStatus' THEN a_admin
				    ELSE a_prov END AS before,
		       CASE f.field WHEN 'state' THEN b_state
				    WHEN 'adminStatus' THEN b_admin
				    ELSE b_prov END AS after
		  FROM job_pairs j JOIN fields f
		 WHERE j.in_a AND j.in_b)
	 WHERE before IS NOT after
),
all_changes AS MATERIALIZED (
	SELECT * FROM prop_changes
	UNION ALL SELECT * FROM tag_changes
	UNION ALL SELECT * FROM job_changes
)
SELECT p.resource_id AS id,
       p.name,
       (SELECT json_group_array(json_object('kind', c.kind, 'path', c.path,
				'before', json(c.before),
				'after', json(c.after)))
	  FROM (SELECT * FROM all_changes c
		 WHERE c.resource_key = p.resource_key
		 ORDER BY c.ord, c.path) c) AS changes__json
FROM pair p
WHERE p.resource_key IN (SELECT resource_key FROM all_changes)
ORDER BY p.subscription_id, lower(p.resource_group), lower(p.name);
