-- One line per file system of a run, for the terminal table.
-- Parameters: :run_id
-- Columns: name, resource_group, location, sku, tib, mbps, used (percent
--          of capacity at the newest hour held), health, state, tags,
--          jobs, locks
SELECT f.name,
       f.resource_group,
       f.location,
       replace(f.sku, 'AMLFS-Durable-', '') AS sku,
       f.capacity_tib AS tib,
       f.throughput_mbps AS mbps,
       (SELECT printf('%.0f%%', 100.0 * u.value / t.value)
          FROM metrics u JOIN metrics t
            ON t.resource_key = u.resource_key AND t.ts = u.ts
           AND t.metric = 'OSTBytesTotal'
         WHERE u.resource_key = f.resource_key AND u.metric = 'OSTBytesUsed'
           AND t.value > 0
         ORDER BY u.ts DESC LIMIT 1) AS used,
       f.health_state AS health,
       f.provisioning_state AS state,
       (SELECT count(*) FROM tags t
         WHERE t.run_id = f.run_id AND t.resource_key = f.resource_key) AS tags,
       ((SELECT count(*) FROM import_jobs j
          WHERE j.run_id = f.run_id AND j.fs_key = f.resource_key) +
        (SELECT count(*) FROM auto_export_jobs j
          WHERE j.run_id = f.run_id AND j.fs_key = f.resource_key) +
        (SELECT count(*) FROM auto_import_jobs j
          WHERE j.run_id = f.run_id AND j.fs_key = f.resource_key)) AS jobs,
       (SELECT count(*) FROM locks l
         WHERE l.run_id = f.run_id AND l.fs_key = f.resource_key) AS locks
FROM filesystems f
WHERE f.run_id = :run_id
ORDER BY f.subscription_id, lower(f.resource_group), lower(f.name);
