-- Chargeback reconciliation per currency: the billed total straight from
-- the cost rows (exact, and to the cent rounded half away from zero), the
-- sum of the rounded chargeback lines, and the difference, which is 0.00
-- when no cost was dropped or doubled; the same for amortized cost.
-- Allocation rules: see chargeback/lines.sql.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes)
-- Columns: currency, billed_exact (6 decimals, text), billed, allocated,
--          difference (2 places), amortized_exact, amortized,
--          amortized_allocated, amortized_difference, unallocated (billed
--          cost on Unallocated lines), lines, exact_difference (allocated
--          minus billed before rounding, in micro-units: 0), billed_text,
--          allocated_text, difference_text, unallocated_text, statement
--          ('billed X, allocated X, difference 0.00')
WITH RECURSIVE
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/core.sql.inc
,tot AS (
  SELECT currency,
         coalesce(sum(CASE WHEN cost_type = 'ActualCost' THEN micros END), 0) AS a,
         sum(CASE WHEN cost_type = 'AmortizedCost' THEN micros END) AS m
  FROM rows
  GROUP BY currency
),
al AS (
  SELECT currency, sum(billed_cents) AS bc, sum(amortized_cents) AS mc,
         sum(a) AS a_exact, count(*) AS lines,
         sum(CASE WHEN reason IS NOT NULL THEN billed_cents ELSE 0 END) AS uc
  FROM lines
  GROUP BY currency
),
rc AS (
  SELECT t.currency, t.a, t.m, (CASE WHEN t.a >= 0 THEN (t.a + 5000) / 10000 ELSE -((5000 - t.a) / 10000) END) AS tc,
         CASE WHEN t.m IS NOT NULL THEN (CASE WHEN t.m >= 0 THEN (t.m + 5000) / 10000 ELSE -((5000 - t.m) / 10000) END) END AS tmc,
         coalesce(al.bc, 0) AS bc, al.mc, coalesce(al.uc, 0) AS uc,
         coalesce(al.lines, 0) AS lines, coalesce(al.a_exact, 0) AS a_exact
  FROM tot t
  LEFT JOIN al ON al.currency = t.currency
)
SELECT currency,
       CASE WHEN a IS NOT NULL
            THEN (CASE WHEN a < 0 THEN '-' ELSE '' END)
                 || printf('%d.%06d', abs(a) / 1000000,
                           abs(a) % 1000000)
       END AS billed_exact,
       tc / 100.0 AS billed,
       bc / 100.0 AS allocated,
       (bc - tc) / 100.0 AS difference,
       CASE WHEN m IS NOT NULL
            THEN (CASE WHEN m < 0 THEN '-' ELSE '' END)
                 || printf('%d.%06d', abs(m) / 1000000,
                           abs(m) % 1000000)
       END AS amortized_exact,
       tmc / 100.0 AS amortized,
       mc / 100.0 AS amortized_allocated,
       (mc - tmc) / 100.0 AS amortized_difference,
       uc / 100.0 AS unallocated,
       lines,
       a_exact - a AS exact_difference,
       CASE WHEN tc IS NOT NULL
            THEN (CASE WHEN tc < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(tc) / 100, abs(tc) % 100)
       END AS billed_text,
       CASE WHEN bc IS NOT NULL
            THEN (CASE WHEN bc < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(bc) / 100, abs(bc) % 100)
       END AS allocated_text,
       CASE WHEN bc - tc IS NOT NULL
            THEN (CASE WHEN bc - tc < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(bc - tc) / 100, abs(bc - tc) % 100)
       END AS difference_text,
       CASE WHEN uc IS NOT NULL
            THEN (CASE WHEN uc < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(uc) / 100, abs(uc) % 100)
       END AS unallocated_text,
       'billed ' || CASE WHEN tc IS NOT NULL
            THEN (CASE WHEN tc < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(tc) / 100, abs(tc) % 100)
       END || ', allocated ' || CASE WHEN bc IS NOT NULL
            THEN (CASE WHEN bc < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(bc) / 100, abs(bc) % 100)
       END
         || ', difference ' || CASE WHEN bc - tc IS NOT NULL
            THEN (CASE WHEN bc - tc < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(bc - tc) / 100, abs(bc - tc) % 100)
       END AS statement
FROM rc
ORDER BY currency;
