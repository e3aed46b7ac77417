"""The chargeback's SQL (queries/chargeback/*.sql), run on histories the CLI
built (collect --replay, import-costs of FOCUS files written here), with the
parameters the report engine binds: allocation by tag per day (billing
tags, the snapshot in force, inheritance), a mid-month tag change, shared
file systems split by tag or usage file, related resources, Unallocated with
reasons, two currencies, supersession and --as-of, largest-remainder
rounding, the reconciliation; and the report definition and template that
name them."""
import csv
import json
import os
import re
import sqlite3
from datetime import date, timedelta
from decimal import Decimal, ROUND_HALF_UP

from harness import CliTest, main, OK, ROOT, CONF, edit_json

QUERIES = os.path.join(ROOT, "queries", "chargeback")


def read_query(name):
    """A dataset's SQL with its includes expanded, as src/store/query.c
    does: a line '-- include: REL' becomes queries/REL."""
    with open(os.path.join(QUERIES, name + ".sql"), encoding="utf-8") as f:
        text = f.read()
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith("-- include: "):
            rel = line[len("-- include: "):].strip()
            with open(os.path.join(ROOT, "queries", rel), encoding="utf-8") as g:
                out.append(g.read() + "\n")
        else:
            out.append(line)
    return "".join(out)


def setup_queries():
    """The report definition's "setup" queries (reports/chargeback.json),
    which the engine runs first on the report's connection: they create the
    TEMP tables the datasets read."""
    with open(os.path.join(ROOT, "reports", "chargeback.json"),
              encoding="utf-8") as f:
        setup = json.load(f).get("setup", [])
    return [read_query(os.path.relpath(rel, "chargeback")[:-len(".sql")])
            for rel in setup]


DATASETS = ["summary", "lines", "by_filesystem", "daily", "unallocated",
            "anomalies", "trend", "sources", "reconciliation"]
PARAMS = ("from", "to", "month", "as_of", "allocate_by", "variance_pct", "usage")

HPC = "6f3c2b1e-8a47-4d9e-b5c2-1e7a9d4f0b63"
MR = "c94e7a15-2f6b-4b8d-9e31-7ad05c8b2e4f"
FS_TYPE = "microsoft.storagecache/amlfilesystems"
SA_TYPE = "microsoft.storage/storageaccounts"


def fs_id(sub, rg, name):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.StorageCache/"
            "amlFilesystems/%s" % (sub, rg, name))


def sa_id(sub, rg, name):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/"
            "storageAccounts/%s" % (sub, rg, name))


PROD = fs_id(HPC, "rg-genomics-prod", "amlfs-genomics-prod")
SCRATCH = fs_id(HPC, "rg-genomics-prod", "amlfs-genomics-scratch")
AERO = fs_id(HPC, "rg-cfd-aero", "amlfs-cfd-aero-01")
LLM = fs_id(HPC, "rg-ai-training", "amlfs-llm-scratch")
GHOST = fs_id(HPC, "rg-ghost", "amlfs-ghost")
FILM = fs_id(MR, "rg-render-farm", "amlfs-render-feature-film")
DAILIES = fs_id(MR, "rg-render-farm", "amlfs-render-dailies")
VFX = fs_id(MR, "rg-vfx-sim", "amlfs-vfx-sim")
GHOST2 = fs_id(MR, "rg-ghost", "amlfs-ghost2")
ARCHIVE = sa_id(HPC, "rg-genomics-prod", "stgenomicsarchive01")   # prod's HSM account
UNLINKED = sa_id(HPC, "rg-genomics-prod", "stunlinked01")          # nobody's

OCTOBER = [date(2026, 10, d) for d in range(1, 32)]
RUN1, RUN2 = "2026-10-01T06:00:00Z", "2026-10-16T06:00:00Z"
IMPORT1, IMPORT2 = "2026-11-01T06:00:00Z", "2026-11-03T06:00:00Z"
SPLIT = "genomics:60,imaging:40"

D = Decimal


def cents(x):
    return D(x).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def tags(obj):
    return "" if obj is None else json.dumps(obj)


def row(rid, day, billed, currency="USD", tag=None, effective=None):
    """One FOCUS row: BilledCost, EffectiveCost (= billed unless given)."""
    kind = FS_TYPE if "/amlfilesystems/" in rid.lower() else SA_TYPE
    return {
        "BilledCost": billed, "EffectiveCost": effective or billed,
        "BillingCurrency": currency,
        "ChargePeriodStart": "%sT00:00:00Z" % day,
        "ChargePeriodEnd": "%sT00:00:00Z" % (day + timedelta(days=1)),
        "ResourceId": rid.lower(), "ResourceName": rid.rsplit("/", 1)[1],
        "Tags": tags(tag), "x_SkuMeterName": "Capacity",
        "ConsumedQuantity": "1", "ConsumedUnit": "GiB/Hour",
        "x_ResourceType": kind,
    }


def october_rows():
    """The month the main tests read (see each test for what it checks)."""
    out = []
    for d in OCTOBER:
        out.append(row(AERO, d, "10.000000"))                    # snapshot tags
        prod_tag = ({"CostCenter": "CC-4410", "Owner": "x"} if d.day <= 10
                    else {"costcenter": "CC-5000"})              # changed on the 11th
        out.append(row(PROD, d, "20.000000", tag=prod_tag, effective="16.000000"))
        out.append(row(SCRATCH, d, "10.000001"))                 # split in the snapshot
        out.append(row(LLM, d, "5.000000", tag={}))              # subscription's tag
        out.append(row(GHOST, d, "1.000000"))                    # never collected
        out.append(row(ARCHIVE, d, "2.000000", tag={"purpose": "archive"}))
        out.append(row(UNLINKED, d, "0.500000"))
        out.append(row(FILM, d, "30.000000", "EUR", {"costcenter": "mr-2001"}))
        out.append(row(DAILIES, d, "3.333333", "EUR"))           # resource group's
        out.append(row(VFX, d, "4.000000", "EUR", {"CostCenter": " "}))
        out.append(row(GHOST2, d, "0.010000", "EUR", {"CostCenter": ""}))
    return out


def set_tag(name, key, value):
    def fn(body):
        for fs in body["value"]:
            if fs["name"] == name:
                fs.setdefault("tags", {})[key] = value
    return fn


class ChargebackSql(CliTest):
    # -- building histories --------------------------------------------------
    def write_csv(self, name, rows):
        path = os.path.join(self.tmp, name)
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        return path

    def config(self):
        """The sample configuration with a second, unlinked related resource."""
        with open(CONF, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"(?m)^related_resources = .*$",
                      "related_resources = %s,\n  %s" % (ARCHIVE, UNLINKED), text)
        path = os.path.join(self.tmp, "amlfs-audit.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def collect(self, when, *edits):
        replay = self.copy_replay()
        hpc = os.path.join(replay, "bodies", "research-hpc")
        for page, fn in edits:
            edit_json(os.path.join(hpc, page), fn)
        self.expect(OK, "collect", "--replay", replay,
                    env={"AMLFS_AUDIT_NOW": when})

    def imp(self, when, path, conf=None):
        self.expect(OK, "import-costs", path, config=conf or self.config(),
                    env={"AMLFS_AUDIT_NOW": when})

    def october(self):
        """Run 1 on Oct 1 (the samples), run 2 on Oct 16 (amlfs-cfd-aero-01's
        CostCenter changed); amlfs-genomics-scratch carries the split rule in
        both; the October costs imported on Nov 1."""
        split = ("amlfilesystems.page1.json",
                 set_tag("amlfs-genomics-scratch", "chargeback-split", SPLIT))
        self.collect(RUN1, split)
        self.collect(RUN2, split, ("amlfilesystems.page2.json",
                                   set_tag("amlfs-cfd-aero-01", "CostCenter", "AERO-99")))
        self.imp(IMPORT1, self.write_csv("october.csv", october_rows()))

    def small(self, *rows):
        """The samples collected, and a few cost rows."""
        self.collect(RUN1)
        self.imp(IMPORT1, self.write_csv("small.csv", list(rows)))

    # -- running the datasets ------------------------------------------------
    def query(self, name, **kw):
        p = dict.fromkeys(PARAMS)
        p.update({"month": "2026-10", "allocate_by": '["CostCenter","Program"]',
                  "variance_pct": 10})
        p.update(kw)
        sql = read_query(name)
        con = sqlite3.connect(self.db)
        try:
            for setup in setup_queries():
                con.execute(setup, p)
            cur = con.execute(sql, p)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]
        finally:
            con.close()

    def lines(self, **kw):
        return self.query("lines", **kw)

    def by_cc(self, rows, currency="USD"):
        out = {}
        for r in rows:
            if r["BillingCurrency"] == currency:
                k = r["x_CostCenter"]
                out[k] = out.get(k, D(0)) + D(str(r["BilledCost"]))
        return out

    def assert_reconciles(self, **kw):
        """Every dataset of a currency adds up to its billed total to the
        cent, and the reconciliation says so."""
        rec = {r["currency"]: r for r in self.query("reconciliation", **kw)}
        for cur, r in rec.items():
            billed = D(str(r["billed"]))
            self.assertEqual(billed, cents(r["billed_exact"]), cur)
            self.assertEqual(D(str(r["allocated"])), billed, cur)
            self.assertEqual(r["difference"], 0, cur)
            self.assertEqual(r["exact_difference"], 0, cur)
            self.assertEqual(r["difference_text"], "0.00")
            self.assertTrue(r["statement"].endswith(", difference 0.00"), r["statement"])
            if r["amortized"] is not None:
                self.assertEqual(r["amortized_difference"], 0, cur)
            for name, field, ccy in (("lines", "BilledCost", "BillingCurrency"),
                                     ("summary", "billed", "currency"),
                                     ("daily", "billed", "currency"),
                                     ("by_filesystem", "billed", "currency")):
                total = sum(D(str(x[field])) for x in self.query(name, **kw)
                            if x[ccy] == cur)
                self.assertEqual(total, billed, (name, cur))
        return rec

    # -- the month -----------------------------------------------------------
    def test_allocation_by_day_tag_source_and_inheritance(self):
        self.october()
        lines = self.lines()
        usd = self.by_cc(lines)
        # A snapshot tag changed on Oct 16 (run 2): days 1-15 and 16-31.
        self.assertEqual(usd["AERO-17"], D("150.00"))
        self.assertEqual(usd["AERO-99"], D("160.00"))
        aero = [l for l in lines if l["ResourceName"] == "amlfs-cfd-aero-01"]
        self.assertEqual({(l["x_CostCenter"], l["ChargePeriodStart"], l["ChargePeriodEnd"],
                           l["x_Days"], l["x_TagSource"]) for l in aero},
                         {("AERO-17", "2026-10-01T00:00:00Z", "2026-10-16T00:00:00Z", 15, "snapshot"),
                          ("AERO-99", "2026-10-16T00:00:00Z", "2026-11-01T00:00:00Z", 16, "snapshot")})
        # A billing tag changed on Oct 11, key spelled two ways; amortized beside.
        prod = {l["x_CostCenter"]: l for l in lines if l["ResourceName"] == "amlfs-genomics-prod"}
        self.assertEqual((prod["CC-4410"]["BilledCost"], prod["CC-4410"]["EffectiveCost"],
                          prod["CC-4410"]["x_Days"], prod["CC-4410"]["x_AllocationTag"],
                          prod["CC-4410"]["x_TagSource"]), (200.0, 160.0, 10, "CostCenter", "billing"))
        self.assertEqual((prod["CC-5000"]["BilledCost"], prod["CC-5000"]["EffectiveCost"],
                          prod["CC-5000"]["x_AllocationTag"]), (420.0, 336.0, "costcenter"))
        # The related storage account follows prod's allocation, day by day.
        arch = {l["x_CostCenter"]: l for l in lines if l["ResourceName"] == "stgenomicsarchive01"}
        self.assertEqual({k: v["BilledCost"] for k, v in arch.items()},
                         {"CC-4410": 20.0, "CC-5000": 42.0})
        self.assertEqual(arch["CC-4410"]["x_ResourceKind"], "related")
        self.assertEqual(arch["CC-4410"]["x_FollowsResourceId"], PROD)
        # No tag on the resource: its subscription's, then its group's.
        llm = [l for l in lines if l["ResourceName"] == "amlfs-llm-scratch"]
        self.assertEqual([(l["x_CostCenter"], l["x_Inherited"], l["BilledCost"]) for l in llm],
                         [("CC-4400", "subscription", 155.0)])
        eur = self.by_cc(lines, "EUR")
        dailies = [l for l in lines if l["ResourceName"] == "amlfs-render-dailies"]
        self.assertEqual([(l["x_CostCenter"], l["x_Inherited"], l["x_BilledCostExact"])
                          for l in dailies], [("MR-2001", "resource_group", "103.333323")])
        # An empty billing value is passed over: the snapshot's tag decides.
        vfx = [l for l in lines if l["ResourceName"] == "amlfs-vfx-sim"]
        self.assertEqual([(l["x_CostCenter"], l["x_TagSource"], l["x_Inherited"]) for l in vfx],
                         [("MR-2040", "snapshot", None)])
        # Values are kept as spelled (case differs: an anomaly, not merged).
        self.assertEqual(eur["mr-2001"], D("930.00"))
        self.assertEqual(eur["MR-2001"], D("103.33"))
        # The resource ids as ARM spells them, from the inventory.
        self.assertIn(PROD, {l["ResourceId"] for l in lines})
        self.assert_reconciles()

    def test_where_before_which_key(self):
        """The billing row's tags, then the resource's snapshot, then the
        inherited ones; the key order counts within each."""
        def prod_program(body):
            fs = body["value"][0]
            del fs["tags"]["CostCenter"]
            fs["tags"]["Program"] = "P1"
        self.collect(RUN1, ("amlfilesystems.page1.json", prod_program))
        d = date(2026, 10, 5)
        self.imp(IMPORT1, self.write_csv("order.csv", [
            row(PROD, d, "1.000000"),                         # snapshot Program, not the group's CostCenter
            row(SCRATCH, d, "1.000000", tag={"Program": "P2"}),   # billing Program, not the snapshot's costcenter
            row(AERO, d, "1.000000", tag={"Program": "P3", "costCenter": "C3"}),
        ]))
        got = {l["ResourceName"]: (l["x_CostCenter"], l["x_AllocationTag"], l["x_TagSource"],
                                   l["x_Inherited"]) for l in self.lines()}
        self.assertEqual(got, {
            "amlfs-genomics-prod": ("P1", "Program", "snapshot", None),
            "amlfs-genomics-scratch": ("P2", "Program", "billing", None),
            "amlfs-cfd-aero-01": ("C3", "costCenter", "billing", None),
        })
        got = {l["ResourceName"]: l["x_CostCenter"]
               for l in self.lines(allocate_by='["Program","CostCenter"]')}
        self.assertEqual(got["amlfs-cfd-aero-01"], "P3")
        self.assert_reconciles()

    def test_shared_file_system_split_by_the_snapshot_tag(self):
        self.october()
        scratch = {l["x_CostCenter"]: l for l in self.lines()
                   if l["ResourceName"] == "amlfs-genomics-scratch"}
        self.assertEqual(set(scratch), {"genomics", "imaging"})
        g, i = scratch["genomics"], scratch["imaging"]
        self.assertEqual((g["x_SplitShare"], i["x_SplitShare"]), (60.0, 40.0))
        self.assertEqual((g["x_AllocationTag"], g["x_TagSource"]), ("chargeback-split", "snapshot"))
        # Exact to the micro-unit: 31 x 10.000001 = 186.000000 + 124.000031.
        self.assertEqual((g["x_BilledCostExact"], i["x_BilledCostExact"]),
                         ("186.000000", "124.000031"))
        self.assertEqual((g["BilledCost"], i["BilledCost"]), (186.0, 124.0))
        self.assert_reconciles()

    def test_usage_file_splits_by_bytes_before_any_tag(self):
        self.october()
        usage = json.dumps([
            {"resource_id": SCRATCH.upper(), "cost_center": "genomics", "bytes": 2 ** 40},
            {"resource_id": SCRATCH, "cost_center": "imaging", "bytes": 2 ** 40},
            {"resource_id": SCRATCH, "cost_center": "genomics", "bytes": 2 ** 41},
        ])
        lines = [l for l in self.lines(usage=usage)
                 if l["ResourceName"] == "amlfs-genomics-scratch"]
        got = {l["x_CostCenter"]: (l["x_SplitShare"], l["x_TagSource"], l["x_BilledCostExact"])
               for l in lines}
        self.assertEqual(got, {"genomics": (75.0, "usage", "232.500000"),
                               "imaging": (25.0, "usage", "77.500031")})
        self.assert_reconciles(usage=usage)
        bad = json.dumps([{"resource_id": SCRATCH, "cost_center": "", "bytes": 5}])
        lines = [l for l in self.lines(usage=bad)
                 if l["ResourceName"] == "amlfs-genomics-scratch"]
        self.assertEqual([(l["x_CostCenter"], l["x_UnallocatedReason"]) for l in lines],
                         [("Unallocated", "bad usage file")])

    def test_unallocated_lines_name_their_reason(self):
        self.october()
        un = {(r["name"], r["reason"]): r for r in self.query("unallocated")}
        self.assertEqual(set(un), {
            ("amlfs-ghost", "resource not in the inventory"),
            ("stunlinked01", "related resource with no allocation tag"),
            ("amlfs-ghost2", "empty tag value"),
        })
        self.assertEqual(un[("amlfs-ghost", "resource not in the inventory")]["billed"], 31.0)
        self.assertEqual(un[("stunlinked01", "related resource with no allocation tag")]["billed"], 15.5)
        self.assertEqual(un[("amlfs-ghost2", "empty tag value")]["currency"], "EUR")
        summary = {(r["cost_center"], r["currency"]): r for r in self.query("summary")}
        self.assertEqual(summary[("Unallocated", "USD")]["billed"], 46.5)
        self.assertEqual(summary[("Unallocated", "USD")]["unallocated"], 1)
        self.assertEqual(summary[("Unallocated", "EUR")]["billed"], 0.31)
        # With a key nobody has, everything without a split rule is Unallocated.
        lines = self.lines(allocate_by='["Program"]')
        reasons = {(l["ResourceName"], l["x_UnallocatedReason"]) for l in lines}
        self.assertIn(("amlfs-cfd-aero-01", "no allocation tag"), reasons)
        self.assertIn(("stgenomicsarchive01", "no allocation tag"), reasons)
        self.assertIn(("amlfs-ghost", "resource not in the inventory"), reasons)
        self.assertEqual({l["x_CostCenter"] for l in lines}, {"Unallocated", "genomics", "imaging"})
        self.assert_reconciles(allocate_by='["Program"]')
        # A bare key (not a JSON array) is one key.
        self.assertEqual(self.by_cc(self.lines(allocate_by="costcenter")), self.by_cc(self.lines()))

    def test_the_name_unallocated_is_reserved(self):
        # Review finding: a CostCenter tag "Unallocated" merged with the
        # Unallocated line in the summary, while the Unallocated sheet said
        # "(none)" and the reconciliation "of which unallocated 0.00".
        d = date(2026, 10, 5)
        self.small(row(PROD, d, "1.000000", tag={"CostCenter": " unallocated ",
                                                  "Program": "p"}),
                   row(SCRATCH, d, "2.000000", tag={"CostCenter": "Unallocated"}),
                   row(GHOST, d, "8.000000", tag={"CostCenter": "Unallocated"}),
                   row(AERO, d, "4.000000", tag={"chargeback-split": "Unallocated:50,x:50"}))
        got = {(l["ResourceName"], l["x_CostCenter"], l["x_UnallocatedReason"])
               for l in self.lines()}
        self.assertEqual(got, {
            ("amlfs-genomics-prod", "p", None),          # the next key decides,
            ("amlfs-genomics-scratch", "cc-4410", None),  # or the snapshot's tag
            ("amlfs-ghost", "Unallocated", "tag value Unallocated (reserved)"),
            ("amlfs-cfd-aero-01", "Unallocated", "bad chargeback-split")})
        un = {r["name"]: r["billed"] for r in self.query("unallocated")}
        self.assertEqual(un, {"amlfs-ghost": 8.0, "amlfs-cfd-aero-01": 4.0})
        usage = json.dumps([{"resource_id": PROD, "cost_center": "UNALLOCATED",
                             "bytes": 5}])
        self.assertEqual({(l["x_CostCenter"], l["x_UnallocatedReason"])
                          for l in self.lines(usage=usage)
                          if l["ResourceName"] == "amlfs-genomics-prod"},
                         {("Unallocated", "bad usage file")})
        self.assert_reconciles()

    def test_two_currencies_are_never_summed(self):
        self.october()
        rec = self.assert_reconciles()
        self.assertEqual(set(rec), {"USD", "EUR"})
        self.assertEqual(rec["USD"]["billed_exact"], "1503.500031")
        self.assertEqual(rec["USD"]["billed"], 1503.5)
        self.assertEqual(rec["EUR"]["billed_exact"], "1157.643323")
        self.assertEqual(rec["EUR"]["statement"],
                         "billed 1,157.64, allocated 1,157.64, difference 0.00")
        self.assertEqual(rec["USD"]["amortized_exact"], "1379.500031")   # prod at 80 %
        for name in ("summary", "daily", "trend", "by_filesystem", "unallocated"):
            for r in self.query(name):
                self.assertIn(r["currency"], ("USD", "EUR"), name)
        shares = {}
        for r in self.query("summary"):
            shares[r["currency"]] = shares.get(r["currency"], 0) + r["share"]
        self.assertAlmostEqual(shares["USD"], 1, places=4)
        self.assertAlmostEqual(shares["EUR"], 1, places=4)

    def test_reimport_supersedes_and_as_of_reproduces_the_month(self):
        self.october()
        late = [row(PROD, date(2026, 10, 31), "25.000000", tag={"CostCenter": "CC-6000"},
                    effective="20.000000")]
        self.imp(IMPORT2, self.write_csv("late.csv", late))
        before = self.by_cc(self.lines(as_of="2026-11-02T00:00:00Z"))
        after = self.by_cc(self.lines())
        self.assertEqual(before["CC-5000"], D("462.00"))    # prod 420 + archive 42
        self.assertNotIn("CC-6000", before)
        self.assertEqual(after["CC-5000"], D("440.00"))     # 20 days of each
        self.assertEqual(after["CC-6000"], D("27.00"))      # prod 25 + archive 2
        rb = self.assert_reconciles(as_of="2026-11-02T00:00:00Z")
        ra = self.assert_reconciles()
        self.assertEqual(D(str(ra["USD"]["billed"])) - D(str(rb["USD"]["billed"])), D("5.00"))
        self.assertEqual(rb["EUR"]["billed"], ra["EUR"]["billed"])
        src = self.query("sources")
        costs = [s for s in src if s["role"] == "cost source"]
        self.assertEqual([(s["id"], s["rows_used"], s["rows_superseded"]) for s in costs],
                         [(1, 31 * 11 * 2 - 2, 2), (2, 2, 0)])
        self.assertEqual(len(costs[0]["sha256"]), 64)
        old = [s for s in self.query("sources", as_of="2026-11-02T00:00:00Z")
               if s["role"] == "cost source"]
        self.assertEqual([(s["id"], s["rows_used"], s["rows_superseded"]) for s in old],
                         [(1, 31 * 11 * 2, 0)])
        # The runs whose snapshots decided: both collection runs, by their days.
        snaps = [(s["id"], s["first_day"], s["last_day"]) for s in src
                 if s["role"] == "tag snapshot"]
        self.assertEqual(snaps, [(1, "2026-10-01", "2026-10-15"), (2, "2026-10-16", "2026-10-31")])
        # Before run 2 was collected, its tags were not known.
        early = self.by_cc(self.lines(as_of="2026-11-02T00:00:00Z"))
        self.assertEqual(early["AERO-99"], D("160.00"))
        self.assertEqual(self.lines(as_of="2026-10-20T00:00:00Z"), [])   # no costs yet

    def test_anomalies(self):
        self.october()
        an = self.query("anomalies")
        kinds = {}
        for a in an:
            kinds.setdefault(a["kind"], []).append(a)
        self.assertEqual({a["name"] for a in kinds["unallocated"]},
                         {"amlfs-ghost", "amlfs-ghost2", "stunlinked01"})
        self.assertEqual({a["name"] for a in kinds["inherited"]},
                         {"amlfs-llm-scratch", "amlfs-render-dailies"})
        self.assertEqual({a["name"] for a in kinds["not in inventory"]},
                         {"amlfs-ghost", "amlfs-ghost2"})
        # Collected, created on Oct 28, no cost imported: Oct 28 to 31.
        nocost = {a["name"]: a for a in kinds["no cost"]}
        self.assertEqual((nocost["amlfs-cfd-transient"]["first_day"],
                          nocost["amlfs-cfd-transient"]["days"]), ("2026-10-28", 4))
        self.assertEqual(len(kinds["cost center case"]), 1)
        self.assertEqual(set(kinds["cost center case"][0]["cost_center"].split(",")),
                         {"MR-2001", "mr-2001"})

    def test_retail_estimate_variance_and_capacity_metrics(self):
        # November: the samples' metrics window (Nov 1-2) and partial costs.
        self.collect(RUN2)
        self.imp(IMPORT2, os.path.join(ROOT, "samples", "costs", "focus-2026-11-partial.csv"))
        self.expect(OK, "import-prices", os.path.join(ROOT, "samples", "costs", "retail-prices.json"))
        nov = dict(month=None, **{"from": "2026-11-01", "to": "2026-11-02"})
        fs = {r["name"]: r for r in self.query("by_filesystem", **nov)}
        prod = fs["amlfs-genomics-prod"]
        self.assertEqual((prod["sku"], prod["capacity_tib"], prod["days_billed"]),
                         ("AMLFS-Durable-Premium-125", 128.0, 2))
        self.assertEqual(prod["billed"], 1425.11)
        self.assertAlmostEqual(prod["estimate"], 128 * 24 * 2 * 0.233, places=2)
        est = 128 * 24 * 2 * 0.233
        self.assertEqual(prod["variance_pct"], round(100 * (1425.110016 - est) / est, 1))
        tib_months = 128 * 2 * 24 / 730
        self.assertEqual(prod["cost_per_tib_month"], round(1425.110016 / tib_months, 2))
        con = sqlite3.connect(self.db)
        used, total = con.execute(
            "SELECT avg(CASE WHEN metric = 'OSTBytesUsed' THEN value END), "
            "avg(CASE WHEN metric = 'OSTBytesTotal' THEN value END) FROM metrics "
            "WHERE resource_key = ?", (PROD.lower(),)).fetchone()
        con.close()
        self.assertEqual(prod["idle_share"], round(1 - used / total, 4))
        self.assertEqual(prod["cost_per_used_tib_month"],
                         round(1425.110016 / (used / 2 ** 40 * 2 * 24 / 730), 2))
        self.assertEqual(fs["stgenomicsarchive01"]["kind"], "related")
        self.assertIsNone(fs["stgenomicsarchive01"]["idle_share"])
        # Over a threshold of 0.1 %, prod's -0.4 % is an anomaly; over 10 % not.
        tight = [a for a in self.query("anomalies", variance_pct=0.1, **nov)
                 if a["kind"] == "variance"]
        self.assertIn("amlfs-genomics-prod", {a["name"] for a in tight})
        self.assertEqual([a for a in self.query("anomalies", **nov) if a["kind"] == "variance"], [])
        # October has no metrics here: no idle share, no used cost.
        self.imp(IMPORT2, self.write_csv("oct.csv", [row(PROD, date(2026, 10, 5), "1.000000")]))
        octo = {r["name"]: r for r in self.query("by_filesystem")}
        self.assertIsNone(octo["amlfs-genomics-prod"]["idle_share"])
        self.assertIsNone(octo["amlfs-genomics-prod"]["cost_per_used_tib_month"])

    def test_trend_covers_twelve_months(self):
        self.collect(RUN1)
        rows = [row(AERO, date(2025, 10, 31), "1.000000"),      # 13 months back: out
                row(AERO, date(2025, 11, 1), "2.000000"),
                row(AERO, date(2026, 6, 15), "3.000000"),
                row(AERO, date(2026, 10, 1), "4.000000"),
                row(AERO, date(2026, 11, 1), "5.000000")]       # after the month: out
        self.imp(IMPORT1, self.write_csv("year.csv", rows))
        trend = [(r["month"], r["cost_center"], r["billed"]) for r in self.query("trend")]
        self.assertEqual(trend, [("2025-11", "AERO-17", 2.0), ("2026-06", "AERO-17", 3.0),
                                 ("2026-10", "AERO-17", 4.0)])
        self.assert_reconciles()

    def test_the_trend_reads_the_month_as_the_month_allocates_it(self):
        # The trend reads months from cost_months (a piece per resource and
        # run in force; split rules day by day; the storage account that
        # follows amlfs-genomics-prod from the daily rows); its October must
        # be, to the micro-unit, the October the lines allocate day by day:
        # mid-month run change, billing tags changed on the 11th, a split,
        # a follower, untagged cost, two currencies, and a superseding
        # re-import as of before and after it.
        self.october()
        late = [row(PROD, date(2026, 10, 31), "25.000000", tag={"CostCenter": "CC-6000"},
                    effective="20.000000"),
                row(SCRATCH, date(2026, 10, 31), "7.000003")]
        self.imp(IMPORT2, self.write_csv("late.csv", late))
        p = dict.fromkeys(PARAMS)
        p.update({"month": "2026-10", "allocate_by": '["CostCenter","Program"]'})
        cells = ("SELECT currency, cost_center, unallocated, a, m FROM cb_trend "
                 "WHERE month = '2026-10' ORDER BY 1, 2, 3")
        month = ("SELECT currency, cost_center, reason IS NOT NULL, "
                 "coalesce(sum(actual), 0), sum(amortized) FROM cb_alloc "
                 "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
        seen = []
        for as_of in (None, "2026-11-02T00:00:00Z", "2026-10-10T00:00:00Z"):
            p["as_of"] = as_of
            con = sqlite3.connect(self.db)
            try:
                for setup in setup_queries():
                    con.execute(setup, p)
                trend, alloc = con.execute(cells).fetchall(), con.execute(month).fetchall()
                pieces = con.execute("SELECT count(*) FROM cb_tpiece").fetchone()[0]
            finally:
                con.close()
            self.assertEqual(trend, alloc, as_of)
            seen.append((len(trend), pieces))
        self.assertGreater(seen[0][0], 5)
        self.assertGreater(seen[0][1], 0)
        self.assertNotEqual(seen[0], seen[1])      # the re-import counts after
        self.assertEqual(seen[2], (0, 0))          # no cost known yet

    # -- rounding ------------------------------------------------------------
    def test_three_equal_shares_of_ten_cents_add_up_to_ten_cents(self):
        third = "a:33.3333, b:33.3333, c:33.3334"
        self.small(row(PROD, date(2026, 10, 5), "0.100000", tag={"chargeback-split": third}))
        lines = self.lines()
        self.assertEqual(sorted(l["x_BilledCostExact"] for l in lines),
                         ["0.033333", "0.033333", "0.033334"])
        self.assertEqual(sorted(l["BilledCost"] for l in lines), [0.03, 0.03, 0.04])
        self.assertEqual(sum(D(str(l["BilledCost"])) for l in lines), D("0.10"))
        naive = sum(cents(l["x_BilledCostExact"]) for l in lines)
        self.assertEqual(naive, D("0.09"))      # what rounding each line alone gives
        self.assert_reconciles()

    def test_three_file_systems_of_a_third_each(self):
        d = date(2026, 10, 5)
        self.small(row(PROD, d, "0.033333", tag={"CostCenter": "x"}),
                   row(SCRATCH, d, "0.033333", tag={"CostCenter": "y"}),
                   row(AERO, d, "0.033333", tag={"CostCenter": "z"}))
        lines = self.lines()
        self.assertEqual([l["BilledCost"] for l in lines], [0.04, 0.03, 0.03])  # x, y, z
        rec = self.assert_reconciles()
        self.assertEqual(rec["USD"]["billed_exact"], "0.099999")
        self.assertEqual(rec["USD"]["billed"], 0.1)

    def test_a_day_of_millions_in_idr_allocates_exactly(self):
        # Review finding: cost * hi passed 2^63 past 9.2 million units a day
        # (a day of amlfs-llm-scratch in IDR), and SQLite went on in floating
        # point: lines lost micro-units and the exact difference was not 0.
        d = date(2026, 10, 5)
        big = "16357785601.022123"                  # 1.6e16 micro-units
        self.small(row(PROD, d, big, "IDR", tag={"chargeback-split": "a:60,b:40"}),
                   row(SCRATCH, d, big, "IDR", tag={"CostCenter": "x"}),
                   row(AERO, d, "-" + big, "IDR", tag={"CostCenter": "y"}))
        lines = {l["x_CostCenter"]: l for l in self.lines()}
        self.assertEqual(lines["a"]["x_BilledCostExact"], "9814671360.613273")
        self.assertEqual(lines["b"]["x_BilledCostExact"], "6543114240.408850")
        self.assertEqual(lines["x"]["x_BilledCostExact"], big)
        self.assertEqual(lines["y"]["x_BilledCostExact"], "-" + big)
        for l in lines.values():
            self.assertIsInstance(l["BilledCost"], (int, float))
            self.assertEqual(D(str(l["BilledCost"])), cents(l["x_BilledCostExact"]))
        rec = self.assert_reconciles()
        self.assertEqual(rec["IDR"]["billed_exact"], big)

    def test_credits_round_and_reconcile(self):
        d = date(2026, 10, 5)
        self.small(row(PROD, d, "-0.015000", tag={"CostCenter": "x"}),
                   row(SCRATCH, d, "0.004999", tag={"CostCenter": "y"}))
        rec = self.assert_reconciles()
        self.assertEqual(rec["USD"]["billed_exact"], "-0.010001")
        self.assertEqual(rec["USD"]["billed"], -0.01)
        self.assertEqual(rec["USD"]["billed_text"], "\u22120.01")

    def test_bad_split_rules_go_to_unallocated(self):
        for rule in ("a:50,b:40", "a:50,a:50", "a:50,b:fifty", "a50,b:50", "a:-50,b:150"):
            with self.subTest(rule=rule):
                self.db = os.path.join(self.tmp, "bad%d.db" % len(rule))
                self.small(row(PROD, date(2026, 10, 5), "1.000000",
                               tag={"chargeback-split": rule, "CostCenter": "x"}))
                lines = self.lines()
                self.assertEqual([(l["x_CostCenter"], l["x_UnallocatedReason"],
                                   l["x_AllocationTag"], l["x_TagSource"]) for l in lines],
                                 [("Unallocated", "bad chargeback-split",
                                   "chargeback-split", "billing")])
                self.assert_reconciles()
        self.db = os.path.join(self.tmp, "lenient.db")
        self.small(row(PROD, date(2026, 10, 5), "1.000000",
                       tag={"Chargeback-Split": " a : 50 , b:50, "}))
        self.assertEqual(sorted((l["x_CostCenter"], l["BilledCost"]) for l in self.lines()),
                         [("a", 0.5), ("b", 0.5)])

    # -- the files themselves -------------------------------------------------
    def test_each_file_is_one_statement_with_a_header_and_the_same_core(self):
        for name in DATASETS:
            with open(os.path.join(QUERIES, name + ".sql"), encoding="utf-8") as f:
                own = f.read()
            head = own.split("\nWITH RECURSIVE\n", 1)[0]
            self.assertIn("-- Parameters:", head, name)
            self.assertIn("-- Columns:", head, name)
            # The allocation is one file, included by every dataset.
            self.assertIn("\n-- include: chargeback/core.sql.inc\n", own, name)
            text = read_query(name)
            # One statement: a single ';' outside comments and literals, last.
            code = re.sub(r"--[^\n]*|'(?:[^']|'')*'", "", text)
            self.assertEqual(code.count(";"), 1, name)
            self.assertTrue(code.rstrip().endswith(";"), name)
            for p in re.findall(r":([a-z_]+)", code):
                self.assertIn(p, PARAMS, (name, p))

    def test_headers_name_every_column(self):
        self.october()
        for name in DATASETS:
            with open(os.path.join(QUERIES, name + ".sql"), encoding="utf-8") as f:
                head = f.read().split("\nWITH RECURSIVE\n", 1)[0]
            cols = head.split("-- Columns:", 1)[1]
            for r in self.query(name)[:1]:
                for c in r:
                    self.assertRegex(cols, r"\b%s\b" % re.escape(c), (name, c))

    def test_datasets_run_on_an_empty_history(self):
        header = self.write_csv("empty.csv", [row(PROD, date(2026, 10, 1), "1")])
        with open(header, encoding="utf-8") as f:
            first = f.readline()
        with open(header, "w", encoding="utf-8") as f:
            f.write(first)
        self.imp(IMPORT1, header)           # a history with no cost and no runs
        for name in DATASETS:
            rows = self.query(name)
            if name == "sources":
                rows = [r for r in rows if r["role"] != "history head"]
            self.assertEqual(rows, [], name)
        self.assertEqual(self.query("lines", month=None), [])

    def test_report_definition_names_real_datasets_and_fields(self):
        self.october()
        with open(os.path.join(ROOT, "reports", "chargeback.json"), encoding="utf-8") as f:
            rep = json.load(f)
        self.assertEqual(rep["name"], "chargeback")
        self.assertEqual(rep["period"], "month")
        fields = {}
        for ds, rel in rep["datasets"].items():
            self.assertEqual(rel, "chargeback/%s.sql" % ds)
            fields[ds] = set(self.query(ds)[0])
        self.assertEqual(set(rep["datasets"]), set(DATASETS))
        sheets = [s["name"] for s in rep["sheets"]]
        self.assertEqual(sheets, ["Summary", "By file system", "Daily",
                                  "Unallocated and anomalies", "Trend", "Sources",
                                  "Reconciliation"])
        types = {"string", "number", "integer", "money", "percent", "date", "datetime"}
        for s in rep["sheets"]:
            have = fields[s["dataset"]]
            for c in s["columns"]:
                self.assertIn(c["field"], have, (s["name"], c))
                self.assertIn(c.get("type", "string"), types, (s["name"], c))
                if c.get("type") == "money":
                    self.assertIn(c["currency_field"], have, (s["name"], c))
            if "totals_by" in s:
                self.assertIn(s["totals_by"], have)
            ch = s.get("chart")
            if ch:
                self.assertIn(ch["categories"], have)
                for v in ch["values"]:
                    self.assertIn(v, have)
                if "series_by" in ch:
                    self.assertIn(ch["series_by"], have)
        trend = [s for s in rep["sheets"] if s["name"] == "Trend"][0]
        self.assertEqual((trend["chart"]["type"], trend["chart"]["series_by"]), ("line", "cost_center"))
        self.assertEqual(rep["csv"], "lines")
        self.assertEqual(rep["json"], ["summary", "lines", "reconciliation"])
        self.assertTrue(os.path.exists(os.path.join(ROOT, "templates", rep["markdown"])))

    def test_markdown_template_renders_the_reconciliation(self):
        self.october()
        tpl = os.path.join(ROOT, "templates", "chargeback.md.mustache")
        with open(tpl, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("{{{", text)      # data is always escaped
        self.assertNotIn("{{&", text)
        data = {"report": {"title": "Monthly chargeback", "month": "2026-10",
                           "from": "2026-10-01", "to": "2026-10-31", "as_of": None,
                           "allocate_by": '["CostCenter","Program"]', "variance_pct": 10}}
        for ds in DATASETS:
            data[ds] = self.query(ds)
        path = os.path.join(self.tmp, "data.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
        out = self.expect(OK, "render", tpl, path, db=False, config=None).out
        self.assertTrue(out.startswith("# Monthly chargeback: 2026-10\n"), out[:200])
        self.assertIn("billed 1,503.50, allocated 1,503.50, difference 0.00", out)
        self.assertIn("billed 1,157.64, allocated 1,157.64, difference 0.00", out)
        self.assertIn("resource not in the inventory", out)
        # Every table row has as many cells as its header.
        width = None
        for line in out.splitlines():
            if line.startswith("|"):
                cells = len(re.findall(r"(?<!\\)\|", line)) - 1
                if width is None:
                    width = cells
                self.assertEqual(cells, width, line)
            else:
                width = None


if __name__ == "__main__":
    main()
