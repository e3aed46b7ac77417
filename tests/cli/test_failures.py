"""Broken responses, HTTP errors, paging loops and bad configuration."""
import json
import os

from harness import CliTest, main, OK, USAGE, RUNTIME, PARTIAL, CONF


class Failures(CliTest):
    def setUp(self):
        super().setUp()
        self.replay = self.copy_replay()
        self.expect(OK, "collect", "--replay", self.replay)

    def edit_body(self, url_part, fn):
        path = self.body_path(self.replay, url_part)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(fn(text))
        return path

    def assert_nothing_stored_for(self, run):
        for t in ("filesystems", "tags", "import_jobs", "evidence"):
            self.assertEqual(self.scalar("SELECT count(*) FROM %s WHERE run_id = ?" % t,
                                         run), 0, t)

    def test_invalid_json_fails_the_run_cleanly(self):
        path = self.edit_body("amlfs-vfx-sim/autoImportJobs",
                              lambda t: t[: len(t) // 2])
        r = self.expect(RUNTIME, "collect", "--replay", self.replay)
        self.assertIn("invalid JSON", r.err)
        self.assertIn(path + ":", r.err)
        self.assertIn("amlfs-vfx-sim/autoImportJobs?api-version=2025-07-01", r.err)
        self.assertIn("recorded as a failed run", r.err)
        runs = self.expect(OK, "runs", "--format", "json").json()
        self.assertEqual(runs[0]["status"], "failed")
        self.assertIn(os.path.basename(path), runs[0]["error_summary"])
        self.assert_nothing_stored_for(2)
        # The last good run is still what inventory shows.
        inv = self.expect(OK, "inventory", "--format", "json").json()
        self.assertEqual({x["run_id"] for x in inv}, {1})
        self.assertEqual(len(inv), 8)
        r = self.expect(RUNTIME, "inventory", "--run", "2")
        self.assertIn("run 2 failed", r.err)
        # A failed run is part of the chain too.
        self.expect(OK, "verify")

    def test_wrong_type_names_the_json_path(self):
        def corrupt(text):
            j = json.loads(text)
            j["value"][1]["properties"]["storageCapacityTiB"] = "sixteen"
            return json.dumps(j)
        path = self.edit_body("$skipToken=eyJuZXh0IjoyfQ", corrupt)
        r = self.expect(RUNTIME, "collect", "--replay", self.replay)
        self.assertIn("expected a number at $.value[1].properties.storageCapacityTiB",
                      r.err)
        self.assertIn(path, r.err)
        self.assert_nothing_stored_for(2)

    def test_http_error_is_recorded_and_the_run_is_partial(self):
        m = self.manifest(self.replay)
        for e in m["entries"]:
            if "amlfs-cfd-transient/importJobs" in e["url"]:
                e["status"] = 404
                with open(os.path.join(self.replay, e["body"]), "w") as f:
                    json.dump({"error": {"code": "ResourceNotFound",
                                         "message": "The resource was not found."}}, f)
        self.write_manifest(self.replay, m)
        r = self.expect(PARTIAL, "collect", "--replay", self.replay)
        self.assertIn("run 2: partial, 8 file systems", r.out)
        runs = self.expect(OK, "runs", "--format", "json").json()
        self.assertEqual(runs[0]["status"], "partial")
        self.assertEqual(runs[0]["errors"], 1)
        err = runs[0]["errors_detail"][0]
        self.assertEqual((err["http_status"], err["code"]), (404, "ResourceNotFound"))
        self.assertIn("amlfs-cfd-transient/importJobs", err["url"])
        # The error response is evidence, but yields no rows.
        self.assertEqual(self.scalar("SELECT count(*) FROM evidence WHERE run_id = 2 "
                                     "AND status = 404"), 1)
        self.expect(OK, "verify")
        table = self.expect(OK, "runs").out
        self.assertIn("1 request(s) could not be read", table)

    def test_next_link_loop_stops(self):
        first = [e["url"] for e in self.manifest(self.replay)["entries"]
                 if e["url"].endswith("amlFilesystems?api-version=2025-07-01")
                 and "6f3c2b1e" in e["url"]][0]

        def loop(text):
            j = json.loads(text)
            j["nextLink"] = first
            return json.dumps(j)
        self.edit_body("$skipToken=eyJuZXh0IjozfQ", loop)
        r = self.expect(PARTIAL, "collect", "--replay", self.replay)
        self.assertIn("partial", r.out)
        runs = self.expect(OK, "runs", "--format", "json").json()
        self.assertEqual(runs[0]["errors_detail"][0]["code"], "PagingError")
        self.assertIn("repeats", runs[0]["errors_detail"][0]["message"])
        # Three pages were read once each; nothing was fetched twice.
        self.assertEqual(self.scalar("SELECT count(*) FROM evidence_log WHERE run_id = 2 "
                                     "AND kind = 'filesystems'"), 4)

    def test_missing_body_file_is_partial(self):
        os.remove(self.body_path(self.replay, "amlfs-genomics-prod/autoExportJobs"))
        r = self.expect(PARTIAL, "collect", "--replay", self.replay)
        runs = self.expect(OK, "runs", "--format", "json").json()
        self.assertIn("cannot read recorded body", runs[0]["errors_detail"][0]["message"])
        self.assertIn("partial", r.out)

    def test_bad_config_line_names_file_and_line(self):
        conf = os.path.join(self.tmp, "bad.conf")
        with open(CONF) as f:
            lines = f.read().splitlines()
        at = lines.index("[collect]") + 1
        lines.insert(at, "max_pagez = 3")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = self.expect(USAGE, "collect", "--replay", self.replay, config=conf)
        self.assertIn("%s:%d" % (conf, at + 1), r.err)
        self.assertIn("unknown key 'max_pagez' in [collect]", r.err)
        self.assertEqual(self.scalar("SELECT count(*) FROM runs"), 1)

    def test_missing_config_file(self):
        r = self.expect(USAGE, "runs", config=os.path.join(self.tmp, "none.conf"))
        self.assertIn("none.conf", r.err)

    def test_bad_replay_directory(self):
        r = self.expect(USAGE, "collect", "--replay", os.path.join(self.tmp, "nope"))
        self.assertIn("nope/manifest.json", r.err)


if __name__ == "__main__":
    main()
