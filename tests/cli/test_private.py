"""Private by default: whatever umask it is started with, amlfs-audit
creates its history (and the history's WAL and shared-memory files),
recordings and demo outputs readable by their owner only; the systemd unit
says the same."""
import os
import sqlite3
import stat

from harness import CliTest, main, OK, ROOT, REPLAY


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


class Private(CliTest):
    def setUp(self):
        super().setUp()
        # The usual login umask: files would be 0644 and directories 0755.
        self.old_umask = os.umask(0o022)

    def tearDown(self):
        os.umask(self.old_umask)
        super().tearDown()

    def assertPrivateTree(self, top):
        """top and everything under it: directories 0700, files 0600."""
        seen = 0
        self.assertEqual(mode(top), 0o700, top)
        for d, dirs, files in os.walk(top):
            for n in dirs:
                self.assertEqual(mode(os.path.join(d, n)), 0o700,
                                 os.path.join(d, n))
            for n in files:
                self.assertEqual(mode(os.path.join(d, n)), 0o600,
                                 os.path.join(d, n))
                seen += 1
        return seen

    def test_history_and_its_wal_and_shm_are_private(self):
        self.db = os.path.join(self.tmp, "state", "amlfs-audit", "history.db")
        self.expect(OK, "collect", "--replay", REPLAY)
        self.assertEqual(mode(os.path.dirname(self.db)), 0o700)
        self.assertEqual(mode(self.db), 0o600)
        # A reader holding the history open keeps the WAL and shared-memory
        # files of the next collection on disk after it ends.
        reader = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            reader.execute("SELECT count(*) FROM runs").fetchall()
            self.expect(OK, "collect", "--replay", REPLAY)
            for sfx in ("", "-wal", "-shm"):
                self.assertTrue(os.path.exists(self.db + sfx), sfx)
                self.assertEqual(mode(self.db + sfx), 0o600, self.db + sfx)
        finally:
            reader.close()

    def test_a_recording_is_private(self):
        rec = os.path.join(self.tmp, "rec")
        self.expect(OK, "collect", "--replay", REPLAY, "--record", rec)
        self.assertGreater(self.assertPrivateTree(rec), 10)
        self.assertEqual(mode(self.db), 0o600)

    def test_demo_outputs_are_private(self):
        out = os.path.join(self.tmp, "demo")
        self.expect(OK, "demo", "--out", out, db=False, config=None)
        self.assertGreaterEqual(self.assertPrivateTree(out), 5)

    def test_the_systemd_unit_sets_a_private_umask(self):
        path = os.path.join(ROOT, "samples", "systemd", "amlfs-audit.service")
        with open(path, encoding="utf-8") as f:
            lines = [l.strip() for l in f]
        service = lines[lines.index("[Service]") + 1:]
        self.assertIn("UMask=0077", service)


if __name__ == "__main__":
    main()
