"""The suite's real readers (readers.py) read what they claim: LibreOffice
recalculates a workbook whose cached values lie, and cmark-gfm's tables
come back cell by cell; their failures are named. Then the chargeback of a
month with hostile tag values, read by them: every formula cell of every
sheet as LibreOffice recalculates it equals the value the workbook caches,
and every Markdown table keeps its columns."""
import json
import os
import re
import shutil
import tempfile
import unittest
import zipfile
import openpyxl

import readers
import test_chargeback_sql as cb
from harness import CliTest, OK

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="One" sheetId="1" r:id="rId1"/><sheet name="Two" sheetId="2" r:id="rId2"/></sheets>
</workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/>
</Relationships>"""
SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>"""


def write_xlsx(path, sheet1, sheet2):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", SHEET % sheet1)
        z.writestr("xl/worksheets/sheet2.xml", SHEET % sheet2)


# A1 = 1.25, A2 = 2, A3 = SUM(A1:A2) whose cached value claims 999; on the
# second sheet a formula over the first, cached as 0.
LYING = ('<row r="1"><c r="A1"><v>1.25</v></c></row>'
         '<row r="2"><c r="A2"><v>2</v></c></row>'
         '<row r="3"><c r="A3"><f>SUM(A1:A2)</f><v>999</v></c></row>',
         '<row r="1"><c r="B1"><f>One!A3*2</f><v>0</v></c></row>')


class RecalcTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="readers-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_wrong_cached_values_are_recalculated(self):
        path = os.path.join(self.tmp, "lying.xlsx")
        write_xlsx(path, *LYING)
        values = readers.recalc_xlsx(path, self.tmp)
        self.assertEqual(list(values), ["One", "Two"])
        self.assertEqual(values["One"], [[1.25], [2], [3.25]])
        self.assertEqual(values["Two"], [[None, 6.5]])

    def test_without_the_profile_setting_the_lie_survives(self):
        # The control: LibreOffice's own default keeps the cached values,
        # so the test above passes only because the profile is read.
        path = os.path.join(self.tmp, "lying.xlsx")
        write_xlsx(path, *LYING)
        values = readers.recalc_xlsx(path, self.tmp, mode=readers.RECALC_NEVER)
        self.assertEqual(values["One"][2], [999])
        self.assertEqual(values["Two"], [[None, 0]])

    def test_failures_are_named(self):
        with self.assertRaisesRegex(readers.ReaderError, "no such file"):
            readers.recalc_xlsx(os.path.join(self.tmp, "absent.xlsx"), self.tmp)
        junk = os.path.join(self.tmp, "junk.xlsx")
        with open(junk, "wb") as f:
            f.write(b"PK\x03\x04 not a workbook")
        with self.assertRaisesRegex(readers.ReaderError,
                                    "soffice: converting '.*junk.xlsx'"):
            readers.recalc_xlsx(junk, self.tmp)

    def test_a_missing_program_is_named(self):
        saved = readers.SOFFICE
        readers.SOFFICE = os.path.join(self.tmp, "no-soffice")
        try:
            path = os.path.join(self.tmp, "lying.xlsx")
            write_xlsx(path, *LYING)
            with self.assertRaisesRegex(readers.ReaderError, "cannot run"):
                readers.recalc_xlsx(path, self.tmp)
        finally:
            readers.SOFFICE = saved


class GfmTest(unittest.TestCase):
    def test_tables_cell_by_cell(self):
        md = ("# Title\n\nSome | text that is not a table.\n\n"
              "| A | B \\| C | D |\n|---|---:|---|\n"
              "| `x \\| y` | a<br>b | &lt;b&gt;not bold&lt;/b&gt; |\n"
              "| | **bold** | ``two ` ticks`` |\n\n"
              "Between.\n\n| One |\n|-----|\n| 1 |\n")
        tables = readers.gfm_tables(md)
        self.assertEqual(tables, [
            [["A", "B | C", "D"], ["x | y", "a\nb", "<b>not bold</b>"],
             ["", "bold", "two ` ticks"]],
            [["One"], ["1"]],
        ])

    def test_a_broken_table_shows(self):
        # An unescaped pipe adds a cell: cmark-gfm drops the excess, so a
        # cell count per row is no proof; the texts are.
        tables = readers.gfm_tables("| A | B |\n|---|---|\n| a|b | c | d |\n")
        self.assertEqual(tables, [[["A", "B"], ["a", "b"]]])
        # A newline in a cell ends the table.
        tables = readers.gfm_tables("| A | B |\n|---|---|\n| a\nb | c |\n")
        self.assertEqual(tables[0][0], ["A", "B"])
        self.assertNotIn(["a\nb", "c"], tables[0])

    def test_raw_html_is_not_text(self):
        tables = readers.gfm_tables("| A |\n|---|\n| <b>x</b><script>y</script> |\n")
        self.assertEqual(tables, [[["A"], ["xy"]]])

    def test_no_tables(self):
        self.assertEqual(readers.gfm_tables("plain\n"), [])
        self.assertEqual(readers.gfm_tables(""), [])

    def test_a_missing_program_is_named(self):
        saved = readers.CMARK_GFM
        readers.CMARK_GFM = "/nonexistent/cmark-gfm"
        try:
            with self.assertRaisesRegex(readers.ReaderError, "cannot run"):
                readers.gfm_tables("| a |\n|---|\n")
        finally:
            readers.CMARK_GFM = saved


# Tag values a Markdown table or a spreadsheet must survive.
HOSTILE = ["CC|`7`", "line\nbreak", "``tick`` | =SUM(A1)", "<b>x</b> \\|"]


class ChargebackRead(CliTest):
    """The October history of test_chargeback_sql, plus a file system
    whose cost center changes every few days to a hostile value."""
    write_csv = cb.ChargebackSql.write_csv
    config = cb.ChargebackSql.config
    collect = cb.ChargebackSql.collect
    imp = cb.ChargebackSql.imp

    def setUp(self):
        super().setUp()
        split = ("amlfilesystems.page1.json",
                 cb.set_tag("amlfs-genomics-scratch", "chargeback-split", cb.SPLIT))
        self.collect(cb.RUN1, split)
        rows = cb.october_rows()
        for d in cb.OCTOBER:
            tag = {"CostCenter": HOSTILE[(d.day - 1) // 8]}
            rows.append(cb.row(cb.AERO, d, "0.333333", tag=tag))
        self.imp(cb.IMPORT1, self.write_csv("october.csv", rows))
        self.out = os.path.join(self.tmp, "out")
        self.expect(OK, "report", "chargeback", "--month", "2026-10",
                    "--out", self.out, "--format", "xlsx,md,csv,json",
                    config=self.config())

    def test_libreoffice_recalculates_every_formula_to_the_cached_value(self):
        path = os.path.join(self.out, "chargeback-2026-10.xlsx")
        formulas = openpyxl.load_workbook(path)
        cached = openpyxl.load_workbook(path, data_only=True)
        lo = readers.recalc_xlsx(path, self.tmp)
        self.assertEqual(list(lo), formulas.sheetnames)
        seen = 0
        for ws in formulas.worksheets:
            got = lo[ws.title]
            for row in ws.iter_rows():
                for c in row:
                    want = cached[ws.title][c.coordinate].value
                    if isinstance(c.value, str) and c.value.startswith("="):
                        seen += 1
                        self.assertIsInstance(want, (int, float), c.coordinate)
                        mine = got[c.row - 1][c.column - 1]
                        self.assertAlmostEqual(
                            mine, want, places=6,
                            msg="%s!%s %s" % (ws.title, c.coordinate, c.value))
                    elif isinstance(want, str):
                        # Text stays text: no tag value became a formula.
                        self.assertEqual(got[c.row - 1][c.column - 1], want)
        self.assertGreater(seen, 10)
        # The hostile values arrived as cells, not formulas.
        summary = [r[0] for r in lo["Summary"]]
        for v in HOSTILE:
            self.assertIn(v, summary)

    def test_every_markdown_table_keeps_its_columns(self):
        with open(os.path.join(self.out, "chargeback-2026-10.md"),
                  encoding="utf-8") as f:
            md = f.read()
        tables = readers.gfm_tables(md)
        self.assertEqual([t[0][0] for t in tables],
                         ["Cost center", "File system", "Resource", "Kind",
                          "Month", "Role"])
        # cmark-gfm pads short rows and drops extra cells, and a newline
        # ends a table: so each source row must split on its unescaped
        # pipes into as many cells as its header, and every source row
        # must be a row of cmark-gfm's table.
        blocks, block = [], None
        for line in md.splitlines():
            if line.startswith("|"):
                if block is None:
                    block = []
                    blocks.append(block)
                block.append(line)
            else:
                block = None
        self.assertEqual(len(blocks), len(tables))
        for src, t in zip(blocks, tables):
            self.assertEqual(len(src) - 1, len(t), src)     # less the |---| row
            width = len(t[0])
            for line, r in zip([src[0]] + src[2:], t):
                cells = re.split(r"(?<!\\)\|", line)[1:-1]
                self.assertEqual(len(cells), width, line)
                self.assertEqual(len(r), width, r)
        # The Summary table is the summary dataset, cell for cell, hostile
        # cost centers included (a newline shows as a space).
        with open(os.path.join(self.out, "chargeback-2026-10.json"),
                  encoding="utf-8") as f:
            summary = json.load(f)["summary"]
        want = [[r["cost_center"].replace("\n", " "), r["currency"],
                 r["billed_text"], r["amortized_text"], r["share_text"],
                 str(r["lines"])] for r in summary]
        self.assertEqual(tables[0][1:], want)
        for v in HOSTILE:
            self.assertIn(v.replace("\n", " "), [r[0] for r in want])

if __name__ == "__main__":
    unittest.main()
