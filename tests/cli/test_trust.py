"""Trust boundaries (issue 8): the token goes only to the origin that was
asked, a region never becomes a host, and plain http only to loopback."""
import http.server
import json
import os
import threading

from harness import CliTest, main, FINDINGS, OK, PARTIAL, USAGE
from fake import Fake, credentials, SUB1

FS_LIST = "/providers/Microsoft.StorageCache/amlFilesystems"
PAGE1 = os.path.join("bodies", "research-hpc", "amlfilesystems.page1.json")


class Catcher(http.server.BaseHTTPRequestHandler):
    """A second loopback origin that records whatever reaches it."""
    seen = []

    def do_GET(self):
        Catcher.seen.append((self.command, self.path,
                             self.headers.get("Authorization")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"value": []}')

    do_POST = do_GET

    def log_message(self, *args):
        pass


class Replayed(CliTest):
    """Hostile answers in a recording: nothing is sent anywhere."""

    def edit_page(self, replay, fn):
        path = os.path.join(replay, PAGE1)
        with open(path) as f:
            body = json.load(f)
        fn(body)
        with open(path, "w") as f:
            json.dump(body, f)

    def errors(self):
        return self.expect(OK, "runs", "--format", "json").json()[0]["errors_detail"]

    def test_next_link_to_another_host_is_not_followed(self):
        replay = self.copy_replay()

        def foreign(body):
            body["nextLink"] = body["nextLink"].replace(
                "https://management.azure.com", "https://evil.example")
        self.edit_page(replay, foreign)
        r = self.expect(PARTIAL, "-v", "collect", "--replay", replay)
        self.assertNotIn("evil.example/subscriptions", r.err.replace(
            "was not followed", ""))
        err = [e for e in self.errors() if e["code"] == "PagingError"]
        self.assertEqual(len(err), 1, self.errors())
        self.assertIn("leaves the origin", err[0]["message"])
        # Page 2's file systems were not read; page 1's were.
        self.assertEqual(self.scalar(
            "SELECT count(*) FROM filesystems WHERE subscription_id = ?", SUB1), 2)

    def test_next_link_over_plain_http_is_not_followed(self):
        replay = self.copy_replay()

        def downgrade(body):
            body["nextLink"] = body["nextLink"].replace("https://", "http://")
        self.edit_page(replay, downgrade)
        self.expect(PARTIAL, "collect", "--replay", replay)
        self.assertIn("PagingError", [e["code"] for e in self.errors()])

    def test_a_location_never_becomes_a_host(self):
        replay = self.copy_replay()

        def evil(body):
            body["value"][0]["location"] = "evil.example/steal#"
        self.edit_page(replay, evil)
        r = self.expect(PARTIAL, "-v", "collect", "--replay", replay)
        self.assertNotIn("evil.example", r.err)
        err = [e for e in self.errors() if e["code"] == "InvalidLocation"]
        self.assertEqual(len(err), 1)
        self.assertIn("not a region name", err[0]["message"])
        # The other file systems' metrics were still read.
        self.assertGreater(self.scalar("SELECT count(*) FROM metric_points"), 0)


class HashEncoding(CliTest):
    """verify catches what hash encoding 1 could not see."""

    EDITS = (
        "UPDATE runs SET notes = char(1) WHERE id = 1",
        "UPDATE requests SET url = url || char(0) || '&injected=1' "
        "WHERE id = (SELECT min(id) FROM requests)",
        "UPDATE runs SET scope = CAST(scope AS BLOB) WHERE id = 1",
    )

    def test_each_edit_is_caught(self):
        replay = self.copy_replay()
        self.expect(OK, "collect", "--replay", replay)
        self.assertEqual(self.scalar("SELECT hash_version FROM runs"), 2)
        clean = self.db + ".clean"
        with open(self.db, "rb") as f, open(clean, "wb") as g:
            g.write(f.read())
        for edit in self.EDITS:
            with open(clean, "rb") as f, open(self.db, "wb") as g:
                g.write(f.read())
            self.expect(OK, "verify")
            self.sql(edit)
            r = self.expect(FINDINGS, "verify")
            self.assertIn("run 1", r.out + r.err, edit)


class Live(CliTest):
    """Over real HTTP: the token never reaches a second origin."""

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake("--page-size", "2")
        cls.catcher = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Catcher)
        threading.Thread(target=cls.catcher.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        cls.catcher.shutdown()
        cls.catcher.server_close()

    def setUp(self):
        super().setUp()
        Catcher.seen = []
        self.fake.faults([])
        self.conf = self.fake.config(os.path.join(self.tmp, "live.conf"))

    def test_next_link_to_another_port_gets_no_token(self):
        other = "http://127.0.0.1:%d/steal?api-version=1" % (
            self.catcher.server_address[1])
        self.fake.faults([{"match": SUB1 + FS_LIST, "action": "custom",
                           "body": {"value": [], "nextLink": other},
                           "times": -1}])
        self.expect(PARTIAL, "collect", config=self.conf, env=credentials())
        self.assertEqual(Catcher.seen, [])
        runs = self.expect(OK, "runs", "--format", "json",
                           config=self.conf).json()
        codes = [e["code"] for e in runs[0]["errors_detail"]]
        self.assertIn("PagingError", codes)

    def test_http_to_a_non_loopback_host_is_refused(self):
        # The client secret was once POSTed in clear text past this check.
        conf = os.path.join(self.tmp, "bad.conf")
        with open(self.conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text.replace("authority_host = %s" % self.fake.url,
                                 "authority_host = http://localhost:1@192.0.2.2:18082"))
        r = self.expect(USAGE, "collect", config=conf, env=credentials())
        self.assertIn("user:password@", r.err)
        self.assertEqual(Catcher.seen, [])


if __name__ == "__main__":
    main()
