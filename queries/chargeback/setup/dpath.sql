-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_dpath: the related resources with cost in the window (the report's
-- period and the trend's 12 months) that follow a file system on some day
-- (cb_hsm; follows = 1), and the file systems they follow (follows = 0).
-- Their days of the whole window are grouped (setup/grp.sql), since the
-- trend allocates a follower day by day, with its file system's billing
-- tags of the day (setup/trend.sql); every other resource's trend is
-- read by month (cost_months, setup/tpiece.sql).
-- Parameters: :from, :to, :month (the window, as setup/grp.sql's)
CREATE TEMP TABLE cb_dpath AS
WITH
-- include: chargeback/window.sql.inc
,sa AS (
  SELECT DISTINCT h.sa_key
  FROM cb_hsm h
  WHERE h.sa_key NOT LIKE '%/providers/microsoft.storagecache/amlfilesystems/%'
    AND EXISTS (SELECT 1 FROM cost_rows r, period p
                WHERE r.resource_key = h.sa_key
                  AND r.day BETWEEN p.p_from AND p.p_to)
)
SELECT sa_key AS resource_key, 1 AS follows FROM sa
UNION
SELECT h.fs_key, 0 FROM cb_hsm h WHERE h.sa_key IN (SELECT sa_key FROM sa)
ORDER BY 1;
