-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- An index of cb_lines by resource and currency (the cost centers of a
-- file system, chargeback/by_filesystem.sql).
CREATE INDEX temp.cb_lines_key ON cb_lines(resource_key, currency, cost_center);
