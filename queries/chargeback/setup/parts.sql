-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_parts: each decision's parts (cost center, [lo, hi) in parts per
-- million of the cost, how it was found).
-- Parameters: :allocate_by, :usage (as the datasets')
CREATE TEMP TABLE cb_parts AS
WITH RECURSIVE
-- The allocation keys (:allocate_by, a JSON array; a bare name is one key)
-- by rank; rank 0 is the split rule, looked for on the resource only.
-- ==== chargeback core: the allocation every queries/chargeback/*.sql
-- reads, included in place of its line '-- include: chargeback/core.sql.inc'
-- (src/store/query.c); `period` comes before it, and the including file
-- continues the WITH clause after it.
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
-- The file system's own are those of its snapshot's state (cb_iv: the
-- runs in force, so every decision's run is there).
stag AS (
  SELECT s.skey, s.run_id, 2 AS lvl, k.pos, t.key AS tag_key,
         trim(t.value) AS value, NULL AS inherited
  FROM sref s
  CROSS JOIN cb_iv v
  CROSS JOIN state_tags t
  CROSS JOIN akeys k
  WHERE v.resource_key = s.skey AND v.run_id = s.run_id
    AND t.kind = 'fs' AND t.state = v.state
    AND k.key_norm = t.key_norm
  UNION ALL
  SELECT x.skey, x.run_id, CASE o.kind WHEN 'rg' THEN 3 ELSE 4 END, o.pos,
         o.tag_key, o.value,
         CASE o.kind WHEN 'rg' THEN 'resource_group' ELSE 'subscription' END
  FROM sscope x
  CROSS JOIN otag o ON o.run_id = x.run_id AND o.okey = x.okey
),
-- The resource group and the subscription (okey) of each snapshot used,
-- and their allocation tags in each run that one names, looked up once for
-- all the file systems they hold (otag).
sscope AS (
  SELECT skey, run_id, rg_key AS okey FROM sref
  UNION
  SELECT skey, run_id, sub_key FROM sref
),
otag AS MATERIALIZED (
  SELECT o.okey, o.run_id, i.kind, k.pos, t.key AS tag_key,
         trim(t.value) AS value
  FROM (SELECT DISTINCT okey, run_id FROM sscope) o
  CROSS JOIN resources r
  CROSS JOIN items i
  CROSS JOIN state_tags t
  CROSS JOIN akeys k
  WHERE r.resource_key = o.okey
    AND i.run_id = o.run_id AND i.kind IN ('rg', 'sub') AND i.resource = r.id
    AND +i.parent = 0 AND t.kind = i.kind AND t.state = i.state
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
-- named as the reason when nothing else is found), and so is the value
-- 'Unallocated' (case-blind): that name is the line of cost without an
-- owner, and a cost center of it would merge with that line.
ranked AS (
  SELECT c.*, row_number() OVER (PARTITION BY c.did
                                 ORDER BY c.lvl, c.pos, c.tag_key, c.value) AS rn
  FROM cand c
  WHERE c.value <> '' AND (lower(c.value) <> 'unallocated' OR c.pos = 0)
),
chosen AS (SELECT * FROM ranked WHERE rn = 1),
empties AS (SELECT DISTINCT did FROM cand WHERE value = '' AND pos > 0),
reserved AS (
  SELECT DISTINCT did FROM cand
  WHERE lower(value) = 'unallocated' AND pos > 0
),
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
             AND lower(cost_center) <> 'unallocated'
             AND typeof(bytes) = 'integer' AND bytes >= 0
             AND bytes < 100000000000000000) AS ok
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
         CASE WHEN cost_center <> '' AND lower(cost_center) <> 'unallocated'
                   AND share GLOB '*[0-9]*'
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
              WHEN d.did IN (SELECT did FROM reserved)
              THEN 'tag value Unallocated (reserved)'
              WHEN NOT d.is_fs THEN 'related resource with no allocation tag'
              WHEN d.run_id IS NULL THEN 'resource not in the inventory'
              ELSE 'no allocation tag' END
  FROM dec d
  WHERE d.did NOT IN (SELECT did FROM chosen)
    AND d.skey NOT IN (SELECT resource_key FROM ufs)
),
dec AS (SELECT rowid AS did, skey, stags, run_id, is_fs FROM cb_dec)
SELECT * FROM parts ORDER BY did, lo;
