-- Chargeback lines: one per cost center, resource, currency and way of
-- allocation over the period; the CSV and JSON export, with FOCUS column
-- names where one applies (ChargePeriodEnd exclusive) and x_ columns for
-- the allocation. The lines of a currency add up to its billed total to
-- the cent (chargeback/reconciliation.sql).
-- How cost is allocated (the core below, shared by every chargeback query):
-- each resource's cost per day (ActualCost, and AmortizedCost beside it)
-- goes to the value of the first allocation tag found, keys compared
-- case-insensitively, looking in turn at the tags the billing row carries,
-- the resource's tags in the collection snapshot in force that day (the
-- newest collection run started by the end of the day, else the earliest
-- after), its resource group's and its subscription's tags (then marked
-- inherited); every key in :allocate_by order in one place before the
-- next place. A tag changed mid-month so splits the month by days. An
-- empty value is passed over. On the resource itself, a tag
-- `chargeback-split = a:60,b:40` (percent shares summing to 100) splits
-- the cost; a usage file (:usage) splits the file systems it names by
-- bytes, before any tag. A related resource (not an AMLFS file system)
-- that a file system names as its HSM storage account that day follows the
-- file system's allocation; otherwise its own billing tags decide. Cost
-- without an owner goes to 'Unallocated' with the reason: 'no allocation
-- tag', 'empty tag value', 'resource not in the inventory', 'related
-- resource with no allocation tag', 'bad chargeback-split', 'bad usage
-- file'. Money is summed in integer micro-units and each line rounded to
-- the cent once, largest remainder per currency, so the lines add up to
-- the billed total to the cent; currencies are never summed together.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes)
-- Columns: BillingCurrency, BilledCost (actual, to the cent), EffectiveCost
--          (amortized, to the cent; NULL without amortized data),
--          ChargePeriodStart, ChargePeriodEnd (first billed day, the day
--          after the last), ResourceId, ResourceName, x_ResourceKind (amlfs
--          or related), x_CostCenter ('Unallocated' when no owner),
--          x_AllocationTag (the key as spelled where found,
--          'chargeback-split' or 'usage'), x_TagSource (billing, snapshot
--          or usage), x_Inherited (resource_group, subscription or NULL),
--          x_SplitShare (percent, split lines only), x_Days (days with
--          cost), x_UnallocatedReason, x_FollowsResourceId (the file system
--          a related resource follows), x_BilledCostExact and
--          x_EffectiveCostExact (unrounded, 6 decimals, as text)
WITH RECURSIVE
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- ==== chargeback core: the same text in every queries/chargeback/*.sql
-- (tests/cli/test_chargeback_sql.py checks); `period` comes before it.
-- The allocation keys (:allocate_by, a JSON array; a bare name is one key)
-- by rank; rank 0 is the split rule, looked for on the resource only.
cfg AS (
  SELECT CASE WHEN json_valid(:allocate_by)
                   AND json_type(:allocate_by) = 'array' THEN :allocate_by
              ELSE json_array(coalesce(:allocate_by, 'CostCenter'))
         END AS keys_json,
         coalesce(nullif(:usage, ''), '[]') AS usage_json
),
akeys AS (
  SELECT 0 AS pos, 'chargeback-split' AS key_norm
  UNION ALL
  SELECT 1 + CAST(j.key AS INTEGER), lower(trim(j.value))
  FROM cfg, json_each(cfg.keys_json) j
  WHERE j.type = 'text' AND trim(j.value) <> ''
),
-- The cost rows as they stood at :as_of (queries/costs/by_filesystem.sql):
-- of sources ingested by then and not superseded by a source ingested by
-- then. Money in integer micro-units from here on.
rows AS (
  SELECT r.source, r.resource_key, r.resource_id, r.day, r.cost_type,
         r.currency, r.tags,
         CAST(round(r.cost * 1000000) AS INTEGER) AS micros
  FROM cost_rows r
  JOIN cost_sources s ON s.id = r.source
  LEFT JOIN cost_sources sup ON sup.id = r.superseded_by
  WHERE r.day BETWEEN (SELECT p_from FROM period) AND (SELECT p_to FROM period)
    AND (:as_of IS NULL OR s.ingested_at <= :as_of)
    AND (r.superseded_by IS NULL
         OR (:as_of IS NOT NULL AND sup.ingested_at > :as_of))
),
-- One group per resource, day, currency and billing tags: its actual and
-- amortized micro-units (NULL when the history holds none of that type).
grp AS (
  SELECT row_number() OVER (ORDER BY resource_key, day, currency, tags) AS gid,
         resource_key, min(resource_id) AS resource_id, day, currency, tags,
         sum(CASE WHEN cost_type = 'ActualCost' THEN micros END) AS actual,
         sum(CASE WHEN cost_type = 'AmortizedCost' THEN micros END) AS amortized,
         resource_key LIKE '%/providers/microsoft.storagecache/amlfilesystems/%'
           AS is_fs
  FROM rows
  GROUP BY resource_key, day, currency, tags
),
-- Collection runs known at :as_of, and for each file system the days each
-- run that saw it is in force: the newest run started on or before the end
-- of the day, else (days before its first run) the earliest after.
cruns AS (
  SELECT id, started_at, run_hash FROM runs
  WHERE source IN ('live', 'replay') AND status IN ('ok', 'partial')
    AND (:as_of IS NULL OR started_at <= :as_of)
),
seen AS (
  SELECT f.resource_key, f.run_id, c.started_at,
         lag(c.started_at) OVER w AS prev_at,
         lead(c.started_at) OVER w AS next_at
  FROM filesystems f
  JOIN cruns c ON c.id = f.run_id
  WINDOW w AS (PARTITION BY f.resource_key ORDER BY c.started_at, c.id)
),
iv AS (
  SELECT resource_key, run_id,
         CASE WHEN prev_at IS NULL THEN '0000-01-01'
              ELSE substr(started_at, 1, 10) END AS d_from,
         CASE WHEN next_at IS NULL THEN '9999-12-31'
              ELSE substr(next_at, 1, 10) END AS d_to      -- exclusive
  FROM seen
),
-- The newest snapshot of each file system, for its id, name and SKU.
inv AS (
  SELECT f.resource_key, f.resource_id, f.name, f.sku, f.location,
         f.capacity_tib
  FROM seen s
  JOIN filesystems f ON f.run_id = s.run_id AND f.resource_key = s.resource_key
  WHERE s.next_at IS NULL
),
-- A related resource (not a file system) named that day by a file system
-- as its HSM container's or logging container's storage account follows
-- that file system (the first by id when several name it).
hsm0 AS (
  SELECT iv.resource_key AS fs_key, iv.d_from, iv.d_to, f.hsm_container AS id
  FROM iv
  JOIN filesystems f ON f.run_id = iv.run_id AND f.resource_key = iv.resource_key
  UNION ALL
  SELECT iv.resource_key, iv.d_from, iv.d_to, f.hsm_logging_container
  FROM iv
  JOIN filesystems f ON f.run_id = iv.run_id AND f.resource_key = iv.resource_key
),
hsm AS (
  SELECT fs_key, d_from, d_to,
         lower(substr(id, 1, instr(lower(id), '/blobservices/') - 1)) AS sa_key
  FROM hsm0
  WHERE instr(lower(id), '/blobservices/') > 1
),
link AS (
  SELECT g.gid, min(h.fs_key) AS fs_key
  FROM grp g
  JOIN hsm h ON h.sa_key = g.resource_key AND g.day >= h.d_from AND g.day < h.d_to
  WHERE NOT g.is_fs
  GROUP BY g.gid
),
-- Whose tags decide each group: its own resource's, or those of the file
-- system it follows (with that file system's billing tags of the day, if
-- any); the snapshot in force that day for it; and `did`, one decision per
-- distinct (resource, billing tags, snapshot).
subj0 AS (
  SELECT g.gid, g.resource_key, g.resource_id, g.day, g.currency, g.actual,
         g.amortized, g.is_fs AS own_fs, l.fs_key,
         coalesce(l.fs_key, g.resource_key) AS skey,
         CASE WHEN l.fs_key IS NULL THEN g.tags
              ELSE (SELECT min(x.tags) FROM grp x
                    WHERE x.resource_key = l.fs_key AND x.day = g.day)
         END AS stags,
         (g.is_fs OR l.fs_key IS NOT NULL) AS is_fs
  FROM grp g
  LEFT JOIN link l ON l.gid = g.gid
),
subj AS (
  SELECT s.*, iv.run_id,
         dense_rank() OVER (ORDER BY s.skey, s.stags, iv.run_id) AS did
  FROM subj0 s
  LEFT JOIN iv ON iv.resource_key = s.skey
   AND s.day >= iv.d_from AND s.day < iv.d_to
),
dec AS (
  SELECT did, skey, stags, run_id, max(is_fs) AS is_fs
  FROM subj
  GROUP BY did
),
-- The allocation tags of each snapshot used (a file system in a run): its
-- own (lvl 2), its resource group's (3) and its subscription's (4).
sref AS (
  SELECT DISTINCT d.skey, d.run_id, r.id AS res,
         substr(d.skey, 1, instr(d.skey, '/providers/') - 1) AS rg_key,
         substr(d.skey, 1, instr(d.skey, '/resourcegroups/') - 1) AS sub_key
  FROM dec d
  JOIN resources r ON r.resource_key = d.skey
  WHERE d.run_id IS NOT NULL
),
stag AS (
  SELECT s.skey, s.run_id, 2 AS lvl, k.pos, t.key AS tag_key,
         trim(t.value) AS value, NULL AS inherited
  FROM sref s
  CROSS JOIN items i
  CROSS JOIN state_tags t
  CROSS JOIN akeys k
  WHERE i.run_id = s.run_id AND i.kind = 'fs' AND i.resource = s.res
    AND i.parent = 0 AND t.kind = 'fs' AND t.state = i.state
    AND k.key_norm = t.key_norm
  UNION ALL
  SELECT s.skey, s.run_id, CASE i.kind WHEN 'rg' THEN 3 ELSE 4 END, k.pos,
         t.key, trim(t.value),
         CASE i.kind WHEN 'rg' THEN 'resource_group' ELSE 'subscription' END
  FROM sref s
  CROSS JOIN resources r
  CROSS JOIN items i
  CROSS JOIN state_tags t
  CROSS JOIN akeys k
  WHERE r.resource_key IN (s.rg_key, s.sub_key)
    AND i.run_id = s.run_id AND i.kind IN ('rg', 'sub') AND i.resource = r.id
    AND i.parent = 0 AND t.kind = i.kind AND t.state = i.state
    AND k.key_norm = t.key_norm AND k.pos > 0
),
-- Candidate tags, best first by (lvl, pos): 1 the billing row's tags,
-- 2 the snapshot in force that day, 3 its resource group's, 4 its
-- subscription's (both from that snapshot's run). Keys case-blind.
cand AS (
  SELECT d.did, 1 AS lvl, k.pos, j.key AS tag_key,
         trim(CAST(j.value AS TEXT)) AS value,
         'billing' AS tag_source, NULL AS inherited
  FROM dec d, json_each(d.stags) j
  JOIN akeys k ON k.key_norm = lower(j.key)
  UNION ALL
  SELECT d.did, t.lvl, t.pos, t.tag_key, t.value, 'snapshot', t.inherited
  FROM dec d
  JOIN stag t ON t.skey = d.skey AND t.run_id = d.run_id
),
-- The first candidate with a value; an empty value is passed over (and
-- named as the reason when nothing else is found).
ranked AS (
  SELECT c.*, row_number() OVER (PARTITION BY c.did
                                 ORDER BY c.lvl, c.pos, c.tag_key, c.value) AS rn
  FROM cand c
  WHERE c.value <> ''
),
chosen AS (SELECT * FROM ranked WHERE rn = 1),
empties AS (SELECT DISTINCT did FROM cand WHERE value = '' AND pos > 0),
-- The usage file (:usage, [{"resource_id","cost_center","bytes"}]): a file
-- system it names is split by bytes (its cost centers in name order, as
-- cumulative parts per million), whatever its tags say.
uraw AS (
  SELECT lower(json_extract(u.value, '$.resource_id')) AS resource_key,
         trim(CAST(json_extract(u.value, '$.cost_center') AS TEXT)) AS cost_center,
         json_extract(u.value, '$.bytes') AS bytes
  FROM cfg, json_each(cfg.usage_json) u
),
ufs AS (
  SELECT resource_key, sum(bytes) AS total,
         min(coalesce(cost_center, '') <> ''
             AND typeof(bytes) IN ('integer', 'real') AND bytes >= 0) AS ok
  FROM uraw
  WHERE resource_key IS NOT NULL
  GROUP BY resource_key
),
ucc AS (
  SELECT u.resource_key, u.cost_center, sum(u.bytes) AS bytes, f.total
  FROM uraw u
  JOIN ufs f ON f.resource_key = u.resource_key
  WHERE f.ok AND f.total > 0
  GROUP BY u.resource_key, u.cost_center
  HAVING sum(u.bytes) > 0
),
uparts AS (
  SELECT resource_key, cost_center, round(bytes * 100.0 / total, 4) AS share,
         CAST(round((sum(bytes) OVER w - bytes) * 1000000.0 / total) AS INTEGER) AS lo,
         CAST(round(sum(bytes) OVER w * 1000000.0 / total) AS INTEGER) AS hi
  FROM ucc
  WINDOW w AS (PARTITION BY resource_key ORDER BY cost_center)
),
-- The split rule `chargeback-split = genomics:60,imaging:40`: percent
-- shares (up to 4 decimals) that must sum to exactly 100, each cost center
-- once; parsed into cumulative parts per million in the rule's order.
specs AS (SELECT DISTINCT value AS spec FROM chosen WHERE pos = 0),
sp(spec, rest, n, item) AS (
  SELECT spec, spec || ',', 0, NULL FROM specs
  UNION ALL
  SELECT spec, substr(rest, instr(rest, ',') + 1), n + 1,
         trim(substr(rest, 1, instr(rest, ',') - 1))
  FROM sp
  WHERE rest <> ''
),
spi AS (
  SELECT spec, n, item, rtrim(item, replace(item, ':', '')) AS head
  FROM sp
  WHERE n > 0 AND item <> ''
),
spn AS (
  SELECT spec, n, trim(substr(head, 1, length(head) - 1)) AS cost_center,
         trim(substr(item, length(head) + 1)) AS share
  FROM spi
),
spv AS (
  SELECT spec, n, cost_center,
         CASE WHEN cost_center <> '' AND share GLOB '*[0-9]*'
                   AND share NOT GLOB '*[^0-9.]*' AND share NOT GLOB '*.*.*'
              THEN CAST(round(CAST(share AS REAL) * 10000) AS INTEGER)
         END AS ppm
  FROM spn
),
spok AS (
  SELECT spec FROM spv
  GROUP BY spec
  HAVING count(*) = count(ppm) AND min(ppm) > 0 AND sum(ppm) = 1000000
     AND count(DISTINCT cost_center) = count(*)
),
sparts AS (
  SELECT spec, cost_center, ppm / 10000.0 AS share,
         sum(ppm) OVER w - ppm AS lo, sum(ppm) OVER w AS hi
  FROM spv
  WHERE spec IN (SELECT spec FROM spok)
  WINDOW w AS (PARTITION BY spec ORDER BY n)
),
-- Each decision's parts: cost center, [lo, hi) in parts per million of
-- the cost, how it was found; cost without an owner goes to 'Unallocated'
-- with the reason.
parts AS (
  SELECT d.did, p.cost_center, p.lo, p.hi, 'usage' AS alloc_tag,
         'usage' AS tag_source, NULL AS inherited, p.share, NULL AS reason
  FROM dec d
  JOIN uparts p ON p.resource_key = d.skey
  UNION ALL
  SELECT d.did, 'Unallocated', 0, 1000000, 'usage', 'usage', NULL, NULL,
         'bad usage file'
  FROM dec d
  JOIN ufs f ON f.resource_key = d.skey
  WHERE NOT (f.ok AND f.total > 0)
  UNION ALL
  SELECT d.did, coalesce(p.cost_center, 'Unallocated'), coalesce(p.lo, 0),
         coalesce(p.hi, 1000000), c.tag_key, c.tag_source, c.inherited, p.share,
         CASE WHEN p.spec IS NULL THEN 'bad chargeback-split' END
  FROM dec d
  JOIN chosen c ON c.did = d.did AND c.pos = 0
  LEFT JOIN sparts p ON p.spec = c.value
  WHERE d.skey NOT IN (SELECT resource_key FROM ufs)
  UNION ALL
  SELECT d.did, c.value, 0, 1000000, c.tag_key, c.tag_source, c.inherited,
         NULL, NULL
  FROM dec d
  JOIN chosen c ON c.did = d.did AND c.pos > 0
  WHERE d.skey NOT IN (SELECT resource_key FROM ufs)
  UNION ALL
  SELECT d.did, 'Unallocated', 0, 1000000, NULL, NULL, NULL, NULL,
         CASE WHEN d.did IN (SELECT did FROM empties) THEN 'empty tag value'
              WHEN NOT d.is_fs THEN 'related resource with no allocation tag'
              WHEN d.run_id IS NULL THEN 'resource not in the inventory'
              ELSE 'no allocation tag' END
  FROM dec d
  WHERE d.did NOT IN (SELECT did FROM chosen)
    AND d.skey NOT IN (SELECT resource_key FROM ufs)
),
-- Each part's exact micro-units: floor(cost * hi / 1e6) - floor(cost * lo
-- / 1e6), so the parts of a group add up to its cost exactly.
alloc AS (
  SELECT s.gid, s.resource_key, s.resource_id, s.day, s.currency,
         s.own_fs AS is_fs, s.fs_key, p.cost_center, p.alloc_tag,
         p.tag_source, p.inherited, p.share, p.reason,
         (s.actual * p.hi - ((s.actual * p.hi % 1000000) + 1000000) % 1000000) / 1000000
         - (s.actual * p.lo - ((s.actual * p.lo % 1000000) + 1000000) % 1000000) / 1000000
           AS actual,
         (s.amortized * p.hi - ((s.amortized * p.hi % 1000000) + 1000000) % 1000000) / 1000000
         - (s.amortized * p.lo - ((s.amortized * p.lo % 1000000) + 1000000) % 1000000) / 1000000
           AS amortized
  FROM parts p
  CROSS JOIN subj s ON s.did = p.did      -- parts first: subj gets an index
),
-- Chargeback lines: cost center x resource x currency x how allocated,
-- over the period's days.
lines0 AS (
  SELECT currency, cost_center, resource_key, fs_key, alloc_tag, tag_source,
         inherited, share, reason, min(resource_id) AS resource_id,
         max(is_fs) AS is_fs, sum(actual) AS actual, sum(amortized) AS amortized,
         min(day) AS first_day, max(day) AS last_day, count(DISTINCT day) AS days
  FROM alloc
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
),
-- Per resource and currency: days billed, exact cost, provisioned
-- TiB-days and the retail estimate: capacity x 24 h x the list price per
-- TiB-hour of the SKU, region and currency, with the snapshot and the price
-- in force each billed day (NULL unless every billed day has a price).
fsday AS (
  SELECT g.resource_key, g.currency, g.day, sum(g.actual) AS actual,
         sum(g.amortized) AS amortized, f.capacity_tib,
         (SELECT p.price_tib_hour FROM retail_prices p
          WHERE p.sku = f.sku AND p.region = lower(f.location)
            AND p.currency = g.currency
            AND substr(p.effective_from, 1, 10) <= g.day
            AND (:as_of IS NULL OR p.ingested_at <= :as_of)
          ORDER BY p.effective_from DESC, p.id DESC LIMIT 1) AS price
  FROM grp g
  LEFT JOIN iv ON iv.resource_key = g.resource_key
   AND g.day >= iv.d_from AND g.day < iv.d_to
  LEFT JOIN filesystems f ON f.run_id = iv.run_id
   AND f.resource_key = g.resource_key
  GROUP BY g.resource_key, g.currency, g.day
),
fsstat AS (
  SELECT resource_key, currency, count(actual) AS days_billed,
         sum(actual) AS actual, sum(amortized) AS amortized,
         sum(CASE WHEN actual IS NOT NULL THEN capacity_tib END) AS tib_days,
         CASE WHEN count(actual) > 0 AND count(actual) =
                   count(CASE WHEN actual IS NOT NULL THEN capacity_tib * price END)
              THEN sum(CASE WHEN actual IS NOT NULL THEN capacity_tib * 24 * price END)
         END AS estimate
  FROM fsday
  GROUP BY resource_key, currency
)
-- ==== end of the chargeback core
SELECT l.currency AS BillingCurrency,
       l.billed_cents / 100.0 AS BilledCost,
       l.amortized_cents / 100.0 AS EffectiveCost,
       l.first_day || 'T00:00:00Z' AS ChargePeriodStart,
       date(l.last_day, '+1 day') || 'T00:00:00Z' AS ChargePeriodEnd,
       coalesce(i.resource_id, l.resource_id) AS ResourceId,
       coalesce(i.name, replace(l.resource_id,
                rtrim(l.resource_id, replace(l.resource_id, '/', '')), ''))
         AS ResourceName,
       CASE WHEN l.is_fs THEN 'amlfs' ELSE 'related' END AS x_ResourceKind,
       l.cost_center AS x_CostCenter,
       l.alloc_tag AS x_AllocationTag,
       l.tag_source AS x_TagSource,
       l.inherited AS x_Inherited,
       l.share AS x_SplitShare,
       l.days AS x_Days,
       l.reason AS x_UnallocatedReason,
       coalesce(fi.resource_id, l.fs_key) AS x_FollowsResourceId,
       CASE WHEN l.actual IS NOT NULL
            THEN (CASE WHEN l.actual < 0 THEN '-' ELSE '' END)
                 || printf('%d.%06d', abs(l.actual) / 1000000,
                           abs(l.actual) % 1000000)
       END AS x_BilledCostExact,
       CASE WHEN l.amortized IS NOT NULL
            THEN (CASE WHEN l.amortized < 0 THEN '-' ELSE '' END)
                 || printf('%d.%06d', abs(l.amortized) / 1000000,
                           abs(l.amortized) % 1000000)
       END AS x_EffectiveCostExact
FROM lines l
LEFT JOIN inv i ON i.resource_key = l.resource_key
LEFT JOIN inv fi ON fi.resource_key = l.fs_key
ORDER BY l.currency, l.reason IS NOT NULL, l.cost_center, l.resource_key,
         l.first_day, l.fs_key, l.alloc_tag, l.tag_source, l.inherited,
         l.share, l.reason;
