-- id: health-not-available
-- title: File system health is not Available
-- severity: high
-- rationale: Clients cannot rely on a file system that reports
--   Unavailable or Degraded (an OST down), and one stuck in Transitioning
--   or Maintenance may not serve at full speed.
-- remediation: Read the health status code and description; open a
--   support case when it does not recover on its own.
-- param: healthy = Available  Comma-separated health states that pass
-- reads: filesystems
-- scope: filesystem
SELECT f.resource_id,
       CASE WHEN f.health_state IS NULL THEN 'skip'
            WHEN lower(f.health_state) IN
                 (SELECT lower(value) FROM json_each(split_list(:healthy)))
            THEN 'ok'
            ELSE 'alarm' END AS status,
       CASE WHEN f.health_state IS NULL THEN 'no health state reported'
            ELSE 'health ' || f.health_state ||
                 coalesce(' (' || f.health_status_code ||
                          coalesce(': ' || f.health_status_description, '') ||
                          ')',
                          ' (' || f.health_status_description || ')', '')
       END AS reason,
       json_array(f.evidence_id) AS evidence
FROM filesystems f
WHERE f.run_id = :run
ORDER BY f.resource_id;
