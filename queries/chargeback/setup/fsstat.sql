-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_fsstat: per resource and currency over the report's period: days
-- billed, exact cost, provisioned TiB-days and the retail estimate.
-- Parameters: :from, :to, :month, :as_of
CREATE TEMP TABLE cb_fsstat AS
WITH
-- include: chargeback/month.sql.inc
-- Per resource and currency: days billed, exact cost, provisioned
-- TiB-days and the retail estimate: capacity x 24 h x the list price per
-- TiB-hour of the SKU, region and currency, with the snapshot and the price
-- in force each billed day (NULL unless every billed day has a price).
fsday0 AS (
  SELECT g.resource_key, g.currency, g.day, sum(g.actual) AS actual,
         sum(g.amortized) AS amortized, f.capacity_tib, f.sku,
         lower(f.location) AS region
  FROM cb_grp g
  LEFT JOIN cb_iv f ON f.resource_key = g.resource_key
   AND g.day >= f.d_from AND g.day < f.d_to
  WHERE g.day BETWEEN (SELECT p_from FROM period) AND (SELECT p_to FROM period)
  GROUP BY g.resource_key, g.currency, g.day
),
-- The price of each SKU, region, currency and day, looked up once
-- (MATERIALIZED: else the lookup is flattened into fsday and runs twice for
-- every file system's day).
pday AS MATERIALIZED (
  SELECT k.*,
         (SELECT p.price_tib_hour FROM retail_prices p
          WHERE p.sku = k.sku AND p.region = k.region
            AND p.currency = k.currency
            AND substr(p.effective_from, 1, 10) <= k.day
            AND (:as_of IS NULL OR p.ingested_at <= :as_of)
          ORDER BY p.effective_from DESC, p.id DESC LIMIT 1) AS price
  FROM (SELECT DISTINCT sku, region, currency, day FROM fsday0) k
),
fsday AS (
  SELECT f.*, p.price
  FROM fsday0 f
  LEFT JOIN pday p ON p.sku IS f.sku AND p.region IS f.region
   AND p.currency = f.currency AND p.day = f.day
),
fsstat AS (
  SELECT resource_key, currency, count(actual) AS days_billed,
         sum(actual) AS actual, sum(amortized) AS amortized,
         sum(CASE WHEN actual IS NOT NULL THEN capacity_tib END) AS tib_days,
         CASE WHEN count(actual) > 0 AND count(actual) =
                   count(CASE WHEN actual IS NOT NULL THEN capacity_tib * price END)
              THEN sum(CASE WHEN actual IS NOT NULL THEN capacity_tib * 24 * price END)
         END AS estimate
  FROM fsday
  GROUP BY resource_key, currency
)
SELECT * FROM fsstat ORDER BY resource_key, currency;
