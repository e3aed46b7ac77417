"""Help, version, usage errors and exit codes of the command line."""
from harness import CliTest, main, OK, USAGE, RUNTIME

COMMANDS = ["collect", "runs", "inventory", "verify", "demo", "config", "render",
            "check", "diff", "desired", "migrate", "help", "version"]


class Help(CliTest):
    def test_global_help_lists_every_command(self):
        r = self.expect(OK, "--help", db=False, config=None)
        for c in COMMANDS:
            self.assertIn("  " + c + " ", r.out)
        self.assertIn("Exit status", r.out)

    def test_every_command_has_help(self):
        for c in COMMANDS:
            for form in (["--help"], ["-h"]):
                r = self.expect(OK, c, *form, db=False, config=None)
                self.assertTrue(r.out.startswith("usage: amlfs-audit " + c), r)
            r = self.expect(OK, "help", c, db=False, config=None)
            self.assertTrue(r.out.startswith("usage: amlfs-audit " + c), r)

    def test_version(self):
        r = self.expect(OK, "--version", db=False, config=None)
        self.assertRegex(r.out, r"^amlfs-audit \d+\.\d+\.\d+\n$")
        self.assertEqual(self.expect(OK, "version", db=False, config=None).out, r.out)

    def test_usage_errors_exit_2(self):
        cases = [
            [],
            ["frobnicate"],
            ["--nope", "runs"],
            ["collect", "--nope"],
            ["collect", "extra-argument"],
            ["inventory", "--format", "xml"],
            ["inventory", "--run", "abc"],
            ["runs", "--limit", "-1"],
            ["help", "frobnicate"],
            ["--db"],
        ]
        for args in cases:
            r = self.run_cli(*args, db=False, config=None)
            self.assertEqual(r.code, USAGE, (args, r))
            self.assertTrue(r.err, args)
            self.assertEqual(r.out, "", args)

    def test_reading_a_missing_history_is_a_runtime_error(self):
        for c in ("runs", "inventory", "verify"):
            r = self.expect(RUNTIME, c)
            self.assertIn("no history here yet", r.err)
            self.assertIn(self.db, r.err)

    def test_db_from_environment(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        r = self.expect(OK, "runs", db=False, env={"AMLFS_AUDIT_DB": self.db})
        self.assertIn("replay", r.out)


if __name__ == "__main__":
    main()
