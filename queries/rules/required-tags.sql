-- id: required-tags
-- title: Required tags are present and not empty
-- severity: high
-- rationale: Chargeback and ownership reports group file systems by their
--   tags: a file system without them is billed to no one and owned by no
--   one. Keys compare case-insensitively, as ARM compares them; a key that
--   differs only by spaces, '_' or '-' (Cost Center, cost_center) does not
--   count but is named as a near miss.
-- remediation: Add the missing tags to the file system (or, where sources
--   allows, to its resource group or subscription); rename near misses to
--   the required key.
-- param: required = CostCenter,Owner  Comma-separated tag keys that must be present and not empty
-- param: sources = resource,resource_group,subscription  Where a tag may come from: resource, resource_group, subscription (comma-separated)
-- reads: filesystems, effective_tags
-- scope: filesystem
--
-- One row per file system of the run.
WITH req AS (
  SELECT lower(value) AS key_norm, min(value) AS key
  FROM json_each(split_list(:required))
  GROUP BY lower(value)
),
src AS (
  SELECT lower(value) AS source FROM json_each(split_list(:sources))
),
fs AS (
  SELECT resource_id, resource_key, evidence_id
  FROM filesystems
  WHERE run_id = :run
),
-- The run's tags, once (the view is a three-way union).
et AS MATERIALIZED (
  SELECT * FROM effective_tags WHERE run_id = :run
),
per_key AS (
  SELECT fs.resource_key, req.key, e.value, e.source, e.evidence_id,
         (SELECT group_concat('''' || n.key || '''', ' or ')
            FROM et n
           WHERE n.resource_key = fs.resource_key
             AND n.key_norm <> req.key_norm
             AND key_fold(n.key) = key_fold(req.key)) AS near
  FROM fs
  CROSS JOIN req
  LEFT JOIN et e
    ON e.resource_key = fs.resource_key
   AND e.key_norm = req.key_norm
   AND e.source IN (SELECT source FROM src)
),
judged AS MATERIALIZED (
  SELECT resource_key, key, source, evidence_id,
         CASE WHEN value IS NULL
              THEN 'missing ''' || key || '''' ||
                   coalesce(' (did you mean ' || near || '?)', '')
              WHEN trim(value) = ''
              THEN '''' || key || ''' is empty'
         END AS problem
  FROM per_key
  ORDER BY resource_key, key
),
-- Per file system in one pass over judged (its rows in judged's order),
-- not a scan of judged for each file system.
summed AS MATERIALIZED (
  SELECT resource_key, count(problem) AS problems, count(key) AS keys,
         group_concat(problem, '; ') AS problem_list,
         group_concat(key ||
                      CASE WHEN source = 'resource' THEN ''
                           ELSE ' (from the ' || replace(source, '_', ' ') ||
                                ')'
                      END, ', ') AS present,
         json_group_array(evidence_id) FILTER (WHERE evidence_id IS NOT NULL)
           AS ids
  FROM judged
  GROUP BY resource_key
)
SELECT fs.resource_id,
       CASE WHEN s.problems > 0 THEN 'alarm' ELSE 'ok' END AS status,
       CASE WHEN s.problems > 0
            THEN 'required tags: ' || s.problem_list
            WHEN coalesce(s.keys, 0) = 0
            THEN 'no tags are required'
            ELSE 'required tags present: ' || s.present
       END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT fs.evidence_id AS id
          UNION
          SELECT value FROM json_each(s.ids))) AS evidence
FROM fs
LEFT JOIN summed s ON s.resource_key = fs.resource_key
ORDER BY fs.resource_id;
