-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- An index of cb_iv by file system and first day, covering the run in
-- force (its rows are wide: what the reports read of each snapshot).
CREATE INDEX temp.cb_iv_key ON cb_iv(resource_key, d_from, d_to, run_id);
