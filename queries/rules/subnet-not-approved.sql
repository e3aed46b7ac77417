-- id: subnet-not-approved
-- title: The file system is in an approved subnet
-- severity: medium
-- rationale: Network reviews approve the subnets Lustre traffic may use
--   (peering, firewalls, NSGs); a file system elsewhere bypasses them.
-- remediation: The subnet is set at creation: recreate the file system in
--   an approved subnet, or get the subnet approved and add it to the
--   pattern.
-- param: approved = (?i)/subnets/snet-(amlfs|lustre)[^/]*$  PCRE2 pattern the subnet resource id must match
-- reads: filesystems
-- scope: filesystem
SELECT f.resource_id,
       CASE WHEN f.subnet_id IS NULL THEN 'skip'
            WHEN f.subnet_id REGEXP :approved THEN 'ok'
            ELSE 'alarm' END AS status,
       CASE WHEN f.subnet_id IS NULL THEN 'no subnet reported'
            WHEN f.subnet_id REGEXP :approved
            THEN 'subnet ' || f.subnet_id || ' is approved'
            ELSE 'subnet ' || f.subnet_id || ' is not approved (does not ' ||
                 'match ' || :approved || ')'
       END AS reason,
       json_array(f.evidence_id) AS evidence
FROM filesystems f
WHERE f.run_id = :run
ORDER BY f.resource_id;
