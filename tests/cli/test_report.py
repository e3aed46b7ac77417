"""`report`: a report written entirely by the test (a query, a definition
and a template in a scratch data directory) runs without a rebuild and
writes the workbook, Markdown, CSV and JSON; openpyxl reads the workbook
back; the same history and --as-of give the same outputs; every broken
piece is named."""
import csv
import hashlib
import io
import json
import os
import shutil
import zipfile
from decimal import Decimal

import openpyxl

import readers
from harness import CliTest, main, OK, USAGE, RUNTIME, ROOT, SAMPLES

FOCUS = os.path.join(SAMPLES, "costs", "focus-2026-10.csv.gz")
AS_OF = "2031-01-01T00:00:00Z"
HOSTILE = ['=HYPERLINK("x")', "+1", "@SUM(A1)", "-cmd|' /C calc'!A0", "a|b"]

COSTS_SQL = """-- Actual cost per resource and currency over the period, as of :as_of.
-- Parameters: :from, :to (YYYY-MM-DD), :as_of (ISO time or NULL)
-- Columns: name, currency, billed, share, first_day, ingested, days
WITH r AS (
  SELECT c.resource_key, c.currency, c.cost, c.day, s.ingested_at
  FROM cost_rows c JOIN cost_sources s ON s.id = c.source
  WHERE c.day BETWEEN :from AND :to AND c.cost_type = 'ActualCost'
    AND (:as_of IS NULL OR s.ingested_at <= :as_of)
    AND c.superseded_by IS NULL
)
SELECT replace(resource_key,
               rtrim(resource_key, replace(resource_key, '/', '')), '') AS name,
       currency,
       round(sum(cost), 2) AS billed,
       sum(cost) / (SELECT sum(cost) FROM r r2 WHERE r2.currency = r.currency)
         AS share,
       min(day) AS first_day,
       max(ingested_at) AS ingested,
       count(DISTINCT day) AS days
FROM r
GROUP BY resource_key, currency
ORDER BY currency, name;
"""

HOSTILE_SQL = "-- Text a spreadsheet must not run.\n-- Parameters: none\n" \
    "-- Columns: text, n\n" + "\nUNION ALL ".join(
        "SELECT '%s' AS text, %d AS n" % (t.replace("'", "''"), i)
        for i, t in enumerate(HOSTILE)) + ";\n"

DEFINITION = {
    "name": "t",
    "title": "Test | report",
    "description": "Written by the test",
    "period": "month",
    "datasets": {"costs": "t/x.sql", "hostile": "t/hostile.sql"},
    "sheets": [
        {"name": "Costs", "dataset": "costs", "freeze": True, "autofilter": True,
         "columns": [
             {"field": "name", "header": "File system", "width": 30},
             {"field": "currency", "header": "Currency", "width": 9},
             {"field": "billed", "header": "Billed", "type": "money",
              "currency_field": "currency", "width": 14, "total": "sum"},
             {"field": "share", "header": "Share", "type": "percent"},
             {"field": "first_day", "header": "First day", "type": "date"},
             {"field": "ingested", "header": "Ingested", "type": "datetime"},
             {"field": "days", "header": "Days", "type": "integer", "total": "sum"},
         ],
         "totals_by": "currency",
         "chart": {"type": "bar", "title": "Billed", "categories": "name",
                   "values": ["billed"]}},
        {"name": "All", "dataset": "costs",
         "columns": [{"field": "name"}, {"field": "days", "type": "integer",
                                         "total": "sum"}]},
        {"name": "Hostile", "dataset": "hostile",
         "columns": [{"field": "text", "header": "Text"},
                     {"field": "n", "type": "number", "format": "0.00"}]},
    ],
    "markdown": "t.md.mustache",
    "csv": "costs",
    "json": ["costs", "hostile"],
}

TEMPLATE = """# {{report.title}}: {{report.month}}

| File system | Currency | Billed |
|---|---|---:|
{{#costs}}
| {{name}} | {{currency}} | {{billed}} |
{{/costs}}

{{#hostile}}
- {{text}}
{{/hostile}}

{{> foot}}
"""


class Report(CliTest):
    def setUp(self):
        super().setUp()
        self.expect(OK, "collect", "--replay", self.copy_replay())
        self.expect(OK, "import-costs", FOCUS)
        # The data directory: the project's queries and the test's report.
        self.data = os.path.join(self.tmp, "data")
        shutil.copytree(os.path.join(ROOT, "queries"),
                        os.path.join(self.data, "queries"))
        os.makedirs(os.path.join(self.data, "queries", "t"))
        os.makedirs(os.path.join(self.data, "reports"))
        os.makedirs(os.path.join(self.data, "templates"))
        self.put("queries/t/x.sql", COSTS_SQL)
        self.put("queries/t/hostile.sql", HOSTILE_SQL)
        self.put("reports/t.json", json.dumps(DEFINITION, indent=2))
        self.put("templates/t.md.mustache", TEMPLATE)
        self.put("templates/foot.mustache",
                 "amlfs-audit {{report.generated.tool_version}}, "
                 "as of {{report.generated.time}}\n")

    def put(self, rel, text):
        with open(os.path.join(self.data, rel), "w", encoding="utf-8") as f:
            f.write(text)

    def report(self, code, *args):
        return self.expect(code, "report", *args,
                           env={"AMLFS_AUDIT_DATADIR": self.data})

    def write(self, out, *args):
        out = os.path.join(self.tmp, out)
        r = self.report(OK, "t", "--month", "2026-10", "--out", out, *args)
        return out, r.out.split()

    def read(self, path, mode="r"):
        with open(path, mode) as f:
            return f.read()

    def test_list(self):
        self.put("reports/broken.json", "{")
        r = self.report(OK, "--list")
        self.assertIn("t ", r.out)
        self.assertIn("Test | report", r.out)
        self.assertIn("Written by the test", r.out)
        self.assertNotIn("broken", r.out)
        self.assertIn("bad report definition 'broken'", r.err)
        self.assertIn("skipping", r.err)

    def test_all_four_formats_from_files_alone(self):
        out, paths = self.write("out")
        names = ["t-2026-10." + e for e in ("md", "csv", "json", "xlsx")]
        self.assertEqual(paths, [os.path.join(out, n) for n in names])
        self.assertEqual(sorted(os.listdir(out)), sorted(names))  # no temp left
        data = json.loads(self.read(os.path.join(out, "t-2026-10.json")))
        self.assertEqual(list(data), ["report", "costs", "hostile"])
        self.assertEqual(data["report"]["month"], "2026-10")
        self.assertEqual(data["report"]["from"], "2026-10-01")
        self.assertEqual(data["report"]["params"]["to"], "2026-10-31")
        self.assertEqual(data["report"]["generated"]["time"], "2026-10-31T23:59:59Z")
        costs = data["costs"]
        self.assertEqual(list(costs[0]), ["name", "currency", "billed", "share",
                                          "first_day", "ingested", "days"])
        self.assertEqual({r["currency"] for r in costs}, {"EUR", "USD"})

        rows = list(csv.reader(io.StringIO(self.read(
            os.path.join(out, "t-2026-10.csv")), newline="")))
        self.assertEqual(rows[0], list(costs[0]))
        self.assertEqual(len(rows), len(costs) + 1)
        self.assertEqual({r[0] for r in rows[1:]}, {r["name"] for r in costs})
        self.assertIn(b"\r\n", self.read(os.path.join(out, "t-2026-10.csv"), "rb"))

        md = self.read(os.path.join(out, "t-2026-10.md"))
        self.assertTrue(md.startswith("# Test \\| report: 2026-10\n"), md)
        prod = [r for r in costs if r["name"] == "amlfs-genomics-prod"][0]
        self.assertIn("| amlfs-genomics-prod | USD | %s |" % prod["billed"], md)
        self.assertIn("- '=HYPERLINK(\"x\")", md)
        self.assertIn("- a\\|b", md)
        self.assertIn("as of 2026-10-31T23:59:59Z", md)

    def test_workbook_read_back(self):
        out, _ = self.write("out")
        path = os.path.join(out, "t-2026-10.xlsx")
        data = json.loads(self.read(os.path.join(out, "t-2026-10.json")))
        costs = data["costs"]
        wb = openpyxl.load_workbook(path)
        cached = openpyxl.load_workbook(path, data_only=True)
        self.assertEqual(wb.sheetnames, ["Costs", "All", "Hostile"])
        self.assertEqual(wb.properties.title, "Test | report")
        ws = wb["Costs"]
        self.assertEqual([c.value for c in ws[1]],
                         ["File system", "Currency", "Billed", "Share",
                          "First day", "Ingested", "Days"])
        self.assertEqual(ws.freeze_panes, "A2")
        self.assertEqual(ws.auto_filter.ref, "A1:G%d" % (len(costs) + 1))
        # libxlsxwriter stores the width with Excel's padding.
        self.assertAlmostEqual(ws.column_dimensions["A"].width, 30, delta=1)

        # Cells by type and currency.
        for i, row in enumerate(costs, start=2):
            self.assertEqual(ws.cell(i, 1).value, row["name"])
            self.assertEqual(ws.cell(i, 3).value, row["billed"])
            self.assertEqual(ws.cell(i, 3).number_format,
                             "[$%s] #,##0.00" % row["currency"])
            self.assertEqual(ws.cell(i, 4).number_format, "0.0%")
            self.assertEqual(ws.cell(i, 5).value.strftime("%Y-%m-%d"),
                             row["first_day"])
            self.assertEqual(ws.cell(i, 7).number_format, "0")

        # One totals row per currency after a blank row: exact-match
        # formulas whose cached values are the sums, to the cent.
        first = len(costs) + 3
        totals = {}
        for r in range(first, ws.max_row + 1):
            cur = ws.cell(r, 2).value
            self.assertEqual(ws.cell(r, 1).value, "Total")
            formula = ws.cell(r, 3).value
            self.assertEqual(formula, "=SUMPRODUCT(--EXACT(B2:B%d,B%d),C2:C%d)"
                             % (first - 1, r, first - 1))
            self.assertEqual(ws.cell(r, 3).number_format, "[$%s] #,##0.00" % cur)
            totals[cur] = cached["Costs"].cell(r, 3).value
        self.assertEqual(set(totals), {"EUR", "USD"})
        for cur, got in totals.items():
            want = sum(Decimal(str(r["billed"])) for r in costs
                       if r["currency"] == cur)
            self.assertEqual(Decimal(str(got)), want, cur)

        # Without totals_by: one SUBTOTAL row, its value cached.
        ws = wb["All"]
        r = len(costs) + 3
        self.assertEqual(ws.cell(r, 2).value, "=SUBTOTAL(9,B2:B%d)" % (r - 1))
        self.assertEqual(cached["All"].cell(r, 2).value,
                         sum(x["days"] for x in costs))

        # Text is text, never a formula, whatever it starts with.
        ws = wb["Hostile"]
        for i, text in enumerate(HOSTILE, start=2):
            self.assertEqual(ws.cell(i, 1).value, text)
            self.assertEqual(ws.cell(i, 1).data_type, "s")
            self.assertEqual(ws.cell(i, 2).number_format, "0.00")
        with zipfile.ZipFile(path) as z:
            sheet = z.read("xl/worksheets/sheet3.xml").decode()
            self.assertNotIn("<f>", sheet)
            self.assertIn("xl/charts/chart1.xml", z.namelist())
            core = z.read("docProps/core.xml").decode()
            self.assertIn("2026-10-31T23:59:59Z", core)

    def test_a_total_over_empty_cells_keeps_the_currency_format(self):
        # EUR has no amortized amount: its total is 0.00 in EUR's format,
        # as every other money total, not a bare number.
        self.put("queries/t/x.sql", "-- Parameters: none\n-- Columns: "
                 "name, currency, billed, amortized\n"
                 "SELECT 'a' AS name, 'USD' AS currency, 1.5 AS billed, "
                 "1.25 AS amortized UNION ALL SELECT 'b', 'EUR', 2.5, NULL "
                 "UNION ALL SELECT 'c', 'EUR', 1, NULL;\n")
        d = dict(DEFINITION, datasets={"costs": "t/x.sql"}, json=["costs"],
                 csv="costs", markdown="t.md.mustache")
        money = {"type": "money", "currency_field": "currency", "total": "sum"}
        d["sheets"] = [{"name": "Costs", "dataset": "costs",
                        "columns": [{"field": "name"}, {"field": "currency"},
                                    dict(money, field="billed"),
                                    dict(money, field="amortized")],
                        "totals_by": "currency"}]
        self.put("reports/t.json", json.dumps(d))
        self.put("templates/t.md.mustache", "{{#costs}}{{name}}\n{{/costs}}")
        out, _ = self.write("out", "--format", "xlsx")
        ws = openpyxl.load_workbook(os.path.join(out, "t-2026-10.xlsx"))["Costs"]
        totals = {ws.cell(r, 2).value: r for r in range(6, ws.max_row + 1)}
        self.assertEqual(set(totals), {"EUR", "USD"})
        for cur, r in totals.items():
            for col in (3, 4):
                self.assertEqual(ws.cell(r, col).number_format,
                                 "[$%s] #,##0.00" % cur, (cur, col))
        self.assertIsNone(ws.cell(3, 4).value)

    def test_group_totals_match_exactly_when_recalculated(self):
        # Review finding: SUMIFS matched "usd" with "USD" and read "a*" as
        # a wildcard, so LibreOffice or Excel, recalculating on open,
        # summed other groups into each total.
        self.put("queries/t/x.sql", "-- Parameters: none\n-- Columns: "
                 "grp, billed\nSELECT 'a*' AS grp, 1 AS billed UNION ALL "
                 "SELECT 'ab', 2 UNION ALL SELECT 'A*', 4 UNION ALL "
                 "SELECT 'a?', 8 UNION ALL SELECT '~a', 16 UNION ALL "
                 "SELECT 'a', 32;\n")
        d = dict(DEFINITION, datasets={"costs": "t/x.sql"}, json=["costs"],
                 csv="costs", markdown="t.md.mustache")
        d["sheets"] = [{"name": "Costs", "dataset": "costs",
                        "columns": [{"field": "grp"},
                                    {"field": "billed", "type": "number",
                                     "total": "sum"}],
                        "totals_by": "grp"}]
        self.put("reports/t.json", json.dumps(d))
        self.put("templates/t.md.mustache", "{{#costs}}{{grp}}\n{{/costs}}")
        out, _ = self.write("out", "--format", "xlsx")
        path = os.path.join(out, "t-2026-10.xlsx")
        lo = readers.recalc_xlsx(path, self.tmp)["Costs"]
        totals = {r[0]: r[1] for r in lo[8:] if r and r[0]}
        self.assertEqual(totals, {"a*": 1, "ab": 2, "A*": 4, "a?": 8, "~a": 16,
                                  "a": 32})

    def test_text_that_looks_like_an_escape_shows_as_it_is(self):
        # Review finding: a workbook's text "_x003D_1+1" is the escape of
        # "=1+1" to Excel (a text cell showing another value). Written with
        # its '_' escaped, LibreOffice shows each value as it is.
        values = ["_x003D_1+1", "_x005F_x003D_1+1", "a_x0041_b", "_x00zz_",
                  "plain"]
        self.put("queries/t/x.sql", "-- Parameters: none\n-- Columns: v\n" +
                 " UNION ALL ".join("SELECT '%s' AS v" % v for v in values) +
                 ";\n")
        d = dict(DEFINITION, datasets={"costs": "t/x.sql"}, json=["costs"],
                 csv="costs", markdown="t.md.mustache")
        d["sheets"] = [{"name": "Costs", "dataset": "costs",
                        "columns": [{"field": "v"}]}]
        self.put("reports/t.json", json.dumps(d))
        self.put("templates/t.md.mustache", "{{#costs}}{{v}}\n{{/costs}}")
        out, _ = self.write("out", "--format", "xlsx")
        shown = readers.soffice_convert(os.path.join(out, "t-2026-10.xlsx"),
                                        self.tmp, "csv")
        with open(shown, encoding="utf-8") as f:
            self.assertEqual(f.read().split(), ["v"] + values)

    def test_same_history_and_as_of_give_the_same_outputs(self):
        a, _ = self.write("a", "--as-of", AS_OF)
        b, _ = self.write("b", "--as-of", AS_OF)
        for ext in ("md", "csv", "json"):
            name = "t-2026-10." + ext
            self.assertEqual(self.read(os.path.join(a, name), "rb"),
                             self.read(os.path.join(b, name), "rb"), name)
        xa, xb = (os.path.join(d, "t-2026-10.xlsx") for d in (a, b))
        self.assertEqual(cells(xa), cells(xb))
        self.assertEqual(cells(xa, data_only=True), cells(xb, data_only=True))
        # libxlsxwriter dates the zip entries 1980-01-01 and we fix the
        # document time, so the bytes are the same too.
        self.assertEqual(digest(xa), digest(xb))
        md = self.read(os.path.join(a, "t-2026-10.md"))
        self.assertIn("as of 2031-01-01T00:00:00Z", md)

    def test_as_of_before_the_import_gives_empty_datasets(self):
        out, _ = self.write("out", "--as-of", "2000-01-01")
        data = json.loads(self.read(os.path.join(out, "t-2026-10.json")))
        self.assertEqual(data["costs"], [])
        self.assertEqual(data["report"]["as_of"], "2000-01-01T23:59:59Z")
        self.assertEqual(self.read(os.path.join(out, "t-2026-10.csv")),
                         "name,currency,billed,share,first_day,ingested,days\n")
        wb = openpyxl.load_workbook(os.path.join(out, "t-2026-10.xlsx"))
        self.assertEqual(wb["Costs"].max_row, 1)
        self.assertEqual(wb["All"]["B3"].value, "=SUBTOTAL(9,B2:B2)")

    def test_a_new_column_needs_no_rebuild(self):
        d = json.loads(json.dumps(DEFINITION))
        d["sheets"][1]["columns"].append({"field": "currency", "header": "Cur"})
        self.put("reports/t.json", json.dumps(d))
        out, _ = self.write("out", "--format", "xlsx")
        self.assertEqual(os.listdir(out), ["t-2026-10.xlsx"])
        wb = openpyxl.load_workbook(os.path.join(out, "t-2026-10.xlsx"))
        self.assertEqual([c.value for c in wb["All"][1]], ["name", "days", "Cur"])

    def test_days_and_formats(self):
        out = os.path.join(self.tmp, "out")
        r = self.report(OK, "t", "--from", "2026-10-01", "--to", "2026-10-15",
                        "--out", out, "--format", "json,csv")
        self.assertEqual(r.out.split(), [
            os.path.join(out, "t-2026-10-01_2026-10-15.csv"),
            os.path.join(out, "t-2026-10-01_2026-10-15.json")])
        data = json.loads(self.read(os.path.join(out, "t-2026-10-01_2026-10-15.json")))
        self.assertEqual(data["report"]["to"], "2026-10-15")
        self.assertTrue(all(r["days"] <= 15 for r in data["costs"]))

    def test_default_month_and_directory(self):
        out = os.path.join(self.tmp, "cwd")
        os.makedirs(out)
        old = os.getcwd()
        os.chdir(out)
        try:
            r = self.report(OK, "t", "--format", "md")
        finally:
            os.chdir(old)
        self.assertEqual(r.out.strip(), "./t-2026-10.md")
        self.assertTrue(os.path.exists(os.path.join(out, "t-2026-10.md")))

    def test_run_report(self):
        self.put("queries/t/fs.sql", "-- Parameters: :run\n"
                 "SELECT name, sku FROM filesystems WHERE run_id = :run "
                 "ORDER BY name;\n")
        self.put("reports/fs.json", json.dumps({
            "title": "File systems", "period": "run",
            "datasets": {"fs": "t/fs.sql"}, "csv": "fs"}))
        out = os.path.join(self.tmp, "out")
        r = self.report(OK, "fs", "--out", out)
        self.assertEqual(r.out.split(), [os.path.join(out, "fs-run1.csv"),
                                         os.path.join(out, "fs-run1.json")])
        rows = self.read(os.path.join(out, "fs-run1.csv")).splitlines()
        self.assertEqual(rows[0], "name,sku")
        self.assertGreater(len(rows), 1)
        data = json.loads(self.read(os.path.join(out, "fs-run1.json")))
        self.assertEqual(data["report"]["run"], 1)
        self.assertIsNone(data["report"]["month"])
        r = self.report(USAGE, "fs", "--run", "999", "--out", out)
        self.assertIn("no run 999", r.err)
        self.report(USAGE, "fs", "--month", "2026-10")
        self.report(USAGE, "t", "--run", "1")
        r = self.report(USAGE, "fs", "--format", "xlsx")
        self.assertIn("no xlsx output", r.err)

    def test_configuration_and_usage_parameters(self):
        self.put("queries/t/p.sql", "-- Parameters: :allocate_by, "
                 ":variance_pct, :usage\nSELECT :allocate_by AS a, "
                 ":variance_pct AS v, :usage AS u;\n")
        self.put("reports/p.json", json.dumps({
            "title": "P", "datasets": {"p": "t/p.sql"}}))
        usage = os.path.join(self.tmp, "usage.json")
        with open(usage, "w") as f:
            json.dump([{"resource_id": "x", "cost_center": "=a", "bytes": 5}], f)
        out = os.path.join(self.tmp, "out")
        self.report(OK, "p", "--month", "2026-10", "--out", out,
                    "--usage", usage)
        data = json.loads(self.read(os.path.join(out, "p-2026-10.json")))
        # The sample configuration: allocate_by = CostCenter, Program.
        self.assertEqual(data["p"], [{"a": '["CostCenter","Program"]', "v": 10,
                                      "u": '[{"resource_id":"x","cost_center":"=a","bytes":5}]'}])
        self.assertEqual(data["report"]["params"]["variance_pct"], 10)
        self.assertEqual(data["report"]["params"]["allocate_by"],
                         '["CostCenter","Program"]')
        self.report(OK, "p", "--month", "2026-10", "--out", out)
        data = json.loads(self.read(os.path.join(out, "p-2026-10.json")))
        self.assertIsNone(data["p"][0]["u"])
        with open(usage, "w") as f:
            f.write('{"not": "an array"}')
        r = self.report(USAGE, "p", "--month", "2026-10", "--usage", usage)
        self.assertIn("bad usage file", r.err)
        self.report(RUNTIME, "p", "--month", "2026-10", "--usage",
                    os.path.join(self.tmp, "missing.json"))

    def test_usage_json_is_held_to_the_text_forms_bounds(self):
        # Review finding: 2^63-1 bytes twice overflowed the report's SQL
        # (exit 3), and 1e308 made both parts [0, 0): the file system's
        # cost went to no one while the report exited 0.
        self.put("queries/t/p.sql", "-- Parameters: :usage\nSELECT :usage AS u;\n")
        self.put("reports/p.json", json.dumps({"title": "P",
                                               "datasets": {"p": "t/p.sql"}}))
        usage = os.path.join(self.tmp, "usage.json")
        fs = {"resource_id": "x", "cost_center": "a"}
        for entries, why in (
                ([dict(fs, bytes=2 ** 63 - 1)], "entry 0: bytes is not a whole"),
                ([dict(fs, bytes=1e308)], "entry 0: bytes is not a whole"),
                ([dict(fs, bytes=5), dict(fs, bytes=-1)], "entry 1: bytes"),
                ([dict(fs, bytes=10 ** 17 - 1)] * 47, "entry 46: the file's bytes add up"),
                ([dict(fs, bytes=1), {"cost_center": "a", "bytes": 1}],
                 "entry 1: resource_id is not a text"),
                ([{"resource_id": "x", "bytes": 1}], "entry 0: cost_center is not"),
                ([5], "entry 0: not an object")):
            with open(usage, "w") as f:
                json.dump(entries, f)
            r = self.report(USAGE, "p", "--month", "2026-10", "--usage", usage)
            self.assertIn("bad usage file '%s': %s" % (usage, why), r.err)
        with open(usage, "w") as f:
            json.dump([dict(fs, bytes=10 ** 17 - 1)] * 46, f)
        self.report(OK, "p", "--month", "2026-10", "--usage", usage,
                    "--out", os.path.join(self.tmp, "out"))

    def test_usage_text_file(self):
        # The text form of --usage: FILESYSTEM_ID PROJECT BYTES COST_CENTER
        # a line, as the queries get it (the JSON form, with "project").
        self.put("queries/t/p.sql", "-- Parameters: :usage\n"
                 "SELECT :usage AS u;\n")
        self.put("reports/p.json", json.dumps({
            "title": "P", "datasets": {"p": "t/p.sql"}}))
        fs = ("/subscriptions/%s/resourceGroups/rg/providers/"
              "Microsoft.StorageCache/amlFilesystems/fs1" % ("0" * 8))
        usage = os.path.join(self.tmp, "usage.txt")
        out = os.path.join(self.tmp, "out")

        def run(text, code=OK):
            with open(usage, "wb") as f:
                f.write(text if isinstance(text, bytes) else text.encode())
            return self.report(code, "p", "--month", "2026-10", "--out", out,
                               "--usage", usage)

        run("# lfs quota -p, 2026-10-31\n\n  %s  1001  600  genomics\r\n"
            "\t# a comment\n%s\t/lustre/img\t400\t=imaging|x\n"
            "%s 1002 0 genomics" % (fs, fs.upper().replace(
                "/SUBSCRIPTIONS/", "/subscriptions/"), fs))
        data = json.loads(self.read(os.path.join(out, "p-2026-10.json")))
        self.assertEqual(json.loads(data["p"][0]["u"]), [
            {"resource_id": fs, "project": "1001", "cost_center": "genomics",
             "bytes": 600},
            {"resource_id": fs.upper().replace("/SUBSCRIPTIONS/",
                                               "/subscriptions/"),
             "project": "/lustre/img", "cost_center": "=imaging|x",
             "bytes": 400},
            {"resource_id": fs, "project": "1002", "cost_center": "genomics",
             "bytes": 0}])
        run("# nothing\n")
        data = json.loads(self.read(os.path.join(out, "p-2026-10.json")))
        self.assertEqual(data["p"][0]["u"], "[]")
        # Each kind of bad line: exit 2, FILE:LINE and the field named.
        good = "%s 1 5 a\n" % fs
        for text, want in [
                (good + "%s 1 5\n" % fs, ":2: bad usage line: fewer than 4"),
                (good + "%s 1 5 a b\n" % fs, ":2: bad usage line: more than 4"),
                ("/subscriptions/x/resourceGroups/rg/fs1 1 5 a\n",
                 ":1: field 1 (FILESYSTEM_ID): not a file system"),
                (fs + "/x 1 5 a\n", ":1: field 1 (FILESYSTEM_ID)"),
                ("%s 1 -5 a\n" % fs, ":1: field 3 (BYTES): not a whole"),
                ("%s 1 +5 a\n" % fs, ":1: field 3 (BYTES): not a whole"),
                ("%s 1 5.0 a\n" % fs, ":1: field 3 (BYTES): not a whole"),
                ("%s 1 1e3 a\n" % fs, ":1: field 3 (BYTES): not a whole"),
                ("%s 1 012 a\n" % fs, ":1: field 3 (BYTES): not a whole"),
                ("%s 1 %s a\n" % (fs, "1" * 18), ":1: field 3 (BYTES)"),
                (("%s 1 %s a\n" % (fs, "9" * 17)) * 47,
                 ":47: field 3 (BYTES): the file's bytes add up"),
        ]:
            r = run(text, USAGE)
            self.assertIn(usage + want, r.err, text[:80])
        r = run(b"%s 1 5 caf\xe9\n" % fs.encode(), USAGE)
        self.assertIn("not UTF-8 text", r.err)
        r = run("[1,", USAGE)
        self.assertIn("bad usage file", r.err)

    def test_broken_pieces_are_named(self):
        out = os.path.join(self.tmp, "out")
        r = self.report(USAGE, "nope", "--month", "2026-10")
        self.assertIn("no report 'nope'", r.err)

        d = json.loads(json.dumps(DEFINITION))
        d["sheets"][0]["columns"][2]["type"] = "currency"
        self.put("reports/t.json", json.dumps(d))
        r = self.report(USAGE, "t", "--month", "2026-10", "--out", out)
        self.assertIn("reports/t.json: $.sheets[0].columns[2].type", r.err)

        d = json.loads(json.dumps(DEFINITION))
        d["sheets"][1]["columns"][0]["field"] = "nosuch"
        self.put("reports/t.json", json.dumps(d))
        r = self.report(USAGE, "t", "--month", "2026-10", "--out", out)
        self.assertIn("dataset 'costs' has no column 'nosuch'", r.err)
        self.assertIn("$.sheets[1].columns[0].field", r.err)

        self.put("reports/t.json", json.dumps(DEFINITION))
        self.put("templates/t.md.mustache", "{{#costs}}\n")
        r = self.report(USAGE, "t", "--month", "2026-10", "--out", out)
        self.assertIn("templates/t.md.mustache:", r.err)
        # Not even the directory (the workbook's thread may have made it).
        self.assertFalse(os.path.exists(out))

        self.put("templates/t.md.mustache", TEMPLATE)
        self.put("queries/t/x.sql", "SELECT nosuch FROM cost_rows;\n")
        r = self.report(USAGE, "t", "--month", "2026-10", "--out", out)
        self.assertIn("queries/t/x.sql", r.err)
        self.put("queries/t/x.sql", "DELETE FROM cost_rows;\n")
        r = self.report(USAGE, "t", "--month", "2026-10", "--out", out)
        self.assertIn("may only read", r.err)
        # Nothing half-written anywhere.
        self.assertFalse(os.path.exists(out) and os.listdir(out))

        self.put("queries/t/x.sql", COSTS_SQL)
        self.report(USAGE, "t", "--month", "2026-13")
        self.report(USAGE, "t", "--from", "2026-10-05", "--to", "2026-10-01")
        self.report(USAGE, "t", "--from", "2026-10-05")
        self.report(USAGE, "t", "--format", "pdf")
        self.report(USAGE, "t", "--as-of", "yesterday")
        self.report(USAGE, "--list", "t")
        blocker = os.path.join(self.tmp, "file")
        self.put("../file", "")
        r = self.report(RUNTIME, "t", "--month", "2026-10", "--out",
                        os.path.join(blocker, "sub"))
        self.assertIn("cannot write the report", r.err)
        # The workbook alone, written on a thread of its own: the same
        # failure, naming the directory.
        r = self.report(RUNTIME, "t", "--month", "2026-10", "--format",
                        "xlsx", "--out", os.path.join(blocker, "sub"))
        self.assertIn("cannot write the report", r.err)
        self.assertIn(os.path.join(blocker, "sub"), r.err)

    def test_a_setup_cannot_feed_the_builtin_verify(self):
        """TEMP tables of a setup shadow main's names on the report's
        connection; verify runs on its own, so it sees the history."""
        self.put("queries/t/shadow.sql",
                 "CREATE TEMP TABLE runs AS SELECT * FROM main.runs WHERE 0;\n")
        d = json.loads(json.dumps(DEFINITION))
        d["setup"] = ["t/shadow.sql"]
        d["datasets"] = {"integrity": {"builtin": "verify"}}
        d["sheets"] = [{"name": "Integrity", "dataset": "integrity",
                        "columns": [{"field": "status"},
                                    {"field": "runs", "type": "integer"}]}]
        for k in ("csv", "json", "markdown"):
            d.pop(k, None)
        self.put("reports/t.json", json.dumps(d))
        out, _ = self.write("out", "--format", "json")
        data = json.loads(self.read(os.path.join(out, "t-2026-10.json")))
        runs = self.scalar("SELECT count(*) FROM runs")
        self.assertGreater(runs, 0)
        self.assertEqual([(r["status"], r["runs"]) for r in data["integrity"]],
                         [("ok", runs)])

    def test_setup_computes_once_for_every_dataset(self):
        """A "setup" query makes a TEMP table the datasets read; it may
        create nothing else and write nothing; its tables are gone after."""
        self.put("queries/t/setup.sql",
                 "CREATE TEMP TABLE t_days AS SELECT day, count(*) AS n,\n"
                 "  round(sum(cost), 6) AS cost FROM cost_rows\n"
                 "WHERE day BETWEEN :from AND :to GROUP BY day;\n")
        self.put("queries/t/index.sql", "CREATE INDEX temp.t_days_n ON t_days(n);\n")
        self.put("queries/t/view.sql",
                 "CREATE TEMP VIEW t_total AS SELECT sum(n) AS n FROM t_days;\n")
        self.put("queries/t/days.sql", "-- Columns: day, n, cost\n"
                 "SELECT day, n, cost FROM t_days ORDER BY day;\n")
        self.put("queries/t/total.sql", "-- Columns: n\nSELECT n FROM t_total;\n")
        d = json.loads(json.dumps(DEFINITION))
        d["setup"] = ["t/setup.sql", "t/index.sql", "t/view.sql"]
        d["datasets"] = {"days": "t/days.sql", "total": "t/total.sql"}
        d["sheets"] = [{"name": "Days", "dataset": "days",
                        "columns": [{"field": "day"}, {"field": "n", "type": "integer"}]}]
        d.pop("csv", None)
        d.pop("json", None)
        d["markdown"] = None
        d.pop("markdown")
        self.put("reports/t.json", json.dumps(d))
        before = digest(self.db)
        out, _ = self.write("out", "--format", "json")
        data = json.loads(self.read(os.path.join(out, "t-2026-10.json")))
        want = self.sql("SELECT day, count(*) FROM cost_rows WHERE day "
                        "BETWEEN '2026-10-01' AND '2026-10-31' GROUP BY day ORDER BY day")
        self.assertEqual([(r["day"], r["n"]) for r in data["days"]],
                         [tuple(w) for w in want])
        self.assertEqual(data["total"], [{"n": sum(w[1] for w in want)}])
        self.assertEqual(digest(self.db), before)

        for bad in ("CREATE TABLE main.x AS SELECT 1;",
                    "CREATE TABLE x AS SELECT 1;",
                    "INSERT INTO cost_sources SELECT * FROM cost_sources;",
                    "DELETE FROM cost_rows;",
                    "PRAGMA query_only = 0;",
                    "ATTACH 'other.db' AS o;",
                    "CREATE TEMP TRIGGER tr AFTER INSERT ON cost_rows "
                    "BEGIN SELECT 1; END;",
                    "CREATE TEMP TABLE t_days AS SELECT 1 AS day; SELECT 2;",
                    # Refused while it runs, not when prepared: still exit 2.
                    "CREATE TEMP TABLE t_days AS SELECT * FROM "
                    "pragma_table_info('runs');"):
            self.put("queries/t/setup.sql", bad + "\n")
            r = self.report(USAGE, "t", "--month", "2026-10", "--out",
                            os.path.join(self.tmp, "bad"), "--format", "json")
            self.assertIn("queries/t/setup.sql", r.err, bad)
            self.assertEqual(digest(self.db), before, bad)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "bad")))

        d["setup"] = "t/setup.sql"
        self.put("reports/t.json", json.dumps(d))
        r = self.report(USAGE, "t", "--month", "2026-10")
        self.assertIn("$.setup", r.err)
        d["setup"] = ["../setup.sql"]
        self.put("reports/t.json", json.dumps(d))
        r = self.report(USAGE, "t", "--month", "2026-10")
        self.assertIn("$.setup[0]", r.err)

    def test_the_history_is_only_read(self):
        before = digest(self.db)
        self.write("out")
        self.assertEqual(digest(self.db), before)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cells(path, data_only=False):
    """Every sheet's cells: value, type and number format."""
    wb = openpyxl.load_workbook(path, data_only=data_only)
    return {ws.title: [[(c.value, c.data_type, c.number_format) for c in row]
                       for row in ws.iter_rows()]
            for ws in wb.worksheets}


if __name__ == "__main__":
    main()
