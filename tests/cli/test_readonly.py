"""Readers cannot write: runs, inventory, costs and verify open the history
read-only and never migrate it; a history from an older version asks for
'amlfs-audit migrate', one from a newer version is refused before a byte
of it changes, and a query file that would write is refused."""
import hashlib
import os
import shutil
import sqlite3

from harness import CliTest, main, OK, USAGE, RUNTIME, ROOT, REPLAY

MIGRATIONS = os.path.join(ROOT, "src", "store", "migrations")

# Every command that only reads the history, with arguments that make it
# read as much as it can.
READERS = [
    ("runs",),
    ("runs", "--format", "json"),
    ("inventory",),
    ("inventory", "--format", "json"),
    ("costs", "--month", "2026-10"),
    ("verify",),
]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class ReadOnly(CliTest):
    def user_version(self):
        return self.scalar("PRAGMA user_version")

    def newest_version(self):
        """The schema version this build creates."""
        saved, self.db = self.db, os.path.join(self.tmp, "fresh.db")
        try:
            self.expect(OK, "collect", "--replay", REPLAY)
            return self.user_version()
        finally:
            self.db = saved

    def make_v1(self):
        """A history at schema version 1, as the first release left it
        (rollback journal, so any switch to WAL would change its header)."""
        with open(os.path.join(MIGRATIONS, "0001_history.sql"),
                  encoding="utf-8") as f:
            script = f.read()
        con = sqlite3.connect(self.db)
        try:
            con.executescript(script)
            con.execute("PRAGMA user_version = 1")
            con.commit()
        finally:
            con.close()

    def make_newer(self):
        """A collected history that a later amlfs-audit has taken over."""
        self.expect(OK, "collect", "--replay", REPLAY)
        con = sqlite3.connect(self.db)
        try:
            con.execute("PRAGMA journal_mode = DELETE").fetchall()
            con.execute("PRAGMA user_version = 9999")
            con.commit()
        finally:
            con.close()
        self.assertFalse(os.path.exists(self.db + "-wal"))

    def test_readers_leave_a_current_history_as_it_was(self):
        self.expect(OK, "collect", "--replay", REPLAY)
        before = sha256(self.db)
        for args in READERS:
            self.run_cli(*args)
            self.assertEqual(sha256(self.db), before, args)
        self.expect(OK, "verify")
        self.expect(OK, "runs")

    def test_readers_do_not_migrate_an_older_history(self):
        self.make_v1()
        before = sha256(self.db)
        for args in READERS:
            r = self.expect(USAGE, *args)
            self.assertIn("run 'amlfs-audit migrate' first", r.err, args)
            self.assertIn("version 1", r.err, args)
            self.assertEqual(sha256(self.db), before, args)
        self.assertEqual(self.user_version(), 1)

    def test_a_newer_history_is_refused_before_a_byte_is_written(self):
        self.make_newer()
        before = sha256(self.db)
        writers = [("collect", "--replay", REPLAY),
                   ("import-costs", os.path.join(ROOT, "samples", "costs",
                                                 "ea-actual-2026-10.csv")),
                   ("import-prices", os.path.join(ROOT, "samples", "costs",
                                                  "retail-prices.json")),
                   ("migrate",)]
        for args in READERS + writers:
            r = self.expect(RUNTIME, *args)
            self.assertIn("newer", r.err, args)
            self.assertIn("9999", r.err, args)
            self.assertEqual(sha256(self.db), before, args)
            self.assertFalse(os.path.exists(self.db + "-wal"), args)

    def test_migrate_says_from_which_version_to_which(self):
        newest = self.newest_version()
        self.make_v1()
        r = self.expect(OK, "migrate")
        self.assertIn("from version 1 to version %d" % newest, r.out)
        self.assertEqual(self.user_version(), newest)
        self.expect(OK, "runs")
        self.expect(OK, "verify")
        before = sha256(self.db)
        r = self.expect(OK, "migrate")
        self.assertIn("already at version %d" % newest, r.out)
        self.assertEqual(sha256(self.db), before)

    def test_migrate_needs_a_history(self):
        r = self.expect(RUNTIME, "migrate")
        self.assertIn("no history here yet", r.err)
        self.assertFalse(os.path.exists(self.db))

    def test_writers_still_migrate(self):
        newest = self.newest_version()
        self.make_v1()
        self.expect(OK, "collect", "--replay", REPLAY)
        self.assertEqual(self.user_version(), newest)
        self.expect(OK, "verify")

    def test_config_show_does_not_touch_the_history(self):
        self.expect(OK, "config", "show")
        self.assertFalse(os.path.exists(self.db))

    def datadir_with(self, rel, sql):
        """A copy of the queries in which queries/<rel> holds sql."""
        datadir = os.path.join(self.tmp, "data")
        shutil.copytree(os.path.join(ROOT, "queries"),
                        os.path.join(datadir, "queries"))
        path = os.path.join(datadir, "queries", rel)
        with open(path, "w", encoding="utf-8") as f:
            f.write("-- Columns: id\n" + sql + "\n")
        return datadir, path

    def test_a_query_file_that_writes_is_refused(self):
        self.expect(OK, "collect", "--replay", REPLAY)
        before = sha256(self.db)
        runs = self.scalar("SELECT count(*) FROM runs")
        for sql in ("INSERT INTO runs (started_at, status, tool_version, "
                    "source, scope) VALUES ('x', 'ok', 'x', 'x', '{}') "
                    "RETURNING id",
                    "DELETE FROM run_errors",
                    "PRAGMA user_version = 42",
                    "WITH x AS (SELECT 1) UPDATE runs SET notes = 'x'"):
            datadir, path = self.datadir_with("runs/summary.sql", sql)
            r = self.expect(RUNTIME, "--datadir", datadir, "runs")
            self.assertIn("writes", r.err, sql)
            self.assertIn(path, r.err, sql)
            self.assertEqual(sha256(self.db), before, sql)
            self.assertEqual(self.scalar("SELECT count(*) FROM runs"), runs)
            shutil.rmtree(datadir)
        # A query that only reads still runs from such a datadir.
        datadir, _ = self.datadir_with("runs/summary.sql",
                                       "SELECT id FROM runs LIMIT :limit")
        r = self.expect(OK, "--datadir", datadir, "runs")
        self.assertIn("1", r.out)


if __name__ == "__main__":
    main()
