-- Chargeback per file system (and related resource) and currency: SKU,
-- capacity, days billed, billed and amortized cost (rounded with a
-- largest-remainder rule per currency, so the rows add up to the billed
-- total), the retail estimate and the variance, cost per provisioned and
-- per used TiB-month (a month = 730 hours; used = the mean of the hourly
-- OSTBytesUsed points in the period), the idle share (1 - mean used / mean
-- total; NULL without metrics) and the cost centers charged.
-- Allocation rules: see chargeback/lines.sql.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes)
-- Columns: resource_id, name, kind (amlfs or related), sku, location,
--          capacity_tib (newest snapshot), currency, days_billed, billed,
--          amortized, estimate (NULL without a price for every billed day),
--          variance_pct (billed against estimate, percent, 1 place),
--          tib_months (provisioned), cost_per_tib_month, used_tib,
--          cost_per_used_tib_month, idle_share (0 to 1), cost_centers
--          (comma-separated), billed_text, amortized_text, estimate_text,
--          per_tib_month_text, per_used_tib_month_text, idle_text (for
--          Markdown: 2 places with thousands separators; idle as percent)
WITH RECURSIVE
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/core.sql.inc
,-- The capacity metrics of the resources charged, looked up by resource.
used AS (
  SELECT m.resource_key,
         avg(CASE WHEN m.metric = 'OSTBytesUsed' THEN m.value END) AS used_bytes,
         avg(CASE WHEN m.metric = 'OSTBytesTotal' THEN m.value END) AS total_bytes
  FROM (SELECT DISTINCT resource_key FROM fsstat) k
  CROSS JOIN metrics m ON m.resource_key = k.resource_key, period
  WHERE m.metric IN ('OSTBytesUsed', 'OSTBytesTotal')
    AND m.ts >= period.p_from AND m.ts < date(period.p_to, '+1 day')
    AND (:as_of IS NULL OR m.run_id IN (SELECT id FROM cruns))
  GROUP BY m.resource_key
),
-- Rounded to the cent once, largest remainder per currency
-- (chargeback/cents.sql.inc), ties by resource (unique in a currency).
cents_in AS (
  SELECT s.*, coalesce(s.actual, 0) AS a, s.amortized AS m,
         s.currency AS p1, NULL AS p2, s.resource_key AS tie
  FROM fsstat s
),
-- include: chargeback/cents.sql.inc
,
fo AS (
  SELECT r.*, i.resource_id AS inv_id, i.name AS inv_name, i.sku, i.location,
         i.capacity_tib, u.used_bytes, u.total_bytes,
         r.tib_days * 24 / 730.0 AS tib_months,
         u.used_bytes / 1099511627776.0 AS used_tib,
         u.used_bytes / 1099511627776.0 * r.days_billed * 24 / 730.0
           AS used_tib_months
  FROM cents r
  LEFT JOIN inv i ON i.resource_key = r.resource_key
  LEFT JOIN used u ON u.resource_key = r.resource_key AND u.total_bytes > 0
),
fc AS (
  SELECT fo.*,
         CAST(round(estimate * 100) AS INTEGER) AS est_c,
         CAST(round(actual / 10000.0 / tib_months) AS INTEGER) AS ptm_c,
         CAST(round(actual / 10000.0 / used_tib_months) AS INTEGER) AS pum_c
  FROM fo
)
SELECT coalesce(r.inv_id, (SELECT min(g.resource_id) FROM grp g
                           WHERE g.resource_key = r.resource_key))
         AS resource_id,
       coalesce(r.inv_name, replace(r.resource_key,
                rtrim(r.resource_key, replace(r.resource_key, '/', '')), ''))
         AS name,
       CASE WHEN r.resource_key LIKE
                 '%/providers/microsoft.storagecache/amlfilesystems/%'
            THEN 'amlfs' ELSE 'related' END AS kind,
       r.sku, r.location, r.capacity_tib, r.currency, r.days_billed,
       r.billed_cents / 100.0 AS billed,
       r.amortized_cents / 100.0 AS amortized,
       r.est_c / 100.0 AS estimate,
       round(100.0 * (r.actual / 1000000.0 - r.estimate) / r.estimate, 1)
         AS variance_pct,
       round(r.tib_months, 3) AS tib_months,
       r.ptm_c / 100.0 AS cost_per_tib_month,
       round(r.used_tib, 3) AS used_tib,
       r.pum_c / 100.0 AS cost_per_used_tib_month,
       round(1 - r.used_bytes / r.total_bytes, 4) AS idle_share,
       (SELECT group_concat(cost_center, ', ') FROM
          (SELECT DISTINCT x.cost_center FROM lines x
           WHERE x.resource_key = r.resource_key AND x.currency = r.currency
           ORDER BY x.cost_center)) AS cost_centers,
       CASE WHEN r.billed_cents IS NOT NULL
            THEN (CASE WHEN r.billed_cents < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(r.billed_cents) / 100, abs(r.billed_cents) % 100)
       END AS billed_text,
       CASE WHEN r.amortized_cents IS NOT NULL
            THEN (CASE WHEN r.amortized_cents < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(r.amortized_cents) / 100, abs(r.amortized_cents) % 100)
       END AS amortized_text,
       CASE WHEN r.est_c IS NOT NULL
            THEN (CASE WHEN r.est_c < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(r.est_c) / 100, abs(r.est_c) % 100)
       END AS estimate_text,
       CASE WHEN r.ptm_c IS NOT NULL
            THEN (CASE WHEN r.ptm_c < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(r.ptm_c) / 100, abs(r.ptm_c) % 100)
       END AS per_tib_month_text,
       CASE WHEN r.pum_c IS NOT NULL
            THEN (CASE WHEN r.pum_c < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(r.pum_c) / 100, abs(r.pum_c) % 100)
       END AS per_used_tib_month_text,
       CASE WHEN r.total_bytes > 0
            THEN printf('%.1f %%', 100.0 * (1 - r.used_bytes / r.total_bytes))
       END AS idle_text
FROM fc r
ORDER BY kind, name, r.resource_key, r.currency;
