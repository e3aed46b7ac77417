"""Cost data under verify (issue 8): every cost row is a projection of
evidence in the chain (a query's answers, an import's kept lines), each
source is covered by its run's hash, and any single edit, insert or
delete in cost_rows or cost_sources is caught."""
import gzip
import os
import shutil
import sqlite3

from harness import CliTest, main, FINDINGS, OK, PARTIAL, SAMPLES
from fake import Fake, credentials

COSTS = os.path.join(SAMPLES, "costs")
EA = os.path.join(COSTS, "ea-actual-2026-10.csv")
MCA = os.path.join(COSTS, "mca-actual-2026-10.csv")
FOCUS = os.path.join(COSTS, "focus-2026-10.csv.gz")
FOCUS_NOV = os.path.join(COSTS, "focus-2026-11-partial.csv")
PRICES = os.path.join(COSTS, "retail-prices.json")

FIRST = "(SELECT min(id) FROM cost_rows)"
EDITS = {
    "a cost times ten": "UPDATE cost_rows SET cost = cost * 10 WHERE id = " + FIRST,
    "an exact cost edited": "UPDATE cost_rows SET cost_micros = cost_micros"
                            " + 1 WHERE id = " + FIRST,
    "a row deleted": "DELETE FROM cost_rows WHERE id = " + FIRST,
    "a row added": "INSERT INTO cost_rows (source, resource_key, resource_id, "
                   "day, cost_type, meter, currency, cost) SELECT source, "
                   "resource_key, resource_id, '2026-10-31', cost_type, meter, "
                   "currency, 1 FROM cost_rows WHERE id = " + FIRST,
    "a row repeated": "INSERT INTO cost_rows (source, resource_key, "
                      "resource_id, day, cost_type, meter, currency, cost, "
                      "quantity, unit, tags, superseded_by) SELECT source, "
                      "resource_key, resource_id, day, cost_type, meter, "
                      "currency, cost, quantity, unit, tags, superseded_by "
                      "FROM cost_rows WHERE id = " + FIRST,
    "a supersession undone": "UPDATE cost_rows SET superseded_by = NULL "
                             "WHERE superseded_by IS NOT NULL",
    "a currency changed": "UPDATE cost_rows SET currency = 'EUR' WHERE id = " + FIRST,
    "a source's hash": "UPDATE cost_sources SET sha256 = "
                       "'0000000000000000000000000000000000000000000000000000000000000000'"
                       " WHERE id = 1",
    "a source's counts": "UPDATE cost_sources SET rows_kept = rows_kept + 1 "
                         "WHERE id = 1",
    "a source deleted with its rows":
        "DELETE FROM cost_rows WHERE source = 1; "
        "DELETE FROM cost_sources WHERE id = 1",
    "a price edited": "UPDATE retail_prices SET price_tib_hour = "
                      "price_tib_hour / 2 WHERE id = (SELECT min(id) FROM "
                      "retail_prices)",
    "a price deleted": "DELETE FROM retail_prices WHERE id = (SELECT max(id) "
                       "FROM retail_prices)",
    "a price added": "INSERT INTO retail_prices (sku, region, currency, "
                     "price_tib_hour, unit_price, unit, effective_from, "
                     "source, ingested_at) VALUES ('AMLFS-Durable-Premium-40',"
                     " 'mars', 'USD', 0.01, 0.00001, '1 GiB/Hour', "
                     "'2026-01-01', 'forged', '2026-11-01T00:00:00Z')",
    "a month's running totals edited":
        "UPDATE cost_months SET totals = replace(totals, '1', '2') "
        "WHERE rowid = (SELECT min(rowid) FROM cost_months)",
    "a month deleted": "DELETE FROM cost_months WHERE rowid = "
                       "(SELECT max(rowid) FROM cost_months)",
    "a month repeated": "INSERT INTO cost_months SELECT * FROM cost_months "
                        "WHERE rowid = (SELECT min(rowid) FROM cost_months)",
    "a month's supersession undone": "UPDATE cost_months SET superseded_by "
                                     "= NULL WHERE superseded_by IS NOT NULL",
    "a source added outside the chain":
        "INSERT INTO cost_sources (kind, name, format, ingested_at) "
        "VALUES ('file', 'forged.csv', 'ea', '2026-11-01T00:00:00Z')",
}


class Base(CliTest):
    def script(self, sql):
        """Several statements, as someone editing the file would run them."""
        con = sqlite3.connect(self.db)
        try:
            con.executescript(sql)
        finally:
            con.close()


class VerifyCosts(Base):
    def history(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        self.expect(PARTIAL, "import-costs", EA)        # one malformed row
        self.expect(OK, "import-costs", MCA, FOCUS, FOCUS_NOV)
        self.expect(OK, "import-prices", PRICES)
        self.assertGreater(self.scalar("SELECT count(*) FROM retail_prices"), 0)
        self.assertGreater(self.scalar(
            "SELECT count(*) FROM cost_rows WHERE superseded_by IS NOT NULL"), 0)
        self.expect(OK, "verify")

    def snapshot(self):
        clean = os.path.join(self.tmp, "clean.db")
        shutil.copyfile(self.db, clean)
        return clean

    def test_an_import_is_a_link_of_the_chain(self):
        self.history()
        runs = self.expect(OK, "runs", "--format", "json").json()
        imports = [r for r in runs if r["source"] == "import"]
        self.assertEqual(len(imports), 5)          # 4 exports, the prices
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_sources WHERE "
                                     "run_id IS NULL"), 0)
        # Each import keeps its parsed lines, header included, as evidence.
        body = self.sql("SELECT b.content FROM evidence_log e JOIN bodies b "
                        "ON b.id = e.body WHERE e.kind = 'cost_export' AND "
                        "e.url LIKE '%focus-2026-10%'")[0][0]
        with gzip.open(FOCUS, "rb") as f:
            lines = f.read().splitlines(keepends=True)
        self.assertTrue(body.startswith(lines[0]))
        # AMLFS, and the related storage account the sample config names.
        kept = [l for l in lines[1:] if b"amlfilesystems" in l.lower() or
                b"stgenomicsarchive01" in l.lower()]
        self.assertEqual(body.count(b"\n"), 1 + len(kept))
        r = self.expect(OK, "verify")
        self.assertIn("cost rows intact", r.out)

    def test_cost_months_is_what_the_cost_rows_give(self):
        # Each import derived the months it touched again, supersession
        # included: the table is, row for row, the running totals of the
        # cost rows (computed here on their own: 31 records of 48
        # characters, migration 0010), and verify names the table an edit
        # of it broke.
        self.history()
        self.assertGreater(self.scalar(
            "SELECT count(*) FROM cost_months WHERE superseded_by IS NOT NULL"), 0)
        days = {}
        for src, sup, key, cur, tags, day, kind, micros in self.sql(
                "SELECT source, superseded_by, resource_key, currency, tags, "
                "day, cost_type, cost_micros FROM cost_rows"):
            d = days.setdefault((src, sup, key, cur, tags, day[:7]), {})
            a, m, has_m = d.get(int(day[8:]), (0, 0, False))
            if kind == "ActualCost":
                a += micros
            else:
                m, has_m = m + micros, True
            d[int(day[8:])] = (a, m, has_m)
        want = set()
        for k, d in days.items():
            a = m = rows = nm = 0
            out = []
            for n in range(1, 32):
                if n in d:
                    a, m, rows = a + d[n][0], m + d[n][1], rows + 1
                    nm += d[n][2]
                out.append("%20d%20d%4d%4d" % (a, m, rows, nm))
            want.add(k + ("".join(out),))
        got = set(self.sql("SELECT source, superseded_by, resource_key, "
                           "currency, tags, month, totals FROM cost_months"))
        self.assertEqual(got, want)
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_months"), len(want))
        self.script("UPDATE cost_months SET totals = replace(totals, '1', '2')")
        r = self.expect(FINDINGS, "verify")
        self.assertIn("table 'cost_months' differs from the cost rows", r.out + r.err)

    def test_every_single_edit_is_caught(self):
        self.history()
        clean = self.snapshot()
        for what, sql in EDITS.items():
            shutil.copyfile(clean, self.db)
            self.script(sql)
            r = self.expect(FINDINGS, "verify", "--format", "json")
            self.assertFalse(r.json()["ok"], what)

    def test_only_the_parsed_lines_are_kept(self):
        # A large export that is mostly other services: the history grows
        # by its AMLFS lines, not by the file.
        big = os.path.join(self.tmp, "big-focus.csv")
        with gzip.open(FOCUS, "rt", newline="") as f:
            lines = f.read().splitlines(keepends=True)
        other = lines[1].replace("amlFilesystems", "storageAccounts").replace(
            "microsoft.storagecache/amlfilesystems", "microsoft.storage/x")
        with open(big, "w", newline="") as f:
            f.write(lines[0])
            for i in range(20000):
                f.write(other)
            f.writelines(lines[1:])
        self.expect(OK, "import-costs", big)
        size = os.path.getsize(big)
        stored = self.scalar("SELECT sum(length(content)) FROM bodies")
        self.assertLess(stored, size / 10)
        self.expect(OK, "verify")


class LiveCosts(Base):
    @classmethod
    def setUpClass(cls):
        cls.fake = Fake("--page-size", "2")

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def test_query_answers_are_the_evidence_of_cost_rows(self):
        conf = self.fake.config(os.path.join(self.tmp, "live.conf"),
                                "[costs]\nquery = yes\n")
        env = dict(credentials(), AMLFS_AUDIT_NOW="2026-11-20T10:00:00Z")
        self.expect(OK, "collect", config=conf, env=env)
        self.assertGreater(self.scalar("SELECT count(*) FROM cost_rows"), 0)
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_sources WHERE "
                                     "kind = 'api'"), 8)
        self.expect(OK, "verify", config=conf)
        clean = os.path.join(self.tmp, "clean.db")
        shutil.copyfile(self.db, clean)
        for sql in (EDITS["a cost times ten"], EDITS["a row deleted"],
                    EDITS["a source's counts"]):
            shutil.copyfile(clean, self.db)
            self.script(sql)
            self.expect(FINDINGS, "verify", config=conf)


if __name__ == "__main__":
    main()
