"""What a run saw, stored by page (issue 13): each distinct page (a request
and the body it answered) keeps its items once in `sightings`, and a run's
items follow from its evidence, so an unchanged run adds no sighting rows.
The view `items` and every view on it read as before: a resource seen twice
in a run keeps its last sighting, a history from before migrates and
verifies with the same views and run hashes, and an edit is caught."""
import os
import sqlite3

from harness import main, OK, FINDINGS, PARTIAL
from fake import FakeTest, credentials, SUB1

VIEWS = ("items", "subscriptions", "resource_groups", "scope_tags", "filesystems",
         "tags", "import_jobs", "auto_export_jobs", "auto_import_jobs",
         "role_assignments", "locks", "diagnostic_settings", "raw_items")


class Sightings(FakeTest):
    def conf(self):
        """Every subscription the principal sees, found through the list:
        each is then seen twice in a run (the list, then its own GET)."""
        path = self.fake.config(os.path.join(self.tmp, "c.conf"))
        with open(path) as f:
            lines = [l for l in f.read().splitlines()
                     if not l.startswith("subscriptions =")]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def collect(self, code, conf):
        return self.expect(code, "collect", config=conf, env=credentials())

    def views(self, where="1"):
        return {v: sorted(self.sql("SELECT * FROM %s WHERE %s" % (v, where)),
                          key=repr) for v in VIEWS}

    def kept_subscription_sightings(self, run):
        return sorted(self.sql("SELECT q.kind, i.item_index FROM items i "
                               "JOIN evidence e ON e.id = i.evidence_id "
                               "JOIN requests q ON q.id = e.request "
                               "WHERE i.run_id = ? AND i.kind = 'sub'", run))

    def test_an_unchanged_run_adds_no_sightings(self):
        conf = self.conf()
        self.collect(OK, conf)
        pages = self.scalar("SELECT count(*) FROM sightings")
        self.assertGreater(pages, 0)
        self.collect(OK, conf)
        self.assertEqual(self.scalar("SELECT count(*) FROM sightings"), pages)
        # Both runs saw the same: the views differ in run and evidence only.
        counts = self.sql("SELECT run_id, kind, count(*) FROM items GROUP BY 1, 2")
        self.assertEqual([(k, n) for r, k, n in counts if r == 1],
                         [(k, n) for r, k, n in counts if r == 2])
        self.assertEqual(self.scalar("SELECT count(*) FROM items WHERE run_id = 2"),
                         self.scalar("SELECT count(*) FROM items WHERE run_id = 1"))
        # Each subscription was read in the list and then on its own: the
        # run keeps the later sighting, and only that one is a row.
        for run in (1, 2):
            self.assertEqual(self.kept_subscription_sightings(run),
                             [("subscription", -1)] * 2)
        self.assertEqual(self.scalar("SELECT count(*) FROM (SELECT run_id, kind, "
                                     "resource, parent FROM items GROUP BY 1, 2, 3, 4 "
                                     "HAVING count(*) > 1)"), 0)
        # What a run did not keep: the two list sightings, a run.
        self.assertEqual(self.sql("SELECT e.run_id, count(*) FROM shadowed x JOIN "
                                  "evidence e ON e.id = x.evidence_id GROUP BY 1"),
                         [(1, 2), (2, 2)])
        self.expect(OK, "verify")
        # Bringing back what run 2 did not keep breaks run 2.
        self.sql("DELETE FROM shadowed WHERE evidence_id IN "
                 "(SELECT id FROM evidence WHERE run_id = 2)")
        r = self.expect(FINDINGS, "verify")
        self.assertIn("run 2: BROKEN", r.out)
        self.assertIn("table 'subscriptions' differs from its evidence: "
                      "2 row(s) not in the evidence", r.out)

    def test_a_history_from_before_migrates_and_verifies(self):
        conf = self.conf()
        self.collect(OK, conf)
        self.collect(OK, conf)
        before = self.views()
        hashes = self.sql("SELECT id, run_hash FROM runs ORDER BY id")
        newest = self.scalar("PRAGMA user_version")
        # Schema 7: one items row per run and item, nothing else.
        self.to_schema_7()
        self.assertEqual(self.scalar("SELECT type FROM sqlite_master "
                                     "WHERE name = 'items'"), "table")
        self.assertEqual(self.views(), before)
        shown = self.sql("SELECT id, fetched_at FROM evidence_log ORDER BY id")
        # The third run cannot read one subscription on its own, so it
        # keeps that one's sighting from the list: the list's page, of
        # which the old runs kept nothing, gets its rows now, and the old
        # runs must still not see them.
        self.fake.faults([{"match": "/subscriptions/%s\\?" % SUB1, "times": -1,
                           "action": "500"}])
        self.collect(PARTIAL, conf)
        self.fake.faults([])
        self.assertEqual(self.scalar("PRAGMA user_version"), newest)
        self.assertEqual(self.views("run_id < 3"), before)
        self.assertEqual(self.kept_subscription_sightings(3),
                         [("subscription", -1), ("subscriptions", 0)])
        self.assertEqual(self.sql("SELECT id, run_hash FROM runs WHERE id < 3 "
                                  "ORDER BY id"), hashes)
        # Response times: old runs keep Unix seconds, the new one counts
        # from its base; evidence_log reads as before.
        self.assertEqual(self.sql("SELECT id, time_base IS NULL FROM runs ORDER BY id"),
                         [(1, 1), (2, 1), (3, 0)])
        self.assertGreater(self.scalar("SELECT min(fetched_at) FROM evidence "
                                       "WHERE run_id < 3"), 1700000000)
        self.assertLess(self.scalar("SELECT max(abs(fetched_at)) FROM evidence "
                                    "WHERE run_id = 3"), 600)
        self.assertEqual(self.sql("SELECT id, fetched_at FROM evidence_log "
                                  "WHERE run_id < 3 ORDER BY id"), shown)
        self.assertEqual(self.scalar("SELECT count(*) FROM evidence_log "
                                     "WHERE fetched_at NOT GLOB '20[0-9][0-9]-*Z'"), 0)
        self.collect(OK, conf)
        r = self.expect(OK, "verify")
        self.assertIn("verified 4 run(s)", r.out)
        self.assertEqual(self.views("run_id < 3"), before)
        self.assertEqual(self.kept_subscription_sightings(4), [("subscription", -1)] * 2)
        # The time base is covered through the times it gives.
        self.sql("UPDATE runs SET time_base = time_base - 3600 WHERE id = 3")
        r = self.expect(FINDINGS, "verify")
        self.assertIn("run 3: BROKEN", r.out)
        # The migrated schema is the one a new history gets.
        schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
        migrated = self.sql(schema) + self.sql("SELECT * FROM sqlite_stat1")
        self.db = os.path.join(self.tmp, "fresh.db")
        self.collect(OK, conf)
        self.assertEqual(self.sql(schema) + self.sql("SELECT * FROM sqlite_stat1"),
                         migrated)

    def test_a_migrated_history_keeps_an_edit_visible(self):
        conf = self.conf()
        self.collect(OK, conf)
        self.collect(OK, conf)
        self.to_schema_7()
        # An edit before the migration is still one after it.
        self.sql("UPDATE items SET state = (SELECT max(id) FROM fs_states) "
                 "WHERE run_id = 2 AND kind = 'fs' AND state <> "
                 "(SELECT max(id) FROM fs_states)")
        self.expect(OK, "migrate")
        r = self.expect(FINDINGS, "verify")
        self.assertIn("run 2: BROKEN", r.out)
        self.assertIn("table 'filesystems'", r.out)


if __name__ == "__main__":
    main()
