-- STUB (replaced by the compliance report's branch): findings of the checks
-- that judged the run, counted by rule and status.
-- Parameters: :run
-- Columns: rule, status, n
SELECT rule, status, count(*) AS n
FROM findings WHERE judged_run = :run
GROUP BY rule, status ORDER BY rule, status;
