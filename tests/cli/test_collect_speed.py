"""Issue 13, collection speed, against the loopback fake: cost queries go
out beside the ARM reads, TLS is set up once per run (one CA bundle read,
sessions shared, the token requests included), and an unchanged run's
evidence rows are compact while evidence_log and the run hashes read as
before, old histories included."""
import os
import re

from harness import main, OK, RUNTIME
from fake import FakeTest, credentials

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CA_READS = re.compile(r"TLS: CA bundle '([^']*)' read (\d+) time\(s\); "
                      r"(\d+) handshake\(s\), (\d+) resumed a session")


def is_cost_query(r):
    return r["path"].split("?")[0].lower().endswith("/microsoft.costmanagement/query")


class SpeedTest(FakeTest):
    def collect(self, code, conf, verbose=False):
        pre = ("-v",) if verbose else ()
        return self.expect(code, *pre, "collect", config=conf, env=credentials())

    def log(self):
        return [r for r in self.fake.requests() if not r["path"].startswith("/_fake")]


class CostLane(SpeedTest):
    ARGS = ("--page-size", "2")

    def test_cost_queries_run_beside_the_arm_reads(self):
        # The ARM reads are slow (50 ms each, one at a time), the cost
        # queries quick: they must not wait behind the ARM reads' backlog,
        # however slowly (sanitizers, a loaded machine) answers are stored.
        self.fake.faults([{"match": "^(?!.*CostManagement)(?!.*/token)", "times": -1,
                           "action": "slow", "delay_ms": 50}])
        conf = self.fake.config(os.path.join(self.tmp, "c.conf"),
                                "max_in_flight = 1\n\n[costs]\nquery = yes\n"
                                "max_parallel = 2\n")
        r = self.collect(OK, conf, verbose=True)
        log = [e for e in self.log() if not e["path"].endswith("/token")]
        cost = [i for i, e in enumerate(log) if is_cost_query(e)]
        self.assertGreaterEqual(len(cost), 8)
        # Before: each next query of a scope queued behind every ARM read
        # already queued, so most came at the very end.
        self.assertLess(cost[-1], len(log) // 2, cost)
        # The ledger says when each list was read; the summary per kind.
        run = self.expect(OK, "runs", "--format", "json", config=conf).json()[0]
        rows = [l for l in run["ledger"] if l["list"] == "cost_query"]
        self.assertTrue(rows)
        for l in run["ledger"]:
            self.assertGreater(l["started_ms"], 0, l)
            self.assertGreaterEqual(l["finished_ms"], l["started_ms"], l)
        arm_end = max(l["finished_ms"] for l in run["ledger"] if l["list"] != "cost_query")
        self.assertLess(max(l["finished_ms"] for l in rows), arm_end)
        m = re.search(r"ARM reads took (\d+) ms, cost queries (\d+) ms", r.err)
        self.assertTrue(m, r.err)
        self.assertGreater(int(m.group(1)), 0)
        self.assertGreater(int(m.group(2)), 0)
        # Plain http: no CA bundle is read at all.
        self.assertEqual(CA_READS.search(r.err).group(2, 3), ("0", "0"))


class Https(SpeedTest):
    TLS = True

    def conf(self, extra=""):
        return self.fake.config(os.path.join(self.tmp, "c.conf"), extra)

    def test_one_ca_read_per_run_and_sessions_shared(self):
        r = self.collect(OK, self.conf("\n[costs]\nquery = yes\n"), verbose=True)
        self.assertIn("run 1: ok, 8 file systems", r.out)
        m = CA_READS.search(r.err)
        self.assertTrue(m, r.err)
        self.assertEqual(m.group(1), self.fake.ca_file)
        self.assertEqual(int(m.group(2)), 1, r.err)
        handshakes, resumed = int(m.group(3)), int(m.group(4))
        self.assertGreaterEqual(handshakes, 2)
        # Connections resume the shared sessions (how many depends on how
        # many start at once, before the first ticket arrives).
        self.assertGreaterEqual(resumed, 1, r.err)
        log = self.log()
        tokens = [e for e in log if e["path"].endswith("/token")]
        self.assertTrue(tokens)
        # Connections are reused: far fewer handshakes than requests.
        self.assertLess(handshakes, len(log) // 4, (handshakes, len(log)))

    def test_the_test_ca_is_trusted_only_through_the_configuration(self):
        # Without [azure] ca_file the system bundle is used: the fake's
        # certificate is refused, so peers are verified.
        conf = self.fake.config(os.path.join(self.tmp, "plain.conf"))
        with open(conf) as f:
            text = f.read()
        self.assertIn("ca_file = ", text)
        with open(conf, "w") as f:
            f.write("\n".join(l for l in text.splitlines()
                              if not l.startswith("ca_file")) + "\n")
        r = self.collect(RUNTIME, conf, verbose=True)
        self.assertIn("cannot sign in", r.err)
        self.assertRegex(r.err, r"(?i)certificate")
        self.assertEqual([e for e in self.log() if not e["path"].endswith("/token")], [])

    def test_an_unreadable_ca_file_is_named(self):
        bad = os.path.join(self.tmp, "not-a-bundle.pem")
        with open(bad, "w") as f:
            f.write("not a certificate\n")
        conf = self.conf()
        with open(conf) as f:
            text = f.read().replace("ca_file = %s" % self.fake.ca_file, "ca_file = %s" % bad)
        with open(conf, "w") as f:
            f.write(text)
        r = self.collect(RUNTIME, conf)
        self.assertIn("cannot read CA bundle '%s'" % bad, r.err)


class CompactEvidence(SpeedTest):
    def conf(self):
        return self.fake.config(os.path.join(self.tmp, "c.conf"))

    def test_request_ids_are_16_bytes_and_read_back_as_text(self):
        conf = self.conf()
        self.collect(OK, conf)
        kinds = self.sql("SELECT typeof(request_id), length(request_id), count(*) "
                         "FROM evidence GROUP BY 1, 2")
        self.assertEqual(kinds, [("blob", 16, kinds[0][2])])
        shown = [r[0] for r in self.sql("SELECT request_id FROM evidence_log")]
        self.assertTrue(shown)
        for rid in shown:
            self.assertRegex(rid, GUID)
        self.assertEqual(len(set(shown)), len(shown))
        self.expect(OK, "verify", config=conf)
        # The hash covers the id: one changed byte breaks the run.
        self.sql("UPDATE evidence SET request_id = zeroblob(16) WHERE seq = 3")
        r = self.expect(1, "verify", config=conf)
        self.assertIn("run 1: BROKEN", r.out)

    def test_an_id_that_is_not_a_lowercase_guid_stays_text(self):
        upper = "6F3C2B1E-8A47-4D9E-B5C2-1E7A9D4F0B63"
        self.fake.faults([
            {"match": "amlFilesystems\\?", "times": -1, "action": "headers",
             "headers": {"x-ms-request-id": upper}},
            {"match": "roleAssignments", "times": -1, "action": "headers",
             "headers": {"x-ms-request-id": "not-a-guid"}}])
        conf = self.conf()
        self.collect(OK, conf)
        rows = self.sql("SELECT e.request_id, l.request_id, l.url FROM evidence e "
                        "JOIN evidence_log l ON l.id = e.id "
                        "WHERE typeof(e.request_id) = 'text'")
        self.assertEqual({r[0] for r in rows}, {upper, "not-a-guid"})
        for stored, shown, url in rows:
            self.assertEqual(stored, shown)
            self.assertTrue("amlFilesystems?" in url or "roleAssignments" in url, url)
        self.expect(OK, "verify", config=conf)

    def test_a_history_migrated_from_the_old_layout_verifies(self):
        conf = self.conf()
        self.collect(OK, conf)
        self.collect(OK, conf)
        before = self.sql("SELECT id, run_hash FROM runs ORDER BY id")
        # The layout before migrations 6 and 7: ids as text, the old view,
        # the ledger without timings, schema version 5.
        self.to_schema_5()
        self.assertEqual(self.scalar("SELECT count(*) FROM evidence "
                                     "WHERE typeof(request_id) = 'blob'"), 0)
        # Opened by this version: migrated, then a third run.
        self.collect(OK, conf)
        self.assertEqual(self.scalar("PRAGMA user_version"), 10)
        r = self.expect(OK, "verify", config=conf)
        self.assertIn("verified 3 run(s)", r.out)
        self.assertEqual(self.sql("SELECT id, run_hash FROM runs WHERE id < 3 ORDER BY id"),
                         before)
        # Old rows keep their text, new ones are 16 bytes.
        self.assertEqual(self.sql("SELECT DISTINCT run_id, typeof(request_id) FROM evidence "
                                  "ORDER BY 1"),
                         [(1, "text"), (2, "text"), (3, "blob")])


if __name__ == "__main__":
    main()
