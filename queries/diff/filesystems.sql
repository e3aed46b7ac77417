-- File systems added and removed between two runs: in :to and not in
-- :from ('added'), or the other way round ('removed'). A file system
-- is the same one in both runs when its ARM id matches, case aside.
-- Parameters: :from, :to (run ids: what changed from :from to :to)
-- Columns: change ('added' or 'removed'), id, name, subscription_id,
--   resource_group, location, sku, capacity_tib, provisioning_state
SELECT change, id, name, subscription_id, resource_group, location, sku,
       capacity_tib, provisioning_state
FROM (SELECT 'added' AS change, b.resource_id AS id, b.name,
             b.subscription_id, b.resource_group, b.location, b.sku,
             b.capacity_tib, b.provisioning_state
        FROM filesystems b
       WHERE b.run_id = :to
         AND NOT EXISTS (SELECT 1 FROM filesystems a
                          WHERE a.run_id = :from
                            AND a.resource_key = b.resource_key)
      UNION ALL
      SELECT 'removed', a.resource_id, a.name, a.subscription_id,
             a.resource_group, a.location, a.sku, a.capacity_tib,
             a.provisioning_state
        FROM filesystems a
       WHERE a.run_id = :from
         AND NOT EXISTS (SELECT 1 FROM filesystems b
                          WHERE b.run_id = :to
                            AND b.resource_key = a.resource_key))
ORDER BY change, subscription_id, lower(resource_group), lower(name);
