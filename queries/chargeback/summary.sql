-- Chargeback summary: billed (actual) and amortized cost per cost center
-- and currency, the sums of the rounded lines of chargeback/lines.sql (so
-- a currency's rows add up to its billed total to the cent). Unallocated
-- cost is one row per currency, cost_center 'Unallocated', last.
-- Allocation rules: see chargeback/lines.sql.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes)
-- Columns: cost_center, currency, billed, amortized (decimal numbers with
--          2 places; amortized NULL without amortized data), share (of the
--          currency's billed total, 0 to 1), lines, unallocated (1 for the
--          Unallocated row), billed_text, amortized_text, share_text (the
--          same for Markdown: thousands separators, U+2212 for a minus)
WITH RECURSIVE
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/core.sql.inc
,cc AS (
  SELECT currency, cost_center, reason IS NOT NULL AS unallocated,
         sum(billed_cents) AS billed_cents,
         sum(amortized_cents) AS amortized_cents, count(*) AS lines
  FROM lines
  GROUP BY currency, cost_center, reason IS NOT NULL
),
cc2 AS (
  SELECT cc.*, sum(billed_cents) OVER (PARTITION BY currency) AS cur_total
  FROM cc
)
SELECT cost_center, currency,
       billed_cents / 100.0 AS billed,
       amortized_cents / 100.0 AS amortized,
       round(CAST(billed_cents AS REAL) / nullif(cur_total, 0), 6) AS share,
       lines, unallocated,
       CASE WHEN billed_cents IS NOT NULL
            THEN (CASE WHEN billed_cents < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(billed_cents) / 100, abs(billed_cents) % 100)
       END AS billed_text,
       CASE WHEN amortized_cents IS NOT NULL
            THEN (CASE WHEN amortized_cents < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(amortized_cents) / 100, abs(amortized_cents) % 100)
       END AS amortized_text,
       CASE WHEN cur_total <> 0
            THEN printf('%.1f %%', 100.0 * billed_cents / cur_total) END
         AS share_text
FROM cc2
ORDER BY currency, unallocated, billed_cents DESC, cost_center;
