-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_trend: the allocation of the trend's 12 months (those ending with
-- the month of :to, else :month) summed per month, currency, cost center
-- and allocated or not, for queries/chargeback/trend.sql. The same
-- allocation as the month's, group by group, read more cheaply: a piece
-- of cb_tpiece (a resource's days under one collection run, in one
-- month) is one group when its decision is one part (the part is the
-- cost, whatever the days); a split decision is applied day by day (each
-- day's cost split on its own, as the month's lines are), the days read
-- from the piece's running totals; related resources following a file
-- system (cb_dpath) are the daily groups of cb_subj.
-- Parameters: :to, :month
CREATE TEMP TABLE cb_trend AS
WITH RECURSIVE
period AS (
  SELECT date(coalesce(:to, date(:month || '-01', '+1 month', '-1 day')),
              'start of month', '-11 months') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- Decisions that split the cost (a part other than all of it).
split AS (
  SELECT DISTINCT did FROM cb_parts WHERE lo <> 0 OR hi <> 1000000
),
piece AS (
  SELECT t.*, d.rowid AS did
  FROM cb_tpiece t
  JOIN cb_dec d ON d.skey = t.resource_key AND d.stags IS t.tags
   AND d.run_id IS t.run_id
),
days(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM days WHERE n < 31),
-- Record n of the running totals (cost_months): actual, amortized, days
-- with a row, days with amortized, over days 1 to n.
pday AS (
  SELECT p.resource_key, p.currency, p.tags, p.run_id, p.is_fs,
         p.month || '-' || printf('%02d', k.n) AS day,
         CAST(substr(c.totals, 48 * k.n - 47, 20) AS INTEGER)
         - CASE WHEN k.n > 1 THEN CAST(substr(c.totals, 48 * k.n - 95, 20) AS INTEGER)
                ELSE 0 END AS actual,
         CAST(substr(c.totals, 48 * k.n - 27, 20) AS INTEGER)
         - CASE WHEN k.n > 1 THEN CAST(substr(c.totals, 48 * k.n - 75, 20) AS INTEGER)
                ELSE 0 END AS amortized,
         CAST(substr(c.totals, 48 * k.n - 7, 4) AS INTEGER)
         - CASE WHEN k.n > 1 THEN CAST(substr(c.totals, 48 * k.n - 55, 4) AS INTEGER)
                ELSE 0 END AS has_row,
         CAST(substr(c.totals, 48 * k.n - 3, 4) AS INTEGER)
         - CASE WHEN k.n > 1 THEN CAST(substr(c.totals, 48 * k.n - 51, 4) AS INTEGER)
                ELSE 0 END AS has_m
  FROM piece p
  JOIN days k ON k.n BETWEEN p.n1 AND p.n2
  JOIN cost_months c ON c.rowid = p.cm_id
  WHERE p.did IN (SELECT did FROM split)
),
-- The groups: one per piece of a decision of one part, one per day of a
-- split one (its sources summed), and the followers' daily ones.
subj_in AS (
  SELECT NULL AS gid, resource_key, day, currency, is_fs AS own_fs,
         NULL AS fs_key,
         resource_key AS skey, tags AS stags, run_id, NULL AS resource_id,
         actual, amortized
  FROM (SELECT resource_key, month || '-' || printf('%02d', n1) AS day,
               currency, is_fs, tags, run_id, did,
               sum(actual) AS actual, sum(amortized) AS amortized
        FROM piece
        GROUP BY resource_key, currency, tags, run_id, month, n1, n2)
  WHERE did NOT IN (SELECT did FROM split)
  UNION ALL
  SELECT NULL, resource_key, day, currency, is_fs, NULL, resource_key, tags,
         run_id, NULL, sum(actual),
         CASE WHEN sum(has_m) > 0 THEN sum(amortized) END
  FROM pday
  GROUP BY resource_key, currency, tags, run_id, day
  HAVING sum(has_row) > 0
  UNION ALL
  SELECT gid, resource_key, day, currency, own_fs, fs_key, skey, stags,
         run_id, resource_id, actual, amortized
  FROM cb_subj
  WHERE resource_key IN (SELECT resource_key FROM cb_dpath WHERE follows)
),
-- include: chargeback/alloc.sql.inc
SELECT substr(day, 1, 7) AS month, currency, cost_center,
       reason IS NOT NULL AS unallocated,
       coalesce(sum(actual), 0) AS a, sum(amortized) AS m
FROM alloc
GROUP BY substr(day, 1, 7), currency, cost_center, reason IS NOT NULL;
