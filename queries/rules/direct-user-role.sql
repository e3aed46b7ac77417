-- id: direct-user-role
-- title: No Owner or Contributor granted directly to a user on the file system
-- severity: medium
-- rationale: Write access to a file system should come through groups or
--   identities that are reviewed; a user granted Owner or Contributor on
--   the file system itself keeps it past team changes and is missed by
--   reviews of the resource group.
-- remediation: Remove the assignment and grant the role to a group the
--   user belongs to (or use Privileged Identity Management).
-- param: roles = 8e3af657-a8ff-443c-a75c-2fe8c4bcb635,b24988ac-6180-42a0-ab88-20f7382a24c7  Role definition GUIDs that must not be granted directly (default Owner, Contributor)
-- param: principal_types = User  Principal types that must not hold them at the file system's scope
-- reads: filesystems, role_assignments, list_reads
--
-- Only assignments whose scope is the file system itself count (those of
-- its resource group and subscription are listed with it but are not
-- "on the file system"). A run that could not read the assignments
-- skips it.
WITH reads AS MATERIALIZED (
  SELECT subject_key, evidence_id
  FROM list_reads
  WHERE run_id = :run AND kind = 'role_assignments'
    AND http_status BETWEEN 200 AND 299 AND projected = 1
),
read_keys AS MATERIALIZED (
  SELECT DISTINCT subject_key FROM reads
),
roles AS MATERIALIZED (
  SELECT lower(value) AS v FROM json_each(split_list(:roles))
),
ptypes AS MATERIALIZED (
  SELECT lower(value) AS v FROM json_each(split_list(:principal_types))
),
-- Computed once for the run, grouped by file system: not once per file
-- system (the run may hold thousands of assignments).
bad AS MATERIALIZED (
  SELECT a.fs_key,
         group_concat(
           CASE lower(a.role)
             WHEN '8e3af657-a8ff-443c-a75c-2fe8c4bcb635' THEN 'Owner'
             WHEN 'b24988ac-6180-42a0-ab88-20f7382a24c7' THEN 'Contributor'
             ELSE a.role END || ' to ' || a.principal_type || ' ' ||
           a.principal_id, '; ') AS what
  FROM (SELECT r.*,
               -- the role definition's GUID: the id's last segment
               replace(r.role_definition_id, rtrim(r.role_definition_id,
                       replace(r.role_definition_id, '/', '')), '') AS role
          FROM role_assignments r
         WHERE r.run_id = :run) a
  WHERE lower(a.scope) = a.fs_key
    AND lower(a.principal_type) IN (SELECT v FROM ptypes)
    AND lower(a.role) IN (SELECT v FROM roles)
  GROUP BY a.fs_key
),
judged AS (
  SELECT f.resource_id, f.resource_key, f.evidence_id,
         k.subject_key IS NOT NULL AS was_read,
         b.what AS bad
  FROM filesystems f
  LEFT JOIN read_keys k ON k.subject_key = f.resource_key
  LEFT JOIN bad b ON b.fs_key = f.resource_key
  WHERE f.run_id = :run
)
SELECT j.resource_id,
       CASE WHEN NOT j.was_read THEN 'skip'
            WHEN j.bad IS NOT NULL THEN 'alarm'
            ELSE 'ok' END AS status,
       CASE WHEN NOT j.was_read
            THEN 'role assignments were not read in this run'
            WHEN j.bad IS NOT NULL
            THEN 'granted directly on the file system: ' || j.bad
            ELSE 'none of the roles granted directly to a ' ||
                 replace(:principal_types, ',', ' or ') ||
                 ' on the file system'
       END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT j.evidence_id AS id
          UNION
          SELECT r.evidence_id FROM reads r
           WHERE r.subject_key = j.resource_key)) AS evidence
FROM judged j
ORDER BY j.resource_id;
