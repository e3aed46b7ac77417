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
-- Each part's exact micro-units: floor(cost * hi / 1e6) - floor(cost * lo
-- / 1e6), so the parts of a group add up to its cost exactly.
alloc AS (
  SELECT s.gid, s.resource_key, s.resource_id, s.day, s.currency,
         s.own_fs AS is_fs, s.fs_key, s.skey, s.run_id, p.cost_center,
         p.alloc_tag, p.tag_source, p.inherited, p.share, p.reason,
         (s.actual * p.hi - ((s.actual * p.hi % 1000000) + 1000000) % 1000000) / 1000000
         - (s.actual * p.lo - ((s.actual * p.lo % 1000000) + 1000000) % 1000000) / 1000000
           AS actual,
         (s.amortized * p.hi - ((s.amortized * p.hi % 1000000) + 1000000) % 1000000) / 1000000
         - (s.amortized * p.lo - ((s.amortized * p.lo % 1000000) + 1000000) % 1000000) / 1000000
           AS amortized
  FROM cb_subj s                  -- the period's groups, in order:
  CROSS JOIN cb_dec d             -- their decision by index,
   ON d.skey = s.skey AND d.stags IS s.stags AND d.run_id IS s.run_id
  CROSS JOIN cb_parts p           -- its parts by index
   ON p.did = d.rowid
  WHERE s.day BETWEEN (SELECT p_from FROM period) AND (SELECT p_to FROM period)
)
SELECT substr(day, 1, 7) AS month, currency, cost_center,
       reason IS NOT NULL AS unallocated,
       coalesce(sum(actual), 0) AS a, sum(amortized) AS m
FROM alloc
GROUP BY substr(day, 1, 7), currency, cost_center, reason IS NOT NULL;
