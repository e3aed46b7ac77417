-- id: no-diagnostic-settings
-- title: Diagnostic settings send the file system's logs somewhere
-- severity: medium
-- rationale: Without a diagnostic setting the file system's resource logs
--   are not kept anywhere: there is no record to investigate an incident
--   or an access with.
-- remediation: Add a diagnostic setting that sends the allLogs category
--   group to a Log Analytics workspace, a storage account or an event hub.
-- reads: filesystems, diagnostic_settings, list_reads
--
-- A setting counts when it has a destination and at least one enabled
-- log or metric category. When the run could not read the file system's
-- settings the row is a skip, not an alarm.
WITH reads AS MATERIALIZED (
  SELECT subject_key, evidence_id
  FROM list_reads
  WHERE run_id = :run AND kind = 'diagnostic_settings'
    AND http_status BETWEEN 200 AND 299 AND projected = 1
),
-- The run's settings, each judged once; read by file system below.
diag AS MATERIALIZED (
  SELECT g.fs_key, g.name,
         coalesce(g.workspace_id, g.storage_account_id,
                  g.event_hub_rule_id) IS NOT NULL
         AND (EXISTS (SELECT 1 FROM json_each(coalesce(g.logs, '[]')) l
                       WHERE json_extract(l.value, '$.enabled') = 1)
              OR EXISTS (SELECT 1 FROM json_each(coalesce(g.metrics, '[]')) m
                          WHERE json_extract(m.value, '$.enabled') = 1))
           AS good
  FROM diagnostic_settings g
  WHERE g.run_id = :run
),
judged AS MATERIALIZED (
  SELECT f.resource_id, f.resource_key, f.evidence_id,
         EXISTS (SELECT 1 FROM reads r WHERE r.subject_key = f.resource_key)
           AS was_read,
         (SELECT json_group_array(r.evidence_id) FROM reads r
           WHERE r.subject_key = f.resource_key) AS read_ids,
         (SELECT group_concat(x.name, ', ') FROM diag x
           WHERE x.fs_key = f.resource_key AND x.good) AS settings,
         (SELECT count(*) FROM diag x
           WHERE x.fs_key = f.resource_key) AS total
  FROM filesystems f
  WHERE f.run_id = :run
)
SELECT j.resource_id,
       CASE WHEN NOT j.was_read THEN 'skip'
            WHEN j.settings IS NOT NULL THEN 'ok'
            ELSE 'alarm' END AS status,
       CASE WHEN NOT j.was_read
            THEN 'diagnostic settings were not read in this run'
            WHEN j.settings IS NOT NULL
            THEN 'diagnostic settings: ' || j.settings
            WHEN j.total > 0
            THEN printf('%d diagnostic setting(s), none with a destination ' ||
                        'and an enabled category', j.total)
            ELSE 'no diagnostic settings'
       END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT j.evidence_id AS id
          UNION
          SELECT value FROM json_each(j.read_ids))) AS evidence
FROM judged j
ORDER BY j.resource_id;
