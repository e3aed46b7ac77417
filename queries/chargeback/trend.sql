-- Chargeback trend: billed and amortized cost per month, cost center and
-- currency over the 12 months ending with the report's month (the month of
-- :to), allocated day by day as in chargeback/lines.sql. Each month's
-- cells of a currency are rounded with their own largest-remainder rule.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes)
-- Columns: month (YYYY-MM), cost_center, currency, billed, amortized (2
--          places; amortized NULL without amortized data), unallocated,
--          billed_text (for Markdown)
WITH RECURSIVE
period AS (
  SELECT date(coalesce(:to, date(:month || '-01', '+1 month', '-1 day')),
              'start of month', '-11 months') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/core.sql.inc
,-- The allocation of the 12 months summed per month (the report's setup,
-- queries/chargeback/setup/trend.sql).
cells AS (
  SELECT month, currency, cost_center, unallocated, a, m FROM cb_trend
),
-- Rounded to the cent once, largest remainder per month and currency
-- (as the lines of the core are).
tr1 AS (
  SELECT l.*, ((l.a % 10000) + 10000) % 10000 AS a_rem,
         ((l.m % 10000) + 10000) % 10000 AS m_rem
  FROM cells l
),
tr2 AS (
  SELECT l.*, (l.a - l.a_rem) / 10000 AS a_floor,
         (l.m - l.m_rem) / 10000 AS m_floor,
         sum(l.a) OVER c AS a_total, sum(l.m) OVER c AS m_total,
         sum((l.a - l.a_rem) / 10000) OVER c AS a_floors,
         sum((l.m - l.m_rem) / 10000) OVER c AS m_floors,
         row_number() OVER (PARTITION BY l.month, l.currency
           ORDER BY l.a_rem DESC, l.a DESC, l.unallocated, l.cost_center) AS a_rank,
         row_number() OVER (PARTITION BY l.month, l.currency
           ORDER BY l.m_rem IS NULL, l.m_rem DESC, l.m DESC, l.unallocated, l.cost_center) AS m_rank
  FROM tr1 l
  WINDOW c AS (PARTITION BY l.month, l.currency)
),
tr AS (
  SELECT l.*,
         l.a_floor + (l.a_rank <= (CASE WHEN l.a_total >= 0 THEN (l.a_total + 5000) / 10000 ELSE -((5000 - l.a_total) / 10000) END) - l.a_floors) AS billed_cents,
         CASE WHEN l.m IS NOT NULL THEN
           l.m_floor + (l.m_rank <= (CASE WHEN l.m_total >= 0 THEN (l.m_total + 5000) / 10000 ELSE -((5000 - l.m_total) / 10000) END) - l.m_floors)
         END AS amortized_cents
  FROM tr2 l
)

SELECT month, cost_center, currency,
       billed_cents / 100.0 AS billed,
       amortized_cents / 100.0 AS amortized,
       unallocated,
       CASE WHEN billed_cents IS NOT NULL
            THEN (CASE WHEN billed_cents < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(billed_cents) / 100, abs(billed_cents) % 100)
       END AS billed_text
FROM tr
ORDER BY month, currency, unallocated, cost_center;
