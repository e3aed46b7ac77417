"""diff: file systems added and removed, property, tag and job changes
between two runs, as text and as the stable JSON."""
import os

from harness import CliTest, main, OK, USAGE, RUNTIME, edit_json as edit

HPC = os.path.join("bodies", "research-hpc")
PROD = "amlfs-genomics-prod"
GONE = "amlfs-llm-scratch"

# What run 2 changed in amlfs-genomics-prod, as diff 1 2 reports it.
PROD_CHANGES = [
    {"kind": "property", "path": "properties.maintenanceWindow.dayOfWeek",
     "before": "Sunday", "after": "Saturday"},
    {"kind": "property", "path": "properties.storageCapacityTiB",
     "before": 128, "after": 256},
    {"kind": "property", "path": "sku.name",
     "before": "AMLFS-Durable-Premium-125", "after": "AMLFS-Durable-Premium-250"},
    {"kind": "property", "path": "zones", "before": ["1"], "after": ["1", "2"]},
    {"kind": "tag", "path": "tags.CostCenter", "before": "CC-4410", "after": None},
    {"kind": "tag", "path": "tags.Owner", "before": "Hannah Okafor", "after": None},
    {"kind": "tag", "path": "tags.costcenter", "before": None, "after": "CC-4410"},
    {"kind": "tag", "path": "tags.env", "before": "prod", "after": "production"},
    {"kind": "tag", "path": "tags.ticket", "before": None, "after": "CHG-1"},
    {"kind": "job", "path": "autoExportJobs/autoexport-results/adminStatus",
     "before": "Enable", "after": "Disable"},
    {"kind": "job", "path": "autoExportJobs/autoexport-results/state",
     "before": "InProgress", "after": "Disabled"},
    {"kind": "job", "path": "importJobs/import-cohort7-batch2/state",
     "before": "CompletedPartial", "after": "Failed"},
    {"kind": "job", "path": "importJobs/import-refgenomes-grch38",
     "before": {"state": "Completed", "adminStatus": "Active",
                "provisioningState": "Succeeded"},
     "after": None},
]


def change_prod(body):
    fs = body["value"][0]
    assert fs["name"] == PROD
    p = fs["properties"]
    p["storageCapacityTiB"] = 256
    p["maintenanceWindow"]["dayOfWeek"] = "Saturday"
    # Progress, not configuration: never a change.
    p["hsm"]["archiveStatus"][0]["status"]["percentComplete"] = 50
    fs["sku"]["name"] = "AMLFS-Durable-Premium-250"
    fs["zones"] = ["1", "2"]
    fs["systemData"]["lastModifiedAt"] = "2026-11-02T09:00:00Z"
    t = fs["tags"]
    t["env"] = "production"
    del t["Owner"]
    t["costcenter"] = t.pop("CostCenter")   # the key's spelling changed
    t["ticket"] = "CHG-1"


def change_import_jobs(body):
    del body["value"][0]                    # import-refgenomes-grch38
    assert body["value"][0]["name"] == "import-cohort7-batch2"
    body["value"][0]["properties"]["status"]["state"] = "Failed"


def disable_auto_export(body):
    p = body["value"][0]["properties"]
    p["adminStatus"] = "Disable"
    p["status"]["state"] = "Disabled"


class Diff(CliTest):
    """Run 1: the samples. Run 2: amlfs-genomics-prod changed and
    amlfs-llm-scratch gone. Run 3: the samples again."""

    def setUp(self):
        super().setUp()
        self.expect(OK, "collect", "--replay", self.copy_replay())
        changed = self.copy_replay()
        edit(os.path.join(changed, HPC, "amlfilesystems.page1.json"), change_prod)
        edit(os.path.join(changed, HPC, PROD, "importJobs.json"),
             change_import_jobs)
        edit(os.path.join(changed, HPC, PROD, "autoExportJobs.json"),
             disable_auto_export)
        # The only file system of page 3 (and of its region's metrics).
        edit(os.path.join(changed, HPC, "amlfilesystems.page3.json"),
             lambda b: b["value"].clear())
        self.expect(OK, "collect", "--replay", changed)
        self.expect(OK, "collect", "--replay", self.copy_replay())

    def diff(self, *args):
        return self.expect(OK, "diff", "--format", "json", *args).json()

    def test_changes_from_one_run_to_the_next(self):
        d = self.diff("1", "2")
        self.assertEqual((d["from_run"], d["to_run"]), (1, 2))
        self.assertEqual(d["added"], [])
        self.assertEqual([f["name"] for f in d["removed"]], [GONE])
        self.assertEqual(d["removed"][0]["resource_group"], "rg-ai-training")
        self.assertEqual(d["removed"][0]["sku"], "AMLFS-Durable-Premium-500")
        self.assertEqual([f["name"] for f in d["changed"]], [PROD])
        prod = d["changed"][0]
        self.assertTrue(prod["id"].endswith("/amlFilesystems/" + PROD))
        self.assertEqual(prod["changes"], PROD_CHANGES)

    def test_json_shape_is_stable(self):
        d = self.diff("1", "2")
        self.assertEqual(list(d), ["from_run", "to_run", "added", "removed",
                                   "unread", "changed"])
        self.assertEqual(d["unread"], [])
        for f in d["removed"]:
            self.assertEqual(list(f), ["id", "name", "subscription_id",
                                       "resource_group", "location", "sku",
                                       "capacity_tib", "provisioning_state"])
        for f in d["changed"]:
            self.assertEqual(list(f), ["id", "name", "changes"])
            for c in f["changes"]:
                self.assertEqual(list(c), ["kind", "path", "before", "after"])
                self.assertIn(c["kind"], ("property", "tag", "job"))

    def test_default_is_the_two_newest_runs(self):
        d = self.diff()
        self.assertEqual((d["from_run"], d["to_run"]), (2, 3))
        self.assertEqual([f["name"] for f in d["added"]], [GONE])
        self.assertEqual(d["removed"], [])
        back = d["changed"][0]["changes"]
        self.assertEqual(len(back), len(PROD_CHANGES))
        for b, c in zip(back, PROD_CHANGES):
            if c["path"] == "importJobs/import-refgenomes-grch38":
                self.assertEqual((b["before"], b["after"]), (None, c["before"]))
            else:
                self.assertEqual((b["before"], b["after"]), (c["after"], c["before"]))

    def test_one_run_is_compared_with_the_newest(self):
        d = self.diff("2")
        self.assertEqual((d["from_run"], d["to_run"]), (2, 3))
        d = self.diff("1")
        self.assertEqual((d["from_run"], d["to_run"]), (1, 3))
        self.assertEqual((d["added"], d["removed"], d["changed"]), ([], [], []))

    def test_text(self):
        r = self.expect(OK, "diff", "1", "2")
        lines = r.out.splitlines()
        self.assertEqual(lines[0], "run 1 -> run 2: 0 added, 1 removed, 1 changed")
        self.assertTrue(lines[1].startswith("removed  %s  (/subscriptions/" % GONE))
        self.assertTrue(lines[2].startswith("changed  %s  (/subscriptions/" % PROD))
        self.assertIn("  property  properties.storageCapacityTiB: 128 -> 256", lines)
        self.assertIn('  tag       tags.Owner: "Hannah Okafor" -> (none)', lines)
        self.assertIn('  job       importJobs/import-cohort7-batch2/state: '
                      '"CompletedPartial" -> "Failed"', lines)
        self.assertEqual(len(lines), 3 + len(PROD_CHANGES))
        self.assertEqual(self.expect(OK, "diff", "1", "3").out,
                         "run 1 -> run 3: no differences\n")

    def test_text_shows_no_control_characters(self):
        # CSI as C1 (U+009B, bytes C2 9B) and DEL in a tag value and a name.
        csi = self.copy_replay()

        def tag(b):
            b["value"][0]["tags"]["env"] = "\u009b31mred\u007f"
        edit(os.path.join(csi, HPC, "amlfilesystems.page1.json"), tag)
        self.expect(OK, "collect", "--replay", csi)
        r = self.expect(OK, "diff", "3", "4")
        self.assertIn('  tag       tags.env: "prod" -> "?31mred?"', r.out)
        self.assertNotIn("\u009b", r.out)
        self.assertNotIn("\x7f", r.out)
        # The JSON keeps the value as it is.
        d = self.diff("3", "4")
        self.assertEqual(d["changed"][0]["changes"][0]["after"],
                         "\u009b31mred\u007f")

    def test_a_run_that_does_not_exist(self):
        for args in (["99"], ["1", "99"], ["99", "1"]):
            r = self.expect(USAGE, "diff", *args)
            self.assertIn("there is no collection run 99", r.err)
            self.assertEqual(r.out, "")
        r = self.expect(USAGE, "diff", "first")
        self.assertIn("takes a run id, not 'first'", r.err)
        self.expect(USAGE, "diff", "1", "2", "3")
        r = self.expect(USAGE, "diff", "--format", "csv")
        self.assertIn("unknown format 'csv'", r.err)

    def test_other_runs_of_the_chain_are_not_collection_runs(self):
        # An import (costs, prices) or a check is a run of the chain too.
        self.sql("INSERT INTO runs (started_at, status, tool_version, "
                 "source, scope) VALUES ('2026-11-03T00:00:00Z', 'ok', 't', "
                 "'import', '{}')")
        self.assertEqual((self.diff()["from_run"], self.diff()["to_run"]), (2, 3))
        r = self.expect(USAGE, "diff", "4")
        self.assertIn("there is no collection run 4", r.err)

    def test_a_failed_run_holds_no_snapshot(self):
        broken = self.copy_replay()
        path = os.path.join(broken, HPC, "amlfilesystems.page2.json")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text[: len(text) // 2])
        self.expect(RUNTIME, "collect", "--replay", broken)
        self.assertEqual(self.diff()["to_run"], 3)      # run 4 is skipped
        r = self.expect(RUNTIME, "diff", "1", "4")
        self.assertIn("run 4 failed", r.err)


class TooFewRuns(CliTest):
    def test_one_run_is_not_enough_for_the_default(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        r = self.expect(RUNTIME, "diff")
        self.assertIn("diff needs two collection runs", r.err)
        self.assertEqual(self.expect(OK, "diff", "1").out,
                         "run 1 -> run 1: no differences\n")


class DesiredCapture(CliTest):
    """'desired capture' through the binary (test_drift.c judges it)."""

    def test_capture_writes_every_file_system(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        doc = self.expect(OK, "desired", "capture").json()
        self.assertEqual(list(doc), ["description", "filesystems"])
        self.assertEqual(len(doc["filesystems"]), 8)
        prod = [f for f in doc["filesystems"] if f["name"] == PROD][0]
        self.assertEqual(list(prod), ["name", "location", "sku", "zones",
                                      "identity", "properties", "tags"])
        self.assertEqual(list(prod["properties"]), sorted(prod["properties"]))
        for key in ("provisioningState", "health", "clientInfo",
                    "throughputProvisionedMBps"):
            self.assertNotIn(key, prod["properties"])
        self.assertNotIn("archiveStatus", prod["properties"]["hsm"])
        one = self.expect(OK, "desired", "capture", "--run", "1", "--fs",
                          PROD.upper()).json()
        self.assertEqual(one["filesystems"], [prod])

    def test_capture_refuses_what_is_not_there(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())
        r = self.expect(USAGE, "desired", "capture", "--fs", "amlfs-nope")
        self.assertIn("no file system named 'amlfs-nope' in run 1", r.err)
        self.assertEqual(r.out, "")
        r = self.expect(USAGE, "desired", "capture", "--run", "7")
        self.assertIn("there is no collection run 7", r.err)
        self.expect(USAGE, "desired")
        self.expect(USAGE, "desired", "show")


if __name__ == "__main__":
    main()
