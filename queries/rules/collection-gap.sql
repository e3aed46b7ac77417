-- id: collection-gap
-- title: Collections are no more than 72 hours apart
-- severity: medium
-- rationale: Azure keeps finished import jobs for about 72 hours once a
--   file system has more than ten; a longer gap between collections can
--   lose job records, and with them the evidence of what was imported.
-- remediation: Run the collection at least daily (samples/amlfs-audit.cron
--   or the systemd timer) and find out why runs were missed.
-- param: max_hours = 72  Longest gap, in hours, from the end of the previous good run to the start of this one
-- reads: runs, subscriptions
--
-- One row per subscription the run listed. The previous run is the newest
-- earlier collection (live or replayed; a check or an import between them
-- does not count) that is ok or partial; the first collection is skipped.
WITH cur AS (
  SELECT id, started_at FROM runs WHERE id = :run
),
prev AS (
  SELECT id, coalesce(finished_at, started_at) AS t
  FROM runs
  WHERE id < :run AND status IN ('ok', 'partial')
    AND source IN ('live', 'replay')
  ORDER BY id DESC
  LIMIT 1
),
subs AS (
  SELECT '/subscriptions/' || subscription_id AS resource_id,
         min(evidence_id) AS evidence_id
  FROM subscriptions
  WHERE run_id = :run
  GROUP BY subscription_id
),
gap AS (
  SELECT prev.id AS prev_id, prev.t AS prev_t,
         days_between(prev.t, cur.started_at) * 24 AS hours
  FROM cur
  LEFT JOIN prev ON 1
)
SELECT s.resource_id,
       CASE WHEN g.prev_id IS NULL OR g.hours IS NULL THEN 'skip'
            WHEN g.hours > :max_hours THEN 'alarm'
            ELSE 'ok' END AS status,
       CASE WHEN g.prev_id IS NULL
            THEN 'no earlier collection to compare with'
            WHEN g.hours IS NULL
            THEN 'run times are not ISO 8601: cannot measure the gap'
            WHEN g.hours > :max_hours
            THEN printf('%.1f hours since run %d ended (more than %s): ' ||
                        'Azure drops finished import jobs after about 72 ' ||
                        'hours, so job records may be missing', g.hours,
                        g.prev_id, :max_hours)
            ELSE printf('%.1f hours since run %d ended', g.hours, g.prev_id)
       END AS reason,
       json_array(s.evidence_id) AS evidence
FROM subs s
CROSS JOIN gap g
ORDER BY s.resource_id;
