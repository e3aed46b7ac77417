"""demo --out DIR writes only into a directory that holds nothing but what
an earlier demo wrote; --force replaces the demo's own files and leaves
everything else alone."""
import hashlib
import os
import shutil
import sqlite3

from harness import CliTest, main, OK, FINDINGS, USAGE, REPLAY

DEMO_NAMES = {"history.db", "inventory.json", "inventory.csv",
              "costs-2026-10.json", "costs-2026-10.csv",
              "findings.json", "findings.md", "chargeback-2026-10.xlsx",
              "chargeback-2026-10.md", "chargeback-2026-10.csv",
              "chargeback-2026-10.json", "compliance-run1.xlsx",
              "compliance-run1.md", ".amlfs-audit-demo"}
DEMO_NAMES |= {"evidence-pack"}     # a directory: the evidence pack


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class DemoOut(CliTest):
    def setUp(self):
        super().setUp()
        self.out = os.path.join(self.tmp, "demo")

    def demo(self, code, *extra):
        return self.expect(code, "demo", "--out", self.out, *extra,
                           db=False, config=None)

    def three_run_history(self):
        """A real history of three runs, placed in DIR as history.db."""
        for _ in range(3):
            self.expect(OK, "collect", "--replay", REPLAY)
        self.assertEqual(self.runs_in(self.db), 3)
        os.makedirs(self.out, exist_ok=True)
        dst = os.path.join(self.out, "history.db")
        shutil.copyfile(self.db, dst)
        return dst

    def runs_in(self, path):
        """The collection runs of the history at path."""
        saved, self.db = self.db, path
        try:
            return self.scalar("SELECT count(*) FROM runs "
                               "WHERE source IN ('live', 'replay')")
        finally:
            self.db = saved

    def test_a_history_it_did_not_write_survives(self):
        hist = self.three_run_history()
        before = sha256(hist)
        r = self.demo(USAGE)
        self.assertIn("'history.db'", r.err)
        self.assertIn("did not write", r.err)
        self.assertIn("--force", r.err)
        self.assertEqual(sha256(hist), before)
        self.assertEqual(os.listdir(self.out), ["history.db"])
        self.assertEqual(self.runs_in(hist), 3)

    def test_the_first_foreign_entry_is_named(self):
        os.makedirs(os.path.join(self.out, "b-notes"))
        with open(os.path.join(self.out, "a-notes.txt"), "w") as f:
            f.write("mine\n")
        r = self.demo(USAGE)
        self.assertIn("'a-notes.txt'", r.err)
        self.assertNotIn("b-notes", r.err)
        self.assertEqual(sorted(os.listdir(self.out)),
                         ["a-notes.txt", "b-notes"])

    def test_an_empty_or_own_directory_is_fine_and_an_edit_is_not(self):
        os.makedirs(self.out)
        self.demo(OK)
        self.assertEqual(set(os.listdir(self.out)), DEMO_NAMES)
        self.demo(OK)                       # its own files only: again
        self.assertEqual(self.runs_in(os.path.join(self.out, "history.db")), 1)
        inv = os.path.join(self.out, "inventory.json")
        with open(inv, "a") as f:
            f.write(" ")
        edited = sha256(inv)
        r = self.demo(USAGE)
        self.assertIn("'inventory.json'", r.err)
        self.assertEqual(sha256(inv), edited)

    def test_what_a_reader_of_its_history_leaves_is_its_own(self):
        self.demo(OK)
        hist = os.path.join(self.out, "history.db")
        saved, self.db = self.db, hist
        try:
            self.expect(OK, "inventory")     # as the demo suggests
            # (its verdict is test_demo's business; here: it read)
            self.assertIn(self.run_cli("verify").code, (OK, FINDINGS))
        finally:
            self.db = saved
        self.demo(OK)                       # their -wal and -shm go too
        self.assertEqual(set(os.listdir(self.out)), DEMO_NAMES)
        # A WAL with content is not what the demo left: refused.
        con = sqlite3.connect(hist)
        try:
            con.execute("PRAGMA wal_autocheckpoint = 0")
            reader = sqlite3.connect(hist)
            reader.execute("SELECT count(*) FROM runs").fetchall()
            con.execute("UPDATE runs SET notes = 'edited'")
            con.commit()
            r = self.demo(USAGE)
            self.assertIn("'history.db", r.err)
            reader.close()
        finally:
            con.close()

    def test_force_replaces_only_the_demos_own_files(self):
        hist = self.three_run_history()
        notes = os.path.join(self.out, "notes.txt")
        with open(notes, "w") as f:
            f.write("mine\n")
        keep = os.path.join(self.out, "keep")
        os.makedirs(keep)
        with open(os.path.join(keep, "history.db"), "w") as f:
            f.write("not a demo file\n")
        kept = sha256(os.path.join(keep, "history.db"))
        r = self.demo(OK, "--force")
        self.assertIn("Verified", r.out)
        self.assertEqual(self.runs_in(hist), 1)
        with open(notes) as f:
            self.assertEqual(f.read(), "mine\n")
        self.assertEqual(sha256(os.path.join(keep, "history.db")), kept)
        self.assertEqual(set(os.listdir(self.out)),
                         DEMO_NAMES | {"notes.txt", "keep"})
        # The foreign files are still there, so without --force: refused.
        r = self.demo(USAGE)
        self.assertIn("'keep'", r.err)


if __name__ == "__main__":
    main()
