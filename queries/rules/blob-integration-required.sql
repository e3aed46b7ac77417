-- id: blob-integration-required
-- title: Blob integration is configured
-- severity: medium
-- rationale: Without a linked Blob container (hsm settings) nothing on the
--   file system can be imported, exported or archived: its data lives and
--   dies with it.
-- remediation: Blob integration is set at creation: recreate the file
--   system with a container and a logging container, or exempt scratch
--   file systems that need none.
-- reads: filesystems
-- scope: filesystem
SELECT f.resource_id,
       CASE WHEN f.hsm_container IS NULL THEN 'alarm' ELSE 'ok' END
         AS status,
       CASE WHEN f.hsm_container IS NULL
            THEN 'no Blob integration (no hsm settings)'
            ELSE 'Blob integration with container ' ||
                 replace(f.hsm_container, rtrim(f.hsm_container,
                         replace(f.hsm_container, '/', '')), '')
       END AS reason,
       json_array(f.evidence_id) AS evidence
FROM filesystems f
WHERE f.run_id = :run
ORDER BY f.resource_id;
