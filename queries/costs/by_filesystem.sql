-- Cost per file system (and related resource) and currency over a period,
-- as the cost data stood at :as_of: the rows of sources ingested by then
-- and not superseded by a source ingested by then. The stable JSON of
-- 'amlfs-audit costs --format json'.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive), :as_of (ISO time, or
--             NULL for now)
-- Columns: resource_id, name, kind, currency, actual_cost, amortized_cost,
--          estimated_cost, variance_pct (actual against estimate, percent),
--          days, sources (array of file names or queries)
WITH rows AS (
  SELECT r.*, s.name AS source_name
  FROM cost_rows r
  JOIN cost_sources s ON s.id = r.source
  LEFT JOIN cost_sources sup ON sup.id = r.superseded_by
  WHERE r.day BETWEEN :from AND :to
    AND (:as_of IS NULL OR s.ingested_at <= :as_of)
    AND (r.superseded_by IS NULL
         OR (:as_of IS NOT NULL AND sup.ingested_at > :as_of))
),
fs AS (
  -- The newest snapshot of each file system, for its name, SKU, region
  -- and capacity.
  SELECT f.resource_key, f.resource_id, f.name, f.sku, f.location,
         f.capacity_tib
  FROM filesystems f
  WHERE f.run_id = (SELECT max(g.run_id) FROM filesystems g
                    WHERE g.resource_key = f.resource_key)
),
per AS (
  SELECT resource_key,
         min(resource_id) AS any_id,
         currency,
         -- exact: integer micro-units summed, divided once
         sum(CASE WHEN cost_type = 'ActualCost' THEN cost_micros END)
           / 1000000.0 AS actual_cost,
         sum(CASE WHEN cost_type = 'AmortizedCost' THEN cost_micros END)
           / 1000000.0 AS amortized_cost,
         count(DISTINCT day) AS days,
         json_group_array(DISTINCT source_name) AS sources
  FROM rows
  GROUP BY resource_key, currency
)
SELECT coalesce(fs.resource_id, per.any_id) AS resource_id,
       coalesce(fs.name,
                replace(per.any_id, rtrim(per.any_id, replace(per.any_id, '/', '')), ''))
         AS name,
       CASE WHEN per.resource_key LIKE '%/providers/microsoft.storagecache/amlfilesystems/%'
            THEN 'amlfs' ELSE 'related' END AS kind,
       per.currency,
       round(per.actual_cost, 6) AS actual_cost,
       round(per.amortized_cost, 6) AS amortized_cost,
       est.cost AS estimated_cost,
       round(100.0 * (per.actual_cost - est.cost) / est.cost, 1)
         AS variance_pct,
       per.days,
       per.sources AS sources__json
FROM per
LEFT JOIN fs ON fs.resource_key = per.resource_key
-- Capacity x hours x the retail price per TiB-hour of the SKU and region,
-- in the same currency (NULL when no price is held).
LEFT JOIN (SELECT per.resource_key AS k, per.currency AS c,
                  (SELECT round(fs.capacity_tib * 24 * per.days *
                                p.price_tib_hour, 6)
                     FROM retail_prices p
                    WHERE p.sku = fs.sku AND p.region = lower(fs.location)
                      AND p.currency = per.currency
                      AND p.effective_from <= :to
                    ORDER BY p.effective_from DESC LIMIT 1) AS cost
             FROM per JOIN fs ON fs.resource_key = per.resource_key) est
  ON est.k = per.resource_key AND est.c = per.currency
ORDER BY kind, name, per.currency;
