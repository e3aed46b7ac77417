-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_tpiece: the trend's cost read by month (cost_months, migration 0010:
-- a row per source, resource, currency, billing tags and month, with
-- running totals by day) as it stood at :as_of, cut where the collection
-- run in force for the resource changes (cb_iv): a row per month row
-- (cm_id) and run, with the days n1 to n2 of the month it covers, the
-- cost of those days (actual; amortized, NULL without any) and the number
-- of those days with a row (nrows). Resources of cb_dpath that follow a
-- file system are left to the daily groups (setup/trend.sql).
-- Parameters: :to, :month, :as_of
CREATE TEMP TABLE cb_tpiece AS
WITH
period AS (
  SELECT date(coalesce(:to, date(:month || '-01', '+1 month', '-1 day')),
              'start of month', '-11 months') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- The month rows of the period, with its first and last day in each
-- month (the last as YYYY-MM-31 at most: the running totals of the days
-- after a month's end are its last day's).
cm AS (
  SELECT c.rowid AS cm_id, c.resource_key, c.currency, c.tags, c.month,
         c.totals, max(c.month || '-01', p.p_from) AS m_from,
         min(c.month || '-31', p.p_to) AS m_to
  FROM period p
  JOIN cost_months c
   ON c.month BETWEEN substr(p.p_from, 1, 7) AND substr(p.p_to, 1, 7)
  JOIN cost_sources s ON s.id = c.source
  LEFT JOIN cost_sources sup ON sup.id = c.superseded_by
  WHERE (:as_of IS NULL OR s.ingested_at <= :as_of)
    AND (c.superseded_by IS NULL
         OR (:as_of IS NOT NULL AND sup.ingested_at > :as_of))
    AND c.resource_key NOT IN (SELECT resource_key FROM cb_dpath
                               WHERE follows)
),
-- The days n1 to n2 of the month each run is in force [d_from, d_to) (no
-- run: the whole month); n0 = n1 - 1.
pn AS (
  SELECT cm.cm_id, cm.resource_key, cm.currency, cm.tags, cm.month,
         cm.totals, iv.run_id,
         CAST(substr(max(cm.m_from, coalesce(iv.d_from, cm.m_from)), 9, 2)
              AS INTEGER) - 1 AS n0,
         CASE WHEN iv.d_to <= cm.m_to
              THEN CAST(substr(iv.d_to, 9, 2) AS INTEGER) - 1
              ELSE CAST(substr(cm.m_to, 9, 2) AS INTEGER) END AS n2
  FROM cm
  LEFT JOIN cb_iv iv ON iv.resource_key = cm.resource_key
   AND iv.d_from <= cm.m_to AND iv.d_to > cm.m_from
),
-- Records n2 and n0 of totals (48 characters each; r0 NULL for day 0),
-- cut out once per piece: every reference to totals would copy all 31
-- records again.
pr AS MATERIALIZED (
  SELECT cm_id, resource_key, currency, tags, month, run_id, n0, n2,
         substr(CAST(totals AS BLOB), 48 * n2 - 47, 48) AS r2,
         CASE WHEN n0 > 0 THEN substr(CAST(totals AS BLOB), 48 * n0 - 47, 48) END AS r0
  FROM pn
  WHERE n0 < n2
),
-- A record: actual and amortized micro-units of days 1 to n, days with a
-- row, days with amortized; days 1 to 0 are 0.
pv AS (
  SELECT cm_id, resource_key, currency, tags, month, run_id, n0 + 1 AS n1, n2,
         CAST(substr(r2, 1, 20) AS INTEGER)
         - CASE WHEN n0 > 0 THEN CAST(substr(r0, 1, 20) AS INTEGER)
                ELSE 0 END AS actual,
         CAST(substr(r2, 21, 20) AS INTEGER)
         - CASE WHEN n0 > 0 THEN CAST(substr(r0, 21, 20) AS INTEGER)
                ELSE 0 END AS amortized,
         CAST(substr(r2, 41, 4) AS INTEGER)
         - CASE WHEN n0 > 0 THEN CAST(substr(r0, 41, 4) AS INTEGER)
                ELSE 0 END AS nrows,
         CAST(substr(r2, 45, 4) AS INTEGER)
         - CASE WHEN n0 > 0 THEN CAST(substr(r0, 45, 4) AS INTEGER)
                ELSE 0 END AS nm
  FROM pr
)
SELECT cm_id, resource_key, currency, tags, month, run_id, n1, n2, actual,
       CASE WHEN nm > 0 THEN amortized END AS amortized, nrows,
       resource_key LIKE '%/providers/microsoft.storagecache/amlfilesystems/%'
         AS is_fs
FROM pv
WHERE nrows > 0;
