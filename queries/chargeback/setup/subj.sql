-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_subj: for each group of cb_grp (gid, its rowid), whose tags decide
-- it: its own resource's, or those of the file system it follows (with that
-- file system's billing tags of the day, if any), and the collection run in
-- force that day for it (cb_iv).
-- Parameters: none
CREATE TEMP TABLE cb_subj AS
WITH
-- A related resource (not a file system) named that day by a file system
-- as its HSM container's or logging container's storage account (cb_hsm)
-- follows that file system (the first by id when several name it); the
-- storage account's groups looked up by index (cb_hsm is small).
link AS (
  SELECT g.rowid AS gid, min(h.fs_key) AS fs_key
  FROM cb_hsm h
  JOIN cb_grp g ON g.resource_key = h.sa_key AND g.day >= h.d_from
   AND g.day < h.d_to
  WHERE NOT g.is_fs
  GROUP BY g.rowid
),
subj0 AS (
  SELECT g.rowid AS gid, g.resource_key, g.resource_id, g.day, g.currency,
         g.actual, g.amortized, g.is_fs AS own_fs, l.fs_key,
         CAST(coalesce(l.fs_key, g.resource_key) AS TEXT) AS skey,
         CASE WHEN l.fs_key IS NULL THEN g.tags
              ELSE (SELECT min(x.tags) FROM cb_grp x
                    WHERE x.resource_key = l.fs_key AND x.day = g.day)
         END AS stags,
         (g.is_fs OR l.fs_key IS NOT NULL) AS is_fs
  FROM cb_grp g
  LEFT JOIN link l ON l.gid = g.rowid
)
SELECT s.*, iv.run_id
FROM subj0 s
LEFT JOIN cb_iv iv ON iv.resource_key = s.skey
 AND iv.d_from <= s.day AND s.day < iv.d_to
ORDER BY s.gid;
