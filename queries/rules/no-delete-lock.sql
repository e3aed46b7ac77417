-- id: no-delete-lock
-- title: Production file systems have a delete lock
-- severity: high
-- rationale: A CanNotDelete (or ReadOnly) lock stops a production file
--   system and its data from being deleted by a mistaken script or click.
-- remediation: Add a CanNotDelete lock on the file system (or its
--   resource group) with a note naming the owner.
-- param: keys = env,environment  Tag keys that name the environment (case-insensitive)
-- param: production = (?i)^\s*prod(uction)?\s*$  PCRE2 pattern of their values that means production
-- param: levels = CanNotDelete,ReadOnly  Lock levels that stop deletion (comma-separated)
-- reads: filesystems, effective_tags, locks, list_reads
--
-- Locks listed at the file system's scope include those inherited from
-- its resource group and subscription. File systems not tagged production
-- are skipped, as are those whose locks the run could not read.
WITH reads AS MATERIALIZED (
  SELECT subject_key, evidence_id
  FROM list_reads
  WHERE run_id = :run AND kind = 'locks'
    AND http_status BETWEEN 200 AND 299 AND projected = 1
),
-- The environment tags from the nearest scope that has one: a file
-- system's own Environment = Dev is not overridden by env = prod on its
-- resource group.
env AS MATERIALIZED (
  SELECT e.resource_key, e.key, e.value, e.evidence_id,
         CASE e.source WHEN 'resource' THEN 0
                       WHEN 'resource_group' THEN 1 ELSE 2 END AS scope
  FROM effective_tags e
  WHERE e.run_id = :run
    AND e.key_norm IN (SELECT lower(value) FROM json_each(split_list(:keys)))
),
prod AS (
  SELECT n.resource_key,
         max(n.value REGEXP :production) AS is_prod,
         coalesce(min(CASE WHEN n.value REGEXP :production
                           THEN n.key || ' = ' || n.value END),
                  min(n.key || ' = ' || n.value)) AS tag,
         max(n.evidence_id) AS evidence_id
  FROM env n
  WHERE n.scope = (SELECT min(x.scope) FROM env x
                    WHERE x.resource_key = n.resource_key)
  GROUP BY n.resource_key
),
judged AS (
  SELECT f.resource_id, f.resource_key, f.evidence_id, p.tag,
         coalesce(p.is_prod, 0) AS is_prod, p.evidence_id AS tag_evidence,
         EXISTS (SELECT 1 FROM reads r WHERE r.subject_key = f.resource_key)
           AS was_read,
         (SELECT group_concat(l.name || ' (' || l.level || ')', ', ')
            FROM locks l
           WHERE l.run_id = :run AND l.fs_key = f.resource_key
             AND lower(l.level) IN (SELECT lower(value)
                                      FROM json_each(split_list(:levels))))
           AS good
  FROM filesystems f
  LEFT JOIN prod p ON p.resource_key = f.resource_key
  WHERE f.run_id = :run
)
SELECT j.resource_id,
       CASE WHEN NOT j.is_prod OR NOT j.was_read THEN 'skip'
            WHEN j.good IS NOT NULL THEN 'ok'
            ELSE 'alarm' END AS status,
       CASE WHEN NOT j.is_prod
            THEN 'not tagged production' ||
                 coalesce(' (' || j.tag || ')', '')
            WHEN NOT j.was_read
            THEN 'tagged ' || j.tag || ' but its locks were not read in ' ||
                 'this run'
            WHEN j.good IS NOT NULL
            THEN 'tagged ' || j.tag || ', locked: ' || j.good
            ELSE 'tagged ' || j.tag || ' and no lock stops its deletion ' ||
                 '(' || replace(:levels, ',', ', ') || ')'
       END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT j.evidence_id AS id
          UNION SELECT j.tag_evidence WHERE j.tag_evidence IS NOT NULL
          UNION
          SELECT r.evidence_id FROM reads r
           WHERE r.subject_key = j.resource_key)) AS evidence
FROM judged j
ORDER BY j.resource_id;
