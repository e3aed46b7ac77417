-- id: tag-value-format
-- title: Tag values have the expected format
-- severity: medium
-- rationale: Chargeback joins on tag values: a cost center spelled
--   'cc 4410' instead of 'CC-4410' or an environment 'Prod ' instead of
--   'prod' falls out of every report that groups by it.
-- remediation: Correct the tag value on the file system (or on the
--   resource group or subscription it inherits it from).
-- param: formats = {"CostCenter":"^[A-Z][A-Z0-9]{1,9}-[0-9]{2,6}$"}  JSON object: tag key -> PCRE2 pattern its value must match
-- param: allowed = {"env":["prod","staging","test","dev"],"environment":["Production","Staging","Test","Dev"]}  JSON object: tag key -> array of allowed values (case-sensitive)
-- param: sources = resource,resource_group,subscription  Where a tag may come from (comma-separated)
-- reads: filesystems, effective_tags
-- scope: filesystem
--
-- Keys compare case-insensitively. A file system with none of the keys is
-- skipped (required-tags reports missing tags).
WITH fs AS (
  SELECT resource_id, resource_key, evidence_id
  FROM filesystems
  WHERE run_id = :run
),
-- The run's tags, once (the view is a three-way union).
et AS MATERIALIZED (
  SELECT * FROM effective_tags WHERE run_id = :run
),
tagged AS (
  SELECT fs.resource_key, e.key_norm, e.key, e.value, e.source,
         e.evidence_id
  FROM fs
  JOIN et e
    ON e.resource_key = fs.resource_key
   AND e.source IN (SELECT lower(value) FROM json_each(split_list(:sources)))
),
checks AS MATERIALIZED (
  SELECT t.resource_key, t.key, t.evidence_id,
         CASE WHEN NOT (t.value REGEXP f.value)
              THEN '''' || t.key || ''' = ''' || t.value ||
                   ''' does not match ' || f.value
         END AS problem
  FROM tagged t
  JOIN json_each(:formats) f ON lower(f.key) = t.key_norm
  UNION ALL
  SELECT t.resource_key, t.key, t.evidence_id,
         CASE WHEN NOT EXISTS (SELECT 1 FROM json_each(a.value) v
                                WHERE v.value = t.value)
              THEN '''' || t.key || ''' = ''' || t.value ||
                   ''' is not one of ' ||
                   (SELECT group_concat(v.value, ', ')
                      FROM json_each(a.value) v)
         END
  FROM tagged t
  JOIN json_each(:allowed) a ON lower(a.key) = t.key_norm
),
-- Per file system in one pass over checks (its rows in checks' order),
-- not a scan of checks for each file system.
summed AS MATERIALIZED (
  SELECT resource_key, count(problem) AS problems, count(key) AS keys,
         group_concat(problem, '; ') AS problem_list,
         json_group_array(key) AS key_list,
         json_group_array(evidence_id) AS ids
  FROM checks
  GROUP BY resource_key
)
SELECT fs.resource_id,
       CASE WHEN s.problems > 0 THEN 'alarm'
            WHEN coalesce(s.keys, 0) = 0 THEN 'skip'
            ELSE 'ok' END AS status,
       CASE WHEN s.problems > 0 THEN s.problem_list
            WHEN coalesce(s.keys, 0) = 0
            THEN 'no tag with a format or a list of allowed values'
            ELSE 'tag values well-formed: ' ||
                 (SELECT group_concat(k, ', ') FROM
                    (SELECT DISTINCT value AS k FROM json_each(s.key_list)
                      ORDER BY 1))
       END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT fs.evidence_id AS id
          UNION
          SELECT value FROM json_each(s.ids))) AS evidence
FROM fs
LEFT JOIN summed s ON s.resource_key = fs.resource_key
ORDER BY fs.resource_id;
