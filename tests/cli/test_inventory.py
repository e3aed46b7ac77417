"""inventory: the stable JSON interface, CSV and the table."""
import csv
import io
import os

from harness import CliTest, main, OK, USAGE, RUNTIME, edit_json

REQUIRED = ["id", "name", "subscription_id", "resource_group", "location", "sku",
            "capacity_tib", "throughput_mbps", "subnet_id", "zones",
            "provisioning_state", "health", "tags", "import_jobs",
            "auto_export_jobs", "auto_import_jobs"]


class Inventory(CliTest):
    def setUp(self):
        super().setUp()
        self.expect(OK, "collect", "--replay", self.copy_replay())

    def inventory(self):
        return {x["name"]: x for x in
                self.expect(OK, "inventory", "--format", "json").json()}

    def test_json_has_the_stable_fields(self):
        inv = self.inventory()
        self.assertEqual(len(inv), 8)
        for fs in inv.values():
            for k in REQUIRED:
                self.assertIn(k, fs, fs["name"])
            self.assertIsInstance(fs["zones"], list)
            self.assertIsInstance(fs["tags"], dict)
            for kind in ("import_jobs", "auto_export_jobs", "auto_import_jobs"):
                for job in fs[kind]:
                    self.assertIn("name", job)
                    self.assertIn("state", job)
        self.assertEqual({fs["sku"] for fs in inv.values()},
                         {"AMLFS-Durable-Premium-%d" % n for n in (40, 125, 250, 500)})

    def test_typed_values(self):
        inv = self.inventory()
        g = inv["amlfs-genomics-prod"]
        self.assertEqual(g["capacity_tib"], 128)
        self.assertEqual(g["throughput_mbps"], 16000)
        self.assertEqual(g["zones"], ["1"])
        self.assertEqual(g["encryption"], "customer-managed")
        self.assertEqual(g["identity_type"], "UserAssigned")
        self.assertEqual(g["hsm"]["import_prefixes_initial"], ["/refgenomes", "/cohorts/2026"])
        self.assertEqual(g["auto_import_jobs"][0]["maximum_errors"], 0)  # "0" upstream
        self.assertEqual(len(g["import_jobs"]), 3)
        cfd = inv["amlfs-cfd-aero-01"]
        self.assertEqual((cfd["throughput_mbps"], cfd["expected_throughput_mbps"]),
                         (500, 4000))
        self.assertEqual(inv["amlfs-cfd-transient"]["capacity_tib"], 48.0)
        self.assertEqual(inv["amlfs-cfd-transient"]["provisioning_state"], "Failed")
        self.assertEqual(inv["amlfs-cfd-transient"]["health"], "Unavailable")
        self.assertIsNone(inv["amlfs-cfd-transient"]["root_squash"])
        self.assertIsNone(inv["amlfs-genomics-scratch"]["hsm"])
        film = inv["amlfs-render-feature-film"]
        self.assertEqual(film["import_jobs"][0]["total_blobs_walked"], 12345678901)

    def test_access_scope_tags_and_capacity(self):
        inv = self.inventory()
        g = inv["amlfs-genomics-prod"]
        self.assertEqual([(l["name"], l["level"]) for l in g["locks"]],
                         [("lock-genomics-prod-nodelete", "CanNotDelete")])
        self.assertEqual(inv["amlfs-vfx-sim"]["locks"][0]["level"], "ReadOnly")
        self.assertEqual(inv["amlfs-genomics-scratch"]["locks"], [])
        self.assertEqual(len(g["role_assignments"]), 6)
        self.assertEqual(len(inv["amlfs-vfx-sim"]["role_assignments"]), 4)
        self.assertTrue(any(a["scope"].lower().endswith("/amlfs-genomics-prod")
                            for a in g["role_assignments"]))
        self.assertEqual(len(g["diagnostic_settings"]), 1)
        self.assertEqual(g["diagnostic_settings"][0]["logs"],
                         [{"categoryGroup": "allLogs", "enabled": True}])
        self.assertEqual(g["resource_group_tags"],
                         {"CostCenter": "CC-4410", "env": "prod", "Owner": "Hannah Okafor"})
        self.assertEqual(inv["amlfs-llm-scratch"]["resource_group_tags"], {})
        self.assertEqual(g["subscription_tags"],
                         {"CostCenter": "CC-4400", "Department": "Research"})
        # Summed over the 8 OSTs at 2026-11-02T02:00Z (samples/replay/README.md).
        self.assertEqual(g["capacity_total_bytes"], 140737488355328)
        self.assertEqual(g["capacity_used_bytes"], 87902876008129)
        self.assertEqual(g["capacity_total_bytes"], g["capacity_tib"] * 2 ** 40)
        self.assertIsNone(inv["amlfs-cfd-transient"]["capacity_used_bytes"])  # no data
        # The hour with one OST missing its average sums the other seven.
        self.assertEqual(self.sql(
            "SELECT value, series FROM metrics WHERE resource_key LIKE "
            "'%amlfs-llm-scratch' AND metric = 'ClientReadThroughput' AND "
            "ts = '2026-11-01T17:00:00Z'"), [(21697280000.0, 7)])

    def test_tags_keep_their_case(self):
        inv = self.inventory()
        self.assertIn("CostCenter", inv["amlfs-genomics-prod"]["tags"])
        self.assertIn("costcenter", inv["amlfs-genomics-scratch"]["tags"])
        self.assertEqual(inv["amlfs-render-dailies"]["tags"], {})  # no tags key
        self.assertEqual(inv["amlfs-llm-scratch"]["tags"], {})     # tags {}
        self.assertEqual(inv["amlfs-genomics-prod"]["tags"]["project"],
                         'Genomics | WGS, "Cohort-7"')
        self.assertEqual(inv["amlfs-cfd-aero-01"]["tags"]["Owner"], "José Müller")

    def test_every_job_state_is_collected(self):
        inv = self.inventory().values()
        states = {k: {j["state"] for fs in inv for j in fs[k]}
                  for k in ("import_jobs", "auto_export_jobs", "auto_import_jobs")}
        self.assertEqual(states["import_jobs"], {"InProgress", "Cancelling", "Canceled",
                                                 "Completed", "CompletedPartial", "Failed"})
        self.assertEqual(states["auto_export_jobs"], {"InProgress", "Disabling", "Disabled",
                                                      "DisableFailed", "Failed"})
        self.assertEqual(states["auto_import_jobs"], {"InProgress", "Failed", "Disabling",
                                                      "Disabled"})

    def test_csv_parses_with_the_same_rows(self):
        out = self.expect(OK, "inventory", "--format", "csv").out
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual(len(rows), 8)
        by = {r["name"]: r for r in rows}
        self.assertEqual(by["amlfs-genomics-prod"]["capacity_tib"], "128.0")
        self.assertIn('"project":"Genomics | WGS, \\"Cohort-7\\""',
                      by["amlfs-genomics-prod"]["tags"])

    def test_table_and_run_selection(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        out = self.expect(OK, "inventory", "--run", "1").out
        self.assertEqual(len(out.splitlines()), 9)
        self.assertIn("amlfs-vfx-sim", out)
        self.assertEqual({x["run_id"] for x in
                          self.expect(OK, "inventory", "--format", "json").json()}, {2})
        r = self.expect(USAGE, "inventory", "--run", "99")
        self.assertIn("there is no collection run 99", r.err)

    def test_empty_history(self):
        self.sql("DELETE FROM sightings")
        self.sql("DELETE FROM evidence")
        self.sql("DELETE FROM runs")
        r = self.expect(RUNTIME, "inventory")
        self.assertIn("no run has stored a snapshot yet", r.err)


OST_BODY = os.path.join("bodies", "research-hpc", "metrics-eastus-ost.json")
CAPACITY = ("OSTBytesUsed", "OSTBytesTotal")


def capacity_series(body):
    """The OSTBytesUsed and OSTBytesTotal series of amlfs-genomics-prod."""
    for v in body["values"]:
        if v["resourceid"].endswith("/amlfs-genomics-prod"):
            return {m["name"]["value"]: m["timeseries"] for m in v["value"]
                    if m["name"]["value"] in CAPACITY}
    raise AssertionError("no amlfs-genomics-prod in " + OST_BODY)


class Capacity(CliTest):
    """Used and total bytes at the newest hour every OST reported, of the
    runs up to the one shown."""

    def prod(self, *args):
        inv = self.expect(OK, "inventory", "--format", "json", *args).json()
        g = [x for x in inv if x["name"] == "amlfs-genomics-prod"][0]
        return g["capacity_used_bytes"], g["capacity_total_bytes"]

    def test_a_partial_newest_hour_is_passed_over(self):
        replay = self.copy_replay()
        want = {}

        def drop(body):
            for name, series in capacity_series(body).items():
                want[name] = sum(t["data"][-2]["average"] for t in series)
                self.assertEqual(series[0]["data"][-2]["timeStamp"],
                                 "2026-11-02T01:00:00Z")
                for t in series[1:]:        # 7 of the 8 OSTs not in yet
                    del t["data"][-1]
        edit_json(os.path.join(replay, OST_BODY), drop)
        self.expect(OK, "collect", "--replay", replay)
        self.assertEqual(self.prod(), (want["OSTBytesUsed"],
                                       want["OSTBytesTotal"]))

    def test_the_run_shown_bounds_the_hours(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        later = self.copy_replay()
        want = {}

        def add_hour(body):
            for name, series in capacity_series(body).items():
                for t in series:
                    p = dict(t["data"][-1], timeStamp="2026-11-02T03:00:00Z")
                    if name == "OSTBytesUsed":
                        p["average"] = p["average"] / 2
                    t["data"].append(p)
                want[name] = sum(t["data"][-1]["average"] for t in series)
        edit_json(os.path.join(later, OST_BODY), add_hour)
        self.expect(OK, "collect", "--replay", later)
        self.assertEqual(self.prod(), (want["OSTBytesUsed"],
                                       want["OSTBytesTotal"]))
        # Run 1 read up to 02:00 (samples/replay/README.md).
        self.assertEqual(self.prod("--run", "1"),
                         (87902876008129, 140737488355328))


if __name__ == "__main__":
    main()
