"""Shared helpers for the end-to-end tests: run the real binary in a
scratch directory with an isolated configuration and database."""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

BIN = os.environ["AMLFS_BIN"]
ROOT = os.environ["SOURCE_ROOT"]
SAMPLES = os.path.join(ROOT, "samples")
REPLAY = os.path.join(SAMPLES, "replay")
CONF = os.path.join(SAMPLES, "amlfs-audit.conf")

# Exit codes (README "Exit codes").
OK, FINDINGS, USAGE, RUNTIME, PARTIAL = 0, 1, 2, 3, 4


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "exit %d\nstdout:\n%s\nstderr:\n%s" % (self.code, self.out, self.err)


class CliTest(unittest.TestCase):
    """Each test gets its own directory, history and replay copy."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="amlfs-test-")
        self.db = os.path.join(self.tmp, "history.db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_cli(self, *args, db=True, config=CONF, env=None, wrap=None):
        # wrap: a command the binary runs under (strace ...), or None
        argv = list(wrap or []) + [BIN]
        if db:
            argv += ["--db", self.db]
        if config:
            argv += ["--config", config]
        argv += list(args)
        e = dict(os.environ)
        # The default history and configuration live under the test's own
        # directory, never the user's (a test without --db must not read
        # or write ~/.local/state/amlfs-audit).
        e.update({"HOME": self.tmp, "XDG_STATE_HOME": os.path.join(self.tmp, "state"),
                  "XDG_CONFIG_HOME": os.path.join(self.tmp, "config")})
        e.update(env or {})
        proc = subprocess.run(argv, capture_output=True, text=True, env=e,
                              timeout=60, stdin=subprocess.DEVNULL)
        # A sanitizer report fails the test whatever the exit code.
        for marker in ("ERROR: AddressSanitizer", "runtime error:",
                       "ERROR: LeakSanitizer"):
            if marker in proc.stderr:
                self.fail("sanitizer report from %s:\n%s" % (args, proc.stderr))
        return Result(proc)

    def expect(self, code, *args, **kw):
        r = self.run_cli(*args, **kw)
        self.assertEqual(r.code, code, r)
        return r

    def put_file(self, name, text):
        """Write text (UTF-8, newlines as given) to the test's directory."""
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def copy_replay(self):
        dst = tempfile.mkdtemp(prefix="replay-", dir=self.tmp)
        os.rmdir(dst)
        shutil.copytree(REPLAY, dst, ignore=shutil.ignore_patterns("*.py", "*.md"))
        return dst

    def sql(self, query, *params):
        con = sqlite3.connect(self.db)
        try:
            cur = con.execute(query, params)
            rows = cur.fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    def to_schema_7(self):
        """Take the history back to the layout of schema 7, as a history
        written before migrations 8 (sightings by page, times relative to
        the run), 9 (findings by check) and 10 (cost by month) was: one
        `items` row per run and item, Unix seconds in evidence.fetched_at,
        evidence unique by (run_id, seq), findings_open, no cost_months."""
        con = sqlite3.connect(self.db)
        try:
            con.executescript(
                "DROP VIEW cost_months_derived; DROP TABLE cost_months;"
                "DROP INDEX findings_key;"
                "CREATE INDEX findings_open ON findings(rule, resource_id, "
                "check_run);"
                "CREATE TEMP TABLE old_items AS SELECT * FROM items;"
                "DROP VIEW items; DROP TABLE sightings; DROP TABLE shadowed;"
                "CREATE TABLE items (run_id INTEGER NOT NULL REFERENCES runs(id), "
                "kind TEXT NOT NULL, resource INTEGER NOT NULL REFERENCES "
                "resources(id), parent INTEGER NOT NULL, state INTEGER NOT NULL, "
                "evidence_id INTEGER NOT NULL REFERENCES evidence(id), "
                "item_index INTEGER NOT NULL, "
                "PRIMARY KEY (run_id, kind, resource, parent)) WITHOUT ROWID;"
                "INSERT INTO items SELECT * FROM temp.old_items;"
                "CREATE TEMP TABLE old_evidence AS SELECT * FROM evidence;"
                "DROP TABLE evidence;"
                "CREATE TABLE evidence (id INTEGER PRIMARY KEY, run_id INTEGER NOT "
                "NULL REFERENCES runs(id), seq INTEGER NOT NULL, request INTEGER "
                "NOT NULL REFERENCES requests(id), status INTEGER NOT NULL, "
                "request_id TEXT, fetched_at INTEGER NOT NULL, body INTEGER NOT "
                "NULL REFERENCES bodies(id), projected INTEGER NOT NULL, "
                "UNIQUE (run_id, seq));"
                "INSERT INTO evidence SELECT * FROM temp.old_evidence;"
                "DELETE FROM sqlite_stat1 WHERE tbl = 'evidence';"
                "UPDATE evidence SET fetched_at = fetched_at + coalesce((SELECT "
                "time_base FROM runs r WHERE r.id = evidence.run_id), 0);"
                "DROP VIEW evidence_log;"
                "CREATE VIEW evidence_log AS SELECT e.id, e.run_id, e.seq, q.kind, "
                "q.subject, q.method, q.url, nullif(q.body, '') AS request_body, "
                "e.status, CASE WHEN typeof(e.request_id) = 'blob' THEN "
                "lower(substr(hex(e.request_id), 1, 8) || '-' || "
                "substr(hex(e.request_id), 9, 4) || '-' || "
                "substr(hex(e.request_id), 13, 4) || '-' || "
                "substr(hex(e.request_id), 17, 4) || '-' || "
                "substr(hex(e.request_id), 21, 12)) ELSE e.request_id END "
                "AS request_id, strftime('%Y-%m-%dT%H:%M:%SZ', e.fetched_at, "
                "'unixepoch') AS fetched_at, e.projected, b.sha256, b.size, e.body "
                "FROM evidence e JOIN requests q ON q.id = e.request "
                "JOIN bodies b ON b.id = e.body;"
                "ALTER TABLE runs DROP COLUMN time_base;"
                "PRAGMA user_version = 7;")
            con.commit()
        finally:
            con.close()

    def to_schema_5(self):
        """Take the history back to the layout of schema 5, as a history
        written before migrations 6 (exact cost) and 7 (compact evidence)
        was: no cost_micros, request ids as text, the old evidence_log, a
        ledger without timings (and what to_schema_7 undoes)."""
        self.to_schema_7()
        self.sql("UPDATE evidence SET request_id = (SELECT l.request_id FROM "
                 "evidence_log l WHERE l.id = evidence.id)")
        for s in [
            "DROP VIEW evidence_log",
            "CREATE VIEW evidence_log AS SELECT e.id, e.run_id, e.seq, q.kind, "
            "q.subject, q.method, q.url, nullif(q.body, '') AS request_body, "
            "e.status, e.request_id, strftime('%Y-%m-%dT%H:%M:%SZ', e.fetched_at, "
            "'unixepoch') AS fetched_at, e.projected, b.sha256, b.size, e.body "
            "FROM evidence e JOIN requests q ON q.id = e.request "
            "JOIN bodies b ON b.id = e.body",
            "ALTER TABLE run_ledger DROP COLUMN started_ms",
            "ALTER TABLE run_ledger DROP COLUMN finished_ms",
            "ALTER TABLE cost_rows DROP COLUMN cost_micros",
            "PRAGMA user_version = 5",
        ]:
            self.sql(s)

    def scalar(self, query, *params):
        return self.sql(query, *params)[0][0]

    def manifest(self, replay):
        with open(os.path.join(replay, "manifest.json"), encoding="utf-8") as f:
            return json.load(f)

    def write_manifest(self, replay, m):
        with open(os.path.join(replay, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(m, f, indent=2)

    def body_path(self, replay, url_part):
        """The body file of the one entry whose URL contains url_part."""
        hits = [e for e in self.manifest(replay)["entries"] if url_part in e["url"]]
        self.assertEqual(len(hits), 1, url_part)
        return os.path.join(replay, hits[0]["body"])


def edit_json(path, fn):
    """Read the JSON file at path, let fn change it in place, write it back."""
    with open(path, encoding="utf-8") as f:
        body = json.load(f)
    fn(body)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(body, f)


def main():
    unittest.main(verbosity=2)
