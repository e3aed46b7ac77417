-- id: import-job-failed
-- title: Import job failed or had errors or conflicts
-- severity: medium
-- rationale: A failed or partial import leaves the file system without
--   data its users expect; errors and conflicts mean some blobs were not
--   imported or not as they are in the container.
-- remediation: Read the job's status message; fix the blobs or the
--   conflict resolution mode and run the import again.
-- param: max_errors = 0  Alarm when a job's totalErrors is above this
-- param: max_conflicts = 0  Alarm when a job's totalConflicts is above this
-- reads: import_jobs, filesystems
--
-- One row per import job the run saw (resource_id is the job's id).
SELECT j.resource_id,
       CASE WHEN j.state = 'Failed'
              OR coalesce(j.total_errors, 0) > :max_errors
              OR coalesce(j.total_conflicts, 0) > :max_conflicts
            THEN 'alarm' ELSE 'ok' END AS status,
       'import job ' || j.name || coalesce(' of ' || f.name, '') || ': ' ||
       coalesce(j.state, 'no state') ||
       CASE WHEN coalesce(j.total_errors, 0) > 0 OR
                 coalesce(j.total_conflicts, 0) > 0
            THEN printf(' with %d errors and %d conflicts',
                        coalesce(j.total_errors, 0),
                        coalesce(j.total_conflicts, 0))
            ELSE '' END ||
       coalesce(' (' || j.status_message || ')', '') AS reason,
       json_array(j.evidence_id) AS evidence
FROM import_jobs j
LEFT JOIN filesystems f ON f.run_id = j.run_id AND f.resource_key = j.fs_key
WHERE j.run_id = :run
ORDER BY j.resource_id;
