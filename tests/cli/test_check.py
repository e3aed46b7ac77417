"""check: rules over a run, the policy's severities, overrides and
exemptions, findings kept in the history (and under verify), exit codes
and every output format."""
import json
import os
import shutil

from harness import CliTest, main, FINDINGS, OK, RUNTIME, USAGE, SAMPLES, ROOT

POLICY = os.path.join(SAMPLES, "policy.ini")
DESIRED = os.path.join(SAMPLES, "desired.json")
LLM = ("/subscriptions/6f3c2b1e-8a47-4d9e-b5c2-1e7a9d4f0b63/resourceGroups/"
       "rg-ai-training/providers/Microsoft.StorageCache/amlFilesystems/"
       "amlfs-llm-scratch")


class Check(CliTest):
    def setUp(self):
        super().setUp()
        self.expect(OK, "collect", "--replay", self.copy_replay())

    def datadir(self):
        """A copy of the project's queries for rules a test adds
        (--datadir DIR)."""
        data = os.path.join(self.tmp, "data")
        shutil.copytree(os.path.join(ROOT, "queries"), os.path.join(data, "queries"))
        return data

    def check(self, code, *args, **kw):
        return self.expect(code, "check", *args, **kw)

    def lines(self, r):
        return [json.loads(l) for l in r.out.splitlines()]

    def test_findings_with_exit_codes_and_json_lines(self):
        r = self.check(FINDINGS, "--policy", POLICY, "--format", "json")
        rows = self.lines(r)
        self.assertEqual(list(rows[0])[:7], ["rule", "resource_id", "status",
                                             "severity", "reason",
                                             "first_seen", "exemption"])
        statuses = {x["status"] for x in rows}
        self.assertLessEqual({"ok", "alarm", "exempt", "skip"}, statuses)
        # Passing resources are results too (pass rates need them).
        self.assertGreater(sum(x["status"] == "ok" for x in rows), 10)
        # The sample's live exemption turns its alarm into 'exempt'.
        ex = [x for x in rows if x["status"] == "exempt"]
        self.assertEqual([(x["rule"], x["resource_id"], x["exemption"])
                          for x in ex],
                         [("required-tags", LLM, "llm-scratch-tags")])
        # The expired one is a finding of its own.
        self.assertIn("exemption-expired", {x["rule"] for x in rows})
        # Nothing critical in the sample: --fail-on critical passes.
        self.check(OK, "--policy", POLICY, "--fail-on", "critical")
        self.check(FINDINGS, "--fail-on", "low")

    def test_first_seen_survives_and_new_only_is_quiet(self):
        env = {"AMLFS_AUDIT_NOW": "2026-11-20T08:00:00Z"}
        first = self.lines(self.check(FINDINGS, "--format", "json", env=env))
        env = {"AMLFS_AUDIT_NOW": "2026-11-21T08:00:00Z"}
        again = self.lines(self.check(FINDINGS, "--format", "json", env=env))
        open1 = {(x["rule"], x["resource_id"]): x["first_seen"]
                 for x in first if x["status"] == "alarm"}
        open2 = {(x["rule"], x["resource_id"]): x["first_seen"]
                 for x in again if x["status"] == "alarm"}
        self.assertEqual(open1, open2)
        self.assertEqual(set(open1.values()), {"2026-11-20T08:00:00Z"})
        r = self.check(FINDINGS, "--new-only", "--format", "json", env=env)
        self.assertEqual(r.out, "")
        # A finding that opens later is new, once.
        policy = os.path.join(self.tmp, "p.ini")
        with open(policy, "w") as f:
            f.write("[rule zones-required]\nparam.min_zones = 3\n")
        r = self.check(FINDINGS, "--policy", policy, "--new-only",
                       "--format", "json", env=env)
        self.assertEqual({x["rule"] for x in self.lines(r)}, {"zones-required"})

    def test_checks_are_links_of_the_chain(self):
        self.check(FINDINGS, "--policy", POLICY)
        runs = self.expect(OK, "runs", "--format", "json").json()
        self.assertEqual(runs[0]["source"], "check")
        kinds = {k for (k,) in self.sql("SELECT DISTINCT kind FROM evidence_log "
                                        "WHERE run_id = ?", runs[0]["id"])}
        self.assertEqual(kinds, {"policy", "rule"})
        self.expect(OK, "verify")
        for edit in ("UPDATE findings SET status = 'ok' WHERE status = 'alarm' "
                     "AND id = (SELECT min(id) FROM findings WHERE status = 'alarm')",
                     "DELETE FROM findings WHERE id = (SELECT max(id) FROM findings)",
                     "UPDATE findings SET first_seen = '2020-01-01T00:00:00Z'"):
            clean = os.path.join(self.tmp, "clean.db")
            shutil.copyfile(self.db, clean)
            self.sql(edit)
            self.expect(FINDINGS, "verify")
            shutil.copyfile(clean, self.db)

    def test_verify_evaluates_stored_checks_again(self):
        self.expect(OK, "import-costs", os.path.join(SAMPLES, "costs",
                                                     "focus-2026-10.csv.gz"))
        self.check(FINDINGS, "--policy", POLICY, "--desired", DESIRED)
        self.check(FINDINGS)           # the default policy (stored empty)
        # Later cost data supersedes what the first checks priced with:
        # evaluated again, they still read the costs as they stood then.
        before = self.lines(self.check(FINDINGS, "--format", "json"))
        doubled = os.path.join(self.tmp, "focus-2x.csv")
        self.write_doubled_costs(doubled)
        self.expect(OK, "import-costs", doubled)
        after = self.lines(self.check(FINDINGS, "--format", "json"))
        money = [x["reason"] for x in before if "billed" in x["reason"]]
        self.assertTrue(money)
        self.assertNotEqual(money, [x["reason"] for x in after
                                    if "billed" in x["reason"]])
        r = self.expect(OK, "verify", "--recheck")
        self.assertEqual(r.out.count("all equal"), 4, r.out)
        j = self.expect(OK, "verify", "--recheck=3", "--format", "json").json()
        self.assertEqual([(c["check_run"], c["differ"]) for c in j["rechecks"]],
                         [(3, 0)])
        self.assertEqual(j["rechecks"][0]["stored"],
                         j["rechecks"][0]["found_again"])
        # An edited finding: the chain breaks, and evaluating the check
        # again names the finding that changed.
        fid, rule, res = self.sql("SELECT id, rule, resource_id FROM findings "
                                  "WHERE status = 'alarm' AND check_run = 3 "
                                  "ORDER BY id LIMIT 1")[0]
        self.sql("UPDATE findings SET status = 'ok' WHERE id = ?", fid)
        r = self.expect(FINDINGS, "verify", "--recheck")
        self.assertIn("BROKEN", r.out)
        self.assertRegex(r.out, r"check run 3 \(judged run 1\): DIFFERS: 1 "
                         r"finding\(s\) differ when evaluated again; first: "
                         r"stored differently: ")
        self.assertIn("stored differently: %s on %s: alarm" % (rule, res),
                      r.out)
        self.assertEqual(r.out.count("all equal"), 3, r.out)
        # Usage and a check run that is not there.
        self.expect(USAGE, "verify", "--recheck=x")
        r = self.expect(USAGE, "verify", "--recheck=1")
        self.assertIn("no finished check run 1", r.err)

    def write_doubled_costs(self, path):
        import csv
        import gzip
        src = os.path.join(SAMPLES, "costs", "focus-2026-10.csv.gz")
        with gzip.open(src, "rt", newline="") as f, \
                open(path, "w", newline="") as out:
            rows = csv.reader(f)
            w = csv.writer(out, lineterminator="\n")
            head = next(rows)
            w.writerow(head)
            cols = [head.index("BilledCost"), head.index("EffectiveCost")]
            for row in rows:
                for i in cols:
                    row[i] = "%.6f" % (2 * float(row[i]))
                w.writerow(row)

    def test_a_rule_added_as_a_file_runs_without_a_rebuild(self):
        data = self.datadir()
        with open(os.path.join(data, "queries", "rules", "zz-name.sql"), "w") as f:
            f.write("-- id: name-prefix\n-- title: Names start with amlfs-\n"
                    "-- severity: critical\n-- rationale: naming\n"
                    "-- remediation: rename\n"
                    "-- param: prefix = amlfs-render   the prefix\n"
                    "-- reads: filesystems\n"
                    "SELECT resource_id,\n"
                    "       CASE WHEN name LIKE :prefix || '%' THEN 'ok' "
                    "ELSE 'alarm' END AS status,\n"
                    "       'name ' || name AS reason, NULL AS evidence\n"
                    "FROM filesystems WHERE run_id = :run;\n")
        r = self.expect(FINDINGS, "--datadir", data, "check", "--fail-on",
                        "critical", "--format", "json")
        mine = [x for x in self.lines(r) if x["rule"] == "name-prefix"]
        self.assertEqual(len(mine), 8)
        self.assertEqual(sum(x["status"] == "alarm" for x in mine), 6)

    def test_an_override_of_a_filesystem_scoped_rule_sees_its_scope(self):
        # Two rules that say how many file systems they see; the override
        # gives both a second parameter set for one resource group. The
        # one of scope filesystem is evaluated with it over that group's
        # file systems alone; the other (estate) over all of them.
        data = self.datadir()
        for rid, scope in (("seen-fs", "filesystem"), ("seen-all", "estate")):
            with open(os.path.join(data, "queries", "rules", rid + ".sql"),
                      "w") as f:
                f.write("-- id: %s\n-- title: t\n-- severity: info\n"
                        "-- param: label = base  a label\n"
                        "-- reads: filesystems\n-- scope: %s\n"
                        "SELECT resource_id, 'ok' AS status, :label || ' ' ||"
                        " (SELECT count(*) FROM filesystems x WHERE "
                        "x.run_id = :run) AS reason, NULL AS evidence\n"
                        "FROM filesystems WHERE run_id = :run;\n"
                        % (rid, scope))
        rg = LLM[:LLM.index("/providers/")]
        pol = os.path.join(self.tmp, "scoped.ini")
        with open(pol, "w") as f:
            f.write("[defaults]\nrules = seen-fs, seen-all\n\n")
            for rid in ("seen-fs", "seen-all"):
                f.write("[override o-%s]\nrule = %s\nresource_group = %s\n"
                        "param.label = scoped\n\n" % (rid, rid, rg))
        r = self.expect(OK, "--datadir", data, "check", "--policy", pol,
                        "--format", "json")
        rows = self.lines(r)
        inrg = [x for x in rows if x["resource_id"].lower().startswith(
            rg.lower() + "/")]
        n = len(rows) // 2
        k = len(inrg) // 2
        self.assertEqual((n, 0 < k < n), (8, True))
        got = sorted({(x["rule"], x["reason"]) for x in rows})
        self.assertEqual(got, sorted({
            ("seen-fs", "base %d" % n), ("seen-fs", "scoped %d" % k),
            ("seen-all", "base %d" % n), ("seen-all", "scoped %d" % n)}))
        for x in inrg:
            self.assertTrue(x["reason"].startswith("scoped "), x)
        # A stored check evaluated again gives the same.
        self.expect(OK, "--datadir", data, "verify", "--recheck")

    def test_a_rule_that_cannot_run_is_an_error_finding(self):
        data = self.datadir()
        with open(os.path.join(data, "queries", "rules", "zz-bad.sql"), "w") as f:
            f.write("-- id: bad-regex\n-- title: t\n-- severity: info\n"
                    "-- rationale: r\n-- remediation: r\n-- reads: filesystems\n"
                    "SELECT resource_id, 'ok' AS status, 'x' AS reason, "
                    "NULL AS evidence FROM filesystems WHERE run_id = :run "
                    "AND name REGEXP '(unclosed';\n")
        r = self.expect(RUNTIME, "--datadir", data, "check", "--fail-on",
                        "critical", "--format", "json")
        bad = [x for x in self.lines(r) if x["rule"] == "bad-regex"]
        self.assertEqual([x["status"] for x in bad], ["error"])
        self.assertIn("zz-bad.sql", bad[0]["reason"])

    def test_a_broken_rule_wins_over_alarms(self):
        """Alarms at or above --fail-on beside a rule that could not run:
        exit 3, not 1 (the answer is incomplete)."""
        data = self.datadir()
        with open(os.path.join(data, "queries", "rules", "zz-json.sql"), "w") as f:
            f.write("-- id: bad-json\n-- title: t\n-- severity: info\n"
                    "-- reads: filesystems\n"
                    "SELECT resource_id, 'ok' AS status, json('not json') AS "
                    "reason, NULL AS evidence FROM filesystems "
                    "WHERE run_id = :run;\n")
        r = self.expect(RUNTIME, "--datadir", data, "check", "--policy",
                        POLICY, "--format", "json")
        rows = self.lines(r)
        self.assertIn("alarm", {x["status"] for x in rows
                                if x["severity"] in ("high", "critical")})
        bad = [x for x in rows if x["rule"] == "bad-json"]
        self.assertEqual([x["status"] for x in bad], ["error"])
        self.assertIn("zz-json.sql", bad[0]["reason"])
        # Every format, and with --fail-on low too.
        self.expect(RUNTIME, "--datadir", data, "check", "--fail-on", "low")
        self.expect(RUNTIME, "--datadir", data, "check", "--format",
                    "prometheus")

    def test_a_scalar_detail_is_kept_in_json(self):
        data = self.datadir()
        for rid, detail in (("scalar-num", "'42'"), ("scalar-str", "'\"x\"'"),
                            ("scalar-null", "'null'")):
            with open(os.path.join(data, "queries", "rules", rid + ".sql"),
                      "w") as f:
                f.write("-- id: %s\n-- title: t\n-- severity: info\n"
                        "-- reads: filesystems\n"
                        "SELECT resource_id, 'ok' AS status, 'r' AS reason, "
                        "NULL AS evidence, %s AS detail FROM filesystems "
                        "WHERE run_id = :run;\n" % (rid, detail))
        r = self.expect(OK, "--datadir", data, "check", "--fail-on",
                        "critical", "--format", "json")
        got = {(x["rule"], json.dumps(x["detail"])) for x in self.lines(r)
               if x["rule"].startswith("scalar-")}
        self.assertEqual(got, {("scalar-num", "42"), ("scalar-str", '"x"'),
                               ("scalar-null", "null")})
        for x in self.lines(r):
            self.assertIn("detail", x)

    def test_text_that_is_not_utf8_is_a_rule_error(self):
        data = self.datadir()
        for col in ("reason", "resource_id", "detail"):
            cols = {"resource_id": "resource_id", "reason": "'r'",
                    "detail": "NULL"}
            cols[col] = "CAST(X'C328' AS TEXT)" if col != "detail" else \
                "CAST(X'22C32822' AS TEXT)"
            path = os.path.join(data, "queries", "rules", "zz-latin1.sql")
            with open(path, "w") as f:
                f.write("-- id: not-utf8\n-- title: t\n-- severity: info\n"
                        "-- reads: filesystems\n"
                        "SELECT %s AS resource_id, 'ok' AS status, %s AS "
                        "reason, NULL AS evidence, %s AS detail "
                        "FROM filesystems WHERE run_id = :run;\n"
                        % (cols["resource_id"], cols["reason"],
                           cols["detail"]))
            r = self.expect(RUNTIME, "--datadir", data, "check", "--fail-on",
                            "critical", "--format", "json")
            rows = self.lines(r)    # every line is JSON
            self.assertEqual(len(rows), len(r.out.splitlines()))
            bad = [x for x in rows if x["rule"] == "not-utf8"]
            self.assertEqual([x["status"] for x in bad], ["error"], col)
            self.assertIn("returned a '%s' that is not UTF-8 text" % col,
                          bad[0]["reason"])
            self.assertIn(path, bad[0]["reason"])
            csv_out = self.expect(RUNTIME, "--datadir", data, "check",
                                  "--fail-on", "critical", "--format",
                                  "csv").out
            self.assertIn('"not-utf8","/","error"', csv_out)

    def test_a_rule_shares_a_part_by_include(self):
        """A rule file may include a part kept beside it (as
        capacity-pressure and over-provisioned share cost-per-tib.sql.inc);
        an error in the part names the part's line and where it was
        included; a path out of the rules folder is refused at its line."""
        data = self.datadir()
        rules = os.path.join(data, "queries", "rules")
        head = ("-- id: with-part\n-- title: t\n-- severity: info\n"
                "-- reads: filesystems\n"
                "WITH fs AS (SELECT resource_id FROM filesystems "
                "WHERE run_id = :run),\n"
                "-- include: zz-part.sql.inc\n"
                "last AS (SELECT 1)\n"
                "SELECT resource_id, 'ok' AS status, 'seen ' || n AS reason,"
                "\n NULL AS evidence FROM fs, counted;\n")
        with open(os.path.join(rules, "zz-with-part.sql"), "w") as f:
            f.write(head)
        with open(os.path.join(rules, "zz-part.sql.inc"), "w") as f:
            f.write("-- a shared part\ncounted AS (SELECT count(*) AS n "
                    "FROM fs),\n")
        r = self.expect(FINDINGS, "--datadir", data, "check", "--format",
                        "json")
        mine = [x for x in self.lines(r) if x["rule"] == "with-part"]
        self.assertEqual({x["reason"] for x in mine}, {"seen 8"})
        # The check's evidence holds the rule as it ran, part included.
        import hashlib
        part = ("-- a shared part\ncounted AS (SELECT count(*) AS n "
                "FROM fs),\n")
        ran = head.replace("-- include: zz-part.sql.inc\n", part + "\n")
        self.assertEqual(self.scalar(
            "SELECT sha256 FROM evidence_log WHERE kind = 'rule' AND url "
            "LIKE '%zz-with-part.sql' ORDER BY id DESC LIMIT 1"),
            hashlib.sha256(ran.encode()).hexdigest())
        with open(os.path.join(rules, "zz-part.sql.inc"), "w") as f:
            f.write("-- a shared part\ncounted AS (SELEC count(*) AS n "
                    "FROM fs),\n")
        r = self.expect(RUNTIME, "--datadir", data, "check", "--fail-on",
                        "critical", "--format", "json")
        bad = [x for x in self.lines(r) if x["rule"] == "with-part"]
        self.assertEqual([x["status"] for x in bad], ["error"])
        self.assertIn("zz-part.sql.inc:2 (included at %s:6)" %
                      os.path.join(rules, "zz-with-part.sql"),
                      bad[0]["reason"])
        with open(os.path.join(rules, "zz-with-part.sql"), "w") as f:
            f.write(head.replace("zz-part.sql.inc", "../zz-part.sql.inc"))
        r = self.expect(USAGE, "--datadir", data, "check")
        self.assertIn("bad include '../zz-part.sql.inc'", r.err)
        self.assertIn("zz-with-part.sql:6", r.err)

    def test_drift_from_the_desired_state(self):
        r = self.check(FINDINGS, "--desired", DESIRED, "--format", "json")
        drift = {x["resource_id"].rsplit("/", 1)[1]: x for x in self.lines(r)
                 if x["rule"] == "drift"}
        alarms = sorted(k for k, x in drift.items() if x["status"] == "alarm")
        self.assertEqual(alarms, ["amlfs-genomics-scratch",
                                  "amlfs-render-feature-film"])
        paths = [d["path"] for d in drift["amlfs-render-feature-film"]["detail"]]
        self.assertTrue(any("rootSquash" in p for p in paths), paths)
        one = drift["amlfs-genomics-scratch"]["detail"][0]
        self.assertEqual((one["desired"], one["live"]), ("CC-4410", "cc-4410"))
        check = self.expect(OK, "runs", "--format", "json").json()[0]["id"]
        self.assertEqual(self.scalar("SELECT count(*) FROM evidence_log WHERE "
                                     "run_id = ? AND kind = 'desired'", check), 1)
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"filesystems": [{"name": "x",}]}')
        r = self.check(USAGE, "--desired", bad)
        self.assertIn(bad, r.err)
        self.assertIn("line 1", r.err)

    def test_drift_is_a_rule_of_the_policy(self):
        pol = os.path.join(self.tmp, "drift.ini")
        with open(pol, "w") as f:
            f.write("[rule drift]\nseverity = high\n\n"
                    "[exemption resize]\nrule = drift\n"
                    "resource_regex = /amlfs-genomics-scratch$\n"
                    "reason = tag value being corrected\napprover = A. Auditor\n"
                    "ticket = CHG-1\nexpires = 2099-01-01\n")
        rows = self.lines(self.check(FINDINGS, "--policy", pol, "--desired",
                                     DESIRED, "--format", "json"))
        drift = {x["resource_id"].rsplit("/", 1)[1]: x for x in rows
                 if x["rule"] == "drift"}
        self.assertEqual(drift["amlfs-genomics-scratch"]["status"], "exempt")
        self.assertEqual(drift["amlfs-genomics-scratch"]["exemption"], "resize")
        self.assertEqual(drift["amlfs-render-feature-film"]["status"], "alarm")
        self.assertEqual(drift["amlfs-render-feature-film"]["severity"], "high")
        self.assertNotIn("exemption-unused", {x["rule"] for x in rows})
        with open(pol, "w") as f:
            f.write("[rule drift]\nenabled = no\n")
        rows = self.lines(self.check(FINDINGS, "--policy", pol, "--desired",
                                     DESIRED, "--format", "json"))
        self.assertNotIn("drift", {x["rule"] for x in rows})
        self.expect(OK, "verify", "--recheck")

    def test_a_bad_policy_names_file_and_line(self):
        policy = os.path.join(self.tmp, "p.ini")
        with open(policy, "w") as f:
            f.write("[rule idle]\nparam.days = 7\n[rule no-such-rule]\nenabled = no\n")
        r = self.check(USAGE, "--policy", policy)
        self.assertIn("%s:4" % policy, r.err)
        self.assertIn("no-such-rule", r.err)

    def test_a_policy_or_desired_state_that_cannot_be_opened_is_usage(self):
        missing = os.path.join(self.tmp, "no-such.ini")
        notdir = os.path.join(POLICY, "x")
        locked = os.path.join(self.tmp, "locked.ini")
        shutil.copy(POLICY, locked)
        os.chmod(locked, 0)
        paths = [missing, notdir]
        if os.geteuid() != 0:           # root reads it anyway
            paths.append(locked)
        for path in paths:
            r = self.check(USAGE, "--policy", path)
            self.assertIn("cannot open the policy file", r.err)
            self.assertIn(path, r.err)
            r = self.check(USAGE, "--desired", path)
            self.assertIn("cannot read the desired state", r.err)
            self.assertIn(path, r.err)
        # A directory where a file is wanted: 2 for both (review finding:
        # --desired exited 3).
        self.check(USAGE, "--policy", self.tmp)
        r = self.check(USAGE, "--desired", self.tmp)
        self.assertIn(self.tmp, r.err)
        # A policy whose name is not UTF-8 cannot be kept in the check's
        # scope (JSON): named, 2, not a database error (review finding).
        odd = os.path.join(self.tmp, "pol\udce9.ini")       # b"pol\xe9.ini"
        shutil.copy(POLICY, odd)
        r = self.check(USAGE, "--policy", odd)
        self.assertIn("the policy file's name is not UTF-8 text", r.err)
        self.assertIn("pol?.ini (non-ASCII bytes shown as ?)", r.err)
        # Nothing was stored: only the collection run is in the history.
        self.assertEqual(self.scalar("SELECT count(*) FROM runs"), 1)

    def test_a_name_given_twice_or_a_section_without_keys_is_refused(self):
        ex = ("rule = required-tags\nresource = %s\nreason = r\n"
              "approver = a\nticket = t\nexpires = 2099-01-01\n" % LLM)
        policy = os.path.join(self.tmp, "p.ini")
        for text, line, words in (
                ("[exemption e1]\n" + ex + "\n[exemption  e1]\n" + ex, 9,
                 ["duplicate exemption name 'e1'", "also at %s:1" % policy]),
                ("[override o]\nrule = idle\nsubscription = %s\n"
                 "[override o]\nseverity = low\n" % LLM.split("/")[2], 4,
                 ["duplicate override name 'o'", "also at %s:1" % policy]),
                ("[exemption x]\n\n[rule idle]\nenabled = yes\n", 1,
                 ["exemption 'x' has no keys"])):
            with open(policy, "w") as f:
                f.write(text)
            r = self.check(USAGE, "--policy", policy)
            self.assertIn("%s:%d" % (policy, line), r.err)
            for w in words:
                self.assertIn(w, r.err)

    def test_text_md_csv_and_prometheus(self):
        r = self.check(FINDINGS, "--policy", POLICY)
        self.assertRegex(r.out, r"^check \d+ of run 1: 23 rule\(s\)")
        self.assertIn("open since", r.out)
        md = self.check(FINDINGS, "--policy", POLICY, "--format", "md").out
        table = [l for l in md.splitlines() if l.startswith("| ")]
        self.assertTrue(all(l.count(" | ") == 5 for l in table[2:]), table[:4])
        csv_out = self.check(FINDINGS, "--format", "csv").out
        # The JSON's keys, in its order (README says "the same columns").
        keys = list(json.loads(self.check(FINDINGS, "--format", "json")
                               .out.splitlines()[0]))
        self.assertEqual(csv_out.splitlines()[0],
                         ",".join('"%s"' % k for k in keys))
        prom = self.check(FINDINGS, "--format", "prometheus").out
        self.assertIn('amlfs_audit_findings{rule="idle",', prom)
        self.assertRegex(prom, r"\namlfs_audit_last_check_timestamp_seconds \d+\n")
        self.check(USAGE, "--format", "yaml")
        self.check(USAGE, "--fail-on", "sometimes")
        self.check(USAGE, "--run", "99")


if __name__ == "__main__":
    main()
