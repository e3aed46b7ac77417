-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_trend: the allocation of the trend's 12 months (those ending with
-- the month of :to, else :month) summed per month, currency, cost center
-- and allocated or not, for queries/chargeback/trend.sql.
-- Parameters: :to, :month
CREATE TEMP TABLE cb_trend AS
WITH
period AS (
  SELECT date(coalesce(:to, date(:month || '-01', '+1 month', '-1 day')),
              'start of month', '-11 months') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/alloc.sql.inc
SELECT substr(day, 1, 7) AS month, currency, cost_center,
       reason IS NOT NULL AS unallocated,
       coalesce(sum(actual), 0) AS a, sum(amortized) AS m
FROM alloc
GROUP BY substr(day, 1, 7), currency, cost_center, reason IS NOT NULL;
