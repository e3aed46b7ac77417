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
-- Rounded to the cent once, largest remainder per currency: each line
-- gets the floor of its cents, and the cents the floors fall short of the
-- currency's total (rounded half away from zero) go one each to the lines
-- with the largest remainders (ties: larger amount, then the line's key).
lines1 AS (
  SELECT l.*, coalesce(l.actual, 0) AS a,
         ((coalesce(l.actual, 0) % 10000) + 10000) % 10000 AS a_rem,
         ((l.amortized % 10000) + 10000) % 10000 AS m_rem
  FROM lines0 l
),
lines2 AS (
  SELECT l.*,
         (l.a - l.a_rem) / 10000 AS a_floor,
         (l.amortized - l.m_rem) / 10000 AS m_floor,
         sum(l.a) OVER c AS a_total,
         sum(l.amortized) OVER c AS m_total,
         sum((l.a - l.a_rem) / 10000) OVER c AS a_floors,
         sum((l.amortized - l.m_rem) / 10000) OVER c AS m_floors,
         row_number() OVER (PARTITION BY l.currency
           ORDER BY l.a_rem DESC, l.a DESC, l.cost_center, l.resource_key,
                    l.fs_key, l.alloc_tag, l.tag_source, l.inherited, l.share,
                    l.reason) AS a_rank,
         row_number() OVER (PARTITION BY l.currency
           ORDER BY l.m_rem IS NULL, l.m_rem DESC, l.amortized DESC,
                    l.cost_center, l.resource_key, l.fs_key, l.alloc_tag,
                    l.tag_source, l.inherited, l.share, l.reason) AS m_rank
  FROM lines1 l
  WINDOW c AS (PARTITION BY l.currency)
),
lines AS (
  SELECT l.*,
         l.a_floor + (l.a_rank <= (CASE WHEN l.a_total >= 0
                                        THEN (l.a_total + 5000) / 10000
                                        ELSE -((5000 - l.a_total) / 10000) END)
                                  - l.a_floors) AS billed_cents,
         CASE WHEN l.amortized IS NOT NULL THEN
           l.m_floor + (l.m_rank <= (CASE WHEN l.m_total >= 0
                                          THEN (l.m_total + 5000) / 10000
                                          ELSE -((5000 - l.m_total) / 10000) END)
                                    - l.m_floors)
         END AS amortized_cents
  FROM lines2 l
)
SELECT * FROM lines;
