#!/usr/bin/env python3
"""Benchmark of `amlfs-audit check` (every built-in rule) over a large history.

Goal (issue 9, point 8): every built-in rule over 1,000 file systems with
90 days of hourly metrics in the history, in under 2 s wall and under
200 MiB peak RSS on the 2-core benchmark machine.

How the history is built: a recording in the replay format
(samples/replay/README.md, src/azure/replay.c) is generated into a temporary
directory, then replayed by `amlfs-audit collect --replay`, so the history is
written by the collector itself, as from Azure. No server and no network are
involved. (The loopback fake of Azure, tests/fake_azure, could serve the
same estate, but its metrics have 4 or 8 OSTs a file system: 2.5 to 4 times
the JSON, built by a GIL-bound Python server, for 90 days of 1,000 file
systems; a recording is deterministic and lets the OST count be chosen.)

 - Inventory: the fake's generated estate (tests/fake_azure/estate.py,
   `generated:SUBS:FS`, default 50 x 20 = 1,000 file systems in 200 resource
   groups and 5 regions), cloned from the 8 recorded file systems, so every
   shape and quirk of the recordings is there (job lists of every state,
   tags of every spelling, health and provisioning states, CMK, HSM,
   root squash, a Failed file system without metrics), with synthetic role
   assignments, locks and diagnostic settings, and scope tags for every
   subscription and resource group: the objects the fake would serve
   for these URLs.
 - Metrics: one getBatch pair (OST and MDT group) per subscription and
   region, with the exact URLs and request bodies the collector sends for
   `metrics_lookback_hours = DAYS x 24` (src/collect/collect.c
   metric_params, queue_metrics_batch), `--osts` OSTs (default 2) and one
   MDT per file system, every hour of the window (2,160 points per series
   for 90 days). Values are deterministic: about 1 in 8 file systems idle,
   the rest busy with a daily cycle; fill levels from 5 % to 97 %, growing
   slowly, so idle, over-provisioned and capacity-pressure all find
   something; a few hours without data; the Failed file system
   `timeseries: []`, as recorded.
 - Costs: 60 days of billed cost per file system as a FOCUS export
   (import-costs) and the bundled retail prices (import-prices
   samples/costs/retail-prices.json), so the money-at-stake branches run
   (--no-costs: without).
 - --prior-runs N adds N earlier daily inventory collections (same
   recordings, metrics off) before the one holding the metrics, as a
   daily cron would have made: more runs in the history, and
   collection-gap has a previous run to judge.

Then it times `amlfs-audit check --format json > /dev/null` (the newest
run, every rule on), --runs times, under /usr/bin/time -v for the peak RSS
and the CPU time (user + system), then the same with `--policy
samples/policy.ini`, then each rule alone (a policy with `[defaults] rules =
ID`; `rules = none` is the fixed cost of a check) and prints a table and
whether the goals are met. Wall times include whatever else the machine
runs (the load average is printed); CPU times do not. Each check stores its
findings in the history, as a daily cron's would. The clock is pinned
(AMLFS_AUDIT_NOW) to the recording time, plus 30 minutes for the checks.

    python3 bench/check_rules.py [--subs 50] [--fs 20] [--days 90]
        [--osts 2] [--runs 3] [--prior-runs 0] [--no-costs] [--no-per-rule]
        [--history DB] [--bin build/amlfs-audit]

With KEEP=1 the temporary directory (history.db in it) is kept and its path
printed; `--history DIR/history.db` then times the checks again on it
without building anything (after a change to a rule, say), after one
untimed check (it migrates a history an older build made and warms the
page cache).

Python 3 standard library only. Everything happens in a temporary
directory ($TMPDIR), removed at the end unless KEEP=1. The default size
needs about 4.5 GiB there at the peak (1.6 GiB of recording, 2.5 GiB of
history) and took 10 to 15 minutes on the 2-core machine, nearly all of it
`collect` storing 17 million metric points; --days 7 is a quick look.
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from urllib.parse import quote

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True         # leave no __pycache__ in the tree
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_azure"))
import estate  # noqa: E402  (the fake's estate generator, stdlib only)

ARM = "https://management.azure.com"
RECORDED_AT = "2026-11-02T03:00:00Z"
NOW = "2026-11-02T03:30:00Z"          # the clock of the checks
API_SUBS, API_RG, API_SC = "2022-12-01", "2021-04-01", "2025-07-01"
API_RA, API_LOCKS, API_DIAG = "2022-04-01", "2016-09-01", "2021-05-01-preview"
API_BATCH = "2023-10-01"
BATCH_MAX = 50                         # file systems per getBatch call
METRIC_GROUPS = (                      # as src/collect/collect.c metric_groups
    ("ost", "ostnum", ("ClientReadThroughput", "ClientWriteThroughput",
                       "ClientReadOps", "ClientWriteOps", "OSTBytesUsed",
                       "OSTBytesTotal")),
    ("mdt", "mdtnum", ("MDTBytesUsed", "MDTBytesTotal", "MDTFilesUsed")),
)
NS = uuid.UUID("5d0e1c1a-7b51-4f0e-9c55-3b8f2f7c0a11")
TIB = 1 << 40


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_iso(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def jdump(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------
# The recording
# ---------------------------------------------------------------------------

class Recording:
    """A replay directory being written: manifest entries and body files."""

    def __init__(self, path):
        self.path = path
        self.entries = []
        self.bytes = 0
        os.makedirs(os.path.join(path, "bodies"))

    def add(self, method, url, body_text, name, request_body=None,
            arm=True):
        rel = "bodies/%s" % name
        full = os.path.join(self.path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        data = body_text.encode("utf-8")
        with open(full, "wb") as f:
            f.write(data)
        self.bytes += len(data)
        rid = str(uuid.uuid5(NS, "%s %s %s" % (method, url, request_body)))
        headers = {"content-type": "application/json; charset=utf-8",
                   "x-ms-request-id": rid,
                   "x-ms-correlation-request-id": rid}
        if arm:
            headers["x-ms-ratelimit-remaining-subscription-reads"] = "249"
        e = {"method": method, "url": url, "status": 200,
             "headers": headers, "body": rel}
        if request_body is not None:
            e["request_body"] = request_body
        self.entries.append(e)

    def write_manifest(self, recorded_at, entries=None, path=None):
        path = path or self.path
        with open(os.path.join(path, "manifest.json"), "w") as f:
            json.dump({"format": "amlfs-audit-replay/1",
                       "recorded_at": recorded_at,
                       "entries": self.entries if entries is None
                       else entries}, f, indent=1)


def split_fs(fs_id):
    p = fs_id.split("/")
    return p[2], p[4], p[8]            # subscription, group, name


class Series:
    """Text of hourly series over a fixed grid, fast: one '%' per series."""

    def __init__(self, start, hours):
        self.stamps = [iso(start + 3600 * i) for i in range(hours)]
        self.fmt = ",".join('{"timeStamp":"%s","average":%%.1f}' % s
                            for s in self.stamps)
        self.const = ",".join('{"timeStamp":"%s","average":@V}' % s
                              for s in self.stamps)

    def text(self, values, gaps=()):
        if not gaps:
            return self.fmt % tuple(values)
        out = []
        for i, (s, v) in enumerate(zip(self.stamps, values)):
            if i in gaps:                  # no data that hour: no "average"
                out.append('{"timeStamp":"%s"}' % s)
            else:
                out.append('{"timeStamp":"%s","average":%.1f}' % (s, v))
        return ",".join(out)

    def constant(self, v):
        return self.const.replace("@V", "%.1f" % v)


class FsMetrics:
    """The hourly values of one file system, a pure function of its id."""

    def __init__(self, fs, hours, osts):
        low = fs["id"].lower()
        self.rng = random.Random(int(hashlib.sha256(low.encode())
                                     .hexdigest()[:16], 16))
        r = self.rng
        props = fs["properties"]
        self.has_data = props.get("provisioningState") != "Failed"
        tib = float(props.get("storageCapacityTiB") or 0)
        self.cap = int(round(tib * TIB))
        self.osts = osts
        self.hours = hours
        mbps = float(props.get("throughputProvisionedMBps") or 1000)
        self.idle = r.random() < 0.125
        # Mean client load: a share of the provisioned throughput, or next
        # to nothing for the idle ones (bytes/s and operations per hour
        # summed over the OSTs).
        self.bps = (r.uniform(1e3, 5e5) if self.idle
                    else mbps * 1e6 * r.uniform(0.02, 0.5))
        self.ops = (r.uniform(0, 20) if self.idle
                    else r.uniform(2e3, 2e5))
        self.phase = r.randrange(24)
        # Fill: start and growth over the window, in percent.
        band = r.random()
        if band < 0.25:
            p0 = r.uniform(5, 30)
        elif band < 0.85:
            p0 = r.uniform(30, 80)
        else:
            p0 = r.uniform(82, 95)
        self.p0, self.p1 = p0, min(97.0, p0 + r.uniform(0, 6))
        # One series in about 20 misses an hour.
        self.gap_series = {(m, k) for m in range(6) for k in range(osts)
                           if r.random() < 0.05}

    def totals(self):
        base = self.cap // self.osts
        return [base + (self.cap - base * self.osts if k == self.osts - 1
                        else 0) for k in range(self.osts)]


DIURNAL = [0.35 + 0.65 * max(0.0, 1 - abs(h - 14) / 9.0) for h in range(24)]


def ost_body_values(m, metric_index, k, noise):
    """Values of OST k for the metric at metric_index of the OST group."""
    n, r = m.hours, m.rng
    off = r.randrange(len(noise))
    if metric_index < 4:               # throughput (0, 1) and operations
        mean = (m.bps if metric_index < 2 else m.ops) / m.osts
        mean *= (0.6, 0.4)[metric_index % 2] * 2
        ph = m.phase
        return [mean * DIURNAL[(i + ph) % 24] * noise[(i + off) % len(noise)]
                for i in range(n)]
    total = m.totals()[k]
    if metric_index == 5:
        return None                    # constant: OSTBytesTotal
    skew = 1 + (k - (m.osts - 1) / 2) * 0.02
    p0, step = m.p0 * skew, (m.p1 - m.p0) * skew / max(1, n - 1)
    return [float(int(total * min(0.999, (p0 + step * i) / 100 *
                                  (0.998 + 0.002 * noise[(i + off) % len(noise)]))))
            for i in range(n)]


def metric_object(fs_id, name, text, dim, series_texts):
    ts = ",".join('{"metadatavalues":[{"name":{"value":"%s","localizedValue":'
                  '"%s"},"value":"%d"}],"data":[%s]}' % (dim, dim, k, t)
                  for k, t in enumerate(series_texts))
    return ('{"id":%s,"type":"Microsoft.Insights/metrics","name":{"value":%s,'
            '"localizedValue":%s},"displayDescription":%s,"unit":%s,'
            '"errorCode":"Success","timeseries":[%s]}'
            % (jdump(fs_id + "/providers/Microsoft.Insights/metrics/" + name),
               jdump(name), jdump(text.get("localizedValue", name)),
               jdump(text.get("displayDescription", "")),
               jdump(text.get("unit", "Count")), ts))


def metrics_body(fss, group, start, end, region, grid, metric_text, osts):
    suffix, dim, names = group
    parts = []
    noise_r = random.Random(7)
    noise = [noise_r.uniform(0.7, 1.3) for _ in range(997)]
    for fs in fss:
        m = FsMetrics(fs, len(grid.stamps), osts)
        objs = []
        for mi, name in enumerate(names):
            text = metric_text.get(name.lower(), {})
            if not m.has_data:
                series = None
            elif suffix == "ost":
                series = []
                for k in range(osts):
                    vals = ost_body_values(m, mi, k, noise)
                    if vals is None:
                        series.append(grid.constant(m.totals()[k]))
                    else:
                        gaps = ({m.rng.randrange(len(vals))}
                                if (mi, k) in m.gap_series else ())
                        series.append(grid.text(vals, gaps))
            else:
                mdt_total = m.cap // 64
                if name == "MDTBytesTotal":
                    series = [grid.constant(mdt_total)]
                else:
                    base = mdt_total if name == "MDTBytesUsed" else mdt_total >> 12
                    n = len(grid.stamps)
                    series = [grid.text([float(int(base * (m.p0 + (m.p1 - m.p0) * i / n) / 100))
                                         for i in range(n)])]
            objs.append(metric_object(fs["id"], name, text, dim, series or []))
        parts.append('{"starttime":"%s","endtime":"%s","interval":"PT1H",'
                     '"namespace":"microsoft.storagecache/amlfilesystems",'
                     '"resourceregion":"%s","resourceid":%s,"value":[%s]}'
                     % (start, end, region, jdump(fs["id"]), ",".join(objs)))
    return '{"values":[%s]}' % ",".join(parts)


def metrics_url(sub, region, group, start, end):
    _, dim, names = group
    params = [("metricnamespace", "Microsoft.StorageCache/amlFilesystems"),
              ("metricnames", ",".join(names)), ("starttime", start),
              ("endtime", end), ("interval", "PT1H"),
              ("aggregation", "average"), ("filter", "%s eq '*'" % dim),
              ("top", "1000"), ("api-version", API_BATCH)]
    return ("https://%s.metrics.monitor.azure.com/subscriptions/%s/"
            "metrics:getBatch?%s" % (region, sub, "&".join(
                "%s=%s" % (k, quote(v, safe="")) for k, v in params)))


def generate(out, nsubs, nfs, days, osts):
    """Write the replay directory `out`; returns (recording, estate, groups)."""
    est = estate.generate(nsubs, nfs)
    rec = Recording(out)
    rec.add("GET", "%s/subscriptions?api-version=%s" % (ARM, API_SUBS),
            jdump({"value": est.subscriptions,
                   "count": {"type": "Total", "value": len(est.subscriptions)}}),
            "subscriptions.json")
    by_sub = {}
    for fs in est.filesystems:
        by_sub.setdefault(split_fs(fs["id"])[0], []).append(fs)
    rgs = {g["id"].lower(): g for g in est.resource_groups}
    for si, s in enumerate(est.subscriptions):
        sub = s["subscriptionId"]
        fss = by_sub.get(sub, [])
        d = "s%03d" % si
        rec.add("GET", "%s/subscriptions/%s/providers/Microsoft.StorageCache/"
                "amlFilesystems?api-version=%s" % (ARM, sub, API_SC),
                jdump({"value": fss}), "%s/amlfilesystems.json" % d)
        rec.add("GET", "%s/subscriptions/%s?api-version=%s"
                % (ARM, sub, API_SUBS), jdump(s), "%s/subscription.json" % d)
        seen = set()
        for fs in fss:
            _, rg, name = split_fs(fs["id"])
            if rg not in seen:
                seen.add(rg)
                g = rgs[("/subscriptions/%s/resourcegroups/%s"
                         % (sub, rg)).lower()]
                rec.add("GET", "%s/subscriptions/%s/resourcegroups/%s"
                        "?api-version=%s" % (ARM, sub, rg, API_RG),
                        jdump(g), "%s/%s.json" % (d, rg))
            low = fs["id"].lower()
            base = ARM + fs["id"]
            for kind in estate.JOB_KINDS:
                rec.add("GET", "%s/%s?api-version=%s" % (base, kind, API_SC),
                        jdump({"value": est.jobs[low].get(kind, [])}),
                        "%s/%s/%s.json" % (d, name, kind))
            rec.add("GET", "%s/providers/Microsoft.Authorization/"
                    "roleAssignments?$filter=atScope()&api-version=%s"
                    % (base, API_RA),
                    jdump({"value": est.roles_at(fs["id"])}),
                    "%s/%s/roles.json" % (d, name))
            rec.add("GET", "%s/providers/Microsoft.Authorization/locks"
                    "?api-version=%s" % (base, API_LOCKS),
                    jdump({"value": est.locks_for(fs["id"])}),
                    "%s/%s/locks.json" % (d, name))
            rec.add("GET", "%s/providers/Microsoft.Insights/"
                    "diagnosticSettings?api-version=%s" % (base, API_DIAG),
                    jdump({"value": est.diagnostic_settings.get(low, [])}),
                    "%s/%s/diagnostics.json" % (d, name))
    inventory = list(rec.entries)

    # Metrics: per subscription, per region in order of first appearance,
    # up to 50 file systems a call (what queue_metrics_batch sends).
    end_t = parse_iso(RECORDED_AT)
    end_t -= end_t % 3600
    start_t = end_t - days * 24 * 3600
    start, end = iso(start_t), iso(end_t)
    grid = Series(start_t, days * 24)
    calls = 0
    for si, s in enumerate(est.subscriptions):
        sub = s["subscriptionId"]
        regions = {}
        for fs in by_sub.get(sub, []):
            regions.setdefault(fs["location"], []).append(fs)
        for region, fss in regions.items():
            for c0 in range(0, len(fss), BATCH_MAX):
                chunk = fss[c0:c0 + BATCH_MAX]
                req = jdump({"resourceids": [f["id"] for f in chunk]})
                for group in METRIC_GROUPS:
                    rec.add("POST", metrics_url(sub, region, group, start, end),
                            metrics_body(chunk, group, start, end, region, grid,
                                         est.metric_text, osts),
                            "s%03d/metrics-%s-%d-%s.json"
                            % (si, region, c0 // BATCH_MAX, group[0]),
                            request_body=req, arm=False)
                    calls += 1
    rec.write_manifest(RECORDED_AT)
    return rec, est, inventory, calls


def focus_costs(path, est, days):
    """Billed cost per file system and day, FOCUS 1.0 columns."""
    rate = {"40": 0.096, "125": 0.233, "250": 0.377, "500": 0.64}
    region = {"eastus": 1.0, "westus2": 1.0, "westus3": 1.04,
              "northeurope": 1.08, "westeurope": 1.10}
    sub_pos = {s["subscriptionId"]: i for i, s in enumerate(est.subscriptions)}
    last = datetime.date(2026, 11, 1)
    cols = ["BilledCost", "EffectiveCost", "ChargePeriodStart",
            "ChargePeriodEnd", "BillingCurrency", "ChargeCategory",
            "ResourceId", "ResourceName", "x_ResourceType", "x_SkuMeterName",
            "ConsumedQuantity", "ConsumedUnit", "RegionId", "SubAccountId"]
    rows = 0
    with open(path, "w", newline="") as f:
        f.write(",".join(cols) + "\n")
        for fs in est.filesystems:
            sub, rg, name = split_fs(fs["id"])
            tier = (fs.get("sku") or {}).get("name", "-125").rsplit("-", 1)[1]
            tib = float(fs["properties"].get("storageCapacityTiB") or 0)
            cur = ("USD", "EUR")[sub_pos[sub] % 2]
            fx = 0.9215 if cur == "EUR" else 1.0
            ndays = days
            if fs["properties"].get("provisioningState") == "Failed":
                ndays = 20         # deleted from billing, as in the samples
            for d in range(ndays):
                day = last - datetime.timedelta(days=d)
                jitter = 1 - ((day.toordinal() * 37 + rows) % 9) / 1000
                cost = tib * 24 * rate.get(tier, 0.233) * \
                    region.get(fs["location"], 1.0) * jitter * fx
                f.write("%.6f,%.6f,%sT00:00:00Z,%sT00:00:00Z,%s,Usage,%s,%s,"
                        "microsoft.storagecache/amlfilesystems,Premium-%s "
                        "Capacity,%d,GiB/Hour,%s,/subscriptions/%s\n"
                        % (cost, cost, day.isoformat(),
                           (day + datetime.timedelta(days=1)).isoformat(),
                           cur, fs["id"].lower(), name, tier,
                           int(tib * 1024 * 24), fs["location"], sub))
                rows += 1
    return rows


# ---------------------------------------------------------------------------
# Running amlfs-audit
# ---------------------------------------------------------------------------

class Result:
    """One command's wall time, peak RSS, CPU time (user + system), stdout."""

    def __init__(self, wall, rss_kib, cpu, out):
        self.wall, self.rss_kib, self.cpu, self.out = wall, rss_kib, cpu, out


def binary_or_exit(path):
    """The absolute path of the amlfs-audit binary to time (and GNU time
    there for the peak RSS), or exits saying what is missing."""
    binary = os.path.abspath(path)
    if not os.access(binary, os.X_OK):
        sys.exit("no %s: build first (meson setup build && ninja -C build)"
                 % binary)
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("needs /usr/bin/time (GNU time) for the peak RSS")
    return binary


def run(binary, db, env, args, stdout=subprocess.DEVNULL, ok=(0,)):
    """One command under /usr/bin/time -v."""
    cmd = ["/usr/bin/time", "-v", binary, "--db", db] + args
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE,
                       text=True)
    wall = time.monotonic() - t0
    v = dict(re.findall(r"^\s*(Maximum resident set size \(kbytes\)|"
                        r"User time \(seconds\)|System time \(seconds\)): "
                        r"([\d.]+)$", p.stderr, re.M))
    if p.returncode not in ok or len(v) != 3:
        sys.exit("%s failed (exit %d):\n%s" % (" ".join(args), p.returncode,
                                                p.stderr[-3000:]))
    return Result(wall, int(v["Maximum resident set size (kbytes)"]),
                  float(v["User time (seconds)"]) +
                  float(v["System time (seconds)"]), p.stdout)


def db_size(path):
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return os.path.getsize(path)


def rule_ids():
    ids = []
    for path in sorted(glob.glob(os.path.join(ROOT, "queries", "rules",
                                              "*.sql"))):
        with open(path) as f:
            m = re.search(r"^-- id: *(\S+)", f.read(), re.M)
        if m:
            ids.append(m.group(1))
    return ids


def config(path, subs, days, metrics):
    with open(path, "w") as f:
        f.write("[azure]\ntenant_id = %s\n\n[scope]\nsubscriptions = %s\n\n"
                "[collect]\nmetrics_lookback_hours = %d\nmetrics = %s\n"
                "max_response_mib = 512\n\n[costs]\nquery = no\n"
                % (estate.TENANT, ",\n  ".join(subs), days * 24, metrics))


def build_history(a, tmp, binary, env, db):
    """Generate the recording and collect it (and the costs) into db."""
    replay = os.path.join(tmp, "replay")
    t0 = time.monotonic()
    rec, est, inventory, calls = generate(replay, a.subs, a.fs, a.days,
                                          a.osts)
    t_gen = time.monotonic() - t0
    subs = [s["subscriptionId"] for s in est.subscriptions]
    print("recording: %d file systems, %d subscriptions, %d resource groups; "
          "%d requests (%d getBatch); %.0f MiB of bodies; written in %.1f s"
          % (len(est.filesystems), len(subs), len(est.resource_groups),
             len(rec.entries), calls, rec.bytes / 2**20, t_gen), flush=True)
    times = [("recording", t_gen)]

    if a.prior_runs:
        conf0 = os.path.join(tmp, "inventory.conf")
        config(conf0, subs, a.days, "off")
        end = parse_iso(RECORDED_AT)
        t = 0.0
        for i in range(a.prior_runs, 0, -1):
            d = os.path.join(tmp, "replay-%d" % i)
            os.mkdir(d)
            os.symlink(os.path.join(replay, "bodies"), os.path.join(d, "bodies"))
            at = iso(end - i * 86400)
            rec.write_manifest(at, inventory, d)
            t += run(binary, db, dict(env, AMLFS_AUDIT_NOW=at),
                     ["-q", "--config", conf0, "collect", "--replay", d]).wall
            shutil.rmtree(d)
        print("prior runs: %d daily inventory collections in %.1f s"
              % (a.prior_runs, t), flush=True)
        times.append(("prior runs", t))

    conf = os.path.join(tmp, "bench.conf")
    config(conf, subs, a.days, "batch")
    r = run(binary, db, dict(env, AMLFS_AUDIT_NOW=RECORDED_AT),
            ["-q", "--config", conf, "collect", "--replay", replay])
    print("collect --replay: %.1f s (CPU %.1f s), peak RSS %.0f MiB"
          % (r.wall, r.cpu, r.rss_kib / 1024), flush=True)
    times.append(("collect", r.wall))
    if not a.no_costs:
        csv = os.path.join(tmp, "focus-costs.csv")
        nrows = focus_costs(csv, est, 60)
        t = run(binary, db, env, ["-q", "import-costs", csv]).wall
        t += run(binary, db, env, ["-q", "import-prices", os.path.join(
            ROOT, "samples", "costs", "retail-prices.json")]).wall
        print("costs: %d FOCUS rows and the retail prices imported in %.1f s"
              % (nrows, t), flush=True)
        times.append(("costs", t))
    shutil.rmtree(replay)        # not needed any more: free the disk
    return times, len(est.filesystems)


def describe(db):
    """What the history holds, and the run check judges by default."""
    size = db_size(db)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    run_id, status = con.execute(
        "SELECT id, status FROM runs WHERE source IN ('live', 'replay') "
        "ORDER BY id DESC LIMIT 1").fetchone()
    h = {"size": size, "run": run_id, "status": status}
    h["fs"] = con.execute("SELECT count(*) FROM filesystems WHERE run_id = ?",
                          (run_id,)).fetchone()[0]
    h["points"], h["first"], h["last"] = con.execute(
        "SELECT count(*), min(ts), max(ts) FROM metric_points").fetchone()
    h["runs"] = con.execute("SELECT count(*) FROM runs WHERE source IN "
                            "('live', 'replay')").fetchone()[0]
    h["bodies"] = con.execute("SELECT total(size) FROM bodies").fetchone()[0]
    h["checks"] = con.execute("SELECT count(DISTINCT check_run) FROM "
                              "findings").fetchone()[0]
    con.close()
    return h


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subs", type=int, default=50, help="subscriptions")
    ap.add_argument("--fs", type=int, default=20,
                    help="file systems per subscription")
    ap.add_argument("--days", type=int, default=90,
                    help="days of hourly metrics (at most 93)")
    ap.add_argument("--osts", type=int, default=2,
                    help="OSTs per file system in the metrics")
    ap.add_argument("--runs", type=int, default=3,
                    help="timed checks of each kind")
    ap.add_argument("--prior-runs", type=int, default=0,
                    help="earlier daily inventory collections (metrics off)")
    ap.add_argument("--no-costs", action="store_true",
                    help="no billed costs nor retail prices in the history")
    ap.add_argument("--no-per-rule", action="store_true",
                    help="skip the timing of each rule alone")
    ap.add_argument("--history", metavar="DB",
                    help="time the checks on this history (one an earlier "
                    "KEEP=1 run left) instead of building one; the checks "
                    "add their findings to it")
    ap.add_argument("--bin", default=os.environ.get(
        "AMLFS_BIN", os.path.join(ROOT, "build", "amlfs-audit")))
    a = ap.parse_args()
    if not 1 <= a.days <= 93:
        sys.exit("--days: 1 to 93 (metrics_lookback_hours is at most 2232)")
    if a.runs < 1:
        sys.exit("--runs: at least 1")
    binary = os.path.abspath(a.bin)
    if not os.access(binary, os.X_OK):
        sys.exit("no %s: build first (meson setup build && ninja -C build)"
                 % binary)
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("needs /usr/bin/time (GNU time) for the peak RSS")

    keep = os.environ.get("KEEP") == "1"
    tmp = tempfile.mkdtemp(prefix="amlfs-bench-check-")
    env = dict(os.environ)
    env.update({"AMLFS_AUDIT_DATADIR": ROOT, "AMLFS_AUDIT_NOW": NOW,
                "LC_ALL": "C"})
    for k in ("AMLFS_AUDIT_DB", "AMLFS_AUDIT_CONFIG"):
        env.pop(k, None)
    try:
        if a.history:
            db, times, want_fs = os.path.abspath(a.history), [], None
        else:
            db = os.path.join(tmp, "history.db")
            times, want_fs = build_history(a, tmp, binary, env, db)
        h = describe(db)
        if h["status"] not in ("ok", "partial") or \
                (want_fs is not None and (h["status"] != "ok" or
                                          h["fs"] != want_fs)):
            sys.exit("the collection is not complete: run %d %s, %d file "
                     "systems (KEEP=1 keeps %s)" % (h["run"], h["status"],
                                                    h["fs"], tmp))
        print("history: %.0f MiB (%.0f MiB of it raw response bodies); %d "
              "collection runs; run %d holds %d file systems; %d hourly "
              "metric points (per file system and metric) %s to %s%s"
              % (h["size"] / 2**20, h["bodies"] / 2**20, h["runs"], h["run"],
                 h["fs"], h["points"], h["first"], h["last"],
                 "; %d checks stored before" % h["checks"] if h["checks"]
                 else ""))
        if times:
            print("history built in %.1f s (%s)" % (
                sum(t for _, t in times),
                ", ".join("%s %.1f s" % kv for kv in times)), flush=True)

        # -- the checks ---------------------------------------------------
        if a.history:
            # Untimed: migrates a history an older build made (migration
            # 0009 re-indexes the findings of earlier checks once) and
            # reads it into the OS page cache, as a fresh build leaves it.
            run(binary, db, env, ["check", "--format", "json"], ok=(0, 1))
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        print("load average before timing: %s (%d CPUs): other work on the "
              "machine inflates wall times, not CPU times" % (
                  load, os.cpu_count()), flush=True)
        results = []    # (label, [Result])
        policy = os.path.join(ROOT, "samples", "policy.ini")
        for label, extra in (("check (all rules, defaults)", []),
                             ("check --policy samples/policy.ini",
                              ["--policy", policy])):
            rs = [run(binary, db, env, ["check", "--format", "json"] + extra,
                      ok=(0, 1)) for _ in range(a.runs)]
            results.append((label, rs))
            print("%-36s wall %s s; CPU %s s; peak RSS %.0f MiB" % (
                label, " ".join("%.2f" % r.wall for r in rs),
                " ".join("%.2f" % r.cpu for r in rs),
                max(r.rss_kib for r in rs) / 1024), flush=True)

        per_rule = []
        if not a.no_per_rule:
            pol = os.path.join(tmp, "one-rule.ini")
            for rid in ["none"] + rule_ids():
                with open(pol, "w") as f:
                    f.write("[defaults]\nrules = %s\n" % rid)
                r = run(binary, db, env, ["check", "--format", "json",
                                          "--policy", pol],
                        stdout=subprocess.PIPE, ok=(0, 1))
                counts = {}
                for line in r.out.splitlines():
                    try:
                        st = json.loads(line).get("status", "?")
                    except ValueError:
                        continue
                    counts[st] = counts.get(st, 0) + 1
                per_rule.append((rid, r, counts))

        # -- the report ---------------------------------------------------
        print()
        print("amlfs-audit check over %d file systems, %d days of hourly "
              "metrics (%d OSTs + 1 MDT each), history %.0f MiB"
              % (h["fs"], a.days, a.osts, h["size"] / 2**20)
              if not a.history else
              "amlfs-audit check over %d file systems, metrics %s to %s, "
              "history %.0f MiB" % (h["fs"], h["first"], h["last"],
                                    h["size"] / 2**20))
        print("%-34s %-24s %6s %6s %9s" % ("", "wall s, each run", "best",
                                         "CPU s", "peak RSS"))
        for label, rs in results:
            print("%-34s %-24s %6.2f %6.2f %5.0f MiB" % (
                label, " ".join("%.2f" % r.wall for r in rs),
                min(r.wall for r in rs), min(r.cpu for r in rs),
                max(r.rss_kib for r in rs) / 1024))
        if per_rule:
            base = per_rule[0][1].cpu
            print()
            print("each rule alone (policy '[defaults] rules = ID', one run; "
                  "'none' is the fixed cost of a check):")
            print("%-28s %6s %6s %9s %9s  %s" % ("rule", "wall s", "CPU s",
                                               "CPU-none", "peak RSS",
                                               "results"))
            for rid, r, counts in sorted(per_rule, key=lambda x: -x[1].cpu):
                print("%-28s %6.2f %6.2f %9.2f %5.0f MiB  %s" % (
                    rid, r.wall, r.cpu, r.cpu - base if rid != "none" else 0,
                    r.rss_kib / 1024,
                    " ".join("%s=%d" % kv for kv in sorted(counts.items()))))
        slow = max(min(r.wall for r in rs) for _, rs in results)
        slow_cpu = max(min(r.cpu for r in rs) for _, rs in results)
        peak = max(r.rss_kib for _, rs in results for r in rs) / 1024
        print()
        print("goal under 2 s wall: %s (best of the slower kind %.2f s wall, "
              "%.2f s CPU)" % ("met" if slow < 2 else "NOT met", slow,
                                slow_cpu))
        print("goal under 200 MiB peak RSS: %s (%.0f MiB)"
              % ("met" if peak < 200 else "NOT met", peak))
        print("history %.0f MiB%s" % (h["size"] / 2**20, (
            ", built in %.0f s" % sum(t for _, t in times)) if times else ""))
    finally:
        if keep:
            print("kept: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
