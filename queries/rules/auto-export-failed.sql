-- id: auto-export-failed
-- title: Auto-export failed, is disabled, or has not succeeded lately
-- severity: high
-- rationale: Auto-export is what gets results out of Lustre into Blob
--   storage; when it fails or stops, new files exist only in the file
--   system and are lost with it.
-- remediation: Read the job's status code and message; fix the container
--   permissions or the cause and re-enable the job (or create a new one).
-- param: days = 7  Alarm when the last successful iteration is older than this many days before the run
-- param: allow_disabled = 0  1: a disabled job passes
-- reads: runs, auto_export_jobs, filesystems
--
-- One row per auto-export job the run saw (resource_id is the job's id).
-- "Now" is the run's start.
WITH now AS (
  SELECT started_at AS t FROM runs WHERE id = :run
),
jobs AS (
  SELECT j.*, f.name AS fs_name,
         days_between(j.last_successful_iteration_completion, now.t) AS ok_age,
         days_between(j.last_started_time, now.t) AS start_age,
         CASE WHEN j.state IN ('Failed', 'DisableFailed') THEN 'failed'
              WHEN j.state IN ('Disabled', 'Disabling')
                OR j.admin_status = 'Disable' THEN 'disabled'
              WHEN j.last_successful_iteration_completion IS NULL
               AND coalesce(days_between(j.last_started_time, now.t),
                            :days + 1) > :days THEN 'never'
              WHEN days_between(j.last_successful_iteration_completion,
                                now.t) > :days THEN 'stale'
         END AS problem
  FROM auto_export_jobs j
  CROSS JOIN now
  LEFT JOIN filesystems f ON f.run_id = j.run_id AND f.resource_key = j.fs_key
  WHERE j.run_id = :run
)
SELECT resource_id,
       CASE WHEN problem IS NULL THEN 'ok'
            WHEN problem = 'disabled' AND :allow_disabled THEN 'ok'
            ELSE 'alarm' END AS status,
       'auto-export job ' || name || coalesce(' of ' || fs_name, '') || ': ' ||
       CASE problem
         WHEN 'failed' THEN coalesce(state, '') ||
              coalesce(' (' || status_code ||
                       coalesce(': ' || status_message, '') || ')',
                       ' (' || status_message || ')', '')
         WHEN 'disabled' THEN 'disabled (state ' || coalesce(state, 'none') ||
              ', adminStatus ' || coalesce(admin_status, 'none') || ')'
         WHEN 'never' THEN 'no successful iteration recorded' ||
              CASE WHEN start_age IS NOT NULL
                   THEN printf(' since it started %.1f days before this run',
                               start_age) ELSE '' END
         WHEN 'stale' THEN printf('last successful iteration %s, %.1f days ' ||
                                  'before this run',
                                  last_successful_iteration_completion,
                                  ok_age)
         ELSE coalesce(state, 'no state') ||
              CASE WHEN ok_age IS NOT NULL
                   THEN printf(', last successful iteration %.1f days ' ||
                               'before this run', ok_age) ELSE '' END
       END AS reason,
       json_array(evidence_id) AS evidence
FROM jobs
ORDER BY resource_id;
