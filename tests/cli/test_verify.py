"""verify catches every kind of after-the-fact edit of the history."""
import os

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


class VerifyMetricsBackAndForth(CliTest):
    """A metrics page read again after another page changed its points is
    projected again (a point records the run that last changed it), and
    one read again with nothing changed since need not be: both give the
    history's points, so an intact history verifies and an edited point
    does not."""

    BODY = "bodies/research-hpc/metrics-eastus-ost.json"
    FIRST = "2026-11-01T03:00:00Z"

    def setUp(self):
        super().setUp()
        replay = self.copy_replay()
        path = os.path.join(replay, self.BODY)
        with open(path) as f:
            original = f.read()
        changed = original.replace('"average": 1166000000.0', '"average": 1166000001.0', 1)
        self.assertNotEqual(changed, original)
        # Run 1 reads page A, run 2 page B (one point changed), runs 3
        # and 4 page A again.
        for text in (original, changed, original, original):
            with open(path, "w") as f:
                f.write(text)
            self.expect(OK, "collect", "--replay", replay)

    def point(self):
        return self.sql("SELECT p.value, p.run_id FROM metric_points p "
                        "JOIN metric_names n ON n.id = p.metric "
                        "JOIN resources r ON r.id = p.resource "
                        "WHERE n.name = 'ClientReadThroughput' AND p.ts = ? "
                        "AND r.resource_key LIKE '%/amlfilesystems/amlfs-genomics-prod'",
                        self.FIRST)

    def test_intact_verifies_and_an_edited_point_does_not(self):
        # Changed by run 2, changed back by run 3, unchanged by run 4.
        self.assertEqual([run for _, run in self.point()], [3])
        self.assertIn("verified 4 run(s)", self.expect(OK, "verify").out)
        self.sql("UPDATE metric_points SET run_id = 2 WHERE run_id = 3")
        r = self.expect(FINDINGS, "verify")
        self.assertIn("table 'metrics' differs from its evidence", r.out)

if __name__ == "__main__":
    main()
