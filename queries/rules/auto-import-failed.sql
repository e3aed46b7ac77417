-- id: auto-import-failed
-- title: Auto-import failed
-- severity: high
-- rationale: Auto-import keeps the file system in step with its Blob
--   container; when it fails, clients read stale or missing data.
-- remediation: Read the job's status; fix the cause (container access,
--   conflicts, maximumErrors) and re-create or re-enable the job.
-- param: max_errors = -1  Also alarm when totalErrors plus blobSyncEvents.totalErrors is above this (-1: never)
-- reads: auto_import_jobs, filesystems
--
-- One row per auto-import job the run saw (resource_id is the job's id).
SELECT j.resource_id,
       CASE WHEN j.state = 'Failed' THEN 'alarm'
            WHEN :max_errors >= 0 AND coalesce(j.total_errors, 0) +
                 coalesce(j.sync_total_errors, 0) > :max_errors
            THEN 'alarm'
            ELSE 'ok' END AS status,
       'auto-import job ' || j.name || coalesce(' of ' || f.name, '') || ': ' ||
       coalesce(j.state, 'no state') ||
       coalesce(' (' || j.status_code ||
                coalesce(': ' || j.status_message, '') || ')',
                ' (' || j.status_message || ')', '') ||
       CASE WHEN coalesce(j.total_errors, 0) +
                 coalesce(j.sync_total_errors, 0) > 0
            THEN printf(', %d errors', coalesce(j.total_errors, 0) +
                                       coalesce(j.sync_total_errors, 0))
            ELSE '' END AS reason,
       json_array(j.evidence_id) AS evidence
FROM auto_import_jobs j
LEFT JOIN filesystems f ON f.run_id = j.run_id AND f.resource_key = j.fs_key
WHERE j.run_id = :run
ORDER BY j.resource_id;
