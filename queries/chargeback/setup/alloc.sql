-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_alloc: the allocation of the report's period (:from to :to, else the
-- month :month), a row per group of cost and part.
-- Parameters: :from, :to, :month
CREATE TEMP TABLE cb_alloc AS
WITH
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
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
SELECT * FROM alloc ORDER BY gid;
