-- id: over-provisioned
-- title: File system is over-provisioned
-- severity: medium
-- rationale: AMLFS bills for provisioned capacity, used or not. A file
--   system that never filled more than a small share of it for days pays
--   for the unused TiB every month.
-- remediation: Recreate it at a smaller size (capacity cannot shrink in
--   place), or consolidate it with another file system.
-- param: days = 7  Length of the window, in days, ending at the newest capacity sample the run could see
-- param: min_samples = 120  Fewest hourly capacity samples in the window needed to judge (else skip)
-- param: max_used_pct = 40  Alarm when the peak use in the window stays under this percentage of capacity
-- param: cost_days = 30  Days of billed cost (the newest held) that give the cost per TiB
-- reads: filesystems, metrics, metric_evidence, costs_current, retail_prices
-- scope: filesystem
--
-- Use is OSTBytesUsed / OSTBytesTotal (summed over the OSTs) each hour.
-- The money at stake is the unused TiB (capacity less the peak use) at
-- the billed cost per TiB-month: the ActualCost of the newest cost_days
-- days held for the file system, per day, times 365.25/12, per TiB of its
-- capacity. Without billed cost the retail price of its SKU and region is
-- used, and without either the reason says so.
WITH fs AS MATERIALIZED (
  SELECT f.resource_id, f.resource_key, f.evidence_id, f.capacity_tib,
         f.sku, f.location,
         (SELECT m.ts FROM metrics m
           WHERE m.resource_key = f.resource_key AND m.run_id <= :run
             AND m.metric = 'OSTBytesUsed'
           ORDER BY m.ts DESC LIMIT 1) AS last_ts
  FROM filesystems f
  WHERE f.run_id = :run
),
win AS MATERIALIZED (
  SELECT fs.*, iso_add(last_ts, '-P' || :days || 'D') AS first_ts
  FROM fs
),
-- [hours with both metrics, the highest use in percent] in the window.
agg AS MATERIALIZED (
  SELECT w.resource_key,
         (SELECT json_array(count(*), max(100.0 * u.value / t.value))
            FROM metrics u
            JOIN metrics t
              ON t.resource_key = u.resource_key
             AND t.metric = 'OSTBytesTotal' AND t.ts = u.ts
             AND t.run_id <= :run AND t.value > 0
           WHERE u.resource_key = w.resource_key
             AND u.metric = 'OSTBytesUsed' AND u.run_id <= :run
             AND u.ts > w.first_ts AND u.ts <= w.last_ts) AS a
  FROM win w
  WHERE w.last_ts IS NOT NULL
),
-- The metrics responses the points came from (the runs of each file
-- system's points found apart: one small set each, not one of them all).
used AS MATERIALIZED (
  SELECT w.resource_key, r.value AS run_id
  FROM win w,
       json_each((SELECT json_group_array(DISTINCT m.run_id) FROM metrics m
                   WHERE m.resource_key = w.resource_key
                     AND m.run_id <= :run
                     AND m.ts > w.first_ts AND m.ts <= w.last_ts
                     AND m.metric IN ('OSTBytesUsed', 'OSTBytesTotal'))) r
),
-- include: metric-sources.sql.inc
-- include: cost-per-tib.sql.inc
priced AS (
  SELECT w.resource_id, w.resource_key, w.evidence_id, w.last_ts,
         w.capacity_tib, json_extract(a.a, '$[0]') AS samples,
         json_extract(a.a, '$[1]') AS peak_pct,
         w.capacity_tib * (1 - json_extract(a.a, '$[1]') / 100.0)
           AS unused_tib,
         coalesce(b.monthly / w.capacity_tib, l.per_tib) AS per_tib,
         coalesce(b.currency, l.currency) AS currency,
         CASE WHEN b.monthly IS NOT NULL THEN 'billed'
              WHEN l.per_tib IS NOT NULL THEN 'retail' END AS basis
  FROM win w
  LEFT JOIN agg a ON a.resource_key = w.resource_key
  LEFT JOIN billed b ON b.resource_key = w.resource_key AND b.n = 1
                    AND w.capacity_tib > 0
  LEFT JOIN listed l ON l.resource_key = w.resource_key AND l.n = 1
)
SELECT p.resource_id,
       CASE WHEN p.last_ts IS NULL OR p.samples IS NULL
              OR p.samples < :min_samples THEN 'skip'
            WHEN p.peak_pct < :max_used_pct THEN 'alarm'
            ELSE 'ok' END AS status,
       CASE WHEN p.last_ts IS NULL OR p.samples IS NULL
            THEN 'no capacity samples held'
            WHEN p.samples < :min_samples
            THEN printf('only %d hourly capacity samples in the %s days to ' ||
                        '%s (%d needed)', p.samples, :days, p.last_ts,
                        :min_samples)
            WHEN p.peak_pct < :max_used_pct
            THEN printf('at most %.1f%% of %g TiB used over the %s days to ' ||
                        '%s (%d hourly samples): about %.1f TiB unused',
                        p.peak_pct, p.capacity_tib, :days, p.last_ts,
                        p.samples, p.unused_tib) ||
                 CASE p.basis
                   WHEN 'billed' THEN printf(', about %.2f %s a month at the ' ||
                        'billed %.2f %s per TiB-month', p.unused_tib *
                        p.per_tib, p.currency, p.per_tib, p.currency)
                   WHEN 'retail' THEN printf(', about %.2f %s a month at the ' ||
                        'retail price of %.2f %s per TiB-month (no billed ' ||
                        'cost held)', p.unused_tib * p.per_tib, p.currency,
                        p.per_tib, p.currency)
                   ELSE ' (no cost data held to price it)' END
            ELSE printf('peak use %.1f%% of %g TiB over the %s days to %s',
                        p.peak_pct, p.capacity_tib, :days, p.last_ts)
       END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT p.evidence_id AS id
          UNION
          SELECT s.evidence_id FROM sources s
           WHERE s.resource_key = p.resource_key)) AS evidence,
       json_object('samples', p.samples, 'peak_used_pct', p.peak_pct,
                   'unused_tib', p.unused_tib,
                   'monthly_cost_at_stake', p.unused_tib * p.per_tib,
                   'cost_per_tib_month', p.per_tib, 'currency', p.currency,
                   'cost_basis', p.basis) AS detail
FROM priced p
ORDER BY p.resource_id;
