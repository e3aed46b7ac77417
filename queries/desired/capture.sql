-- The desired-state entry of each file system in a run, from the ARM JSON
-- the run stored (raw_items): what 'amlfs-audit desired capture' writes,
-- as a starting point to edit (src/policy/drift.h has the format).
--
-- Kept: name (and id when two file systems of the run share the name),
-- location, sku, zones, identity, properties and tags, each only when
-- the resource has it. Dropped as read-only or changing by itself: id,
-- type and systemData (who and when: timestamps), etag, and in
-- properties provisioningState, health, clientInfo (mgsAddress,
-- mountCommand, lustreVersion, containerStorageInterface),
-- throughputProvisionedMBps (follows from sku and capacity),
-- hsm.archiveStatus (progress and timestamps) and
-- rootSquashSettings.status; in identity principalId and tenantId, and
-- the principalId and clientId of each user-assigned identity (kept as
-- {}, which asks only that it is assigned).
-- Parameters: :run_id
-- Columns: id, name, location, sku (JSON), zones (JSON), identity (JSON),
--   properties (JSON), tags (JSON); NULL when the resource lacks it. id
--   is NULL unless the name is not unique in the run.
WITH fs AS (
	SELECT f.resource_id, f.name, f.subscription_id, f.resource_group,
	       f.resource_key, r.raw_json AS j,
	       count(*) OVER (PARTITION BY lower(f.name)) AS same_name
	  FROM filesystems f
	  JOIN raw_items r ON r.run_id = f.run_id AND r.kind = 'fs'
			  AND r.resource_key = f.resource_key
	 WHERE f.run_id = :run_id
)
SELECT CASE WHEN same_name > 1 THEN resource_id END AS id,
       name,
       json_extract(j, '$.location') AS location,
       CASE WHEN json_type(j, '$.sku') = 'object'
	    THEN json_extract(j, '$.sku') END AS sku__json,
       CASE WHEN json_type(j, '$.zones') = 'array'
	    THEN json_extract(j, '$.zones') END AS zones__json,
       CASE WHEN json_type(j, '$.identity') <> 'object' THEN NULL
	    WHEN json_type(j, '$.identity.userAssignedIdentities') = 'object'
	    THEN json_set(json_remove(json_extract(j, '$.identity'),
				      '$.principalId', '$.tenantId'),
			  '$.userAssignedIdentities',
			  (SELECT json_group_object(key, json('{}'))
			     FROM json_each(j, '$.identity.userAssignedIdentities')))
	    ELSE json_remove(json_extract(j, '$.identity'),
			     '$.principalId', '$.tenantId') END AS identity__json,
       CASE WHEN json_type(j, '$.properties') = 'object'
	    THEN json_remove(json_extract(j, '$.properties'),
			     '$.provisioningState', '$.health', '$.clientInfo',
			     '$.throughputProvisionedMBps',
			     '$.hsm.archiveStatus',
			     '$.rootSquashSettings.status') END AS properties__json,
       CASE WHEN json_type(j, '$.tags') = 'object'
	    THEN json_extract(j, '$.tags') END AS tags__json
FROM fs
ORDER BY subscription_id, lower(resource_group), lower(name), resource_key;
