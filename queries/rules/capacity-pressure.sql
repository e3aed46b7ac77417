-- id: capacity-pressure
-- title: File system is nearly full
-- severity: high
-- rationale: A Lustre file system that fills up fails writes for every
--   client at once, and OSTs fill unevenly before the total does.
-- remediation: Free space (export and release, delete scratch data) or
--   plan a larger file system; the reason gives the monthly cost of one
--   more capacity step of its SKU.
-- param: max_used_pct = 85  Alarm when the newest sample is above this percentage of capacity
-- param: max_age_hours = 48  Skip when the newest capacity sample is older than this before the newest sample of any file system
-- param: cost_days = 30  Days of billed cost (the newest held) that give the cost per TiB
-- reads: filesystems, metrics, metric_evidence, costs_current, retail_prices
--
-- Use is OSTBytesUsed / OSTBytesTotal (summed over the OSTs) at the newest
-- hour the run could see. The money at stake is the monthly cost of one
-- more capacity step (azure-apis.md A.4: 48 TiB for Premium-40, 16 for
-- -125, 8 for -250, 4 for -500) at the billed cost per TiB-month, else
-- at the retail price; without either the reason says so.
WITH fs AS MATERIALIZED (
  SELECT f.resource_id, f.resource_key, f.evidence_id, f.capacity_tib,
         f.sku, f.location,
         CASE f.sku WHEN 'AMLFS-Durable-Premium-40' THEN 48
                    WHEN 'AMLFS-Durable-Premium-125' THEN 16
                    WHEN 'AMLFS-Durable-Premium-250' THEN 8
                    WHEN 'AMLFS-Durable-Premium-500' THEN 4 END AS step_tib,
         (SELECT m.ts FROM metrics m
           WHERE m.resource_key = f.resource_key AND m.run_id <= :run
             AND m.metric = 'OSTBytesUsed'
           ORDER BY m.ts DESC LIMIT 1) AS last_ts
  FROM filesystems f
  WHERE f.run_id = :run
),
newest AS (
  SELECT max(last_ts) AS ts FROM fs
),
sample AS MATERIALIZED (
  SELECT fs.resource_key, 100.0 * u.value / t.value AS used_pct,
         u.run_id AS used_run, t.run_id AS total_run
  FROM fs
  JOIN metrics u ON u.resource_key = fs.resource_key
   AND u.metric = 'OSTBytesUsed' AND u.ts = fs.last_ts AND u.run_id <= :run
  JOIN metrics t ON t.resource_key = fs.resource_key
   AND t.metric = 'OSTBytesTotal' AND t.ts = fs.last_ts AND t.run_id <= :run
   AND t.value > 0
),
-- The metrics responses the two points came from.
sources AS MATERIALIZED (
  SELECT DISTINCT s.resource_key, me.evidence_id
  FROM sample s
  JOIN (SELECT * FROM metric_evidence
         WHERE run_id IN (SELECT used_run FROM sample
                          UNION SELECT total_run FROM sample)) me
    ON me.resource_key = s.resource_key
   AND me.run_id IN (s.used_run, s.total_run)
),
-- include: cost-per-tib.sql.inc
priced AS (
  SELECT fs.resource_id, fs.resource_key, fs.evidence_id, fs.last_ts,
         fs.capacity_tib, fs.step_tib, s.used_pct, s.used_run, s.total_run,
         days_between(fs.last_ts, newest.ts) * 24 AS age_hours,
         coalesce(b.monthly / fs.capacity_tib, l.per_tib) AS per_tib,
         coalesce(b.currency, l.currency) AS currency,
         CASE WHEN b.monthly IS NOT NULL THEN 'billed'
              WHEN l.per_tib IS NOT NULL THEN 'retail' END AS basis
  FROM fs
  CROSS JOIN newest
  LEFT JOIN sample s ON s.resource_key = fs.resource_key
  LEFT JOIN billed b ON b.resource_key = fs.resource_key AND b.n = 1
                    AND fs.capacity_tib > 0
  LEFT JOIN listed l ON l.resource_key = fs.resource_key AND l.n = 1
)
SELECT p.resource_id,
       CASE WHEN p.used_pct IS NULL OR p.age_hours > :max_age_hours
            THEN 'skip'
            WHEN p.used_pct > :max_used_pct THEN 'alarm'
            ELSE 'ok' END AS status,
       CASE WHEN p.used_pct IS NULL THEN 'no capacity samples held'
            WHEN p.age_hours > :max_age_hours
            THEN printf('newest capacity sample %s is %.0f hours older than ' ||
                        'the newest of the estate', p.last_ts, p.age_hours)
            ELSE printf('%.1f%% of %g TiB used at %s', p.used_pct,
                        p.capacity_tib, p.last_ts) ||
                 CASE WHEN p.used_pct <= :max_used_pct THEN ''
                      WHEN p.step_tib IS NULL
                      THEN ' (unknown SKU: no capacity step to price)'
                      WHEN p.basis = 'billed'
                      THEN printf('; one more step of %d TiB costs about ' ||
                                  '%.2f %s a month at the billed %.2f %s ' ||
                                  'per TiB-month', p.step_tib,
                                  p.step_tib * p.per_tib, p.currency,
                                  p.per_tib, p.currency)
                      WHEN p.basis = 'retail'
                      THEN printf('; one more step of %d TiB costs about ' ||
                                  '%.2f %s a month at the retail price ' ||
                                  '(no billed cost held)', p.step_tib,
                                  p.step_tib * p.per_tib, p.currency)
                      ELSE printf('; one more step is %d TiB (no cost data ' ||
                                  'held to price it)', p.step_tib) END
       END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT p.evidence_id AS id
          UNION
          SELECT s.evidence_id FROM sources s
           WHERE s.resource_key = p.resource_key)) AS evidence,
       json_object('used_pct', p.used_pct, 'sample_time', p.last_ts,
                   'step_tib', p.step_tib,
                   'monthly_cost_of_step', p.step_tib * p.per_tib,
                   'cost_per_tib_month', p.per_tib, 'currency', p.currency,
                   'cost_basis', p.basis) AS detail
FROM priced p
ORDER BY p.resource_id;
