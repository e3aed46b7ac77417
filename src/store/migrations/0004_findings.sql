-- Findings of `amlfs-audit check`. A check is a link of the evidence
-- chain: a run (source 'check') whose evidence is the policy, the desired
-- state and every rule's SQL it used, and whose hash covers its findings
-- (src/store/chain.c), so an edited finding shows in `verify`.
CREATE TABLE findings (
	id          INTEGER PRIMARY KEY,
	check_run   INTEGER NOT NULL REFERENCES runs(id),
	judged_run  INTEGER NOT NULL REFERENCES runs(id),
	rule        TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	status      TEXT NOT NULL
	            CHECK (status IN ('ok', 'alarm', 'exempt', 'skip', 'error')),
	severity    TEXT NOT NULL
	            CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
	reason      TEXT NOT NULL,
	evidence    TEXT,           -- JSON array of evidence ids the rule used
	detail      TEXT,           -- JSON (drift: path, desired, live)
	exemption   TEXT,           -- the exemption that made it 'exempt'
	first_seen  TEXT NOT NULL   -- when it was first open (alarm or exempt)
);
CREATE INDEX findings_check ON findings(check_run);
CREATE INDEX findings_open ON findings(rule, resource_id, check_run);
