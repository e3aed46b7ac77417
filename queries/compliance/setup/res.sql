-- A setup statement of report compliance (reports/compliance.json), after
-- setup/agg.sql: every resource of the period's findings once, with more
-- columns, all read from the ARM id itself (no join with the inventory):
-- fs_key, the file system the resource is about (its lower-case ARM id:
-- the resource's own, or a job's file system's; NULL when it is no file
-- system's), fs_name and resource_group (as the id spells them; NULL when
-- it names none) and subscription (lower case; NULL when it names none).
-- (k_, p_, g_, s_ and fs_ are scratch, each computed once in its own
-- step: inlined, the steps repeated lower() dozens of times a row.)
-- Read through compliance/resources.sql.inc.
-- Parameters: none
CREATE TEMP TABLE comp_res AS
WITH
rk_k AS MATERIALIZED (
	SELECT resource_id, lower(resource_id) AS k_
	  FROM (SELECT DISTINCT resource_id FROM comp_agg)
),
rk_p AS MATERIALIZED (
	SELECT rk_k.*,
	       CASE WHEN instr(k_, '/providers/microsoft.storagecache/amlfilesystems/')
	            THEN instr(k_, '/providers/microsoft.storagecache/amlfilesystems/')
	                 + 33 ELSE 0 END AS p_,
	       instr(k_, '/resourcegroups/') AS g_,
	       k_ LIKE '/subscriptions/%' AS s_
	  FROM rk_k
),
rk_f AS MATERIALIZED (
	SELECT rk_p.*,
	       CASE WHEN p_ > 0 AND s_
	            THEN substr(resource_id, p_ + 16,
	                 CASE WHEN instr(substr(resource_id, p_ + 16), '/')
	                      THEN instr(substr(resource_id, p_ + 16), '/') - 1
	                      ELSE length(resource_id) END)
	            ELSE '' END AS fs_
	  FROM rk_p
),
rk AS (
	SELECT resource_id,
	       CASE WHEN fs_ <> '' THEN substr(k_, 1, p_ + 15 + length(fs_)) END
	         AS fs_key,
	       nullif(fs_, '') AS fs_name,
	       CASE WHEN g_ > 0 AND s_
	            THEN substr(resource_id, g_ + 16,
	                        CASE WHEN instr(substr(resource_id, g_ + 16), '/')
	                             THEN instr(substr(resource_id, g_ + 16), '/') - 1
	                             ELSE length(resource_id) END)
	       END AS resource_group,
	       CASE WHEN k_ LIKE '/subscriptions/_%'
	            THEN substr(k_, 16, CASE WHEN instr(substr(k_, 16), '/')
	                                    THEN instr(substr(k_, 16), '/') - 1
	                                    ELSE length(k_) END)
	       END AS subscription
	  FROM rk_f
)
SELECT resource_id, fs_key, fs_name, resource_group, subscription FROM rk;
