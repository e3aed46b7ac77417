"""Cost export files: every format and quirk, provenance, idempotence,
supersession and as-of reproduction, retail-price estimates, `costs`."""
import hashlib
import json
import os
import shutil
from decimal import Decimal

from harness import CliTest, main, OK, USAGE, RUNTIME, PARTIAL, SAMPLES

COSTS = os.path.join(SAMPLES, "costs")
EA = os.path.join(COSTS, "ea-actual-2026-10.csv")
EA_AMORTIZED = os.path.join(COSTS, "ea-amortized-2026-10.csv")
MCA = os.path.join(COSTS, "mca-actual-2026-10.csv")
FOCUS = os.path.join(COSTS, "focus-2026-10.csv.gz")
FOCUS_NOV = os.path.join(COSTS, "focus-2026-11-partial.csv")
PRICES = os.path.join(COSTS, "retail-prices.json")

# samples/costs/README.md: October 2026 totals.
ACTUAL = {
    "amlfs-genomics-prod": "22107.457536", "amlfs-genomics-scratch": "15177.154560",
    "amlfs-cfd-aero-01": "4915.886975", "amlfs-cfd-transient": "2422.683649",
    "amlfs-llm-scratch": "31571.548568", "amlfs-render-feature-film": "31472.009257",
    "amlfs-render-dailies": "6178.059305", "amlfs-vfx-sim": "5496.884197",
}
AMORTIZED_PROD = "17685.966028"
RELATED = "stgenomicsarchive01"
RELATED_TOTAL = "7924.884368"


def money(x):
    return Decimal(str(x)).quantize(Decimal("0.000001"))


class Costs(CliTest):
    def imp(self, code, *files, conf=None, args=()):
        kw = {"config": conf} if conf else {}
        return self.expect(code, "import-costs", *args, *files, **kw)

    def costs(self, *args):
        rows = self.expect(OK, "costs", "--format", "json", *args).json()
        return {(r["name"], r["currency"]): r for r in rows}

    def test_each_format_gives_the_same_october(self):
        # EA (BOM, CRLF, braceless tags, a malformed row) and MCA (ISO
        # dates, tags with braces, EUR) against FOCUS (gzip, lower-cased ids).
        r = self.imp(PARTIAL, EA, EA_AMORTIZED, MCA)
        self.assertIn("ea-actual-2026-10.csv:103: malformed row", r.err)
        self.assertIn("1 malformed", r.out)
        by_files = self.costs("--month", "2026-10")
        self.db = os.path.join(self.tmp, "focus.db")
        self.imp(OK, FOCUS)
        by_focus = self.costs("--month", "2026-10")
        for name, total in ACTUAL.items():
            cur = "EUR" if "render" in name or "vfx" in name else "USD"
            self.assertEqual(money(by_files[(name, cur)]["actual_cost"]), Decimal(total), name)
            self.assertEqual(money(by_focus[(name, cur)]["actual_cost"]), Decimal(total), name)
        self.assertEqual(money(by_files[("amlfs-genomics-prod", "USD")]["amortized_cost"]),
                         Decimal(AMORTIZED_PROD))
        self.assertEqual(money(by_focus[("amlfs-genomics-prod", "USD")]["amortized_cost"]),
                         Decimal(AMORTIZED_PROD))
        self.assertEqual(by_focus[("amlfs-cfd-transient", "USD")]["days"], 20)

    def test_non_amlfs_rows_are_left_out_and_related_ones_kept_when_configured(self):
        self.imp(OK, FOCUS, conf=os.devnull)
        names = {n for n, _ in self.costs("--month", "2026-10")}
        self.assertEqual(names, set(ACTUAL))          # no VMs, no storage account
        self.db = os.path.join(self.tmp, "related.db")
        self.imp(OK, FOCUS)                           # the sample config names it
        rel = self.costs("--month", "2026-10")[(RELATED, "USD")]
        self.assertEqual(money(rel["actual_cost"]), Decimal(RELATED_TOTAL))
        self.assertEqual(rel["kind"], "related")

    def test_lower_cased_ids_join_the_inventory(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        self.imp(OK, FOCUS)
        rows = self.expect(OK, "costs", "--month", "2026-10", "--format", "json").json()
        prod = [r for r in rows if r["name"] == "amlfs-genomics-prod"][0]
        # The id as ARM spells it (from the inventory), not the lower-cased one.
        self.assertIn("/resourceGroups/rg-genomics-prod/providers/Microsoft.StorageCache/"
                      "amlFilesystems/amlfs-genomics-prod", prod["resource_id"])

    def test_provenance_and_importing_twice(self):
        r = self.imp(PARTIAL, EA)
        sha = hashlib.sha256(open(EA, "rb").read()).hexdigest()
        self.assertIn("sha256 " + sha, r.out)
        src = self.sql("SELECT kind, name, sha256, format, cost_type, rows_kept, "
                       "rows_malformed, first_day, last_day FROM cost_sources")
        self.assertEqual(src, [("file", EA, sha, "ea", "ActualCost", 206, 1,
                                "2026-10-01", "2026-10-31")])
        rows = self.scalar("SELECT count(*) FROM cost_rows")
        r = self.imp(OK, EA)
        self.assertIn("already imported as source 1", r.out)
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_rows"), rows)
        # A copy under another name is the same bytes: still one source.
        copy = os.path.join(self.tmp, "copy.csv")
        shutil.copy(EA, copy)
        self.imp(OK, copy)
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_sources"), 1)

    def test_a_newer_overlapping_export_replaces_and_history_stays(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        self.expect(OK, "import-costs", FOCUS, env={"AMLFS_AUDIT_NOW": "2026-11-01T06:00:00Z"})
        r = self.expect(OK, "import-costs", FOCUS_NOV,
                        env={"AMLFS_AUDIT_NOW": "2026-11-03T06:00:00Z"})
        self.assertIn("older rows superseded", r.out)
        now = self.costs("--month", "2026-10")
        self.assertEqual(money(now[("amlfs-genomics-prod", "USD")]["actual_cost"]),
                         Decimal("22071.776102"))
        self.assertEqual(money(now[("amlfs-genomics-prod", "USD")]["amortized_cost"]),
                         Decimal("17657.420880"))
        # Nothing doubled: one current row per resource, day, type and meter.
        dup = self.sql("SELECT resource_key, day, cost_type, meter, count(*) FROM "
                       "costs_current GROUP BY 1, 2, 3, 4 HAVING count(*) > 1")
        self.assertEqual(dup, [])
        # The superseded rows stay, and October as it stood on Nov 2 comes back.
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_rows WHERE "
                                     "superseded_by IS NOT NULL"), 2)
        before = self.costs("--month", "2026-10", "--as-of", "2026-11-02")
        self.assertEqual(money(before[("amlfs-genomics-prod", "USD")]["actual_cost"]),
                         Decimal(ACTUAL["amlfs-genomics-prod"]))
        self.assertEqual(before[("amlfs-genomics-prod", "USD")]["sources"], [FOCUS])
        self.assertEqual(sorted(now[("amlfs-genomics-prod", "USD")]["sources"]),
                         sorted([FOCUS, FOCUS_NOV]))
        # Other resources are not touched by the newer file.
        self.assertEqual(money(now[("amlfs-vfx-sim", "EUR")]["actual_cost"]),
                         Decimal(ACTUAL["amlfs-vfx-sim"]))

    def ea(self, name, rows):
        """An EA export of one AMLFS on 2026-10-01: rows of (meter, cost,
        CostCenter tag or None), or a text line as it is."""
        rid = ("/subscriptions/s1/resourceGroups/rg/providers/"
               "Microsoft.StorageCache/amlFilesystems/fs1")
        lines = ["ResourceId,Date,CostInBillingCurrency,BillingCurrencyCode,"
                 "MeterName,Tags\n"]
        for r in rows:
            if isinstance(r, str):
                lines.append(r)
                continue
            meter, cost, cc = r
            tags = '"{""CostCenter"":""%s""}"' % cc if cc else ""
            lines.append("%s,10/01/2026,%s,USD,%s,%s\n" % (rid, cost, meter, tags))
        return self.put_file(name, "".join(lines))

    def current(self):
        return sorted(self.sql("SELECT meter, cost_micros, tags FROM cost_rows "
                               "WHERE superseded_by IS NULL"))

    def test_a_newer_import_differing_in_a_tag_or_a_repeated_row_replaces(self):
        # Review finding: the repeat check compared rows as a set, on meter,
        # currency and cost only, so these newer files changed nothing.
        self.imp(OK, self.ea("s1.csv", [("cap", "10", None), ("tput", "5", None)]))
        r = self.imp(OK, self.ea("s2.csv", [("cap", "10", None), ("cap", "10", None)]))
        self.assertIn("2 kept, 0 malformed, 2 older rows superseded", r.out)
        self.assertEqual(self.current(), [("cap", 10000000, None)] * 2)
        self.imp(OK, self.ea("t1.csv", [("cap", "10", "CC-1"), ("cap", "10", "CC-1")]))
        self.imp(OK, self.ea("t2.csv", [("cap", "10", "CC-2"), ("cap", "10", "CC-2")]))
        self.assertEqual(self.current(), [("cap", 10000000, '{"CostCenter":"CC-2"}')] * 2)
        # A true repeat (other bytes, same rows) still adds nothing.
        r = self.imp(OK, self.ea("t3.csv", [("cap", "10.0", "CC-2"), ("cap", "10", "CC-2")]))
        self.assertIn("0 older rows superseded", r.out)
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_rows WHERE source = 5"), 0)
        self.assertEqual(self.sql("SELECT DISTINCT scope LIKE '%\"repeats\":\"exact\"%' "
                                  "FROM runs"), [(1,)])
        self.expect(OK, "verify")

    def test_a_partial_file_that_would_replace_older_rows_is_refused_whole(self):
        # Review finding: its malformed row's meter was superseded with the
        # rest of the day, and the cost was lost without a trace in the totals.
        self.imp(OK, self.ea("p1.csv", [("cap", "10", None), ("tput", "5", None)]))
        bad = self.ea("p2.csv", [("cap", "11", None), "/subscriptions/s1/resourceGroups/"
                                 "rg/providers/Microsoft.StorageCache/amlFilesystems/fs1,"
                                 "10/01/2026,5,0,USD,tput,\n"])
        r = self.imp(USAGE, bad)
        self.assertIn("p2.csv:3: malformed row", r.err)
        self.assertIn("p2.csv", r.err.split("nothing imported")[1])
        self.assertIn("would replace 2 older cost rows: nothing imported", r.err)
        self.assertEqual(self.current(), [("cap", 10000000, None), ("tput", 5000000, None)])
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_sources"), 1)
        self.assertEqual(self.scalar("SELECT count(*) FROM runs"), 1)
        # A partial file that replaces nothing is kept, as before (exit 4).
        self.db = os.path.join(self.tmp, "first.db")
        self.imp(PARTIAL, bad)
        self.assertEqual(self.current(), [("cap", 11000000, None)])

    def test_unknown_header_is_refused_by_name(self):
        bad = os.path.join(COSTS, "unknown-format.csv")
        r = self.imp(USAGE, bad)
        self.assertIn("unknown-format.csv:1", r.err)
        self.assertIn("no matching header", r.err)
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_sources"), 0)

    def test_broken_gzip_stores_nothing(self):
        cut = os.path.join(self.tmp, "cut.csv.gz")
        data = open(FOCUS, "rb").read()
        with open(cut, "wb") as f:
            f.write(data[: len(data) // 2])
        r = self.imp(USAGE, cut)
        self.assertIn("cut.csv.gz", r.err)
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_rows"), 0)

    def test_a_file_name_that_is_not_utf8_is_named(self):
        # Review finding: "cannot start run: NOT NULL constraint failed".
        path = os.path.join(self.tmp, "caf\udce9.csv")      # b"caf\xe9.csv"
        shutil.copy(EA, path)
        r = self.imp(USAGE, path)
        self.assertIn("the file's name is not UTF-8 text", r.err)
        self.assertIn("caf?.csv (non-ASCII bytes shown as ?)", r.err)
        self.assertEqual(self.scalar("SELECT count(*) FROM runs"), 0)

    def test_missing_file(self):
        r = self.imp(RUNTIME, os.path.join(self.tmp, "nope.csv"))
        self.assertIn("nope.csv", r.err)

    def test_amortized_type_from_option_and_name(self):
        self.imp(OK, EA_AMORTIZED)
        self.assertEqual(self.scalar("SELECT cost_type FROM cost_sources"), "AmortizedCost")
        self.db = os.path.join(self.tmp, "typed.db")
        renamed = os.path.join(self.tmp, "export.csv")
        shutil.copy(EA_AMORTIZED, renamed)
        self.imp(OK, renamed, args=("--type", "amortized"))
        self.assertEqual(self.scalar("SELECT DISTINCT cost_type FROM cost_rows"),
                         "AmortizedCost")
        self.expect(USAGE, "import-costs", "--type", "list", renamed)

    def test_tags_in_both_shapes(self):
        self.imp(PARTIAL, EA)
        tags = json.loads(self.scalar("SELECT tags FROM cost_rows WHERE resource_key "
                                      "LIKE '%amlfs-genomics-prod' LIMIT 1"))
        self.assertEqual(tags.get("CostCenter"), "CC-4410")
        self.imp(OK, MCA)
        tags = json.loads(self.scalar("SELECT tags FROM cost_rows WHERE resource_key "
                                      "LIKE '%amlfs-vfx-sim' LIMIT 1"))
        self.assertTrue(tags)

    def test_retail_prices_estimate(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        self.imp(OK, FOCUS)
        r = self.expect(OK, "import-prices", PRICES)
        self.assertIn("20 AMLFS prices kept", r.out)
        c = self.costs("--month", "2026-10")
        # Premium-125, 128 TiB, eastus at 0.233 per TiB-hour, 31 days.
        self.assertAlmostEqual(c[("amlfs-genomics-prod", "USD")]["estimated_cost"],
                               128 * 24 * 31 * 0.233, places=3)
        # Billed 0.4 % under the list price: the sample's daily discount.
        self.assertEqual(c[("amlfs-genomics-prod", "USD")]["variance_pct"], -0.4)
        self.assertIsNone(c[("amlfs-render-dailies", "EUR")]["estimated_cost"])  # USD prices
        self.assertIsNone(c[("amlfs-render-dailies", "EUR")]["variance_pct"])
        self.expect(OK, "import-prices", PRICES)          # idempotent
        self.assertEqual(self.scalar("SELECT count(*) FROM retail_prices"), 20)

    def test_prices_fetched_from_the_api_with_paging(self):
        import http.server
        import threading
        with open(PRICES) as f:
            answer = json.load(f)
        root = os.path.join(self.tmp, "www")
        os.makedirs(os.path.join(root, "api", "retail"))
        srv = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), lambda *a: http.server.SimpleHTTPRequestHandler(
                *a, directory=root))
        base = "http://127.0.0.1:%d" % srv.server_address[1]
        first = dict(answer, Items=answer["Items"][:12],
                     NextPageLink=base + "/page2.json")
        second = dict(answer, Items=answer["Items"][12:], NextPageLink=None)
        with open(os.path.join(root, "api", "retail", "prices"), "w") as f:
            json.dump(first, f)
        with open(os.path.join(root, "page2.json"), "w") as f:
            json.dump(second, f)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            conf = os.path.join(self.tmp, "prices.conf")
            with open(conf, "w") as f:
                f.write("[costs]\nprices_url = %s/api/retail/prices\n" % base)
            r = self.expect(OK, "import-prices", "--fetch", config=conf)
            self.assertIn("20 AMLFS prices kept", r.out)
            self.assertEqual(self.scalar("SELECT count(DISTINCT source) FROM "
                                         "retail_prices"), 2)
        finally:
            srv.shutdown()

    def test_costs_json_is_stable_and_periods_work(self):
        self.imp(OK, FOCUS)
        self.imp(OK, FOCUS_NOV)
        rows = self.expect(OK, "costs", "--format", "json").json()   # newest month
        self.assertEqual({r["name"] for r in rows} - {RELATED},
                         {"amlfs-genomics-prod", "amlfs-genomics-scratch",
                          "amlfs-cfd-aero-01", "amlfs-llm-scratch"})
        for r in rows:
            self.assertEqual(list(r), ["resource_id", "name", "kind", "currency",
                                       "actual_cost", "amortized_cost", "estimated_cost",
                                       "variance_pct", "days", "sources"])
        one = self.costs("--from", "2026-10-05", "--to", "2026-10-05")
        self.assertEqual(one[("amlfs-vfx-sim", "EUR")]["days"], 1)
        self.expect(USAGE, "costs", "--month", "2026-13")
        self.expect(USAGE, "costs", "--from", "2026-10-05")
        self.expect(USAGE, "costs", "--from", "2026-10-06", "--to", "2026-10-05")
        csv_out = self.expect(OK, "costs", "--month", "2026-10", "--format", "csv").out
        self.assertTrue(csv_out.startswith('"resource_id","name"'))

    def test_costs_without_data(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        r = self.expect(RUNTIME, "costs")
        self.assertIn("no cost data yet", r.err)


if __name__ == "__main__":
    main()
