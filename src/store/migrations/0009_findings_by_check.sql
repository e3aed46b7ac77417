-- Findings are written a check at a time and read a check at a time
-- (check_run = ?, then rule and resource: the first-seen carry, the
-- chain hash, --recheck, the compliance queries). One index keyed that
-- way replaces findings_check and findings_open (rule, resource_id,
-- check_run), which put each new check's rows between every earlier
-- check's: saving 20,000 findings dirtied a page of that index per
-- finding (1 s of a 1,000-file-system check with 50 checks held). Now a
-- check's index entries are appended together.
DROP INDEX findings_open;
DROP INDEX findings_check;
CREATE INDEX findings_check ON findings(check_run, rule, resource_id);
