-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- An index of cb_hsm by storage account.
CREATE INDEX temp.cb_hsm_key ON cb_hsm(sa_key, d_from);
