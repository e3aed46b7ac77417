-- The file systems of one run, with tags and jobs: the stable JSON of
-- 'amlfs-audit inventory --format json'. Add columns freely; never rename
-- or remove one (scripts depend on them).
-- Parameters: :run_id
-- Columns: id, name, subscription_id, resource_group, location, sku,
--   capacity_tib, throughput_mbps, expected_throughput_mbps, subnet_id,
--   zones, provisioning_state, health, health_status_code,
--   health_status_description, encryption, maintenance_window,
--   root_squash, hsm, identity_type, created_at, created_by, tags,
--   import_jobs, auto_export_jobs, auto_import_jobs, role_assignments,
--   locks, diagnostic_settings, resource_group_tags, subscription_tags,
--   capacity_used_bytes, capacity_total_bytes, run_id
--
-- capacity_used_bytes and capacity_total_bytes are OSTBytesUsed and
-- OSTBytesTotal summed over the OSTs at one hour: the newest hour at which
-- both sums hold every OST (series equal to the most either metric of the
-- file system ever summed), of the points stored by runs up to :run_id.
-- The newest hour is often partial (a few OSTs reported yet): its sums
-- are not the file system's.
WITH
-- The most OSTs each metric of each file system summed, up to the run.
full_series AS MATERIALIZED (
	SELECT resource_key, metric, max(series) AS series
	  FROM metrics
	 WHERE metric IN ('OSTBytesUsed', 'OSTBytesTotal')
	   AND run_id <= :run_id
	 GROUP BY resource_key, metric
),
capacity AS MATERIALIZED (
	SELECT u.resource_key, u.ts, u.value AS used, t.value AS total
	  FROM metrics u
	  JOIN full_series su ON su.resource_key = u.resource_key
			     AND su.metric = u.metric AND su.series = u.series
	  JOIN metrics t ON t.resource_key = u.resource_key AND t.ts = u.ts
			AND t.metric = 'OSTBytesTotal' AND t.run_id <= :run_id
	  JOIN full_series st ON st.resource_key = t.resource_key
			     AND st.metric = t.metric AND st.series = t.series
	 WHERE u.metric = 'OSTBytesUsed' AND u.run_id <= :run_id
)
SELECT f.resource_id AS id,
       f.name,
       f.subscription_id,
       f.resource_group,
       f.location,
       f.sku,
       f.capacity_tib,
       f.throughput_mbps,
       -- The SKU name's number is MB/s per TiB (azure-apis.md A.4).
       CASE WHEN f.sku LIKE 'AMLFS-Durable-Premium-%'
            THEN CAST(round(f.capacity_tib *
                  CAST(substr(f.sku, 23) AS INTEGER)) AS INTEGER) END
         AS expected_throughput_mbps,
       f.subnet_id,
       coalesce(f.zones, '[]') AS zones__json,
       f.provisioning_state,
       f.health_state AS health,
       f.health_status_code,
       f.health_status_description,
       CASE WHEN f.encryption_key_url IS NULL THEN 'microsoft-managed'
            ELSE 'customer-managed' END AS encryption,
       json_object('day_of_week', f.maintenance_day,
                   'time_of_day_utc', f.maintenance_time_utc)
         AS maintenance_window__json,
       CASE WHEN f.root_squash_mode IS NULL THEN 'null'
            ELSE json_object('mode', f.root_squash_mode,
                             'squash_uid', f.root_squash_uid,
                             'squash_gid', f.root_squash_gid,
                             'no_squash_nid_lists', f.root_squash_nids)
       END AS root_squash__json,
       CASE WHEN f.hsm_container IS NULL THEN 'null'
            ELSE json_object('container', f.hsm_container,
                             'logging_container', f.hsm_logging_container,
                             'import_prefix', f.hsm_import_prefix,
                             'import_prefixes_initial',
                               json(coalesce(f.hsm_import_prefixes, 'null')))
       END AS hsm__json,
       f.identity_type,
       f.created_at,
       f.created_by,
       (SELECT json_group_object(t.key, t.value)
          FROM (SELECT key, value FROM tags
                 WHERE run_id = f.run_id AND resource_key = f.resource_key
                 ORDER BY key_norm) t) AS tags__json,
       (SELECT json_group_array(json_object(
                 'name', j.name, 'id', j.resource_id,
                 'provisioning_state', j.provisioning_state,
                 'admin_status', j.admin_status,
                 'state', j.state, 'status_message', j.status_message,
                 'conflict_resolution_mode', j.conflict_resolution_mode,
                 'maximum_errors', j.maximum_errors,
                 'total_blobs_walked', j.total_blobs_walked,
                 'total_blobs_imported', j.total_blobs_imported,
                 'imported_files', j.imported_files,
                 'imported_directories', j.imported_directories,
                 'imported_symlinks', j.imported_symlinks,
                 'preexisting_files', j.preexisting_files,
                 'total_errors', j.total_errors,
                 'total_conflicts', j.total_conflicts,
                 'last_started_time', j.last_started_time,
                 'last_completion_time', j.last_completion_time))
          FROM (SELECT * FROM import_jobs
                 WHERE run_id = f.run_id AND fs_key = f.resource_key
                 ORDER BY name) j) AS import_jobs__json,
       (SELECT json_group_array(json_object(
                 'name', j.name, 'id', j.resource_id,
                 'provisioning_state', j.provisioning_state,
                 'admin_status', j.admin_status,
                 'state', j.state, 'status_code', j.status_code,
                 'status_message', j.status_message,
                 'total_files_exported', j.total_files_exported,
                 'total_mib_exported', j.total_mib_exported,
                 'total_files_failed', j.total_files_failed,
                 'export_iteration_count', j.export_iteration_count,
                 'last_successful_iteration_completion',
                   j.last_successful_iteration_completion,
                 'last_started_time', j.last_started_time,
                 'last_completion_time', j.last_completion_time))
          FROM (SELECT * FROM auto_export_jobs
                 WHERE run_id = f.run_id AND fs_key = f.resource_key
                 ORDER BY name) j) AS auto_export_jobs__json,
       (SELECT json_group_array(json_object(
                 'name', j.name, 'id', j.resource_id,
                 'provisioning_state', j.provisioning_state,
                 'admin_status', j.admin_status,
                 'state', j.state, 'status_code', j.status_code,
                 'status_message', j.status_message,
                 'conflict_resolution_mode', j.conflict_resolution_mode,
                 'enable_deletions', json(CASE j.enable_deletions
                     WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE 'null' END),
                 'maximum_errors', j.maximum_errors,
                 'total_blobs_walked', j.total_blobs_walked,
                 'total_blobs_imported', j.total_blobs_imported,
                 'imported_files', j.imported_files,
                 'total_errors', j.total_errors,
                 'total_conflicts', j.total_conflicts,
                 'sync_total_blobs_imported', j.sync_total_blobs_imported,
                 'sync_deletions', j.sync_deletions,
                 'sync_last_fully_synchronized',
                   j.sync_last_fully_synchronized,
                 'last_started_time', j.last_started_time,
                 'last_completion_time', j.last_completion_time))
          FROM (SELECT * FROM auto_import_jobs
                 WHERE run_id = f.run_id AND fs_key = f.resource_key
                 ORDER BY name) j) AS auto_import_jobs__json,
       (SELECT json_group_array(json_object(
                 'name', a.name, 'role_definition_id', a.role_definition_id,
                 'principal_id', a.principal_id,
                 'principal_type', a.principal_type, 'scope', a.scope))
          FROM (SELECT * FROM role_assignments
                 WHERE run_id = f.run_id AND fs_key = f.resource_key
                 ORDER BY scope, name) a) AS role_assignments__json,
       (SELECT json_group_array(json_object('name', l.name, 'level', l.level,
                                            'notes', l.notes))
          FROM (SELECT * FROM locks
                 WHERE run_id = f.run_id AND fs_key = f.resource_key
                 ORDER BY name) l) AS locks__json,
       (SELECT json_group_array(json_object(
                 'name', g.name, 'workspace_id', g.workspace_id,
                 'storage_account_id', g.storage_account_id,
                 'event_hub_rule_id', g.event_hub_rule_id,
                 'logs', json(coalesce(g.logs, '[]'))))
          FROM (SELECT * FROM diagnostic_settings
                 WHERE run_id = f.run_id AND fs_key = f.resource_key
                 ORDER BY name) g) AS diagnostic_settings__json,
       (SELECT json_group_object(t.key, t.value)
          FROM (SELECT key, value FROM scope_tags
                 WHERE run_id = f.run_id AND scope_kind = 'rg'
                   AND scope_key = lower('/subscriptions/' || f.subscription_id
                                         || '/resourcegroups/' || f.resource_group)
                 ORDER BY key_norm) t) AS resource_group_tags__json,
       (SELECT json_group_object(t.key, t.value)
          FROM (SELECT key, value FROM scope_tags
                 WHERE run_id = f.run_id AND scope_kind = 'sub'
                   AND scope_key = lower('/subscriptions/' || f.subscription_id)
                 ORDER BY key_norm) t) AS subscription_tags__json,
       -- Summed over every OST, at the newest such hour (above).
       (SELECT c.used FROM capacity c
         WHERE c.resource_key = f.resource_key
         ORDER BY c.ts DESC LIMIT 1) AS capacity_used_bytes,
       (SELECT c.total FROM capacity c
         WHERE c.resource_key = f.resource_key
         ORDER BY c.ts DESC LIMIT 1) AS capacity_total_bytes,
       f.run_id
FROM filesystems f
WHERE f.run_id = :run_id
ORDER BY f.subscription_id, lower(f.resource_group), lower(f.name);
