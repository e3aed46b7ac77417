-- id: owner-email
-- title: The owner tag is an e-mail address
-- severity: low
-- rationale: Alerts and chargeback questions go to the owner; a name such
--   as 'Hannah Okafor' or a team label cannot be mailed.
-- remediation: Set the owner tag to a mailbox that is read (a person or a
--   team's shared address).
-- param: key = Owner  The owner tag key (compared case-insensitively)
-- param: pattern = ^[^@\s]+@[^@\s]+\.[^@\s.]+$  PCRE2 pattern of an acceptable address
-- param: sources = resource,resource_group,subscription  Where the tag may come from (comma-separated)
-- reads: filesystems, effective_tags
-- scope: filesystem
WITH fs AS (
  SELECT resource_id, resource_key, evidence_id
  FROM filesystems
  WHERE run_id = :run
)
SELECT fs.resource_id,
       CASE WHEN e.value IS NULL THEN 'skip'
            WHEN trim(e.value) REGEXP :pattern THEN 'ok'
            ELSE 'alarm' END AS status,
       CASE WHEN e.value IS NULL
            THEN 'no ''' || :key || ''' tag (required-tags reports it)'
            WHEN trim(e.value) REGEXP :pattern
            THEN '''' || e.key || ''' is an e-mail address: ' || e.value
            ELSE '''' || e.key || ''' = ''' || e.value ||
                 ''' is not an e-mail address'
       END ||
       CASE WHEN e.source IS NOT NULL AND e.source <> 'resource'
            THEN ' (from the ' || replace(e.source, '_', ' ') || ')'
            ELSE '' END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT fs.evidence_id AS id
          UNION SELECT e.evidence_id WHERE e.evidence_id IS NOT NULL))
         AS evidence
FROM fs
LEFT JOIN effective_tags e
  ON e.run_id = :run AND e.resource_key = fs.resource_key
 AND e.key_norm = lower(:key)
 AND e.source IN (SELECT lower(value) FROM json_each(split_list(:sources)))
ORDER BY fs.resource_id;
