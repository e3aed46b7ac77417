-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- An index of cb_dec by what it decides.
CREATE INDEX temp.cb_dec_key ON cb_dec(skey, stags, run_id);
