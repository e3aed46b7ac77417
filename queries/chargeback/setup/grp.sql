-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_grp: the cost rows as they stood at :as_of, one row per resource,
-- day, currency and billing tags (rowid: the group's id, in that order);
-- money in integer micro-units. Every resource's days of the report's
-- period (:from to :to, else the month :month), and for the resources of
-- cb_dpath those of the whole window (the month and the trend's 12
-- months, queries/chargeback/window.sql.inc).
-- Parameters: :from, :to, :month, :as_of (as the datasets')
CREATE TEMP TABLE cb_grp AS
WITH RECURSIVE
-- include: chargeback/window.sql.inc
,own AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- The cost rows as they stood at :as_of (queries/costs/by_filesystem.sql):
-- of sources ingested by then and not superseded by a source ingested by
-- then. Money in integer micro-units from here on.
rows AS (
  SELECT r.source, r.resource_key, r.resource_id, r.day, r.cost_type,
         r.currency, r.tags,
         r.cost_micros AS micros
  FROM cost_rows r
  JOIN cost_sources s ON s.id = r.source
  LEFT JOIN cost_sources sup ON sup.id = r.superseded_by
  WHERE r.day BETWEEN (SELECT p_from FROM own) AND (SELECT p_to FROM own)
    AND (:as_of IS NULL OR s.ingested_at <= :as_of)
    AND (r.superseded_by IS NULL
         OR (:as_of IS NOT NULL AND sup.ingested_at > :as_of))
  UNION ALL
  SELECT r.source, r.resource_key, r.resource_id, r.day, r.cost_type,
         r.currency, r.tags,
         r.cost_micros AS micros
  FROM cb_dpath d
  JOIN cost_rows r ON r.resource_key = d.resource_key
  JOIN cost_sources s ON s.id = r.source
  LEFT JOIN cost_sources sup ON sup.id = r.superseded_by
  WHERE r.day BETWEEN (SELECT p_from FROM period) AND (SELECT p_to FROM period)
    AND NOT r.day BETWEEN (SELECT p_from FROM own) AND (SELECT p_to FROM own)
    AND (:as_of IS NULL OR s.ingested_at <= :as_of)
    AND (r.superseded_by IS NULL
         OR (:as_of IS NOT NULL AND sup.ingested_at > :as_of))
)
-- Grouped and ordered in one statement: the groups come out of the
-- GROUP BY's sort in that order, with no second sort.
SELECT resource_key, min(resource_id) AS resource_id, day, currency, tags,
       sum(CASE WHEN cost_type = 'ActualCost' THEN micros END) AS actual,
       sum(CASE WHEN cost_type = 'AmortizedCost' THEN micros END) AS amortized,
       resource_key LIKE '%/providers/microsoft.storagecache/amlfilesystems/%'
         AS is_fs
FROM rows
GROUP BY resource_key, day, currency, tags
ORDER BY resource_key, day, currency, tags;
