-- Findings in runs of checks: derived data, so that a report over a
-- month of checks reads a few rows per rule and resource instead of
-- every finding (the compliance report's pass rates and spans: 614,340
-- findings of 1,000 file systems x 30 checks grouped in 1.8 s).
-- finding_runs: one row per maximal run of consecutive checks (every
-- check run, source 'check', in id order) in which a rule and resource
-- had per_check findings with exactly these severity, exemption, status
-- and first_seen. check writes its own time as the first_seen of what
-- is not open (ok, skip, error), which would make each such finding a
-- row of its own: first_seen is NULL for 'ok' (no report reads it) and
-- for a skip or an error whose first_seen is its check's checked_at in
-- finding_checks (the earliest first_seen of the check's ok, skip and
-- error findings).
-- Checks first_check to last_check (their ids) each hold them; a check
-- between them that held anything else ends the run.
-- `check` extends or starts rows as it saves its findings
-- (store/finding_runs.c, in the same transaction); `verify` derives them
-- again from the findings, check by check, and compares.
-- Nothing here is hashed into the chain: it is not evidence.
CREATE TABLE IF NOT EXISTS finding_runs (
	rule        TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	severity    TEXT NOT NULL,
	exemption   TEXT,
	status      TEXT NOT NULL,
	first_seen  TEXT,
	per_check   INTEGER NOT NULL,
	first_check INTEGER NOT NULL REFERENCES runs(id),
	last_check  INTEGER NOT NULL REFERENCES runs(id)
);
CREATE TABLE IF NOT EXISTS finding_checks (
	check_run  INTEGER PRIMARY KEY REFERENCES runs(id),
	checked_at TEXT NOT NULL
);
-- A new check extends the rows that end at the check before it.
CREATE INDEX IF NOT EXISTS finding_runs_last ON finding_runs(last_check, rule, resource_id);

-- The rows as the findings give them (gaps and islands: a run's checks
-- have consecutive positions among all checks).
CREATE VIEW IF NOT EXISTS finding_checks_derived AS
SELECT check_run, min(first_seen) AS checked_at
  FROM findings WHERE status IN ('ok', 'skip', 'error')
 GROUP BY check_run;
CREATE VIEW IF NOT EXISTS finding_runs_derived AS
WITH fc AS MATERIALIZED (SELECT * FROM finding_checks_derived),
seq AS (
	SELECT id, row_number() OVER (ORDER BY id) AS n
	  FROM runs WHERE source = 'check'
),
sig AS (
	SELECT f.check_run, s.n, f.rule, f.resource_id, f.severity,
	       f.exemption, f.status,
	       CASE WHEN f.status = 'ok' THEN NULL
	            WHEN f.status IN ('skip', 'error')
	             AND f.first_seen = c.checked_at THEN NULL
	            ELSE f.first_seen END AS first_seen,
	       count(*) AS per_check
	  FROM findings f JOIN seq s ON s.id = f.check_run
	  LEFT JOIN fc c ON c.check_run = f.check_run
	 GROUP BY f.check_run, f.rule, f.resource_id, f.severity, f.exemption,
	          f.status, 8
),
isl AS (
	SELECT sig.*, n - row_number() OVER (
	         PARTITION BY rule, resource_id, severity, exemption, status,
	                      first_seen, per_check ORDER BY n) AS island
	  FROM sig
)
SELECT rule, resource_id, severity, exemption, status, first_seen,
       per_check, min(check_run) AS first_check, max(check_run) AS last_check
  FROM isl
 GROUP BY rule, resource_id, severity, exemption, status, first_seen,
          per_check, island;

-- Built whole (again, when a history is migrated a second time).
DELETE FROM finding_checks;
DELETE FROM finding_runs;
INSERT INTO finding_checks SELECT * FROM finding_checks_derived;
INSERT INTO finding_runs SELECT * FROM finding_runs_derived;
