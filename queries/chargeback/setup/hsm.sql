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
  SELECT resource_key AS fs_key, d_from, d_to, hsm_container AS id FROM cb_iv
  UNION ALL
  SELECT resource_key, d_from, d_to, hsm_logging_container FROM cb_iv
)
SELECT fs_key, d_from, d_to,
       CAST(lower(substr(id, 1, instr(lower(id), '/blobservices/') - 1))
            AS TEXT) AS sa_key
FROM hsm0
WHERE instr(lower(id), '/blobservices/') > 1
ORDER BY sa_key, d_from, fs_key;
