-- id: root-squash-none
-- title: Root squash is on
-- severity: medium
-- rationale: With root squash None (or no rootSquashSettings) root on any
--   client is root on the whole file system: one compromised or careless
--   client can read and delete everyone's files.
-- remediation: Set rootSquashSettings.mode to RootOnly or All, listing
--   trusted admin clients in noSquashNidLists.
-- reads: filesystems
-- scope: filesystem
SELECT f.resource_id,
       CASE WHEN f.root_squash_mode IS NULL OR f.root_squash_mode = 'None'
            THEN 'alarm' ELSE 'ok' END AS status,
       CASE WHEN f.root_squash_mode IS NULL
            THEN 'no root squash settings: root on a client is root on the ' ||
                 'file system'
            WHEN f.root_squash_mode = 'None'
            THEN 'root squash None: root on a client is root on the file ' ||
                 'system'
            ELSE 'root squash ' || f.root_squash_mode ||
                 coalesce(' (not squashed: ' || f.root_squash_nids || ')', '')
       END AS reason,
       json_array(f.evidence_id) AS evidence
FROM filesystems f
WHERE f.run_id = :run
ORDER BY f.resource_id;
