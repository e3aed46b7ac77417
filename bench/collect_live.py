#!/usr/bin/env python3
"""Benchmark of live collection against the loopback fake of Azure.

The fake serves generated estates with a fixed latency on every response.
The script first measures the fake with a plain client (so the fake's own
overhead is known), then, over plain HTTP and over HTTPS (a test CA made
for the run, trusted through [azure] ca_file):

- the 10-file-system estate (1 subscription), one collection;
- the 1,000-file-system estate (default 50 subscriptions x 20), collected
  twice: the second run is over the unchanged estate and says how much it
  added to the history per response;

and, over plain HTTP, the cost queries of the 1,000-file-system estate
alone (`--costs-only`) and the whole run with cost queries on, each into a
fresh history, against the goal: at most 1.15x the larger of (ARM reads
alone, cost queries alone).

Each collection reports wall time, CPU time (user + system, from
/usr/bin/time) and peak RSS; the cost lane's turnaround per query (from the
fake's log: an answer to the same scope's next query) says how long the
client held each query alone and beside the ARM reads.

    python3 bench/collect_live.py [--subs 50] [--fs 20] [--latency-ms 20]
                                  [--in-flight 16] [--bin build/amlfs-audit]
                                  [--no-https]
"""
import argparse
import concurrent.futures
import datetime
import http.client
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LATENCY_S = 0.02    # set from --latency-ms
sys.path.insert(0, os.path.join(ROOT, "tests", "cli"))
os.environ.setdefault("AMLFS_BIN", os.path.join(ROOT, "build", "amlfs-audit"))
os.environ.setdefault("SOURCE_ROOT", ROOT)
from fake import Fake, credentials  # noqa: E402


def plain_client(fake, n, in_flight):
    """n GETs of an unauthenticated path, in_flight keep-alive connections."""
    def worker(count):
        c = http.client.HTTPConnection("127.0.0.1", fake.port)
        for _ in range(count):
            c.request("GET", "/_fake/health")
            c.getresponse().read()
        c.close()
    per = [n // in_flight] * in_flight
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(in_flight) as ex:
        list(ex.map(worker, per))
    return time.monotonic() - t0, sum(per)


def db_size(path):
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return os.path.getsize(path)


class Run:
    def __init__(self, wall, cpu, rss_kib, requests=0):
        self.wall, self.cpu, self.rss, self.requests = wall, cpu, rss_kib, requests

    def __str__(self):
        return "%5d requests, wall %6.2f s, CPU %5.2f s, peak RSS %5.1f MiB" % (
            self.requests, self.wall, self.cpu, self.rss / 1024)


def collect(binary, conf, db, env, *args):
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", binary, "-q", "--db", db,
                        "--config", conf, "collect"] + list(args), env=env,
                       capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("collect failed (%d): %s" % (p.returncode, p.stderr))
    user, sys_, rss = p.stderr.strip().splitlines()[-1].split()
    return Run(wall, float(user) + float(sys_), int(rss))


def config(fake, path, in_flight, costs):
    conf = fake.config(path, "max_in_flight = %d\ntimeout_s = 30\n\n[costs]\n"
                       "query = %s\n" % (in_flight, "yes" if costs else "no"))
    # Every subscription the principal sees, found through the list.
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write("\n".join(l for l in text.splitlines()
                          if not l.startswith("subscriptions =")) + "\n")
    return conf


def counted(fake, fn):
    fake.reset_log()
    run = fn()
    log = [r for r in fake.requests() if not r["path"].startswith("/_fake")]
    run.requests = len(log)
    run.cost_queries = len([r for r in log if is_cost_query(r)])
    run.turnaround = turnaround(log)
    return run


def is_cost_query(r):
    return r["path"].split("?")[0].lower().endswith("costmanagement/query")


def turnaround(log, latency_s=None):
    """The cost lane's client-side time per query, in ms: from the fake's
    answer to the same scope's next query arriving (the query after it
    waits for it), as (median, mean); None without cost queries."""
    latency_s = LATENCY_S if latency_s is None else latency_s
    by = {}
    for r in log:
        if is_cost_query(r) and r.get("ts"):
            t = datetime.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
            by.setdefault(r["path"].lower().split("/providers/")[0], []).append(
                t.timestamp())
    gaps = []
    for v in by.values():
        v.sort()
        gaps += [(b - latency_s - a) * 1000 for a, b in zip(v, v[1:])]
    return (statistics.median(gaps), statistics.mean(gaps)) if gaps else None


def estate(a, tmp, subs, fs, tls, env, costs_too):
    """Collect one estate (twice when costs_too: the unchanged run), and
    with costs_too the cost queries alone and the run with them on."""
    fake = Fake("--estate", "generated:%d:%d" % (subs, fs), "--latency-ms",
                str(a.latency_ms), "--page-size", "100", tls=tls)
    out = {}
    try:
        d = tempfile.mkdtemp(dir=tmp)
        conf = config(fake, os.path.join(d, "arm.conf"), a.in_flight, False)
        db = os.path.join(d, "history.db")
        out["run1"] = counted(fake, lambda: collect(a.bin, conf, db, env))
        if not costs_too:
            return out
        size1 = db_size(db)
        n = sqlite3.connect(db).execute(
            "SELECT count(*) FROM evidence WHERE run_id = 1").fetchone()[0]
        out["run2"] = counted(fake, lambda: collect(a.bin, conf, db, env))
        out["growth"] = (db_size(db) - size1, n)
        cconf = config(fake, os.path.join(d, "costs.conf"), a.in_flight, True)
        out["costs"] = counted(fake, lambda: collect(
            a.bin, cconf, os.path.join(d, "costs.db"), env, "--costs-only"))
        both = os.path.join(d, "both.db")
        out["both"] = counted(fake, lambda: collect(a.bin, cconf, both, env))
        # Each kind's span in that run, from its ledger (ms from the start).
        out["spans"] = sqlite3.connect(both).execute(
            "SELECT list = 'cost_query', min(started_ms), max(finished_ms) "
            "FROM run_ledger GROUP BY 1 ORDER BY 1").fetchall()
        return out
    finally:
        fake.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subs", type=int, default=50)
    ap.add_argument("--fs", type=int, default=20)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--in-flight", type=int, default=16)
    ap.add_argument("--bin", default=os.environ["AMLFS_BIN"])
    ap.add_argument("--no-https", action="store_true")
    a = ap.parse_args()
    global LATENCY_S
    LATENCY_S = a.latency_ms / 1000

    tmp = tempfile.mkdtemp(prefix="amlfs-bench-")
    env = dict(os.environ)
    env.update(credentials())
    try:
        fake = Fake("--latency-ms", str(a.latency_ms))
        try:
            wall, sent = plain_client(fake, 2000, a.in_flight)
        finally:
            fake.stop()
        ideal = sent * a.latency_ms / 1000 / a.in_flight
        print("plain client: %d requests in %.2f s (ideal %.2f s, %.2fx)"
              % (sent, wall, ideal, wall / ideal))
        print("%d ms latency, %d in flight" % (a.latency_ms, a.in_flight))
        modes = [False] if a.no_https else [False, True]
        small, big = {}, {}
        for tls in modes:
            small[tls] = estate(a, tmp, 1, 10, tls, env, False)
            big[tls] = estate(a, tmp, a.subs, a.fs, tls, env, not tls)
        for tls in modes:
            name = "HTTPS" if tls else "HTTP "
            print("%s    10 fs:  %s" % (name, small[tls]["run1"]))
            r = big[tls]["run1"]
            print("%s %5d fs:  %s (ideal %.2f s, %.2fx)" % (
                name, a.subs * a.fs, r, r.requests * a.latency_ms / 1000 / a.in_flight,
                r.wall / (r.requests * a.latency_ms / 1000 / a.in_flight)))
        if not a.no_https:
            for key, label in ((small, "10 fs"), (big, "%d fs" % (a.subs * a.fs))):
                h, s = key[False]["run1"], key[True]["run1"]
                print("HTTPS / HTTP, %s: wall %.2fx, CPU %.2fx (goal for 10 fs: "
                      "wall at most 1.3x)" % (label, s.wall / h.wall, s.cpu / max(h.cpu, 0.01)))
        b = big[False]
        print("unchanged run 2: %s" % b["run2"])
        added, n = b["growth"]
        print("unchanged run 2 added %.1f KiB for %d responses: %.1f bytes per "
              "response (goal: under 64)" % (added / 1024, n, added / n))
        print("cost queries alone: %s (%d queries)" % (b["costs"], b["costs"].cost_queries))
        print("ARM reads and cost queries: %s (%d queries)" % (b["both"], b["both"].cost_queries))
        for cost, start, end in b["spans"]:
            print("  its %s: from %.2f s to %.2f s of the run" % (
                "cost queries" if cost else "ARM reads", start / 1000, end / 1000))
        if b["costs"].turnaround and b["both"].turnaround:
            print("cost lane turnaround (answer to the scope's next query, client "
                  "side): alone median %.1f ms, mean %.1f; beside the ARM reads "
                  "median %.1f ms, mean %.1f" % (b["costs"].turnaround + b["both"].turnaround))
        larger = max(b["run1"].wall, b["costs"].wall)
        print("with cost queries: %.2fx the larger of ARM alone (%.2f s) and cost "
              "queries alone (%.2f s) (goal: at most 1.15x)"
              % (b["both"].wall / larger, b["run1"].wall, b["costs"].wall))
        rss = max(r.rss for m in (small, big) for d in m.values() for r in d.values()
                  if isinstance(r, Run))
        print("peak RSS of all runs: %.1f MiB (goal: under 64)" % (rss / 1024))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
