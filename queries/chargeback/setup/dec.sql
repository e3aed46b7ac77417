-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_dec: one decision (rowid: did) per distinct subject, billing tags
-- and snapshot of cb_subj and of the trend's pieces (cb_tpiece: the
-- resource itself), in that order.
-- Parameters: none
CREATE TEMP TABLE cb_dec AS
SELECT skey, stags, run_id, max(is_fs) AS is_fs
FROM (SELECT skey, stags, run_id, is_fs FROM cb_subj
      UNION ALL
      SELECT resource_key, tags, run_id, is_fs FROM cb_tpiece)
GROUP BY skey, stags, run_id
ORDER BY skey, stags, run_id;
