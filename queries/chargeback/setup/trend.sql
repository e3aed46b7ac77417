-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_trend: the allocation of the trend's 12 months (those ending with
-- the month of :to, else :month) summed per month, currency, cost center
-- and allocated or not, for queries/chargeback/trend.sql. The same
-- allocation as the month's, group by group, read more cheaply: a piece
-- of cb_tpiece (a resource's days under one collection run, in one
-- month) goes whole to its decision's part when that is one (the part is
-- the cost, whatever the days); a split decision is applied day by day (each
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
-- Records n and n - 1 of the running totals (cost_months), cut out once
-- per day (r0 NULL for day 1; see setup/tpiece.sql)...
pd AS MATERIALIZED (
  SELECT p.resource_key, p.currency, p.tags, p.run_id, p.is_fs, p.month,
         k.n, substr(CAST(c.totals AS BLOB), 48 * k.n - 47, 48) AS r,
         CASE WHEN k.n > 1
              THEN substr(CAST(c.totals AS BLOB), 48 * k.n - 95, 48) END AS r0
  FROM piece p
  JOIN days k ON k.n BETWEEN p.n1 AND p.n2
  JOIN cost_months c ON c.rowid = p.cm_id
  WHERE p.did IN (SELECT did FROM split)
),
-- ... and read: actual, amortized, days with a row, days with amortized,
-- of day n.
pday AS (
  SELECT resource_key, currency, tags, run_id, is_fs,
         month || '-' || printf('%02d', n) AS day,
         CAST(substr(r, 1, 20) AS INTEGER)
         - CASE WHEN n > 1 THEN CAST(substr(r0, 1, 20) AS INTEGER)
                ELSE 0 END AS actual,
         CAST(substr(r, 21, 20) AS INTEGER)
         - CASE WHEN n > 1 THEN CAST(substr(r0, 21, 20) AS INTEGER)
                ELSE 0 END AS amortized,
         CAST(substr(r, 41, 4) AS INTEGER)
         - CASE WHEN n > 1 THEN CAST(substr(r0, 41, 4) AS INTEGER)
                ELSE 0 END AS has_row,
         CAST(substr(r, 45, 4) AS INTEGER)
         - CASE WHEN n > 1 THEN CAST(substr(r0, 45, 4) AS INTEGER)
                ELSE 0 END AS has_m
  FROM pd
),
-- The groups applied day by day: one per day of a split decision's pieces
-- (its sources summed), and the followers' daily ones.
subj_in AS (
  SELECT NULL AS gid, resource_key, day, currency, is_fs AS own_fs,
         NULL AS fs_key, resource_key AS skey, tags AS stags, run_id,
         NULL AS resource_id, sum(actual) AS actual,
         CASE WHEN sum(has_m) > 0 THEN sum(amortized) END AS amortized
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
,
-- A piece of a decision of one part (all of the cost, [0, 1e6)) is that
-- part's whatever its days: summed straight into its month's cells (exact
-- integers, so the same sums as group by group).
whole AS (
  SELECT t.month, t.currency, p.cost_center, p.reason, t.actual, t.amortized
  FROM piece t
  CROSS JOIN cb_parts p ON p.did = t.did
  WHERE t.did NOT IN (SELECT did FROM split)
),
cells AS (
  SELECT substr(day, 1, 7) AS month, currency, cost_center, reason,
         actual, amortized
  FROM alloc
  UNION ALL
  SELECT month, currency, cost_center, reason, actual, amortized FROM whole
)
SELECT month, currency, cost_center, reason IS NOT NULL AS unallocated,
       coalesce(sum(actual), 0) AS a, sum(amortized) AS m
FROM cells
GROUP BY month, currency, cost_center, reason IS NOT NULL;
