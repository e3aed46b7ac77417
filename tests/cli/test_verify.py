"""verify catches every kind of after-the-fact edit of the history."""
from harness import CliTest, main, OK, FINDINGS


class Verify(CliTest):
    def setUp(self):
        super().setUp()
        replay = self.copy_replay()
        for _ in range(3):
            self.expect(OK, "collect", "--replay", replay)

    def broken(self, run, *words):
        r = self.expect(FINDINGS, "verify")
        self.assertIn("run %d: BROKEN" % run, r.out)
        for w in words:
            self.assertIn(w, r.out)
        j = self.expect(FINDINGS, "verify", "--format", "json").json()
        self.assertFalse(j["ok"])
        self.assertEqual(j["first_bad_run"], run)
        return r

    def test_intact_history_verifies(self):
        r = self.expect(OK, "verify")
        self.assertIn("verified 3 run(s)", r.out)
        head = self.scalar("SELECT run_hash FROM runs WHERE id = 3")
        self.assertIn("head: run 3 " + head, r.out)
        j = self.expect(OK, "verify", "--format", "json").json()
        self.assertEqual((j["ok"], j["runs"], j["head_hash"]), (True, 3, head))

    def test_edited_tag_row(self):
        self.sql("UPDATE tags SET value = 'CC-9999' WHERE run_id = 2 AND key = 'CostCenter' "
                 "AND value = 'CC-4410'")
        self.broken(2, "table 'tags'")

    def test_added_tag_row(self):
        self.sql("INSERT INTO tags SELECT run_id, resource_key, 'approved', 'Approved', "
                 "'yes' FROM filesystems WHERE run_id = 1 LIMIT 1")
        self.broken(1, "table 'tags'", "1 row(s) not in the evidence")

    def test_edited_filesystem_row(self):
        self.sql("UPDATE filesystems SET health_state = 'Available' WHERE run_id = 3 "
                 "AND name = 'amlfs-cfd-transient'")
        self.broken(3, "table 'filesystems'")

    def test_edited_job_row(self):
        self.sql("UPDATE import_jobs SET state = 'Completed' WHERE run_id = 1 "
                 "AND state = 'Failed'")
        self.broken(1, "table 'import_jobs'")

    def test_deleted_middle_run(self):
        for t in ("tags", "filesystems", "import_jobs", "auto_export_jobs",
                  "auto_import_jobs", "subscriptions", "run_errors", "evidence"):
            self.sql("DELETE FROM %s WHERE run_id = 2" % t)
        self.sql("DELETE FROM runs WHERE id = 2")
        self.broken(3, "run 2 before it is missing")

    def test_deleted_newest_run(self):
        for t in ("tags", "filesystems", "import_jobs", "auto_export_jobs",
                  "auto_import_jobs", "evidence"):
            self.sql("DELETE FROM %s WHERE run_id = 3" % t)
        self.sql("DELETE FROM runs WHERE id = 3")
        self.broken(3, "the newest, is missing")

    def test_rewritten_chain_is_still_caught(self):
        # Someone edits run 2's status and recomputes nothing: its hash breaks.
        self.sql("UPDATE runs SET status = 'partial' WHERE id = 2")
        self.broken(2, "metadata or evidence list was edited")

    def test_edited_evidence_body(self):
        sha = self.scalar("SELECT sha256 FROM evidence WHERE run_id = 1 AND "
                          "kind = 'import_jobs' AND url LIKE '%amlfs-cfd-aero-01%'")
        self.sql("UPDATE bodies SET content = replace(content, 'Failed', 'Completed') "
                 "WHERE sha256 = ?", sha)
        self.broken(1, "evidence body " + sha + " was edited")

    def test_edited_evidence_url(self):
        self.sql("UPDATE evidence SET url = url || '&x=1' WHERE run_id = 2 AND seq = 1")
        self.broken(2, "metadata or evidence list was edited")


if __name__ == "__main__":
    main()
