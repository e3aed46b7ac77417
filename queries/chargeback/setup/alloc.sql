-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_alloc: the allocation of the report's period (:from to :to, else the
-- month :month), a row per group of cost and part.
-- Parameters: :from, :to, :month
CREATE TEMP TABLE cb_alloc AS
WITH
-- include: chargeback/month.sql.inc
subj_in AS (SELECT * FROM cb_subj),
-- include: chargeback/alloc.sql.inc
SELECT * FROM alloc ORDER BY gid;
