-- id: cmk-required
-- title: Data is encrypted with a customer-managed key
-- severity: medium
-- rationale: Policies for regulated data ask for keys the organisation
--   holds and can revoke; without encryptionSettings the file system uses
--   Microsoft-managed keys.
-- remediation: Customer-managed keys are set at creation (a Key Vault key
--   and a user-assigned identity): recreate the file system with them.
-- reads: filesystems
-- scope: filesystem
SELECT f.resource_id,
       CASE WHEN f.encryption_key_url IS NULL THEN 'alarm' ELSE 'ok' END
         AS status,
       CASE WHEN f.encryption_key_url IS NULL
            THEN 'encrypted with Microsoft-managed keys (no ' ||
                 'encryptionSettings.keyEncryptionKey)'
            ELSE 'customer-managed key ' || f.encryption_key_url
       END AS reason,
       json_array(f.evidence_id) AS evidence
FROM filesystems f
WHERE f.run_id = :run
ORDER BY f.resource_id;
