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

    def delete_run(self, run):
        for t in ("run_errors", "evidence"):
            self.sql("DELETE FROM %s WHERE run_id = ?" % t, run)
        self.sql("DELETE FROM runs WHERE id = ?", run)

    def test_intact_history_verifies(self):
        r = self.expect(OK, "verify")
        self.assertIn("verified 3 run(s)", r.out)
        head = self.scalar("SELECT run_hash FROM runs WHERE id = 3")
        self.assertIn("head: run 3 " + head, r.out)
        j = self.expect(OK, "verify", "--format", "json").json()
        self.assertEqual((j["ok"], j["runs"], j["head_hash"]), (True, 3, head))

    # Item states are shared by the runs that saw them unchanged, so an edit
    # of one breaks the first run that saw it.
    def test_edited_tag(self):
        self.sql("UPDATE state_tags SET value = 'CC-9999' WHERE kind = 'fs' AND "
                 "key = 'CostCenter' AND value = 'CC-4410'")
        self.broken(1, "table 'tags'")

    def test_added_tag(self):
        self.sql("INSERT INTO state_tags SELECT 'fs', id, 'approved', 'Approved', "
                 "'yes' FROM fs_states LIMIT 1")
        self.broken(1, "table 'tags'", "1 row(s) not in the evidence")

    def test_edited_filesystem(self):
        self.sql("UPDATE fs_states SET health_state = 'Available' "
                 "WHERE name = 'amlfs-cfd-transient'")
        self.broken(1, "table 'filesystems'")

    def test_edited_job(self):
        self.sql("UPDATE import_job_states SET state = 'Completed' WHERE state = 'Failed'")
        self.broken(1, "table 'import_jobs'")

    # Sightings are stored once per page (request and body), shared by the
    # runs that read that page: an edit breaks the first run that read it.
    def test_a_page_pointed_at_another_state(self):
        self.sql("UPDATE sightings SET state = (SELECT id FROM fs_states WHERE "
                 "name = 'amlfs-vfx-sim') WHERE kind = 'fs' AND "
                 "state = (SELECT id FROM fs_states WHERE name = 'amlfs-cfd-transient')")
        self.broken(1, "table 'filesystems'")

    def test_deleted_page_sightings(self):
        self.sql("DELETE FROM sightings WHERE kind = 'import'")
        self.broken(1, "table 'import_jobs'", "missing")

    # What one run did not keep is that run's own: hiding a sighting from
    # one run breaks that run (test_sightings.py: bringing one back).
    def test_dropped_sighting(self):
        self.sql("INSERT INTO shadowed SELECT e.id, s.item_index FROM evidence e "
                 "JOIN sightings s ON s.request = e.request AND s.body = e.body "
                 "WHERE e.run_id = 3 AND s.kind = 'import'")
        self.broken(3, "table 'import_jobs'", "missing")

    def test_deleted_middle_run(self):
        self.delete_run(2)
        self.broken(3, "run 2 before it is missing")

    def test_deleted_newest_run(self):
        self.delete_run(3)
        self.broken(3, "the newest, is missing")

    def test_edited_run_metadata(self):
        self.sql("UPDATE runs SET status = 'partial' WHERE id = 2")
        self.broken(2, "metadata, evidence list, cost sources or findings were edited")

    def test_edited_evidence_body(self):
        sha = self.scalar("SELECT sha256 FROM evidence_log WHERE run_id = 1 AND "
                          "kind = 'import_jobs' AND url LIKE '%amlfs-cfd-aero-01%'")
        self.sql("UPDATE bodies SET content = replace(content, 'Failed', 'Completed') "
                 "WHERE sha256 = ?", sha)
        self.broken(1, "evidence body " + sha + " was edited")

    def test_edited_evidence_row(self):
        self.sql("UPDATE evidence SET request_id = 'forged' WHERE run_id = 2 AND seq = 1")
        self.broken(2, "metadata, evidence list, cost sources or findings were edited")


if __name__ == "__main__":
    main()
