-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_dec: one decision (rowid: did) per distinct subject, billing tags
-- and snapshot of cb_subj, in that order.
-- Parameters: none
CREATE TEMP TABLE cb_dec AS
SELECT skey, stags, run_id, max(is_fs) AS is_fs
FROM cb_subj
GROUP BY skey, stags, run_id
ORDER BY skey, stags, run_id;
