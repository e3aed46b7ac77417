-- Chargeback per day: billed and amortized cost per day, cost center and
-- currency. The cells of a currency are rounded to the cent with their
-- own largest-remainder rule, so they too add up to its billed total (a
-- cost center's days need not add up to its summary row to the cent).
-- Allocation rules: see chargeback/lines.sql.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes)
-- Columns: day, cost_center, currency, billed, amortized (2 places;
--          amortized NULL without amortized data), unallocated (1 for
--          Unallocated)
WITH RECURSIVE
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/core.sql.inc
,cells AS (
  SELECT day, currency, cost_center, reason IS NOT NULL AS unallocated,
         coalesce(sum(actual), 0) AS a, sum(amortized) AS m
  FROM alloc
  GROUP BY day, currency, cost_center, reason IS NOT NULL
),
-- Rounded to the cent once, largest remainder per currency
-- (as the lines of the core are).
dr1 AS (
  SELECT l.*, ((l.a % 10000) + 10000) % 10000 AS a_rem,
         ((l.m % 10000) + 10000) % 10000 AS m_rem
  FROM cells l
),
dr2 AS (
  SELECT l.*, (l.a - l.a_rem) / 10000 AS a_floor,
         (l.m - l.m_rem) / 10000 AS m_floor,
         sum(l.a) OVER c AS a_total, sum(l.m) OVER c AS m_total,
         sum((l.a - l.a_rem) / 10000) OVER c AS a_floors,
         sum((l.m - l.m_rem) / 10000) OVER c AS m_floors,
         row_number() OVER (PARTITION BY l.currency
           ORDER BY l.a_rem DESC, l.a DESC, l.day, l.unallocated, l.cost_center) AS a_rank,
         row_number() OVER (PARTITION BY l.currency
           ORDER BY l.m_rem IS NULL, l.m_rem DESC, l.m DESC, l.day, l.unallocated, l.cost_center) AS m_rank
  FROM dr1 l
  WINDOW c AS (PARTITION BY l.currency)
),
dr AS (
  SELECT l.*,
         l.a_floor + (l.a_rank <= (CASE WHEN l.a_total >= 0 THEN (l.a_total + 5000) / 10000 ELSE -((5000 - l.a_total) / 10000) END) - l.a_floors) AS billed_cents,
         CASE WHEN l.m IS NOT NULL THEN
           l.m_floor + (l.m_rank <= (CASE WHEN l.m_total >= 0 THEN (l.m_total + 5000) / 10000 ELSE -((5000 - l.m_total) / 10000) END) - l.m_floors)
         END AS amortized_cents
  FROM dr2 l
)

SELECT day, cost_center, currency,
       billed_cents / 100.0 AS billed,
       amortized_cents / 100.0 AS amortized,
       unallocated
FROM dr
ORDER BY day, currency, unallocated, cost_center;
