"""Evidence packs against the history, and head anchoring: verify --pack,
an edited history refused by export, verify --expect-head and
[evidence] head_log."""
import hashlib
import os
import re
import socket

from harness import CliTest, main, OK, FINDINGS, USAGE, PARTIAL, SAMPLES
from test_evidence_pack import PackBase, POLICY


class Head(PackBase):
    def test_export_refuses_an_edited_history(self):
        self.sql("UPDATE evidence SET status = 500 WHERE run_id = 1 AND seq = 3")
        r = self.expect(FINDINGS, "evidence", "export", "--run", "1",
                        "--out", os.path.join(self.tmp, "p"))
        self.assertIn("no longer gives its stored hash", r.err)
        self.assertEqual([n for n in os.listdir(self.tmp)
                          if n.startswith("p")], [])

    # -- the history and the head ---------------------------------------

    def test_verify_pack_against_the_history(self):
        pack = self.export()
        r = self.expect(OK, "verify", "--pack", pack)
        self.assertIn("run 1 is the history's run with that hash", r.out)
        other = os.path.join(self.tmp, "other.db")
        self.expect(OK, "--db", other, "collect", "--replay",
                    self.copy_replay(), db=False)
        r = self.expect(FINDINGS, "--db", other, "verify", "--pack", pack,
                        db=False)
        self.assertIn("NOT IN THE HISTORY", r.out)

    def test_expect_head(self):
        r = self.expect(OK, "verify", "--expect-head", self.head)
        self.assertIn("head: run 2 " + self.head, r.out)
        self.expect(OK, "verify", "--expect-head", self.head.upper())
        wrong = "0" * 64
        r = self.expect(FINDINGS, "verify", "--expect-head", wrong)
        self.assertIn(self.head, r.out)
        self.assertIn(wrong, r.out)
        j = self.expect(FINDINGS, "verify", "--expect-head", wrong,
                        "--format", "json").json()
        self.assertEqual((j["ok"], j["head_as_expected"]), (False, False))
        self.expect(USAGE, "verify", "--expect-head", "abc")

    def test_head_log(self):
        log = os.path.join(self.tmp, "heads.log")
        conf = self.conf(head_log=log)
        self.expect(OK, "collect", "--replay", self.copy_replay(), config=conf)
        self.expect(FINDINGS, "check", "--policy", POLICY, config=conf)
        self.expect(OK, "import-prices",
                    os.path.join(SAMPLES, "costs", "retail-prices.json"),
                    config=conf)
        with open(log) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 3)
        for line, run in zip(lines, (3, 4, 5)):
            t, rid, h = line.split(" ")
            self.assertRegex(t, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertEqual(int(rid), run)
            self.assertEqual(h, self.scalar(
                "SELECT run_hash FROM runs WHERE id = ?", run))
        self.expect(OK, "verify", "--expect-head", lines[-1].split(" ")[2])
        # A head log that cannot be written: stored, warned, exit 4.
        bad = self.conf(head_log=os.path.join(self.tmp, "no", "heads.log"))
        r = self.expect(PARTIAL, "collect", "--replay", self.copy_replay(),
                        config=bad)
        self.assertIn("warning: cannot append the new head", r.err)
        self.assertEqual(self.scalar("SELECT status FROM runs WHERE id = 6"),
                         "ok")

    def test_head_log_syslog(self):
        """head_log = syslog:PATH sends what head_log = syslog sends to
        /dev/log (the same code), here to a socket the test reads."""
        path = os.path.join(self.tmp, "log.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.setblocking(False)
        try:
            conf = self.conf(head_log="syslog:" + path)
            self.expect(OK, "collect", "--replay", self.copy_replay(),
                        config=conf)
            self.expect(FINDINGS, "check", "--policy", POLICY, config=conf)
            got = []
            while True:
                try:
                    got.append(sock.recv(4096).decode())
                except BlockingIOError:
                    break
        finally:
            sock.close()
        self.assertEqual(len(got), 2, got)
        for msg, run in zip(got, (3, 4)):
            m = re.match(r"^<13>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d "
                         r"amlfs-audit\[(\d+)\]: head (\S+) (\d+) "
                         r"([0-9a-f]{64})$", msg)
            self.assertTrue(m, msg)
            self.assertRegex(m.group(2), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertEqual(int(m.group(3)), run)
            self.assertEqual(m.group(4), self.scalar(
                "SELECT run_hash FROM runs WHERE id = ?", run))
        # Nobody listening (syslog() would drop it silently): warned, exit 4.
        r = self.expect(PARTIAL, "collect", "--replay", self.copy_replay(),
                        config=conf)
        self.assertIn("warning: cannot append the new head", r.err)
        self.assertIn("syslog:" + path, r.err)


class HashEncoding1(CliTest):
    """The refactored encoder still gives what hash encoding 1 gave: each
    value as SQLite's text and a NUL (NULL as \\x01), groups and rows marked
    \\x1d and \\x1e; computed here independently, then verify agrees."""

    GROUPS = [
        ("id, started_at, finished_at, status, tool_version, source, "
         "tenant_id, principal_id, scope, error_summary, notes, prev_hash",
         "runs WHERE id = ?"),
        ("seq, kind, subject, method, url, request_body, status, request_id, "
         "fetched_at, projected, sha256", "evidence_log WHERE run_id = ? "
         "ORDER BY seq"),
        ("seq, url, http_status, code, message",
         "run_errors WHERE run_id = ? ORDER BY seq"),
        ("scope, list, requests, pages, items, retries, throttled, "
         "throttle_wait_ms, errors", "run_ledger WHERE run_id = ? "
         "ORDER BY scope, list"),
    ]

    def seal_v1(self, run):
        """Run's hash in encoding 1 (before hash v2): what an old history
        holds."""
        h = hashlib.sha256(b"amlfs-audit-run/1\0")
        for cols, src in self.GROUPS:
            h.update(b"\x1d\0")
            for row in self.sql("SELECT %s FROM %s" % (
                    ", ".join("CAST(%s AS TEXT)" % c for c in cols.split(", ")),
                    src), run):
                h.update(b"\x1e\0")
                for v in row:
                    v = b"\x01" if v is None else v.encode().split(b"\0")[0]
                    h.update(v + b"\0")
        self.sql("UPDATE runs SET hash_version = 1, run_hash = ? WHERE id = ?",
                 h.hexdigest(), run)
        return h.hexdigest()

    def test_a_source_outside_the_chain_is_legacy_only_before_it(self):
        # Review finding: in a history from before imports joined the chain,
        # a cost source inserted later with no run was "uncovered" too, and
        # verify --expect-head passed with forged costs.
        self.expect(OK, "collect", "--replay", self.copy_replay(),
                    env={"AMLFS_AUDIT_NOW": "2026-10-01T06:00:00Z"})
        old = self.put_file("old.csv", "ResourceId,Date,CostInBillingCurrency,"
                            "BillingCurrencyCode,MeterName\n/subscriptions/s/"
                            "resourceGroups/r/providers/Microsoft.StorageCache/"
                            "amlFilesystems/x,09/01/2026,1,USD,m\n")
        self.expect(OK, "import-costs", old, env={"AMLFS_AUDIT_NOW": "2026-10-02T06:00:00Z"})
        # Both runs as an old version wrote them: source 1 is outside the chain.
        self.sql("UPDATE runs SET prev_hash = ? WHERE id = 2", self.seal_v1(1))
        self.seal_v1(2)
        self.expect(PARTIAL, "import-costs", os.path.join(
            SAMPLES, "costs", "ea-actual-2026-10.csv"),
            env={"AMLFS_AUDIT_NOW": "2026-11-01T06:00:00Z"})
        r = self.expect(OK, "verify")
        self.assertIn("note: 1 cost source(s) were imported before", r.out)
        head = r.out.split("head: run 3 ")[1].split()[0]
        for sid, when in ((3, "2026-11-02T00:00:00Z"), (0, "2026-09-01T00:00:00Z")):
            self.sql("INSERT INTO cost_sources (id, kind, name, format, ingested_at) "
                     "VALUES (?, 'file', 'forged.csv', 'ea', ?)", sid, when)
            # A copy of source 1's rows and months: consistent but for the chain.
            self.sql("INSERT INTO cost_rows (source, resource_key, resource_id, day, "
                     "cost_type, meter, currency, cost, quantity, unit, tags, "
                     "cost_micros) SELECT ?, resource_key, resource_id, day, "
                     "cost_type, meter, currency, cost, quantity, unit, tags, "
                     "cost_micros FROM cost_rows WHERE source = 1", sid)
            self.sql("INSERT INTO cost_months (source, superseded_by, resource_key, "
                     "currency, tags, month, totals) SELECT ?, superseded_by, "
                     "resource_key, currency, tags, month, totals FROM cost_months "
                     "WHERE source = 1", sid)
            r = self.expect(FINDINGS, "verify", "--expect-head", head)
            self.assertIn("cost source %d is outside the evidence chain" % sid, r.out)
            for t, k in (("cost_months", "source"), ("cost_rows", "source"),
                         ("cost_sources", "id")):
                self.sql("DELETE FROM %s WHERE %s = ?" % (t, k), sid)
        self.expect(OK, "verify", "--expect-head", head)

    def test_version_1_runs_still_verify(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        self.sql("UPDATE runs SET hash_version = 1, notes = 'x' || char(0) "
                 "|| 'hidden' WHERE id = 1")
        h = hashlib.sha256(b"amlfs-audit-run/1\0")
        for cols, src in self.GROUPS:
            h.update(b"\x1d\0")
            for row in self.sql("SELECT %s FROM %s" % (
                    ", ".join("CAST(%s AS TEXT)" % c for c in cols.split(", ")),
                    src), 1):
                h.update(b"\x1e\0")
                for v in row:
                    v = b"\x01" if v is None else v.encode().split(b"\0")[0]
                    h.update(v + b"\0")
        self.sql("UPDATE runs SET run_hash = ? WHERE id = 1", h.hexdigest())
        r = self.expect(OK, "verify")
        self.assertIn("head: run 1 " + h.hexdigest(), r.out)
        pack = os.path.join(self.tmp, "v1")
        self.expect(OK, "evidence", "export", "--run", "1", "--out", pack)
        r = self.expect(OK, "evidence", "verify", pack, db=False)
        self.assertIn("run 1: " + h.hexdigest(), r.out)


if __name__ == "__main__":
    main()
