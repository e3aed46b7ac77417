-- id: zones-required
-- title: The file system is pinned to an availability zone
-- severity: low
-- rationale: Clients in the same zone as the file system get the lowest
--   latency and no cross-zone traffic; a file system without a zone
--   cannot be placed next to its compute.
-- remediation: Zones are set at creation: recreate the file system with
--   zones matching its clients.
-- param: min_zones = 1  Fewest zones that pass
-- reads: filesystems
-- scope: filesystem
SELECT f.resource_id,
       CASE WHEN json_array_length(coalesce(f.zones, '[]')) >= :min_zones
            THEN 'ok' ELSE 'alarm' END AS status,
       CASE WHEN json_array_length(coalesce(f.zones, '[]')) = 0
            THEN 'no availability zone'
            ELSE 'zones ' || (SELECT group_concat(value, ', ')
                                FROM json_each(f.zones))
       END ||
       CASE WHEN json_array_length(coalesce(f.zones, '[]')) < :min_zones
            THEN printf(' (%d needed)', :min_zones) ELSE '' END AS reason,
       json_array(f.evidence_id) AS evidence
FROM filesystems f
WHERE f.run_id = :run
ORDER BY f.resource_id;
