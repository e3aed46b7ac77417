"""report compliance: the auditors' workbook, Markdown and JSON over a
history built with the samples (two collections and their checks in
November, one in December), read back by openpyxl, LibreOffice and
cmark-gfm; hostile text in tags and exemptions comes out as text; the
same history and --as-of give the same bytes."""
import json
import os
import shutil
import sqlite3
import tempfile

import openpyxl

from harness import CliTest, edit_json, main, OK, USAGE, SAMPLES
from readers import gfm_tables, recalc_xlsx

POLICY = os.path.join(SAMPLES, "policy.ini")
DESIRED = os.path.join(SAMPLES, "desired.json")
HPC = os.path.join("bodies", "research-hpc")
PROD = "amlfs-genomics-prod"
LLM = ("/subscriptions/6f3c2b1e-8a47-4d9e-b5c2-1e7a9d4f0b63/resourceGroups/"
       "rg-ai-training/providers/Microsoft.StorageCache/amlFilesystems/"
       "amlfs-llm-scratch")
# A tag value that looks like a formula, with a pipe and a newline; the
# tag-value-format rule quotes it in its reason and diff shows it.
HOSTILE_TAG = "=cmd|' /C calc'!A0\n| x |"
# An exemption whose every field is hostile (INI: one line each).
HOSTILE_EXEMPTION = """
[exemption hostile-one]
rule = root-squash-none
resource = %s
reason = =HYPERLINK("http://x")|pipe <b>bold</b> `code`
approver = @SUM(A1)
ticket = +1|2
expires = 2026-11-20
""" % LLM
NOV1, NOV2, DEC = ("2026-11-10T08:00:00Z", "2026-11-12T08:00:00Z",
                   "2026-12-01T08:00:00Z")
AS_OF = "2026-11-30"
STATUSES = {"ok", "alarm", "exempt", "skip", "error"}


def md_cell(s):
    """What a cell of the Markdown reads as (mustache.h: line breaks are
    spaces; a cell that could start a formula gets a ' first)."""
    s = s.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return "'" + s if s.lstrip()[:1] in ("=", "+", "-", "@") else s


def hostile_prod(body):
    fs = body["value"][0]
    assert fs["name"] == PROD
    fs["tags"]["CostCenter"] = HOSTILE_TAG


class Compliance(CliTest):
    """Run 1 (collection) and 2 (its check) on Nov 10; 3 (PROD's cost
    center tag made hostile) and 4 on Nov 12; 5 and 6 on Dec 1."""

    template = None     # the history, built once for the class

    @classmethod
    def tearDownClass(cls):
        if cls.template:
            shutil.rmtree(os.path.dirname(cls.template), ignore_errors=True)
            Compliance.template = None

    def setUp(self):
        super().setUp()
        if not Compliance.template:
            self.build()
            keep = tempfile.mkdtemp(prefix="amlfs-compliance-")
            for n in os.listdir(self.tmp):
                if n.startswith("history.db"):
                    shutil.copy(os.path.join(self.tmp, n), keep)
            Compliance.template = os.path.join(keep, "history.db")
        else:
            for n in os.listdir(os.path.dirname(Compliance.template)):
                shutil.copy(os.path.join(os.path.dirname(
                    Compliance.template), n), self.tmp)

    def build(self):
        policy = os.path.join(self.tmp, "policy.ini")
        shutil.copy(POLICY, policy)
        with open(policy, "a", encoding="utf-8") as f:
            f.write(HOSTILE_EXEMPTION)
        self.at(NOV1, OK, "collect", "--replay", self.copy_replay())
        self.check(NOV1, policy)
        changed = self.copy_replay()
        edit_json(os.path.join(changed, HPC, "amlfilesystems.page1.json"),
                  hostile_prod)
        self.at(NOV2, OK, "collect", "--replay", changed)
        self.check(NOV2, policy)
        self.at(DEC, OK, "collect", "--replay", self.copy_replay())
        self.check(DEC, policy)

    def at(self, now, code, *args):
        return self.expect(code, *args, env={"AMLFS_AUDIT_NOW": now})

    def check(self, now, policy):
        r = self.run_cli("check", "--policy", policy, "--desired",
                         DESIRED, env={"AMLFS_AUDIT_NOW": now})
        self.assertIn(r.code, (0, 1), r)

    def report(self, code, *args):
        return self.expect(code, "report", "compliance", *args)

    def write(self, out, *args):
        out = os.path.join(self.tmp, out)
        r = self.report(OK, "--out", out, *args)
        return out, r.out.split()

    def read(self, path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    def month(self, out="out"):
        out, files = self.write(out, "--month", "2026-11", "--as-of", AS_OF)
        self.assertEqual(sorted(os.path.basename(p) for p in files),
                         ["compliance-2026-11.json", "compliance-2026-11.md",
                          "compliance-2026-11.xlsx"])
        return out, json.loads(self.read(os.path.join(
            out, "compliance-2026-11.json")))

    def test_month_covers_the_months_runs_and_their_checks(self):
        _, j = self.month()
        s = j["scope"][0]
        self.assertEqual((s["period_from"], s["period_to"]),
                         ("2026-11-01", "2026-11-30"))
        self.assertEqual((s["runs"], s["checks"], s["first_run"],
                          s["last_run"], s["last_check"]), (2, 2, 1, 3, 4))
        self.assertEqual(s["unchecked_runs"], 0)
        self.assertEqual(j["report"]["period"], "month")
        # Pass rates are ok / (ok + alarm + exempt + error), per rule.
        rows = self.sql("SELECT rule, status, count(*) FROM findings "
                        "WHERE check_run IN (2, 4) GROUP BY 1, 2")
        counts = {}
        for rule, status, n in rows:
            counts.setdefault(rule, {})[status] = n
        by_rule = {r["item"]: r for r in j["summary"]
                   if r["section"] == "pass rate by rule"}
        self.assertEqual(set(by_rule), set(counts))
        for rule, c in counts.items():
            judged = sum(c.get(k, 0) for k in ("ok", "alarm", "exempt",
                                               "error"))
            want = round(c.get("ok", 0) / judged, 4) if judged else None
            self.assertEqual(by_rule[rule]["pass_rate"], want, rule)
            self.assertEqual(by_rule[rule]["skip"], c.get("skip", 0))
        sections = {r["section"] for r in j["summary"]}
        self.assertLessEqual({"pass rate by file system",
                              "pass rate by subscription",
                              "pass rate by severity", "open by age",
                              "coverage"}, sections)
        cov = {r["item"]: r for r in j["summary"] if r["section"] == "coverage"}
        self.assertEqual(cov["collection runs"]["count"], 2)
        self.assertEqual(cov["longest gap (hours)"]["count"], 48.0)
        self.assertEqual(cov["checks used"]["detail"],
                         "check 2 of run 1, check 4 of run 3")
        # Only November's runs: run 5 (December) is out.
        self.assertEqual([r["id"] for r in j["runs"]], [1, 3])

    def test_matrix_is_rules_by_file_systems_at_the_last_check(self):
        out, j = self.month()
        last = self.sql("SELECT rule, resource_id, status FROM findings "
                        "WHERE check_run = 4")
        rules = sorted({r for r, _, _ in last})
        m = j["matrix"]
        self.assertEqual(list(m[0])[:3], ["file_system", "resource_group",
                                          "subscription"])
        self.assertEqual(list(m[0])[3:], rules)
        fs_rows = [r for r in m if r["resource_group"]]
        self.assertEqual(len(fs_rows), 8)
        llm = next(r for r in m if r["file_system"] == "amlfs-llm-scratch")
        self.assertEqual(llm["required-tags"], "exempt")
        self.assertEqual(llm["root-squash-none"], "exempt")
        for r in m:
            self.assertLessEqual({v for k, v in r.items() if k in rules} -
                                 {None}, STATUSES)
        # The workbook: same cells, colour per status.
        wb = openpyxl.load_workbook(os.path.join(out,
                                                 "compliance-2026-11.xlsx"))
        self.assertEqual(wb.sheetnames, ["Summary", "Matrix", "Findings",
                                         "Exemptions", "Changes",
                                         "Added and removed", "Runs",
                                         "Integrity"])
        ws = wb["Matrix"]
        head = [c.value for c in ws[1]]
        self.assertEqual(head[3:], rules)
        cells = {(row[0].value, head[i]): row[i].value
                 for row in ws.iter_rows(min_row=2) for i in range(3, len(head))}
        for r in m:
            for rule in rules:
                self.assertEqual(cells[(r["file_system"], rule)], r[rule])
        cf = list(ws.conditional_formatting)
        self.assertEqual(len(cf), 1)
        self.assertEqual(str(cf[0].sqref), "D2:%s%d" % (
            openpyxl.utils.get_column_letter(len(head)), len(m) + 1))
        got = {}
        for rule in cf[0].rules:
            self.assertEqual((rule.type, rule.operator), ("cellIs", "equal"))
            got[rule.formula[0]] = rule.dxf.fill.bgColor.rgb
        self.assertEqual(set(got), {'"%s"' % s for s in STATUSES})
        self.assertEqual(len(set(got.values())), 5, got)
        self.assertEqual(got['"alarm"'], "FFFFC7CE")
        self.assertTrue(wb["Findings"].conditional_formatting)

    def test_findings_carry_their_evidence(self):
        _, j = self.month()
        f = j["findings"]
        self.assertTrue(f)
        self.assertNotIn("ok", {x["status"] for x in f} - {"resolved"})
        for x in f:
            if x["evidence_runs"] in (None, "-"):
                continue
            runs = x["evidence_runs"].split("; ")
            shas = x["response_sha256"].split("; ")
            ids = x["request_ids"].split("; ")
            self.assertEqual(len(runs), len(shas))
            self.assertEqual(len(runs), len(ids))
            for run, sha, rid in zip(runs, shas, ids):
                self.assertIn(int(run), (1, 3))
                self.assertGreater(self.scalar(
                    "SELECT count(*) FROM evidence_log WHERE run_id = ? "
                    "AND sha256 = ? AND coalesce(request_id, '-') = ?",
                    int(run), sha, rid), 0, (run, sha, rid))
        # The hostile tag is quoted in a reason, as text.
        bad = [x for x in f if x["rule"] == "tag-value-format"
               and x["file_system"] == PROD]
        self.assertEqual(len(bad), 1)
        self.assertIn(HOSTILE_TAG, bad[0]["reason"])
        self.assertEqual((bad[0]["first_seen"], bad[0]["last_seen"],
                          bad[0]["status"], bad[0]["checks"]),
                         (NOV2, NOV2, "alarm", 1))
        # Exempt at both checks; first seen at the first.
        ex = next(x for x in f if x["rule"] == "root-squash-none"
                  and x["resource_id"] == LLM)
        self.assertEqual((ex["status"], ex["exemption"], ex["first_seen"],
                          ex["checks"]), ("exempt", "hostile-one", NOV1, 2))

    def test_exemptions_from_the_policy_the_checks_used(self):
        _, j = self.month()
        ex = {x["exemption"]: x for x in j["exemptions"]}
        self.assertEqual(set(ex), {"llm-scratch-tags", "cfd-transient-idle",
                                   "hostile-one"})
        h = ex["hostile-one"]
        self.assertEqual((h["rule"], h["resource"], h["reason"], h["approver"],
                          h["ticket"], h["expires"], h["expired_in_period"],
                          h["expired"], h["exempted"]),
                         ("root-squash-none", LLM,
                          '=HYPERLINK("http://x")|pipe <b>bold</b> `code`',
                          "@SUM(A1)", "+1|2", "2026-11-20", "yes", "yes", 2))
        c = ex["cfd-transient-idle"]
        self.assertEqual((c["expired_in_period"], c["expired"],
                          c["approver"]), ("no", "yes",
                                           "Tomas Lindqvist (CFD group)"))
        self.assertTrue(c["resource"].startswith("regex: ^/subscriptions/"))
        self.assertEqual(ex["llm-scratch-tags"]["expired"], "no")

    def test_changes_are_what_diff_sees(self):
        _, j = self.month()
        d = self.expect(OK, "diff", "1", "3", "--format", "json").json()
        self.assertEqual([(c["id"], c["name"], c["changes"])
                          for c in d["changed"]],
                         [(c["id"], c["name"], c["changes"])
                          for c in j["changes"]])
        self.assertIn({"kind": "tag", "path": "tags.CostCenter",
                       "before": "CC-4410", "after": HOSTILE_TAG},
                      j["changes"][0]["changes"])
        self.assertEqual(j["filesystem_changes"], [])

    def integrity(self, out):
        """The Integrity rows of the JSON, by item, and the workbook's
        Integrity sheet, as openpyxl reads it, by item."""
        path, j = self.month(out)
        wb = openpyxl.load_workbook(os.path.join(path,
                                                 "compliance-2026-11.xlsx"))
        rows = list(wb["Integrity"].iter_rows(values_only=True))
        self.assertEqual(rows[0], ("Item", "Run", "Time", "Hash", "Detail"))
        return ({r["item"]: r for r in j["integrity"]},
                {r[0]: r for r in rows[1:]})

    def test_integrity_is_the_chain_and_the_head_as_of(self):
        items, sheet = self.integrity("out")
        v = self.expect(OK, "verify", "--format", "json").json()
        self.assertTrue(items["chain"]["detail"].startswith(
            "ok: 6 runs; every evidence body against its SHA-256, every "
            "run hash recomputed"), items["chain"])
        self.assertEqual(sheet["chain"][4], items["chain"]["detail"])
        self.assertIn("; the findings summary the counts, pass rates and "
                      "first seen are read from (finding_runs) held to the "
                      "findings of every check", items["chain"]["detail"])
        # What the report did not check, said as such.
        self.assertTrue(items["full verify"]["detail"].startswith(
            "not run by the report"))
        self.assertIn("the findings summary (finding_runs) derived again "
                      "from the findings row by row",
                      items["full verify"]["detail"])
        self.assertIn("'amlfs-audit verify'", items["full verify"]["detail"])
        self.assertEqual(items["history head (chain checked)"]["hash"],
                         v["head_hash"])
        # As of Nov 30 the head is run 4 (the check of Nov 12), not run 6.
        head = items["head as of the report"]
        self.assertEqual((head["run"], head["hash"]),
                         (4, self.scalar("SELECT run_hash FROM runs "
                                         "WHERE id = 4")))

    def broken(self, out, run, *words):
        """The Integrity sheet and JSON say BROKEN at run, naming words."""
        items, sheet = self.integrity(out)
        chain = items["chain"]
        self.assertTrue(chain["detail"].startswith("BROKEN at run %d: "
                                                   % run), chain)
        self.assertEqual(chain["run"], run)
        self.assertEqual(sheet["chain"][1:2] + sheet["chain"][4:],
                         (run, chain["detail"]))
        for w in words:
            self.assertIn(w, chain["detail"])

    def test_integrity_shows_an_edited_finding(self):
        self.sql("UPDATE findings SET reason = 'edited' WHERE id = "
                 "(SELECT min(id) FROM findings)")
        self.broken("out", 2, "findings were edited")

    def test_integrity_shows_an_edited_run(self):
        self.sql("UPDATE runs SET status = 'partial' WHERE id = 3")
        self.broken("out", 3, "metadata")

    def test_integrity_shows_an_edited_evidence_row_and_body(self):
        self.sql("UPDATE evidence SET status = 500 WHERE run_id = 3 AND "
                 "seq = 2")
        self.broken("out", 3, "evidence list")
        self.sql("UPDATE evidence SET status = (SELECT status FROM "
                 "evidence WHERE run_id = 1 AND seq = 2) WHERE run_id = 3 "
                 "AND seq = 2")
        self.integrity("ok")       # back as it was
        self.sql("UPDATE bodies SET content = CAST(replace(CAST(content AS "
                 "TEXT), 'a', 'b') AS BLOB) WHERE id = (SELECT min(body) "
                 "FROM evidence WHERE run_id = 1 AND status = 200)")
        self.broken("out2", 1, "evidence body", "was edited")

    def test_integrity_shows_a_deleted_run_and_a_broken_link(self):
        self.sql("UPDATE runs SET prev_hash = '%s' WHERE id = 5" % ("0" * 64))
        self.broken("out", 5, "link to the previous run")
        self.sql("UPDATE runs SET prev_hash = (SELECT run_hash FROM runs "
                 "WHERE id = 4) WHERE id = 5")
        self.sql("DELETE FROM findings WHERE check_run = 6")
        self.sql("DELETE FROM runs WHERE id = 6")
        self.broken("out2", 6, "missing (deleted)")

    def test_integrity_says_what_only_verify_sees(self):
        """A typed row edited alone passes the chain (its evidence and run
        hash are intact); the report says it did not look, and verify,
        which re-derives, finds it."""
        self.sql("UPDATE fs_states SET capacity_tib = capacity_tib + 1 "
                 "WHERE rowid = (SELECT min(rowid) FROM fs_states)")
        items, _ = self.integrity("out")
        self.assertTrue(items["chain"]["detail"].startswith("ok: 6 runs"))
        self.assertTrue(items["full verify"]["detail"].startswith(
            "not run by the report"))
        self.expect(1, "verify")

    def test_run_report_and_a_check_as_the_run(self):
        out, files = self.write("r", "--run", "3", "--format", "json")
        self.assertEqual([os.path.basename(p) for p in files],
                         ["compliance-run3.json"])
        j = json.loads(self.read(files[0]))
        s = j["scope"][0]
        self.assertEqual((s["runs"], s["checks"], s["last_check"],
                          s["first_run"], s["last_run"]), (1, 1, 4, 1, 3))
        self.assertEqual(j["report"]["period"], "run")
        # Changes: from the run before it.
        self.assertEqual([c["name"] for c in j["changes"]], [PROD])
        # A check's id reports that check of the run it judged.
        _, files = self.write("c", "--run", "4", "--format", "json")
        k = json.loads(self.read(files[0]))
        self.assertEqual(k["scope"][0]["last_check"], 4)
        self.assertEqual(k["findings"], j["findings"])
        # No option: the newest run.
        _, files = self.write("n", "--format", "json")
        self.assertEqual(os.path.basename(files[0]), "compliance-run5.json")
        self.report(USAGE, "--run", "99")
        self.report(USAGE, "--run", "3", "--month", "2026-11")
        self.report(USAGE, "--month", "2026-13")

    def test_markdown_is_the_same_story_every_cell_escaped(self):
        out, j = self.month()
        md = self.read(os.path.join(out, "compliance-2026-11.md"))
        tables = gfm_tables(md)
        heads = [t[0] for t in tables]
        matrix = tables[heads.index(["File system", "Resource group",
                                     "Subscription"] + list(j["matrix"][0])[3:])]
        # Every row has the header's width: nothing split a cell.
        for t in tables:
            for row in t:
                self.assertEqual(len(row), len(t[0]), row)
        self.assertEqual(len(matrix) - 1, len(j["matrix"]))
        for row, m in zip(matrix[1:], j["matrix"]):
            self.assertEqual(row, [md_cell(m[k] or "") for k in m])
        findings = tables[heads.index(["Rule", "File system", "Severity",
                                       "Status", "Reason", "First seen",
                                       "Last seen", "Exemption",
                                       "Evidence run", "Response SHA-256",
                                       "x-ms-request-id", "Fetched at",
                                       "Resource id"])]
        reasons = [r[4] for r in findings[1:]]
        self.assertEqual(reasons, [md_cell(x["reason"])
                                   for x in j["findings"]])
        self.assertTrue(any(md_cell(HOSTILE_TAG) in r for r in reasons))
        ex = tables[heads.index(["Exemption", "Rule", "Resource", "Reason",
                                 "Approver", "Ticket", "Expires",
                                 "Expired in period", "Expired",
                                 "Results exempted"])]
        h = next(r for r in ex if r[0] == "hostile-one")
        self.assertEqual(h[3:6], ['\'=HYPERLINK("http://x")|pipe <b>bold</b> '
                                  '`code`', "'@SUM(A1)", "'+1|2"])
        changes = tables[heads.index(["File system", "Kind", "Path", "Before",
                                      "After"])]
        self.assertIn([PROD, "tag", "tags.CostCenter", "CC-4410",
                       md_cell(HOSTILE_TAG)], changes)
        self.assertNotIn("<b>", md.replace("&lt;b&gt;", ""))

    def test_workbook_text_is_text_in_libreoffice_too(self):
        out, j = self.month()
        path = os.path.join(out, "compliance-2026-11.xlsx")
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    self.assertNotEqual(c.data_type, "f", (ws.title, c.coordinate))
        ex = wb["Exemptions"]
        vals = [[c.value for c in r] for r in ex.iter_rows()]
        h = next(r for r in vals if r[0] == "hostile-one")
        self.assertEqual(h[3:6], ['=HYPERLINK("http://x")|pipe <b>bold</b> '
                                  '`code`', "@SUM(A1)", "+1|2"])
        f = wb["Findings"]
        reasons = [r[4].value for r in f.iter_rows(min_row=2)]
        self.assertEqual(reasons, [x["reason"] for x in j["findings"]])
        # LibreOffice recalculates everything and still reads text.
        lo = recalc_xlsx(path, self.tmp)
        self.assertEqual(list(lo), wb.sheetnames)
        h = next(r for r in lo["Exemptions"] if r[0] == "hostile-one")
        self.assertEqual(h[3:6], ['=HYPERLINK("http://x")|pipe <b>bold</b> '
                                  '`code`', "@SUM(A1)", "+1|2"])
        self.assertEqual([r[4] for r in lo["Findings"][1:]], reasons)
        self.assertEqual(lo["Matrix"][0], [c.value for c in wb["Matrix"][1]])

    def test_same_history_and_as_of_same_outputs(self):
        a, _ = self.month("a")
        b, _ = self.month("b")
        for ext in ("md", "json"):
            self.assertEqual(self.read(os.path.join(a, "compliance-2026-11." + ext)),
                             self.read(os.path.join(b, "compliance-2026-11." + ext)))
        wa = openpyxl.load_workbook(os.path.join(a, "compliance-2026-11.xlsx"))
        wb = openpyxl.load_workbook(os.path.join(b, "compliance-2026-11.xlsx"))
        for sa, sb in zip(wa.worksheets, wb.worksheets):
            self.assertEqual([[c.value for c in r] for r in sa.iter_rows()],
                             [[c.value for c in r] for r in sb.iter_rows()])
        # A later run changes only what the chain check says of the whole
        # history (its runs and head).
        self.at("2026-12-02T08:00:00Z", OK, "collect", "--replay",
                self.copy_replay())
        c, _ = self.month("c")
        ja = json.loads(self.read(os.path.join(a, "compliance-2026-11.json")))
        jc = json.loads(self.read(os.path.join(c, "compliance-2026-11.json")))
        self.assertEqual([r["item"] for r in ja["integrity"][:3]],
                         ["chain", "full verify",
                          "history head (chain checked)"])
        self.assertNotEqual(ja["integrity"][0], jc["integrity"][0])
        self.assertNotEqual(ja["integrity"][2], jc["integrity"][2])
        self.assertEqual(ja["integrity"][3:], jc["integrity"][3:])
        del ja["integrity"], jc["integrity"]
        self.assertEqual(ja, jc)

    # The findings counted the way setup/agg.sql did before finding_runs
    # (every finding of the period's checks), to hold the new one to.
    AGG_FROM_FINDINGS = """
SELECT rule, resource_id, severity, exemption,
       count(CASE WHEN status = 'ok' THEN 1 END),
       count(CASE WHEN status = 'alarm' THEN 1 END),
       count(CASE WHEN status = 'exempt' THEN 1 END),
       count(CASE WHEN status = 'skip' THEN 1 END),
       count(CASE WHEN status = 'error' THEN 1 END),
       max(CASE WHEN status <> 'ok' THEN check_run END),
       min(CASE WHEN status <> 'ok' THEN first_seen END)
  FROM findings
 WHERE check_run IN (SELECT check_run FROM chk)
 GROUP BY rule, resource_id, severity, exemption"""

    def comp_agg(self, params, from_findings):
        """comp_agg as setup/agg.sql makes it, or from every finding."""
        qdir = os.path.join(os.path.dirname(SAMPLES), "queries")

        def load(rel):
            out = []
            with open(os.path.join(qdir, rel), encoding="utf-8") as f:
                for line in f:
                    if line.startswith("-- include: "):
                        with open(os.path.join(qdir, line[12:].strip()),
                                  encoding="utf-8") as g:
                            line = g.read()
                    out.append(line)
            return "".join(out)
        sql = load("compliance/setup/agg.sql")
        sql = "WITH" + sql.split("AS\nWITH", 1)[1]
        if from_findings:
            sql = sql[:sql.index(",ck AS MATERIALIZED")] + \
                self.AGG_FROM_FINDINGS
        p = {"from": None, "to": None, "run": None, "as_of": None}
        p.update(params)
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            return sorted(con.execute(sql, p).fetchall(), key=repr)
        finally:
            con.close()

    def test_counts_from_finding_runs_are_the_findings_counts(self):
        """finding_runs (check keeps it, migration 0011) holds the findings
        in runs of checks; the report's counts and spans from it are what
        every finding gives, for a month, a run, a check and --as-of."""
        stored = sorted(self.sql("SELECT * FROM finding_runs"), key=repr)
        self.assertEqual(stored, sorted(self.sql(
            "SELECT * FROM finding_runs_derived"), key=repr))
        self.assertTrue(any(first < last for *_, first, last in stored))
        self.assertEqual(self.sql("SELECT * FROM finding_checks"),
                         self.sql("SELECT * FROM finding_checks_derived"))
        self.assertTrue(self.sql("SELECT 1 FROM finding_runs WHERE status = "
                                 "'skip' AND first_seen IS NULL"))
        self.assertLess(len(stored), self.scalar("SELECT count(*) FROM "
                                                 "findings"))
        self.assertEqual(self.scalar(
            "SELECT sum(r.per_check * (SELECT count(*) FROM runs c WHERE "
            "c.source = 'check' AND c.id BETWEEN r.first_check AND "
            "r.last_check)) FROM finding_runs r"),
            self.scalar("SELECT count(*) FROM findings"))
        for params in ({"from": "2026-11-01", "to": "2026-11-30"},
                       {"from": "2026-11-01", "to": "2026-11-30",
                        "as_of": "2026-11-11T00:00:00Z"},
                       {"from": "2026-11-01", "to": "2026-12-31"},
                       {"from": "2026-12-01", "to": "2026-12-31"},
                       {"run": 3}, {"run": 4}, {"run": 5}):
            want = self.comp_agg(params, True)
            self.assertTrue(want, params)
            self.assertEqual(self.comp_agg(params, False), want, params)
        # A skip whose first_seen is not its check's time (and one that
        # is earlier than it) keeps its own; the counts still agree.
        self.sql("UPDATE findings SET first_seen = '2026-01-01T00:00:00Z' "
                 "WHERE id = (SELECT min(id) FROM findings WHERE status = "
                 "'skip' AND check_run = 4)")
        self.sql("UPDATE findings SET first_seen = '2027-01-01T00:00:00Z' "
                 "WHERE id = (SELECT max(id) FROM findings WHERE status = "
                 "'skip' AND check_run = 2)")
        for t in ("finding_runs", "finding_checks"):
            self.sql("DELETE FROM " + t)
            self.sql("INSERT INTO %s SELECT * FROM %s_derived" % (t, t))
        self.assertTrue(self.sql("SELECT 1 FROM finding_runs WHERE status = "
                                 "'skip' AND first_seen IS NOT NULL"))
        params = {"from": "2026-11-01", "to": "2026-11-30"}
        self.assertEqual(self.comp_agg(params, False),
                         self.comp_agg(params, True))

    def test_a_check_that_judges_again_extends_or_ends_runs(self):
        """A run checked twice: the second check's results extend the
        rows that ended at the first; a changed result starts its own."""
        policy = os.path.join(self.tmp, "p.ini")
        with open(policy, "w", encoding="utf-8") as f:
            f.write("[rule zones-required]\nparam.min_zones = 3\n")
        self.check("2026-12-01T09:00:00Z", policy)
        self.check("2026-12-01T10:00:00Z", policy)
        self.assertEqual(sorted(self.sql("SELECT * FROM finding_runs"),
                                key=repr),
                         sorted(self.sql("SELECT * FROM "
                                         "finding_runs_derived"), key=repr))
        self.assertTrue(self.sql("SELECT 1 FROM finding_runs WHERE "
                                 "first_check = 7 AND last_check = 8"))
        self.assertTrue(self.sql("SELECT 1 FROM finding_runs WHERE "
                                 "last_check = 6"))
        self.expect(OK, "verify")

    def test_verify_holds_finding_runs_to_the_findings(self):
        """finding_runs is derived data, outside the chain: the report's
        Integrity sheet holds it to the findings the chain check reads
        (each check's counts by status, its time and a digest of its
        rows) and names the first check that differs; verify derives it
        again and finds an edit, a deleted row and a row stored twice."""
        self.expect(OK, "verify")
        clean = os.path.join(self.tmp, "clean.db")
        shutil.copyfile(self.db, clean)
        alarm = ("(SELECT min(rowid) FROM finding_runs WHERE status = "
                 "'alarm')")
        for edit, check, words, report_words in (
                ("UPDATE finding_runs SET per_check = 2 WHERE rowid = "
                 + alarm, "SELECT first_check FROM finding_runs WHERE "
                 "rowid = " + alarm, "stored but not in the findings: ",
                 "results, the summary (finding_runs) "),
                ("DELETE FROM finding_runs WHERE rowid = (SELECT max(rowid) "
                 "FROM finding_runs)", "SELECT first_check FROM finding_runs "
                 "WHERE rowid = (SELECT max(rowid) FROM finding_runs)",
                 "missing: ", "results, the summary (finding_runs) "),
                ("INSERT INTO finding_runs SELECT * FROM finding_runs "
                 "WHERE rowid = 1", "SELECT first_check FROM finding_runs "
                 "WHERE rowid = 1", " rows stored, ",
                 "results, the summary (finding_runs) "),
                # The same counts: only the digest tells.
                ("UPDATE finding_runs SET severity = 'low' WHERE rowid = "
                 + alarm, "SELECT first_check FROM finding_runs WHERE "
                 "rowid = " + alarm, "stored but not in the findings: ",
                 "gives the same counts, but not the rules, resources"),
                ("UPDATE finding_checks SET checked_at = "
                 "'2026-11-01T00:00:00Z' WHERE check_run = 4", "SELECT 4",
                 "check 4's time (finding_checks) is not ",
                 "check 4's time (finding_checks) is not ")):
            shutil.copyfile(clean, self.db)
            first = self.scalar(check)
            self.sql(edit)
            self.broken("out", first, "the findings summary (finding_runs) "
                        "does not match the findings: ", report_words)
            r = self.expect(1, "verify")
            self.assertIn("BROKEN: the findings summary (finding_runs) "
                          "does not match the findings: ", r.out)
            self.assertIn(words, r.out)
            shutil.rmtree(os.path.join(self.tmp, "out"))
        shutil.copyfile(clean, self.db)

    def test_an_old_history_gets_finding_runs_when_migrated(self):
        """A history from before migration 0011: migrating builds
        finding_runs from its findings, and the report is the same."""
        a, _ = self.month("a")
        for obj in ("VIEW finding_runs_derived", "VIEW finding_checks_derived",
                    "TABLE finding_runs", "TABLE finding_checks"):
            self.sql("DROP " + obj)
        self.sql("PRAGMA user_version = 10")
        self.expect(OK, "migrate")
        self.assertEqual(self.scalar("PRAGMA user_version"), 12)
        for t in ("finding_runs", "finding_checks"):
            self.assertEqual(sorted(self.sql("SELECT * FROM " + t), key=repr),
                             sorted(self.sql("SELECT * FROM %s_derived" % t),
                                    key=repr))
        b, _ = self.month("b")
        for ext in ("md", "json"):
            self.assertEqual(
                self.read(os.path.join(a, "compliance-2026-11." + ext)),
                self.read(os.path.join(b, "compliance-2026-11." + ext)))
        self.expect(OK, "verify")

    def test_verify_finds_a_stretch_split_or_ending_off_a_check(self):
        """verify compares the summary check by check: a stretch stored
        as two rows that meet, and a row whose end is not a check run,
        are caught too (each check alone still holds the right rows)."""
        clean = os.path.join(self.tmp, "clean.db")
        shutil.copyfile(self.db, clean)
        checks = [r[0] for r in self.sql(
            "SELECT id FROM runs WHERE source = 'check' ORDER BY id")]
        # the newest stretch of two checks or more, cut before its last
        first, last = self.sql(
            "SELECT first_check, last_check FROM finding_runs "
            "WHERE first_check < last_check ORDER BY last_check DESC, "
            "rowid LIMIT 1")[0]
        cut = checks[checks.index(last) - 1]
        collect = self.scalar("SELECT max(id) FROM runs WHERE source <> "
                              "'check' AND id < %d" % last)
        for edits, words in (
                (["INSERT INTO finding_runs SELECT rule, resource_id, "
                  "severity, exemption, status, first_seen, per_check, "
                  "%d, %d FROM finding_runs WHERE rowid = (SELECT min(rowid) "
                  "FROM finding_runs WHERE first_check = %d AND last_check "
                  "= %d)" % (last, last, first, last),
                  "UPDATE finding_runs SET last_check = %d WHERE rowid = "
                  "(SELECT min(rowid) FROM finding_runs WHERE first_check "
                  "= %d AND last_check = %d)" % (cut, first, last)],
                 "checks %d to %d and %d to %d, where the findings give one"
                 % (first, cut, last, last)),
                (["UPDATE finding_runs SET last_check = %d WHERE rowid = "
                  "(SELECT min(rowid) FROM finding_runs WHERE first_check "
                  "= %d AND last_check = %d)" % (collect, first, last)],
                 "not two checks in order")):
            shutil.copyfile(clean, self.db)
            for edit in edits:
                self.sql(edit)
            r = self.expect(1, "verify")
            self.assertIn("BROKEN: the findings summary (finding_runs) "
                          "does not match the findings: stored but not in "
                          "the findings: ", r.out)
            self.assertIn(words, r.out)
        shutil.copyfile(clean, self.db)
        self.expect(OK, "verify")

    def test_the_history_is_only_read(self):
        import hashlib
        with open(self.db, "rb") as f:
            before = hashlib.sha256(f.read()).hexdigest()
        self.month()
        with open(self.db, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), before)


class ExemptionPeriod(CliTest):
    """An exemption's expires is an instant, read as the check reads it
    (a date alone: through the end of that day, UTC; a date-time in its
    zone), and the report's period runs from the midnight (UTC) that
    starts its first day to the one that ends its last."""

    # name: (expires, expired_in_period, expired) for a run report of a
    # collection on 2026-11-21 (the period 2026-11-21T00:00Z to
    # 2026-11-22T00:00Z), checked at 06:20Z.
    CASES = {
        "z-at-start": ("2026-11-21T00:00:00Z", "yes", "yes"),
        "z-last-second": ("2026-11-21T23:59:59Z", "yes", "yes"),
        "z-at-end": ("2026-11-22T00:00:00Z", "no", "no"),
        "day-before": ("2026-11-20", "yes", "yes"),
        "day-two-before": ("2026-11-19", "no", "yes"),
        "day-of-period": ("2026-11-21", "no", "no"),
        "plus2-inside": ("2026-11-22T01:00:00+02:00", "yes", "yes"),
        "plus2-at-end": ("2026-11-22T02:00:00+02:00", "no", "no"),
        "minus1-at-start": ("2026-11-20T23:00:00-01:00", "yes", "yes"),
        "minus1-before": ("2026-11-20T22:59:59-01:00", "no", "yes"),
    }
    NOW = "2026-11-21T06:20:00Z"

    def test_expiry_against_the_period_is_by_instant(self):
        policy = os.path.join(self.tmp, "policy.ini")
        with open(policy, "w", encoding="utf-8") as f:
            for name, (expires, _, _) in self.CASES.items():
                f.write("[exemption %s]\nrule = required-tags\n"
                        "resource = %s\nreason = r\napprover = a\n"
                        "ticket = t\nexpires = %s\n\n" % (name, LLM, expires))
        env = {"AMLFS_AUDIT_NOW": self.NOW}
        self.expect(OK, "collect", "--replay", self.copy_replay(), env=env)
        r = self.run_cli("check", "--policy", policy, "--format", "json",
                         env=env)
        self.assertIn(r.code, (0, 1), r)
        rows = [json.loads(l) for l in r.out.splitlines()]
        # What the check saw as expired at 06:20Z.
        self.assertEqual(sorted(x["exemption"] for x in rows
                                if x["rule"] == "exemption-expired"),
                         ["day-before", "day-two-before", "minus1-at-start",
                          "minus1-before", "z-at-start"])
        out = os.path.join(self.tmp, "out")
        r = self.expect(OK, "report", "compliance", "--run", "1", "--out",
                        out, "--format", "json")
        with open(r.out.split()[0], encoding="utf-8") as f:
            j = json.load(f)
        got = {x["exemption"]: (x["expires"], x["expired_in_period"],
                                x["expired"]) for x in j["exemptions"]}
        self.assertEqual(got, self.CASES)
        # Expired by the period's end includes all the check saw expired.
        for x in rows:
            if x["rule"] == "exemption-expired":
                self.assertEqual(got[x["exemption"]][2], "yes")

    def test_an_expires_sqlite_would_read_otherwise_is_refused(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        for expires in ("2026-11-21T23:59:60Z", "2026-11-21T06:00:00+15:00",
                        "2026-11-21T06:00-23:59"):
            policy = os.path.join(self.tmp, "p.ini")
            with open(policy, "w", encoding="utf-8") as f:
                f.write("[exemption e1]\nrule = required-tags\n"
                        "resource = %s\nreason = r\napprover = a\n"
                        "ticket = t\nexpires = %s\n" % (LLM, expires))
            r = self.expect(USAGE, "check", "--policy", policy)
            self.assertIn("%s:7" % policy, r.err)
            self.assertIn("bad expires '%s'" % expires, r.err)
        # At the limit is fine.
        with open(policy, "w", encoding="utf-8") as f:
            f.write("[exemption e1]\nrule = required-tags\n"
                    "resource = %s\nreason = r\napprover = a\n"
                    "ticket = t\nexpires = 2099-01-01T00:00:00-14:00\n" % LLM)
        r = self.run_cli("check", "--policy", policy)
        self.assertIn(r.code, (0, 1), r)


if __name__ == "__main__":
    main()
