-- Reports read a period's cost rows by day (the chargeback datasets): an
-- index, so a month is read without scanning every row held.
CREATE INDEX cost_rows_day ON cost_rows(day);
