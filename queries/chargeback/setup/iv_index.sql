-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- An index of cb_iv by file system and first day.
CREATE INDEX temp.cb_iv_key ON cb_iv(resource_key, d_from);
