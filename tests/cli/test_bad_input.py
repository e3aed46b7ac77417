"""Bad input never crashes and never drops silently (issue 12): every gzip
member is read, trailing bytes are refused with their offset, and a cost,
quantity, date, currency or text that is not what it must be makes a
malformed row at FILE:LINE naming the column, the rest imported."""
import csv
import gzip
import io
import os
import subprocess

from harness import BIN, CONF, CliTest, main, OK, PARTIAL, USAGE, SAMPLES

EA = os.path.join(SAMPLES, "costs", "ea-actual-2026-10.csv")


def ea_rows():
    with open(EA, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
    return buf.getvalue().encode("utf-8")


class BadInput(CliTest):
    def kept(self):
        return self.scalar("SELECT count(*) FROM cost_rows")

    def test_every_gzip_member_is_read(self):
        header, rows = ea_rows()
        path = os.path.join(self.tmp, "two.csv.gz")
        whole = write_csv(os.path.join(self.tmp, "x.csv"), header, rows)
        cut = whole.index(b"\r\n", len(whole) // 2) + 2
        with open(path, "wb") as f:           # what gzip -n >> makes
            f.write(gzip.compress(whole[:cut], mtime=0))
            f.write(gzip.compress(whole[cut:], mtime=0))
        r = self.expect(PARTIAL, "import-costs", path)   # its one bad row
        self.assertIn("206 kept", r.out)

    def test_trailing_bytes_after_gzip_are_refused_with_the_offset(self):
        header, rows = ea_rows()
        data = gzip.compress(write_csv(os.path.join(self.tmp, "x.csv"),
                                       header, rows), mtime=0)
        path = os.path.join(self.tmp, "tail.csv.gz")
        with open(path, "wb") as f:
            f.write(data + b"garbage")
        r = self.expect(USAGE, "import-costs", path)
        self.assertIn("byte offset %d" % len(data), r.err)
        self.assertEqual(self.kept(), 0)

    def test_each_bad_field_is_a_malformed_row_naming_its_column(self):
        header, rows = ea_rows()
        ours = [i for i, r in enumerate(rows)
                if "amlfilesystems" in r[header.index("ResourceId")].lower()]
        cost = header.index("CostInBillingCurrency")
        cases = [
            (cost, "inf"), (cost, "1e999"), (cost, "infinity"), (cost, "nan"),
            (cost, "0x1p4"), (cost, " 12"), (cost, "1e-400"),
            (cost, "12345678901234567890123456789"),
            (header.index("Quantity"), "NaN"),
            (header.index("Date"), "2026-11-31"),
            (header.index("Date"), "02/31/2026"),
            (header.index("Date"), "10/03/2026garbage"),
            (header.index("BillingCurrencyCode"), "=USD"),
            (header.index("ResourceId"), rows[ours[0]][header.index("ResourceId")]
             + "\udcff"),
        ]
        for n, (col, value) in enumerate(cases):
            bad = [list(r) for r in rows]
            bad[ours[n + 1]][col] = value
            path = os.path.join(self.tmp, "bad%d.csv" % n)
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\r\n").writerows([header] + bad)
            with open(path, "wb") as f:
                f.write(buf.getvalue().encode("utf-8", "surrogateescape"))
            self.db = os.path.join(self.tmp, "h%d.db" % n)
            r = self.expect(PARTIAL, "import-costs", path)
            line = ours[n + 1] + 2
            self.assertIn("%s:%d: malformed row" % (path, line), r.err, value)
            self.assertIn(header[col] if col != header.index("Date")
                          else "date", r.err)
            # The rest is imported: one row fewer than the clean file.
            self.assertIn("205 kept", r.out, value)

    def test_the_bundled_recordings_alone_collect_cleanly(self):
        # No configuration at all: cost queries are not asked of a
        # recording unless [costs] query says so.
        self.expect(OK, "collect", "--replay", self.copy_replay(), config=None)

    def test_a_bad_recorded_at_is_refused_naming_the_manifest(self):
        replay = self.copy_replay()
        manifest = os.path.join(replay, "manifest.json")
        with open(manifest) as f:
            text = f.read()
        with open(manifest, "w") as f:
            f.write(text.replace('"recorded_at": "', '"recorded_at": "x', 1))
        r = self.expect(USAGE, "collect", "--replay", replay)
        self.assertIn("recorded_at", r.err)
        self.assertIn(manifest, r.err)

    def test_two_collects_racing_on_a_new_history_both_land(self):
        replay = self.copy_replay()
        for i in range(5):
            db = os.path.join(self.tmp, "race%d.db" % i)
            argv = [BIN, "-q", "--db", db, "--config", CONF, "collect",
                    "--replay", replay]
            procs = [subprocess.Popen(argv, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
                     for _ in range(2)]
            outs = [p.communicate(timeout=60) for p in procs]
            for p, (out, err) in zip(procs, outs):
                self.assertEqual(p.returncode, OK, err)
            self.db = db
            self.assertEqual(self.scalar("SELECT count(*) FROM runs"), 2)


if __name__ == "__main__":
    main()
