-- amlfs-audit history, version 6: money summed exactly.
--
-- cost_micros is a row's cost in micro-units (millionths of its currency)
-- as an integer, read from the export's decimal text digit by digit
-- (never through a double) and rounded half to even past the sixth
-- decimal (exports print up to 16). Sums of it are exact: SQLite adds
-- integers exactly and fails with "integer overflow" rather than wrap,
-- which takes 9.2 * 10^12 currency units (nano-units would overflow at
-- 9.2 * 10^9: a year of a large estate billed in KRW or IDR). Reports and
-- rules sum cost_micros; cost (REAL) stays for older queries.
--
-- Rows held before are filled from their REAL cost by amlfs_micros() (a
-- function of the store: the shortest decimal that reads back as the
-- double, i.e. the export's own text whenever it had at most 15
-- significant digits, read as above), so verify, which reads the kept
-- lines again, finds the same integers.
ALTER TABLE cost_rows ADD COLUMN cost_micros INTEGER;
UPDATE cost_rows SET cost_micros = amlfs_micros(cost);
