-- Chargeback provenance: every cost source with rows in the period (file
-- and SHA-256 of its bytes, or API query and its run), when it was ingested
-- and how many of its rows the report used (current at :as_of) or not
-- (superseded by then); the collection runs whose snapshots (tags and
-- inventory) decided the allocation, with their hashes; and the head of
-- the history at :as_of.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes)
-- Columns: role ('cost source', 'tag snapshot', 'history head'), id (cost
--          source or run id), name, kind (file or api; live or replay; the
--          run's source), format, sha256 (of the file; a run's run_hash),
--          run_id, time (ingested_at or started_at), first_day, last_day
--          (the source's; the days a snapshot was used for), rows_used
--          (cost rows; resource-days for a snapshot), rows_superseded
WITH RECURSIVE
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/core.sql.inc
,used AS (
  SELECT run_id, min(day) AS first_day, max(day) AS last_day,
         count(DISTINCT skey || ' ' || day) AS n
  FROM subj
  WHERE run_id IS NOT NULL
  GROUP BY run_id
),
-- Per source, its rows used and its rows in the period (one pass each
-- over the period's rows).
nused AS (SELECT source, count(*) AS n FROM rows GROUP BY source),
nperiod AS (
  SELECT r.source, count(*) AS n
  FROM cost_rows r, period p
  WHERE r.day BETWEEN p.p_from AND p.p_to
  GROUP BY r.source
),
src AS (
  SELECT 1 AS ord, 'cost source' AS role, s.id, s.name, s.kind, s.format,
         s.sha256, s.run_id, s.ingested_at AS time, s.first_day, s.last_day,
         coalesce(u.n, 0) AS rows_used, coalesce(p.n, 0) AS rows_in_period
  FROM cost_sources s
  LEFT JOIN nused u ON u.source = s.id
  LEFT JOIN nperiod p ON p.source = s.id
  WHERE (:as_of IS NULL OR s.ingested_at <= :as_of)
)
SELECT role, id, name, kind, format, sha256, run_id, time, first_day,
       last_day, rows_used, rows_superseded
FROM (
  SELECT ord, role, id, name, kind, format, sha256, run_id, time, first_day,
         last_day, rows_used, rows_in_period - rows_used AS rows_superseded
  FROM src
  WHERE rows_in_period > 0
  UNION ALL
  SELECT 2, 'tag snapshot', r.id, 'collection run ' || r.id, r.source, NULL,
         r.run_hash, r.id, r.started_at, u.first_day, u.last_day, u.n, NULL
  FROM used u
  JOIN runs r ON r.id = u.run_id
  UNION ALL
  SELECT 3, 'history head', r.id, 'run ' || r.id, r.source, NULL, r.run_hash,
         r.id, r.started_at, NULL, NULL, NULL, NULL
  FROM runs r
  WHERE r.id = (SELECT max(x.id) FROM runs x WHERE x.run_hash IS NOT NULL
                AND (:as_of IS NULL OR x.started_at <= :as_of))
)
ORDER BY ord, time, id;
