#!/usr/bin/env python3
"""Benchmark of `amlfs-audit report chargeback` over a year of daily cost.

Goal (issue 10, point 9): 1,000 file systems x 365 days of daily cost with
a tag change a month; one month's chargeback (every format: xlsx, md, csv,
json) in under 1 s and under 200 MiB peak RSS on the 2-core machine.

How the history is built (bench/check_rules.py's recording, imported, so
the estate is the fake's: tests/fake_azure/estate.py `generated:SUBS:FS`,
default 50 x 20 = 1,000 file systems):
 - Inventory: 13 collections replayed (`collect --replay`, metrics off),
   one on the 15th of each month from 2025-10 to 2026-10. Before each, every
   file system's CostCenter tag in the recorded bodies is set to a value
   of that month (CC-<file system>-<month>): a tag change a month, so the
   month reported splits every snapshot-allocated file system in two.
 - Costs: one FOCUS export a month, 2025-11-01 to 2026-10-31 (365 days),
   a row per file system and day (USD or EUR by subscription, actual and
   amortized), imported with import-costs. One file system in four carries
   its CostCenter in the billing row's Tags, changing on the 20th of each
   month (the billing-tag path); the others have no billing tags (the
   snapshot in force that day decides). Every 50th file system carries a
   `chargeback-split` rule (a shared file system).

Then it times `report chargeback --month MONTH --format xlsx,md,csv,json`
--runs times under /usr/bin/time -v: CPU time (user + system) and peak
RSS, wall time beside (other work on the machine inflates it, not CPU).
It checks the reconciliation (difference 0.00 per currency) and, with
--plans, prints the full scans in the query plan (EXPLAIN QUERY PLAN) of every
setup statement (run in turn) and dataset, and the CPU time each took (a
profile: which SQL dominates, with the setup's and the datasets' sums).
With --phases it also times `--format md` alone, in turn with the full
report: the queries are the same in both, so the difference is what the
workbook, CSV and JSON cost.

    python3 bench/chargeback.py [--subs 50] [--fs 20] [--runs 3]
        [--month 2026-10] [--plans] [--phases] [--history DB]
        [--bin build/amlfs-audit]

KEEP=1 keeps the temporary directory (history.db in it); `--history DB`
then times the report again on it without building anything. Python 3
standard library only; the default size takes a few minutes to build,
nearly all of it the 13 collections.
"""
import argparse
import datetime
import glob
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "bench"))
import check_rules as cr  # noqa: E402  (the recording and the runner)

FIRST_DAY = datetime.date(2025, 11, 1)
LAST_DAY = datetime.date(2026, 10, 31)
MONTHS = [(2025, 10)] + [(2025, 11), (2025, 12)] + \
    [(2026, m) for m in range(1, 11)]          # collections on the 15th
FORMATS = "xlsx,md,csv,json"
RATE = {"40": 0.096, "125": 0.233, "250": 0.377, "500": 0.64}


def cost_center(i, year, month):
    return "CC-%04d-%02d%02d" % (i, year % 100, month)


def retag(replay, fs_index, year, month):
    """Sets every file system's CostCenter in the recorded bodies."""
    for path in glob.glob(os.path.join(replay, "bodies", "s*",
                                       "amlfilesystems.json")):
        with open(path, encoding="utf-8") as f:
            body = json.load(f)
        for fs in body["value"]:
            i = fs_index[fs["id"].lower()]
            tags = {k: v for k, v in (fs.get("tags") or {}).items()
                    if k.lower() != "costcenter"}
            tags["CostCenter"] = cost_center(i, year, month)
            if i % 50 == 0:
                tags["chargeback-split"] = "shared-a:70,shared-b:30"
            fs["tags"] = tags
        with open(path, "w", encoding="utf-8") as f:
            f.write(cr.jdump(body))


def focus_month(path, est, fs_index, year, month):
    """One month's FOCUS export: a row per file system and day."""
    cols = ["BilledCost", "EffectiveCost", "ChargePeriodStart",
            "ChargePeriodEnd", "BillingCurrency", "ChargeCategory",
            "ResourceId", "ResourceName", "x_ResourceType", "x_SkuMeterName",
            "ConsumedQuantity", "ConsumedUnit", "RegionId", "SubAccountId",
            "Tags"]
    sub_pos = {s["subscriptionId"]: i for i, s in enumerate(est.subscriptions)}
    day = datetime.date(year, month, 1)
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(",".join(cols) + "\n")
        while day.month == month:
            nxt = day + datetime.timedelta(days=1)
            for fs in est.filesystems:
                i = fs_index[fs["id"].lower()]
                sub, _, name = cr.split_fs(fs["id"])
                tier = (fs.get("sku") or {}).get("name", "-125").rsplit("-", 1)[1]
                tib = float(fs["properties"].get("storageCapacityTiB") or 0)
                cur = ("USD", "EUR")[sub_pos[sub] % 2]
                jitter = 1 - ((day.toordinal() * 37 + i) % 9) / 1000
                cost = tib * 24 * RATE.get(tier, 0.233) * jitter
                tags = ""
                if i % 4 == 1:
                    m = (year, month) if day.day < 20 else \
                        (year + month // 12, month % 12 + 1)
                    tags = '"{""CostCenter"":""%s""}"' % cost_center(i, *m)
                f.write("%.6f,%.6f,%sT00:00:00Z,%sT00:00:00Z,%s,Usage,%s,%s,"
                        "microsoft.storagecache/amlfilesystems,Premium-%s "
                        "Capacity,%d,GiB/Hour,%s,/subscriptions/%s,%s\n"
                        % (cost, cost * 0.9, day.isoformat(), nxt.isoformat(),
                           cur, fs["id"].lower(), name, tier,
                           int(tib * 1024 * 24), fs["location"], sub, tags))
                rows += 1
            day = nxt
    return rows


def write_config(path, subs):
    with open(path, "w") as f:
        f.write("[azure]\ntenant_id = %s\n\n[scope]\nsubscriptions = %s\n\n"
                "[collect]\nmetrics = off\nmax_response_mib = 512\n\n"
                "[costs]\nquery = no\n\n[chargeback]\n"
                "allocate_by = CostCenter, Program\nvariance_pct = 10\n"
                % (cr.estate.TENANT, ",\n  ".join(subs)))


def build_history(a, tmp, binary, env, db, conf):
    replay = os.path.join(tmp, "replay")
    rec, est, inventory, _ = cr.generate(replay, a.subs, a.fs, 1, 1)
    subs = [s["subscriptionId"] for s in est.subscriptions]
    write_config(conf, subs)
    fs_index = {fs["id"].lower(): i for i, fs in enumerate(est.filesystems)}
    cpu = 0.0
    for year, month in MONTHS:
        at = "%04d-%02d-15T06:00:00Z" % (year, month)
        retag(replay, fs_index, year, month)
        rec.write_manifest(at, inventory)
        cpu += cr.run(binary, db, dict(env, AMLFS_AUDIT_NOW=at),
                      ["-q", "--config", conf, "collect", "--replay",
                       replay]).cpu
    print("inventory: %d file systems, %d collections (a CostCenter change "
          "a month), CPU %.1f s" % (len(est.filesystems), len(MONTHS), cpu),
          flush=True)
    rows, cpu = 0, 0.0
    for year, month in MONTHS[1:]:
        path = os.path.join(tmp, "focus-%04d-%02d.csv" % (year, month))
        rows += focus_month(path, est, fs_index, year, month)
        at = "%04d-%02d-02T06:00:00Z" % (year + month // 12, month % 12 + 1)
        cpu += cr.run(binary, db, dict(env, AMLFS_AUDIT_NOW=at),
                      ["-q", "--config", conf, "import-costs", path]).cpu
        os.unlink(path)
    print("costs: %d FOCUS rows (%s to %s) in %d monthly exports, imported "
          "with CPU %.1f s" % (rows, FIRST_DAY, LAST_DAY, len(MONTHS) - 1,
                               cpu), flush=True)
    shutil.rmtree(replay)
    return len(est.filesystems)


def read_query(rel):
    """queries/REL with its '-- include: REL' lines expanded (as
    src/store/query.c does)."""
    out = []
    with open(os.path.join(ROOT, "queries", rel), encoding="utf-8") as f:
        for line in f:
            if line.startswith("-- include: "):
                line = read_query(line[len("-- include: "):].strip()) + "\n"
            out.append(line)
    return "".join(out)


def plans(db, month):
    """Full scans of the big tables in the query plan of every setup
    statement (run in turn, as the engine does) and every dataset, and the
    CPU time each takes here (Python's SQLite, in one transaction with the
    32 MiB page caches the engine sets; a profile of the SQL, not the
    tool's figure)."""
    with open(os.path.join(ROOT, "reports", "chargeback.json")) as f:
        d = json.load(f)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True,
                          isolation_level=None)
    con.execute("PRAGMA main.cache_size = -32768")
    con.execute("PRAGMA temp.cache_size = -32768")
    con.execute("BEGIN")
    total = {True: 0.0, False: 0.0}
    steps = [(rel.rsplit("/", 1)[1], rel, True) for rel in d.get("setup", [])]
    steps += [(ds, rel, False) for ds, rel in d["datasets"].items()]
    for name, rel, run in steps:
        sql = read_query(rel)
        p = {k: None for k in re.findall(r":(\w+)", sql)}
        p.update({k: v for k, v in (("month", month), ("variance_pct", 10),
                 ("allocate_by", '["CostCenter","Program"]')) if k in p})
        plan = con.execute("EXPLAIN QUERY PLAN " + sql, p).fetchall()
        scans = [r[3] for r in plan if re.match(r"SCAN (cost_rows|filesystems|"
                                                r"resource_tags|tags|cb_\w+)\b",
                                                r[3])]
        t = time.process_time()
        n = len(con.execute(sql, p).fetchall())
        t = time.process_time() - t
        total[run] += t
        print("  %-18s CPU %.3f s%s; %d plan steps; full scans: %s"
              % (name, t, "" if run else " (%d rows)" % n, len(plan),
                 ", ".join(scans) or "none"))
    print("  SQL in all: CPU %.2f s (setup %.2f s, datasets %.2f s)"
          % (total[True] + total[False], total[True], total[False]))
    con.execute("ROLLBACK")
    con.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subs", type=int, default=50, help="subscriptions")
    ap.add_argument("--fs", type=int, default=20,
                    help="file systems per subscription")
    ap.add_argument("--runs", type=int, default=3, help="timed reports")
    ap.add_argument("--month", default="2026-10", help="the month reported")
    ap.add_argument("--plans", action="store_true",
                    help="print the full scans of every setup statement and "
                    "dataset (EXPLAIN QUERY PLAN) and the CPU time of each")
    ap.add_argument("--phases", action="store_true",
                    help="also time --format md alone, in turn with every "
                    "format: the best of each, and what the workbook, CSV "
                    "and JSON add (the queries run in both)")
    ap.add_argument("--history", metavar="DB",
                    help="time the report on this history (one an earlier "
                    "KEEP=1 run left) instead of building one")
    ap.add_argument("--bin", default=os.environ.get(
        "AMLFS_BIN", os.path.join(ROOT, "build", "amlfs-audit")))
    a = ap.parse_args()
    binary = cr.binary_or_exit(a.bin)
    keep = os.environ.get("KEEP") == "1"
    tmp = tempfile.mkdtemp(prefix="amlfs-bench-chargeback-")
    env = dict(os.environ)
    env.update({"AMLFS_AUDIT_DATADIR": ROOT, "LC_ALL": "C",
                "AMLFS_AUDIT_NOW": "2026-11-05T06:00:00Z"})
    for k in ("AMLFS_AUDIT_DB", "AMLFS_AUDIT_CONFIG"):
        env.pop(k, None)
    try:
        if a.history:
            db = os.path.abspath(a.history)
            conf = os.path.join(os.path.dirname(db), "bench.conf")
        else:
            db = os.path.join(tmp, "history.db")
            conf = os.path.join(tmp, "bench.conf")
            build_history(a, tmp, binary, env, db, conf)
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        ncost, nruns = con.execute(
            "SELECT (SELECT count(*) FROM cost_rows), "
            "(SELECT count(*) FROM runs)").fetchone()
        con.close()
        print("history: %.0f MiB, %d cost rows, %d runs"
              % (cr.db_size(db) / 2**20, ncost, nruns), flush=True)
        if a.plans:
            plans(db, a.month)
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        print("load average before timing: %s (%d CPUs)"
              % (load, os.cpu_count()), flush=True)
        out = os.path.join(tmp, "out")
        rs, md = [], []
        for _ in range(a.runs):
            if a.phases:
                shutil.rmtree(out, ignore_errors=True)
                md.append(cr.run(binary, db, env, [
                    "--config", conf, "report", "chargeback", "--month",
                    a.month, "--format", "md", "--out", out]))
            shutil.rmtree(out, ignore_errors=True)
            rs.append(cr.run(binary, db, env, [
                "--config", conf, "report", "chargeback", "--month", a.month,
                "--format", FORMATS, "--out", out]))
        with open(os.path.join(out, "chargeback-%s.json" % a.month),
                  encoding="utf-8") as f:
            data = json.load(f)
        for r in data["reconciliation"]:
            if r["difference"] != 0:
                sys.exit("not reconciled: %s" % r["statement"])
        sizes = ", ".join("%s %.0f KiB" % (n.rsplit(".", 1)[1],
                                            os.path.getsize(os.path.join(out, n)) / 1024)
                          for n in sorted(os.listdir(out)))
        print("report chargeback --month %s --format %s: %d lines, %s"
              % (a.month, FORMATS, len(data["lines"]), sizes))
        for r in data["reconciliation"]:
            print("  %s: %s" % (r["currency"], r["statement"]))
        cpu = min(r.cpu for r in rs)
        rss = max(r.rss_kib for r in rs) / 1024
        print("%d runs: CPU (user+sys) %s s, wall %s s, peak RSS %.0f MiB"
              % (len(rs), " ".join("%.2f" % r.cpu for r in rs),
                 " ".join("%.2f" % r.wall for r in rs), rss))
        if md:
            print("phases (best of %d, in turn): md alone wall %.2f s CPU "
                  "%.2f s; every format wall %.2f s CPU %.2f s; the "
                  "workbook, CSV and JSON add wall %.2f s CPU %.2f s"
                  % (len(md), min(r.wall for r in md), min(r.cpu for r in md),
                     min(r.wall for r in rs), cpu,
                     min(r.wall for r in rs) - min(r.wall for r in md),
                     cpu - min(r.cpu for r in md)))
        ok = cpu < 1.0 and rss < 200
        print("goal (under 1 s CPU, under 200 MiB): %s"
              % ("met" if ok else "NOT met"))
        return 0 if ok else 1
    finally:
        if keep:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
