"""The demo writes an evidence pack and verifies it; a later demo replaces
it only when it is still an intact pack."""
import os

from harness import CliTest, main, OK, USAGE


class DemoPack(CliTest):
    def test_demo_writes_and_verifies_a_pack_and_keeps_foreign_files(self):
        out = os.path.join(self.tmp, "demo")
        r = self.expect(OK, "demo", "--out", out, db=False, config=None)
        self.assertIn("evidence-pack: intact", r.out)
        pack = os.path.join(out, "evidence-pack")
        self.expect(OK, "evidence", "verify", pack, db=False)
        # Again over its own output: the pack is replaced.
        self.expect(OK, "demo", "--out", out, db=False, config=None)
        # A file the demo did not write, inside the pack: never removed.
        mine = os.path.join(pack, "notes.txt")
        with open(mine, "w") as f:
            f.write("mine")
        r = self.expect(USAGE, "demo", "--out", out, db=False, config=None)
        self.assertIn("evidence-pack", r.err)
        r = self.expect(USAGE, "demo", "--out", out, "--force", db=False,
                        config=None)
        self.assertIn("not an intact evidence pack", r.err)
        self.assertIn("notes.txt: added", r.err)
        with open(mine) as f:
            self.assertEqual(f.read(), "mine")


if __name__ == "__main__":
    main()
