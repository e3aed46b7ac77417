-- id: provisioning-failed
-- title: File system provisioning failed
-- severity: high
-- rationale: A file system whose last create or update failed may be
--   unusable yet still billed, or not have the configuration it was meant
--   to get.
-- remediation: Read the health status and the activity log for the
--   failed operation; delete and recreate it, or retry the update.
-- param: failed = Failed  Comma-separated provisioning states that alarm
-- reads: filesystems
-- scope: filesystem
SELECT f.resource_id,
       CASE WHEN f.provisioning_state IS NULL THEN 'skip'
            WHEN lower(f.provisioning_state) IN
                 (SELECT lower(value) FROM json_each(split_list(:failed)))
            THEN 'alarm'
            ELSE 'ok' END AS status,
       CASE WHEN f.provisioning_state IS NULL
            THEN 'no provisioning state reported'
            ELSE 'provisioning state ' || f.provisioning_state ||
                 coalesce(' (health ' || f.health_state ||
                          coalesce(', ' || f.health_status_code, '') || ')',
                          '')
       END AS reason,
       json_array(f.evidence_id) AS evidence
FROM filesystems f
WHERE f.run_id = :run
ORDER BY f.resource_id;
