-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- An index of cb_parts by decision.
CREATE INDEX temp.cb_parts_did ON cb_parts(did);
