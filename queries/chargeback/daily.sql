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
-- (chargeback/cents.sql.inc), ties by day, then allocated first, then
-- cost center: one text in that order (the day and the flag are of fixed
-- width, and a currency's cells are unique by them), not a sort of its own.
cents_in AS (
  SELECT l.*, l.currency AS p1, NULL AS p2,
         l.day || l.unallocated || l.cost_center AS tie
  FROM cells l
),
-- include: chargeback/cents.sql.inc
SELECT day, cost_center, currency,
       billed_cents / 100.0 AS billed,
       amortized_cents / 100.0 AS amortized,
       unallocated
FROM cents
ORDER BY day, currency, unallocated, cost_center;
