#!/usr/bin/env python3
"""Benchmark of live collection against the loopback fake of Azure.

The fake serves a generated estate (default 50 subscriptions x 20 file
systems) with a fixed latency on every response. The script first measures
the fake with a plain client (so the fake's own overhead is known), then
runs `amlfs-audit collect` twice over the unchanged estate and reports wall
time against the latency-bound ideal (requests x latency / in flight), peak
RSS, and how much the second run added to the history.

    python3 bench/collect_live.py [--subs 50] [--fs 20] [--latency-ms 20]
                                  [--in-flight 16] [--bin build/amlfs-audit]
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "cli"))
os.environ.setdefault("AMLFS_BIN", os.path.join(ROOT, "build", "amlfs-audit"))
os.environ.setdefault("SOURCE_ROOT", ROOT)
from fake import Fake, credentials, TENANT  # noqa: E402


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


def collect(binary, conf, db, env, *args):
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", binary, "-q", "--db", db,
                        "--config", conf, "collect"] + list(args), env=env,
                       capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("collect failed (%d): %s" % (p.returncode, p.stderr))
    rss_kib = int(p.stderr.strip().splitlines()[-1])
    return wall, rss_kib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subs", type=int, default=50)
    ap.add_argument("--fs", type=int, default=20)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--in-flight", type=int, default=16)
    ap.add_argument("--bin", default=os.environ["AMLFS_BIN"])
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="amlfs-bench-")
    fake = Fake("--estate", "generated:%d:%d" % (a.subs, a.fs),
                "--latency-ms", str(a.latency_ms), "--page-size", "100")
    try:
        n_plain = 2000
        wall, sent = plain_client(fake, n_plain, a.in_flight)
        ideal_plain = sent * a.latency_ms / 1000 / a.in_flight
        print("plain client: %d requests in %.2f s (ideal %.2f s, %.2fx)"
              % (sent, wall, ideal_plain, wall / ideal_plain))

        # The inventory collection of the benchmark; cost queries (one at a
        # time per scope, by design) are measured apart, below.
        conf = fake.config(os.path.join(tmp, "bench.conf"),
                           "max_in_flight = %d\ntimeout_s = 30\n\n[costs]\n"
                           "query = no\n" % a.in_flight)
        # Every subscription the principal sees, found through the list.
        with open(conf) as f:
            text = f.read()
        text = "\n".join(l for l in text.splitlines()
                         if not l.startswith("subscriptions ="))
        with open(conf, "w") as f:
            f.write(text + "\n")
        db = os.path.join(tmp, "history.db")
        env = dict(os.environ)
        env.update(credentials())
        fake.reset_log()
        wall1, rss1 = collect(a.bin, conf, db, env)
        requests = len([r for r in fake.requests()
                        if not r["path"].startswith("/_fake")])
        size1 = db_size(db)
        wall2, rss2 = collect(a.bin, conf, db, env)
        size2 = db_size(db)
        ideal = requests * a.latency_ms / 1000 / a.in_flight
        print("estate: %d subscriptions x %d file systems, %d ms latency, "
              "%d in flight" % (a.subs, a.fs, a.latency_ms, a.in_flight))
        print("run 1: %d requests in %.2f s; ideal %.2f s; ratio %.2fx; "
              "peak RSS %.1f MiB" % (requests, wall1, ideal, wall1 / ideal,
                                     rss1 / 1024))
        print("run 2: %.2f s; peak RSS %.1f MiB" % (wall2, rss2 / 1024))
        print("history: %.2f MiB after run 1; run 2 added %.1f KiB"
              % (size1 / 2**20, (size2 - size1) / 1024))

        # Cost queries: one at a time per subscription, two scopes at once.
        with open(conf) as f:
            text = f.read().replace("query = no", "query = yes")
        with open(conf, "w") as f:
            f.write(text)
        fake.reset_log()
        wall3, rss3 = collect(a.bin, conf, db, env, "--costs-only")
        queries = len([r for r in fake.requests()
                       if r["path"].endswith("CostManagement/query")])
        size3 = db_size(db)
        wall4, _ = collect(a.bin, conf, db, env, "--costs-only")
        size4 = db_size(db)
        print("cost queries: %d requests in %.2f s (one at a time per "
              "subscription, 2 subscriptions at once); peak RSS %.1f MiB"
              % (queries, wall3, rss3 / 1024))
        print("cost queries again: %.2f s; added %.1f KiB (months held and "
              "unchanged rows are not stored twice)"
              % (wall4, (size4 - size3) / 1024))
    finally:
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
