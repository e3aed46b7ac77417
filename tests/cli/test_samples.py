"""Every bundled sample parses and the replay matches the reference specs."""
import glob
import json
import os
import subprocess
import sys
import unittest

from harness import CliTest, main, OK, ROOT, SAMPLES, REPLAY

SPEC = os.path.join(ROOT, "..", "shared", "reference", "specs", "storagecache",
                    "2025-07-01", "amlfilesystem.json")


class Samples(CliTest):
    def test_every_json_sample_parses(self):
        files = glob.glob(os.path.join(SAMPLES, "**", "*.json"), recursive=True)
        self.assertGreater(len(files), 25)
        for path in files:
            with open(path, encoding="utf-8") as f:
                json.load(f)

    def test_manifest_and_bodies_match_one_to_one(self):
        with open(os.path.join(REPLAY, "manifest.json"), encoding="utf-8") as f:
            m = json.load(f)
        self.assertEqual(m["format"], "amlfs-audit-replay/1")
        referenced = {os.path.normpath(os.path.join(REPLAY, e["body"]))
                      for e in m["entries"]}
        on_disk = {os.path.normpath(p) for p in
                   glob.glob(os.path.join(REPLAY, "bodies", "**", "*.json"), recursive=True)}
        self.assertEqual(referenced, on_disk)
        for e in m["entries"]:
            # POST only for the read-only queries (batch metrics).
            self.assertIn(e["method"], ("GET", "POST"))
            if e["method"] == "POST":
                self.assertIn("metrics:getBatch", e["url"])
                json.loads(e["request_body"])

    def test_sample_config_is_valid(self):
        self.expect(OK, "collect", "--replay", self.copy_replay())

    @unittest.skipUnless(os.path.exists(SPEC), "shared/reference not beside the clone")
    def test_replay_matches_the_openapi_spec(self):
        p = subprocess.run([sys.executable, os.path.join(REPLAY, "validate.py"),
                            "--spec", SPEC], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    main()
