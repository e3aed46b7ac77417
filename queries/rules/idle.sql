-- id: idle
-- title: File system is idle
-- severity: low
-- rationale: An AMLFS is billed for its whole capacity every hour whether
--   clients use it or not. One with next to no client throughput and
--   operations for days, and no import or export work, is a candidate to
--   archive to Blob storage and delete.
-- remediation: Ask the owner; export what must be kept (auto-export or an
--   archive to the linked container) and delete the file system, or keep
--   it and record why (an exemption).
-- param: days = 7  Length of the window, in days, ending at the newest client throughput sample the run could see
-- param: min_samples = 120  Fewest hourly throughput samples in the window needed to judge (else skip)
-- param: max_mean_bps = 1048576  Mean client read+write throughput, bytes per second, under which it counts as idle
-- param: max_mean_ops = 60  Mean client read+write operations per minute under which it counts as idle
-- reads: filesystems, metrics, metric_evidence, import_jobs, auto_export_jobs, auto_import_jobs
-- scope: filesystem
--
-- Throughput and operations are the hourly ClientRead*/ClientWrite*
-- metrics summed over the OSTs. Import or export activity in the window
-- (an import job running, started or finished; an auto-export iteration
-- finding or exporting files; an auto-import scan or change-feed event)
-- makes it not idle.
WITH fs AS MATERIALIZED (
  SELECT f.resource_id, f.resource_key, f.evidence_id,
         max((SELECT m.ts FROM metrics m
               WHERE m.resource_key = f.resource_key AND m.run_id <= :run
                 AND m.metric = 'ClientReadThroughput'
               ORDER BY m.ts DESC LIMIT 1),
             (SELECT m.ts FROM metrics m
               WHERE m.resource_key = f.resource_key AND m.run_id <= :run
                 AND m.metric = 'ClientWriteThroughput'
               ORDER BY m.ts DESC LIMIT 1)) AS last_ts
  FROM filesystems f
  WHERE f.run_id = :run
),
win AS MATERIALIZED (
  SELECT fs.*, iso_add(last_ts, '-P' || :days || 'D') AS first_ts
  FROM fs
),
-- Per metric: [points, sum] in the window (index range scans).
sums AS MATERIALIZED (
  SELECT w.resource_key,
         (SELECT json_array(count(*), total(m.value)) FROM metrics m
           WHERE m.resource_key = w.resource_key
             AND m.metric = 'ClientReadThroughput' AND m.run_id <= :run
             AND m.ts > w.first_ts AND m.ts <= w.last_ts) AS rd,
         (SELECT json_array(count(*), total(m.value)) FROM metrics m
           WHERE m.resource_key = w.resource_key
             AND m.metric = 'ClientWriteThroughput' AND m.run_id <= :run
             AND m.ts > w.first_ts AND m.ts <= w.last_ts) AS wr,
         (SELECT json_array(count(*), total(m.value)) FROM metrics m
           WHERE m.resource_key = w.resource_key
             AND m.metric = 'ClientReadOps' AND m.run_id <= :run
             AND m.ts > w.first_ts AND m.ts <= w.last_ts) AS ro,
         (SELECT json_array(count(*), total(m.value)) FROM metrics m
           WHERE m.resource_key = w.resource_key
             AND m.metric = 'ClientWriteOps' AND m.run_id <= :run
             AND m.ts > w.first_ts AND m.ts <= w.last_ts) AS wo
  FROM win w
  WHERE w.last_ts IS NOT NULL
),
agg AS MATERIALIZED (
  SELECT resource_key,
         max(json_extract(rd, '$[0]'), json_extract(wr, '$[0]')) AS samples,
         json_extract(rd, '$[1]') + json_extract(wr, '$[1]') AS bytes,
         max(json_extract(ro, '$[0]'), json_extract(wo, '$[0]')) AS op_samples,
         json_extract(ro, '$[1]') + json_extract(wo, '$[1]') AS ops
  FROM sums
),
-- The metrics responses the points came from (the runs of each file
-- system's points found apart: one small set each, not one of them all).
used AS MATERIALIZED (
  SELECT w.resource_key, r.value AS run_id
  FROM win w,
       json_each((SELECT json_group_array(DISTINCT m.run_id) FROM metrics m
                   WHERE m.resource_key = w.resource_key
                     AND m.run_id <= :run
                     AND m.ts > w.first_ts AND m.ts <= w.last_ts
                     AND m.metric IN ('ClientReadThroughput',
                                      'ClientWriteThroughput',
                                      'ClientReadOps', 'ClientWriteOps'))) r
),
-- include: metric-sources.sql.inc
activity AS MATERIALIZED (
  SELECT w.resource_key, 'import job ' || j.name AS what, j.evidence_id
  FROM win w
  JOIN import_jobs j ON j.run_id = :run AND j.fs_key = w.resource_key
  WHERE j.state IN ('InProgress', 'Cancelling')
     OR iso_datetime(j.last_started_time) > w.first_ts
     OR iso_datetime(j.last_completion_time) > w.first_ts
  UNION ALL
  SELECT w.resource_key, 'auto-export job ' || j.name, j.evidence_id
  FROM win w
  JOIN auto_export_jobs j ON j.run_id = :run AND j.fs_key = w.resource_key
  WHERE j.state = 'InProgress'
    AND (coalesce(j.current_iteration_files_discovered, 0) > 0
         OR coalesce(j.current_iteration_files_exported, 0) > 0)
  UNION ALL
  SELECT w.resource_key, 'auto-import job ' || j.name, j.evidence_id
  FROM win w
  JOIN auto_import_jobs j ON j.run_id = :run AND j.fs_key = w.resource_key
  WHERE j.state = 'InProgress'
    AND (iso_datetime(j.sync_last_change_feed_event) > w.first_ts
         OR iso_datetime(j.scan_end_time) > w.first_ts
         OR iso_datetime(j.last_completion_time) > w.first_ts)
),
judged AS (
  SELECT w.resource_id, w.resource_key, w.evidence_id, w.last_ts,
         a.samples, a.bytes / a.samples AS bps,
         a.ops / nullif(a.op_samples, 0) AS opm,
         (SELECT group_concat(x.what, ', ') FROM activity x
           WHERE x.resource_key = w.resource_key) AS busy
  FROM win w
  LEFT JOIN agg a ON a.resource_key = w.resource_key
)
SELECT j.resource_id,
       CASE WHEN j.last_ts IS NULL OR j.samples < :min_samples THEN 'skip'
            WHEN j.busy IS NOT NULL THEN 'ok'
            WHEN j.bps < :max_mean_bps
             AND coalesce(j.opm, 0) < :max_mean_ops THEN 'alarm'
            ELSE 'ok' END AS status,
       CASE WHEN j.last_ts IS NULL
            THEN 'no client throughput samples held'
            WHEN j.samples < :min_samples
            THEN printf('only %d hourly samples in the %s days to %s ' ||
                        '(%d needed)', j.samples, :days, j.last_ts,
                        :min_samples)
            WHEN j.busy IS NOT NULL
            THEN 'import or export activity: ' || j.busy
            ELSE CASE WHEN j.bps < :max_mean_bps
                       AND coalesce(j.opm, 0) < :max_mean_ops
                      THEN 'idle: ' ELSE 'in use: ' END ||
                 CASE WHEN j.bps >= 1e6
                      THEN printf('mean client throughput %.1f MB/s',
                                  j.bps / 1e6)
                      ELSE printf('mean client throughput %.1f KB/s',
                                  j.bps / 1e3) END ||
                 CASE WHEN j.opm IS NOT NULL
                      THEN printf(' and %.1f operations/min', j.opm)
                      ELSE ' (no operation samples)' END ||
                 printf(' over the %s days to %s (%d hourly samples)',
                        :days, j.last_ts, j.samples) ||
                 CASE WHEN j.bps < :max_mean_bps
                       AND coalesce(j.opm, 0) < :max_mean_ops
                      THEN ', no import or export activity' ELSE '' END
       END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT j.evidence_id AS id
          UNION
          SELECT s.evidence_id FROM sources s
           WHERE s.resource_key = j.resource_key
          UNION
          SELECT x.evidence_id FROM activity x
           WHERE x.resource_key = j.resource_key)) AS evidence,
       json_object('samples', j.samples, 'mean_bytes_per_s', j.bps,
                   'mean_ops_per_min', j.opm, 'window_end', j.last_ts)
         AS detail
FROM judged j
ORDER BY j.resource_id;
