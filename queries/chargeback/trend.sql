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
-- (chargeback/cents.sql.inc), ties allocated first, then by cost center:
-- one text in that order (the flag is one character, and a month's cells
-- of a currency are unique by it and the cost center).
cents_in AS (
  SELECT l.*, l.month AS p1, l.currency AS p2,
         l.unallocated || l.cost_center AS tie
  FROM cells l
),
-- include: chargeback/cents.sql.inc
SELECT month, cost_center, currency,
       billed_cents / 100.0 AS billed,
       amortized_cents / 100.0 AS amortized,
       unallocated,
       CASE WHEN billed_cents IS NOT NULL
            THEN (CASE WHEN billed_cents < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(billed_cents) / 100, abs(billed_cents) % 100)
       END AS billed_text
FROM cents
ORDER BY month, currency, unallocated, cost_center;
