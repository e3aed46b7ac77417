-- One line per file system of a run, for the terminal table.
-- Parameters: :run_id
-- Columns: name, resource_group, location, sku, tib, mbps, health,
--          state, tags, jobs
SELECT f.name,
       f.resource_group,
       f.location,
       replace(f.sku, 'AMLFS-Durable-', '') AS sku,
       f.capacity_tib AS tib,
       f.throughput_mbps AS mbps,
       f.health_state AS health,
       f.provisioning_state AS state,
       (SELECT count(*) FROM tags t
         WHERE t.run_id = f.run_id AND t.resource_key = f.resource_key) AS tags,
       ((SELECT count(*) FROM import_jobs j
          WHERE j.run_id = f.run_id AND j.fs_key = f.resource_key) +
        (SELECT count(*) FROM auto_export_jobs j
          WHERE j.run_id = f.run_id AND j.fs_key = f.resource_key) +
        (SELECT count(*) FROM auto_import_jobs j
          WHERE j.run_id = f.run_id AND j.fs_key = f.resource_key)) AS jobs
FROM filesystems f
WHERE f.run_id = :run_id
ORDER BY f.subscription_id, lower(f.resource_group), lower(f.name);
