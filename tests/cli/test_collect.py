"""Collection from recorded responses into the history."""
import os

from harness import CliTest, main, OK, PARTIAL, RUNTIME, SAMPLES

# 4 list pages, 2 subscriptions, 5 resource groups, 8 file systems x 6
# lists (3 job kinds, role assignments, locks, diagnostic settings), and
# 5 (subscription, region) groups x 2 metrics batches.
RESPONSES = 4 + 2 + 5 + 8 * 6 + 5 * 2


class Collect(CliTest):
    def test_twice_adds_a_run_but_no_bodies(self):
        replay = self.copy_replay()
        r1 = self.expect(OK, "collect", "--replay", replay)
        self.assertIn("run 1: ok, 8 file systems, %d responses" % RESPONSES, r1.out)
        bodies = self.scalar("SELECT count(*) FROM bodies")
        # Identical bodies (the empty job lists) are stored once.
        self.assertEqual(bodies, self.scalar("SELECT count(DISTINCT body) FROM evidence"))
        self.assertLess(bodies, RESPONSES)
        r2 = self.expect(OK, "collect", "--replay", replay)
        self.assertIn("run 2: ok, 8 file systems, %d responses (0 new bodies)" % RESPONSES,
                      r2.out)
        self.assertEqual(self.scalar("SELECT count(*) FROM bodies"), bodies)
        self.assertEqual(self.scalar("SELECT count(*) FROM evidence"), 2 * RESPONSES)
        self.assertEqual(self.scalar("SELECT count(*) FROM filesystems"), 16)
        # An unchanged estate stores each item once: the second run adds sightings only.
        self.assertEqual(self.scalar("SELECT count(*) FROM fs_states"), 8)
        self.assertEqual(self.scalar("SELECT count(*) FROM requests"), RESPONSES)
        # Metric points are kept once, however many runs read them.
        self.assertEqual(self.scalar("SELECT count(*) FROM metric_points"), 1512)
        self.assertEqual(self.scalar("SELECT count(DISTINCT run_id) FROM metric_points"), 1)
        runs = self.expect(OK, "runs", "--format", "json").json()
        self.assertEqual([x["id"] for x in runs], [2, 1])
        self.assertEqual({x["status"] for x in runs}, {"ok"})
        self.assertEqual(runs[0]["evidence"], RESPONSES)
        self.assertEqual(runs[0]["tenant_id"], "3e9a6c41-7d2b-4f58-9c0e-b1a4d6f82c75")
        self.assertEqual(runs[0]["errors_detail"], [])
        # The chain: each run links to the one before.
        link = self.sql("SELECT r2.prev_hash = r1.run_hash FROM runs r1, runs r2 "
                        "WHERE r1.id = 1 AND r2.id = 2")
        self.assertEqual(link, [(1,)])

    def test_paged_list_is_followed(self):
        r = self.expect(OK, "-v", "collect", "--replay", self.copy_replay())
        self.assertEqual(r.err.count(" -> 200"), RESPONSES)
        self.assertEqual(r.err.count("amlfs-audit: POST https://"), 10)
        self.assertIn("$skipToken=eyJuZXh0IjozfQ%3D%3D -> 200", r.err)
        pages = self.scalar("SELECT count(*) FROM evidence_log WHERE kind = 'filesystems' "
                            "AND url LIKE '%skipToken%'")
        self.assertEqual(pages, 2)
        self.assertEqual(self.scalar(
            "SELECT count(*) FROM filesystems WHERE subscription_id = "
            "'6f3c2b1e-8a47-4d9e-b5c2-1e7a9d4f0b63'"), 5)

    def test_all_visible_subscriptions_when_none_configured(self):
        conf = os.path.join(self.tmp, "all.conf")
        with open(conf, "w") as f:
            f.write("[azure]\ntenant_id = 3e9a6c41-7d2b-4f58-9c0e-b1a4d6f82c75\n"
                    "[costs]\nquery = no\n")
        r = self.expect(OK, "collect", "--replay", self.copy_replay(), config=conf)
        self.assertIn("8 file systems, %d responses" % (RESPONSES + 1), r.out)
        self.assertEqual(self.scalar("SELECT count(*) FROM subscriptions"), 2)
        self.assertEqual(self.scalar("SELECT scope FROM runs"),
                         '{"resource_groups":[],"subscriptions":"all"}')

    def test_unrecorded_scope_is_partial(self):
        conf = os.path.join(self.tmp, "rg.conf")
        with open(os.path.join(SAMPLES, "amlfs-audit.conf")) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text.replace(";resource_groups = ", "resource_groups = "))
        r = self.expect(PARTIAL, "collect", "--replay", self.copy_replay(), config=conf)
        self.assertIn("partial", r.out)
        runs = self.expect(OK, "runs", "--format", "json").json()
        self.assertEqual(runs[0]["status"], "partial")
        self.assertEqual(runs[0]["errors"], 4)  # 2 subscriptions x 2 groups
        self.assertIn("no recorded response", runs[0]["errors_detail"][0]["message"])
        self.assertIn("/resourceGroups/rg-genomics-prod/", runs[0]["errors_detail"][0]["url"])

    def test_live_without_credentials_names_each_attempt(self):
        conf = os.path.join(self.tmp, "nocred.conf")
        with open(conf, "w") as f:
            # Nothing may leave 127.0.0.1: IMDS points at a closed port.
            f.write("[azure]\nimds_endpoint = http://127.0.0.1:9\n"
                    "az_command = /nonexistent/az\n"
                    "resource_manager = http://127.0.0.1:9\n")
        env = {k: "" for k in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
                               "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE",
                               "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
                               "AZURE_ACCESS_TOKEN")}
        r = self.expect(RUNTIME, "collect", config=conf, env=env)
        self.assertIn("cannot sign in", r.err)
        self.assertIn("managed-identity", r.err)
        self.assertIn("azure-cli", r.err)
        self.assertFalse(self.sql("SELECT * FROM runs"))

    def test_long_gap_is_noted(self):
        replay = self.copy_replay()
        self.expect(OK, "collect", "--replay", replay,
                    env={"AMLFS_AUDIT_NOW": "2026-11-02T03:00:00Z"})
        self.expect(OK, "collect", "--replay", replay,
                    env={"AMLFS_AUDIT_NOW": "2026-11-04T03:00:00Z"})
        self.expect(OK, "collect", "--replay", replay,
                    env={"AMLFS_AUDIT_NOW": "2026-11-08T03:00:00Z"})
        notes = [r["notes"] for r in self.expect(OK, "runs", "--format", "json").json()]
        self.assertIn("96 hours since run 2", notes[0])
        self.assertIn("72 hours", notes[0])
        self.assertEqual(notes[1:], [None, None])
        self.expect(OK, "verify")

    def test_typed_rows_point_at_their_raw_json(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        rows = self.sql(
            "SELECT f.name, json_extract(r.raw_json, '$.name') FROM filesystems f "
            "JOIN raw_items r ON r.evidence_id = f.evidence_id "
            "AND r.item_index = f.item_index")
        self.assertEqual(len(rows), 8)
        for name, raw_name in rows:
            self.assertEqual(name, raw_name)


if __name__ == "__main__":
    main()
