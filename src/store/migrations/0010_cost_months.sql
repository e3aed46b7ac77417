-- amlfs-audit history, version 10: cost by month, for reports that read
-- many months (the chargeback's 12-month trend reads a month of a file
-- system as one row instead of some sixty daily ones).
--
-- cost_months holds, per cost source, superseding source (NULL: current),
-- resource, currency, billing tags and month, that month's cost as
-- running totals by day (amlfs_month_totals(), src/store/db.c): 31
-- records of 48 characters, record n the ActualCost micro-units of days 1
-- to n (20 characters), the AmortizedCost ones (20), the number of those
-- days with a row (4) and of those with AmortizedCost (4). The cost of
-- days a to b is two substr()s, total(b) - total(a - 1), whatever days a
-- report needs (the days a collection run was in force); with the source
-- and supersession kept, a report as of any time selects the rows it
-- would have read.
--
-- It is a cache of cost_rows, never an input of its own:
-- cost_months_derived is its definition; every import (import-costs,
-- collect's cost queries) rebuilds the months of the resources it touched
-- from it (src/costs/costs.c), and verify compares the whole table with
-- it over the cost rows read again from the evidence.
CREATE VIEW cost_months_derived AS
SELECT source, superseded_by, resource_key, currency, tags,
       substr(day, 1, 7) AS month,
       amlfs_month_totals(CAST(substr(day, 9, 2) AS INTEGER),
                          CASE WHEN cost_type = 'ActualCost'
                               THEN cost_micros END,
                          CASE WHEN cost_type = 'AmortizedCost'
                               THEN cost_micros END) AS totals
FROM cost_rows
GROUP BY source, superseded_by, resource_key, currency, tags,
         substr(day, 1, 7);

CREATE TABLE cost_months (
	source        INTEGER NOT NULL REFERENCES cost_sources(id),
	superseded_by INTEGER REFERENCES cost_sources(id),
	resource_key  TEXT NOT NULL,
	currency      TEXT NOT NULL,
	tags          TEXT,
	month         TEXT NOT NULL,     -- YYYY-MM
	totals        TEXT NOT NULL      -- 31 x 48 characters, see above
);
CREATE INDEX cost_months_key ON cost_months(month, resource_key);

INSERT INTO cost_months SELECT * FROM cost_months_derived;
