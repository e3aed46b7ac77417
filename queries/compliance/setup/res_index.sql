-- A setup statement of report compliance (reports/compliance.json): the
-- index comp_res is read by (compliance/resources.sql.inc).
CREATE UNIQUE INDEX temp.comp_res_id ON comp_res(resource_id);
