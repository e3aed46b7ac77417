-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- An index of cb_grp by resource and day.
CREATE INDEX temp.cb_grp_key ON cb_grp(resource_key, day);
