-- id: maintenance-window-missing
-- title: A maintenance window is set
-- severity: low
-- rationale: Azure applies updates in the file system's weekly 30-minute
--   maintenance window; without one (or with one the API no longer
--   reports) updates come at a time no one chose.
-- remediation: Set properties.maintenanceWindow (dayOfWeek and
--   timeOfDayUTC) on the file system to a quiet time.
-- reads: filesystems
-- scope: filesystem
SELECT f.resource_id,
       CASE WHEN f.maintenance_day IS NULL OR f.maintenance_time_utc IS NULL
            THEN 'alarm' ELSE 'ok' END AS status,
       CASE WHEN f.maintenance_day IS NULL OR f.maintenance_time_utc IS NULL
            THEN 'no maintenance window (dayOfWeek ' ||
                 coalesce(f.maintenance_day, 'missing') || ', timeOfDayUTC ' ||
                 coalesce(f.maintenance_time_utc, 'missing') || ')'
            ELSE 'maintenance window ' || f.maintenance_day || ' ' ||
                 f.maintenance_time_utc || ' UTC'
       END AS reason,
       json_array(f.evidence_id) AS evidence
FROM filesystems f
WHERE f.run_id = :run
ORDER BY f.resource_id;
