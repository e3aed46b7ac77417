-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_grp: the cost rows of the window as they stood at :as_of, one row
-- per resource, day, currency and billing tags (rowid: the group's id,
-- in that order); money in integer micro-units.
-- Parameters: :from, :to, :month, :as_of (as the datasets'; the window
-- is the month and the 12 months of the trend, queries/chargeback/window.sql.inc)
CREATE TEMP TABLE cb_grp AS
WITH RECURSIVE
-- include: chargeback/window.sql.inc
,-- The cost rows as they stood at :as_of (queries/costs/by_filesystem.sql):
-- of sources ingested by then and not superseded by a source ingested by
-- then. Money in integer micro-units from here on.
rows AS (
  SELECT r.source, r.resource_key, r.resource_id, r.day, r.cost_type,
         r.currency, r.tags,
         r.cost_micros AS micros
  FROM cost_rows r
  JOIN cost_sources s ON s.id = r.source
  LEFT JOIN cost_sources sup ON sup.id = r.superseded_by
  WHERE r.day BETWEEN (SELECT p_from FROM period) AND (SELECT p_to FROM period)
    AND (:as_of IS NULL OR s.ingested_at <= :as_of)
    AND (r.superseded_by IS NULL
         OR (:as_of IS NOT NULL AND sup.ingested_at > :as_of))
),
grp AS (
  SELECT resource_key, min(resource_id) AS resource_id, day, currency, tags,
         sum(CASE WHEN cost_type = 'ActualCost' THEN micros END) AS actual,
         sum(CASE WHEN cost_type = 'AmortizedCost' THEN micros END) AS amortized,
         resource_key LIKE '%/providers/microsoft.storagecache/amlfilesystems/%'
           AS is_fs
  FROM rows
  GROUP BY resource_key, day, currency, tags
)
SELECT * FROM grp ORDER BY resource_key, day, currency, tags;
