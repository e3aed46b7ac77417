-- Findings are written a check at a time and read a check at a time
-- (check_run = ?, then rule and resource: the first-seen carry, the
-- compliance queries). An index keyed that way replaces findings_open
-- (rule, resource_id, check_run), which put each new check's rows
-- between every earlier check's: saving 20,000 findings dirtied a page
-- of it per finding (1 s of a 1,000-file-system check with 50 checks
-- held). Now a check's entries are appended together. findings_check
-- (check_run) stays: it reads a check's findings in id order (the chain
-- hash, --recheck) without a sort.
DROP INDEX IF EXISTS findings_open;
CREATE INDEX IF NOT EXISTS findings_key ON findings(check_run, rule, resource_id);
