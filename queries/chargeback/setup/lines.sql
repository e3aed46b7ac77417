-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_lines: the lines of the period's allocation (cb_alloc).
-- Parameters: none
CREATE TEMP TABLE cb_lines AS
WITH
-- Chargeback lines: cost center x resource x currency x how allocated,
-- over the period's days.
lines0 AS (
  SELECT currency, cost_center, resource_key, fs_key, alloc_tag, tag_source,
         inherited, share, reason, min(resource_id) AS resource_id,
         max(is_fs) AS is_fs, sum(actual) AS actual, sum(amortized) AS amortized,
         min(day) AS first_day, max(day) AS last_day, count(DISTINCT day) AS days
  FROM cb_alloc
  GROUP BY currency, cost_center, resource_key, fs_key, alloc_tag, tag_source,
           inherited, share, reason
),
-- Rounded to the cent once, largest remainder per currency
-- (chargeback/cents.sql.inc), ties in the order of the line's key.
cents_in AS (
  SELECT l.*, coalesce(l.actual, 0) AS a, l.amortized AS m,
         l.currency AS p1, NULL AS p2,
         row_number() OVER (ORDER BY l.cost_center, l.resource_key, l.fs_key,
                                     l.alloc_tag, l.tag_source, l.inherited,
                                     l.share, l.reason) AS tie
  FROM lines0 l
),
-- include: chargeback/cents.sql.inc
SELECT * FROM cents;
