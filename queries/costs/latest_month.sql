-- The month of the newest cost day held, as YYYY-MM (NULL when none).
-- Parameters: none
-- Columns: month
SELECT substr(max(day), 1, 7) AS month FROM cost_rows WHERE superseded_by IS NULL;
