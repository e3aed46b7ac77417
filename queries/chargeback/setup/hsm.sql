-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_hsm: the storage accounts each file system names as its HSM
-- container's or logging container's (sa_key), with the days [d_from,
-- d_to) of the snapshot naming it (cb_iv). A related resource named so
-- follows that file system's allocation on those days (setup/subj.sql).
-- Parameters: none
CREATE TEMP TABLE cb_hsm AS
WITH
hsm0 AS (
  SELECT iv.resource_key AS fs_key, iv.d_from, iv.d_to, f.hsm_container AS id
  FROM cb_iv iv
  JOIN filesystems f ON f.run_id = iv.run_id AND f.resource_key = iv.resource_key
  UNION ALL
  SELECT iv.resource_key, iv.d_from, iv.d_to, f.hsm_logging_container
  FROM cb_iv iv
  JOIN filesystems f ON f.run_id = iv.run_id AND f.resource_key = iv.resource_key
)
SELECT fs_key, d_from, d_to,
       CAST(lower(substr(id, 1, instr(lower(id), '/blobservices/') - 1))
            AS TEXT) AS sa_key
FROM hsm0
WHERE instr(lower(id), '/blobservices/') > 1
ORDER BY sa_key, d_from, fs_key;
