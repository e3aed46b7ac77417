"""A record of a cost export is bounded (issue 12, points 2-3): a quote that
never closes, or runs past 256 lines or 1 MiB, is one malformed row at the
line where it opened; every AMLFS line it took is named by its number and
read again after resync, so no AMLFS cost vanishes unreported; memory stays
bounded whatever the input; a line over 16 MiB names FILE:LINE and the
limit. Money is summed exactly (cost_micros), and verify compares it."""
import hashlib
import json
import os
import re
import resource

from harness import CliTest, main, OK, PARTIAL, FINDINGS, RUNTIME, USAGE

HEADER = "ResourceId,Date,CostInBillingCurrency,BillingCurrencyCode,MeterName\n"
AML = ("/subscriptions/s1/resourceGroups/rg/providers/"
       "Microsoft.StorageCache/amlFilesystems/fs%d")
SA = ("/subscriptions/s1/resourceGroups/rg/providers/"
      "Microsoft.Storage/storageAccounts/sa%d")


def row(rid, day=1, cost="1.5", meter="m"):
    return "%s,10/%02d/2026,%s,USD,%s\n" % (rid, day, cost, meter)


class Records(CliTest):
    def write(self, name, lines):
        return self.put_file(name, "".join(lines))

    def kept(self):
        return self.scalar("SELECT count(*) FROM cost_rows")

    def stray_file(self, name, n, aml_at, stray_at=2, pad=0):
        """HEADER, then n rows (line 2 on); AMLFS at the line numbers in
        aml_at, the rest storage accounts; line stray_at opens a quote."""
        lines = [HEADER]
        for ln in range(2, n + 2):
            if ln == stray_at:
                lines.append(row(SA % ln, meter='"broken'))
            elif ln in aml_at:
                lines.append(row(AML % ln, day=ln % 28 + 1))
            else:
                lines.append(row(SA % ln, meter="x" * pad or "m"))
        return self.write(name, lines)

    def swallowed(self, err, path):
        return sorted(int(m.group(1)) for m in re.finditer(
            re.escape(path) + r":(\d+): an AMLFS line inside the broken "
            r"record of line 2, read again\n", err))

    def test_unterminated_quote_early_reports_and_reads_again(self):
        aml = [5, 9, 30]
        path = self.stray_file("eof.csv", 40, aml)
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:2: malformed row: a quote opened on this line is "
                      "never closed; reading again from line 3" % path, r.err)
        self.assertEqual(self.swallowed(r.err, path), aml)
        self.assertIn(", 3 kept, 1 malformed", r.out)
        self.assertEqual(self.kept(), 3)
        self.assertEqual(self.scalar("SELECT count(DISTINCT resource_key) "
                                     "FROM cost_rows"), 3)
        self.expect(OK, "verify")

    def test_a_stray_quote_closing_at_the_right_width_loses_nothing(self):
        # Line 2's quote closes on line 4 into a row of the header's width
        # that is not AMLFS: the AMLFS row of line 3 it took is named and
        # read again, not dropped with it.
        path = self.write("width.csv", [
            HEADER, "%s,10/01/2026,\"1,USD\n" % (SA % 2), row(AML % 3, day=2),
            'z",USD,m\n', row(AML % 3, day=3)])
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:2: malformed row: a quoted field runs over 3 lines "
                      "of AMLFS rows into a row that is not one; reading "
                      "again from line 3" % path, r.err)
        self.assertEqual(self.swallowed(r.err, path), [3])
        self.assertEqual(self.sql("SELECT day FROM cost_rows ORDER BY day"),
                         [("2026-10-02",), ("2026-10-03",)])

    def test_bound_in_lines(self):
        # The record of line 2 holds lines 2..257; line 258 passes the bound.
        aml = [10, 200, 257, 258, 280]
        path = self.stray_file("lines.csv", 300, aml)
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:2: malformed row: a quote opened on this line is "
                      "still open after 256 lines" % path, r.err)
        self.assertEqual(self.swallowed(r.err, path), [10, 200, 257])
        self.assertEqual(self.kept(), 5)
        self.expect(OK, "verify")

    def test_bound_in_bytes(self):
        # Rows of 200 KB: the sixth passes 1 MiB.
        aml = [4, 12]
        path = self.stray_file("bytes.csv", 14, aml, pad=200000)
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:2: malformed row: a quote opened on this line is "
                      "still open after 1 MiB" % path, r.err)
        self.assertEqual(self.swallowed(r.err, path), [4])
        self.assertEqual(self.kept(), 2)
        self.expect(OK, "verify")

    def test_one_line_over_the_record_bound_is_a_malformed_row(self):
        path = self.write("long.csv", [HEADER, row(AML % 1),
                                       row(AML % 2, meter="y" * (2 << 20)),
                                       row(AML % 3)])
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:3: malformed row: longer than 1 MiB" % path, r.err)
        self.assertEqual(self.kept(), 2)

    def test_a_line_over_16_mib_names_its_line_and_the_limit(self):
        path = self.write("huge.csv", [HEADER, row(AML % 1), row(AML % 2),
                                       row(SA % 3, meter="z" * (17 << 20))])
        r = self.expect(RUNTIME, "import-costs", path)
        self.assertIn("%s:4" % path, r.err)
        self.assertIn("line 4 is longer than 16 MiB", r.err)
        self.assertEqual(self.sql("SELECT name FROM sqlite_master WHERE "
                                  "name = 'cost_rows'")[0][0], "cost_rows")
        self.assertEqual(self.kept(), 0)

    def test_only_a_line_feed_ends_a_record(self):
        # libcsv ended a record at a lone CR too, in the middle of a line:
        # records then did not follow the lines the evidence keeps, and
        # the kept lines read back to other rows (fuzzer findings). Now a
        # CRLF reads as an LF, a lone CR in a header (CR-only line ends)
        # is refused at FILE:LINE, and in a row it is a character: an
        # AMLFS id holding one is a malformed row.
        for n, tail in enumerate(["\r" + row(AML % 1),
                                  '\r"' + row(AML % 1)]):
            path = self.write("cr%d.csv" % n, [HEADER.rstrip("\n") + tail,
                                               row(AML % 2)])
            r = self.expect(USAGE, "import-costs", path)
            self.assertIn("%s:1" % path, r.err)
            self.assertIn("header row: a carriage return not followed by a "
                          "line feed in column 5", r.err)
            self.assertEqual(self.kept(), 0)
        path = self.write("crlf.csv", [
            HEADER.replace("\n", "\r\n"),
            row(AML % 3, day=3).replace("\n", "\r\n"),
            row(SA % 4, meter="a\rb"),
            row(AML % 5, day=5, meter='"quoted\r\nmeter"'),
            row(AML % 6, day=6).replace("fs6", "fs\r6")])
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:6: malformed row: ResourceId holds a control "
                      "character" % path, r.err)
        self.assertEqual(self.sql(
            "SELECT day, meter FROM cost_rows ORDER BY day"),
            [("2026-10-03", "m"), ("2026-10-05", "quoted\nmeter")])

    def test_a_nul_byte_in_a_field_is_a_malformed_row(self):
        # A NUL cut a date or a cost short without a word: "10/01/2026\0x"
        # was read as October 1st (fuzzer finding).
        path = self.write("nul.csv", [
            HEADER, row(AML % 1, day=1), row(AML % 2, day=2) + "",
            "%s,10/03/2026\0junk,1.5,USD,m\n" % (AML % 3),
            "%s,10/04/2026,1.5\x009,USD,m\n" % (AML % 4)])
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:4: malformed row: Date holds a NUL byte" % path,
                      r.err)
        self.assertIn("%s:5: malformed row: CostInBillingCurrency holds a "
                      "NUL byte" % path, r.err)
        self.assertEqual(self.kept(), 2)

    def test_a_stray_quote_in_a_quoted_field_is_seen_by_the_quick_look(self):
        # '"x"y' keeps the field open (libcsv keeps that quote): the line's
        # quotes are even, yet the record runs on into the AMLFS line
        # after it, which must be named, not skipped or swallowed.
        path = self.write("stray.csv", [
            HEADER, row(SA % 2, meter='"x"y'), row(AML % 3, day=3),
            row(AML % 4, day=4)])
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:2: malformed row" % path, r.err)
        self.assertIn("%s:3: an AMLFS line inside the broken record of "
                      "line 2" % path, r.err)
        self.assertEqual(self.kept(), 2)

    def test_a_huge_quoted_field_keeps_memory_bounded(self):
        # 192 MiB inside one quoted field (64 KiB lines), AMLFS rows after.
        path = os.path.join(self.tmp, "field.csv")
        chunk = ("q" * 65535 + "\n")
        with open(path, "w", newline="") as f:
            f.write(HEADER)
            f.write(row(SA % 1, meter='"start'))
            for _ in range(192 * 16):
                f.write(chunk)
            for i in range(3):
                f.write(row(AML % i))
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:2: malformed row: a quote opened on this line is "
                      "still open after 1 MiB" % path, r.err)
        self.assertEqual(self.kept(), 3)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        self.assertLess(peak_mib, 128, "peak RSS of a child %.0f MiB" % peak_mib)

    def test_kept_lines_past_a_mib_are_the_evidence(self):
        # Every line is ours: the evidence is the file, streamed to the
        # body through a temporary file, hashed as it passed.
        lines = [HEADER] + [row(AML % (i % 50), day=i % 28 + 1, meter="m%d" % i)
                            for i in range(30000)]
        path = self.write("all.csv", lines)
        self.expect(OK, "import-costs", path)
        with open(path, "rb") as f:
            data = f.read()
        self.assertGreater(len(data), 2 << 20)
        size, content, sha = self.sql(
            "SELECT b.size, b.content, b.sha256 FROM evidence_log e JOIN "
            "bodies b ON b.id = e.body WHERE e.kind = 'cost_export'")[0]
        self.assertEqual((size, content), (len(data), data))
        self.assertEqual(sha, hashlib.sha256(data).hexdigest())
        self.expect(OK, "verify")

    def test_a_column_read_twice_in_the_header_is_refused(self):
        # Review finding: the first of two BilledCost-like columns won
        # silently; another tool may read the other.
        path = self.write("twice.csv", [
            "ResourceId,Date,CostInBillingCurrency,costInBillingCurrency,"
            "BillingCurrencyCode,MeterName\n",
            "%s,10/01/2026,999,5,USD,m\n" % (AML % 1)])
        r = self.expect(USAGE, "import-costs", path)
        self.assertIn("the column 'CostInBillingCurrency' is there twice "
                      "(columns 3 and 4)", r.err)
        self.assertIn("at %s:1" % path, r.err)
        self.assertEqual(self.kept(), 0)
        # A column the tool does not read may repeat.
        self.expect(OK, "import-costs", self.write("other.csv", [
            HEADER.rstrip("\n") + ",Extra,extra\n", row(AML % 1).rstrip("\n") + ",a,b\n"]))

    def test_money_is_summed_exactly(self):
        big = "12345678901.234567"          # 17 significant digits
        self.assertNotEqual(round(float(big) * 1e6), 12345678901234567)
        path = self.write("exact.csv", [
            HEADER,
            row(AML % 1, cost="0.1", meter="a"),
            row(AML % 1, cost="0.2", meter="b"),
            row(AML % 2, cost=big),
            row(AML % 3, cost="0.0000005", meter="a"),   # ties to even: 0
            row(AML % 3, cost="0.0000015", meter="b"),   # 2
            row(AML % 3, cost="-0.0000025", meter="c"),  # -2
            row(AML % 3, cost="2.5e-6", meter="d"),      # 2
        ])
        self.expect(OK, "import-costs", path)
        got = dict(self.sql("SELECT resource_key, sum(cost_micros) FROM "
                            "cost_rows GROUP BY 1"))
        self.assertEqual(got[(AML % 1).lower()], 300000)
        self.assertEqual(got[(AML % 2).lower()], 12345678901234567)
        self.assertEqual(got[(AML % 3).lower()], 2)
        self.assertNotEqual(self.scalar("SELECT sum(cost) FROM cost_rows "
                                        "WHERE resource_key = ?",
                                        (AML % 1).lower()), 0.3)
        out = self.expect(OK, "costs", "--month", "2026-10", "--format",
                          "json").json()
        by = {c["resource_id"]: c["actual_cost"] for c in out}
        self.assertEqual(by[AML % 1], 0.3)

    def test_a_cost_past_the_exact_range_is_a_malformed_row(self):
        path = self.write("range.csv", [HEADER, row(AML % 1),
                                        row(AML % 2, cost="9300000000000")])
        r = self.expect(PARTIAL, "import-costs", path)
        self.assertIn("%s:3: malformed row: CostInBillingCurrency "
                      "'9300000000000' is out of range" % path, r.err)

    def test_rows_held_before_get_the_same_exact_cost(self):
        # A history of schema 5 (no cost_micros): migrate fills it from the
        # REAL cost, and verify, reading the kept text again, agrees.
        costs = ["0.1", "0.0000015", "0.0411290322580645", "-2.5e-6",
                 "12345.678901", "7"]
        path = self.write("old.csv", [HEADER] + [
            row(AML % i, cost=c) for i, c in enumerate(costs)])
        self.expect(OK, "import-costs", path)
        want = self.sql("SELECT id, cost_micros FROM cost_rows ORDER BY id")
        self.to_schema_5()
        self.expect(OK, "migrate")
        self.assertEqual(self.sql("SELECT id, cost_micros FROM cost_rows "
                                  "ORDER BY id"), want)
        self.expect(OK, "verify")

    def test_verify_compares_the_exact_cost(self):
        path = self.write("v.csv", [HEADER, row(AML % 1, cost="0.1"),
                                    row(AML % 2, cost="0.2")])
        self.expect(OK, "import-costs", path)
        self.expect(OK, "verify")
        self.sql("UPDATE cost_rows SET cost_micros = cost_micros + 1 "
                 "WHERE id = (SELECT min(id) FROM cost_rows)")
        r = self.expect(FINDINGS, "verify", "--format", "json")
        self.assertFalse(r.json()["ok"])
        self.assertIn("cost_rows", json.dumps(r.json()))


if __name__ == "__main__":
    main()
