-- Chargeback anomalies, one row each:
--   unallocated      an Unallocated line (its reason in detail);
--   inherited        a resource without its own allocation tag, charged by
--                    its resource group's or subscription's;
--   variance         billed differs from the retail estimate by more than
--                    :variance_pct percent (either way);
--   no cost          days with no actual cost for a file system that was in
--                    the collection snapshot in force that day (and created
--                    by then), up to the newest day with cost in the period;
--   not in inventory cost for a file system no collection run has seen;
--   cost center case cost centers whose names differ only in letter case.
-- Allocation rules: see chargeback/lines.sql.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes),
--             :variance_pct (percent; NULL: no variance rows)
-- Columns: kind, resource_id, name, currency, cost_center, detail,
--          first_day, last_day, days, amount (the cost concerned, 2
--          places), value (variance in percent)
WITH RECURSIVE
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/core.sql.inc
,-- The collection run in force each day over the whole estate.
giv AS (
  SELECT id AS run_id,
         CASE WHEN lag(started_at) OVER w IS NULL THEN '0000-01-01'
              ELSE substr(started_at, 1, 10) END AS d_from,
         CASE WHEN lead(started_at) OVER w IS NULL THEN '9999-12-31'
              ELSE substr(lead(started_at) OVER w, 1, 10) END AS d_to
  FROM cruns
  WINDOW w AS (ORDER BY started_at, id)
),
-- The period's days up to the newest with cost (grp has every day of
-- rows).
cal(day) AS (
  SELECT p_from FROM period WHERE p_from <= (SELECT max(day) FROM grp)
  UNION ALL
  SELECT date(day, '+1 day') FROM cal
  WHERE day < (SELECT min(p_to, (SELECT max(day) FROM grp)) FROM period)
),
-- The file systems of each run in force in the period (each snapshot
-- read once), on its days.
prun AS (
  SELECT g.* FROM giv g, period p
  WHERE g.d_to > p.p_from AND g.d_from <= p.p_to
),
live AS (
  SELECT f.resource_key, c.day
  FROM prun g
  CROSS JOIN filesystems f ON f.run_id = g.run_id
  JOIN cal c ON c.day >= g.d_from AND c.day < g.d_to
  WHERE f.created_at IS NULL OR substr(f.created_at, 1, 10) <= c.day
),
nocost AS (
  SELECT l.resource_key, count(*) AS days, min(l.day) AS first_day,
         max(l.day) AS last_day
  FROM live l
  -- (cb_grp by its index: l.day is in the period, as grp's days are)
  WHERE NOT EXISTS (SELECT 1 FROM cb_grp x WHERE x.resource_key = l.resource_key
                    AND x.day = l.day AND x.actual IS NOT NULL)
  GROUP BY l.resource_key
),
names AS (
  SELECT g.resource_key, coalesce(i.resource_id, min(g.resource_id)) AS resource_id,
         coalesce(i.name, replace(min(g.resource_id),
                  rtrim(min(g.resource_id), replace(min(g.resource_id), '/', '')), ''))
           AS name
  FROM grp g
  LEFT JOIN inv i ON i.resource_key = g.resource_key
  GROUP BY g.resource_key
  UNION ALL
  SELECT i.resource_key, i.resource_id, i.name FROM inv i
  WHERE i.resource_key NOT IN (SELECT resource_key FROM grp)
),
found AS (
  SELECT 1 AS ord, 'unallocated' AS kind, l.resource_key, l.currency,
         l.cost_center, l.reason AS detail, l.first_day, l.last_day, l.days,
         l.billed_cents / 100.0 AS amount, NULL AS value
  FROM lines l
  WHERE l.reason IS NOT NULL
  UNION ALL
  SELECT 2, 'inherited', l.resource_key, l.currency, l.cost_center,
         'no allocation tag on the resource: ' || l.alloc_tag || ' of its '
           || replace(l.inherited, '_', ' '),
         l.first_day, l.last_day, l.days, l.billed_cents / 100.0, NULL
  FROM lines l
  WHERE l.inherited IS NOT NULL
  UNION ALL
  SELECT 3, 'variance', s.resource_key, s.currency, NULL,
         printf('billed %.2f against a retail estimate of %.2f',
                s.actual / 1000000.0, s.estimate),
         NULL, NULL, s.days_billed, round(s.actual / 1000000.0, 2),
         round(100.0 * (s.actual / 1000000.0 - s.estimate) / s.estimate, 1)
  FROM fsstat s
  WHERE s.estimate > 0 AND :variance_pct IS NOT NULL
    AND abs(100.0 * (s.actual / 1000000.0 - s.estimate) / s.estimate)
        > :variance_pct
  UNION ALL
  SELECT 4, 'no cost', n.resource_key, NULL, NULL,
         printf('no cost on %d day(s) while in the inventory', n.days),
         n.first_day, n.last_day, n.days, NULL, NULL
  FROM nocost n
  UNION ALL
  SELECT 5, 'not in inventory', g.resource_key, g.currency, NULL,
         'cost for a file system no collection run has seen',
         min(g.day), max(g.day), count(DISTINCT g.day),
         round(coalesce(sum(g.actual), 0) / 1000000.0, 2), NULL
  FROM grp g
  WHERE g.is_fs AND g.resource_key NOT IN (SELECT resource_key FROM iv)
  GROUP BY g.resource_key, g.currency
  UNION ALL
  SELECT 6, 'cost center case', NULL, l.currency,
         group_concat(DISTINCT l.cost_center),
         'cost centers differ only in letter case', min(l.first_day),
         max(l.last_day), NULL, NULL, NULL
  FROM lines l
  WHERE l.reason IS NULL
  GROUP BY l.currency, lower(l.cost_center)
  HAVING count(DISTINCT l.cost_center) > 1
)
SELECT f.kind, n.resource_id, n.name, f.currency, f.cost_center, f.detail,
       f.first_day, f.last_day, f.days, f.amount, f.value
FROM found f
LEFT JOIN names n ON n.resource_key = f.resource_key
ORDER BY f.ord, n.name, f.resource_key, f.currency, f.cost_center,
         f.first_day, f.detail;
