"""Live collection over real HTTP (libcurl) against the loopback fake of
Azure: sign-in, paging, every fault the fake injects, the ledger, the
record/replay round trip, and that nothing mutating is ever sent."""
import base64
import json
import os
import re

from harness import main, OK, USAGE, RUNTIME, PARTIAL
from fake import FakeTest, credentials, SUB1, SUB2, TENANT

FS_LIST = "/providers/Microsoft.StorageCache/amlFilesystems"


class Live(FakeTest):
    ARGS = ("--page-size", "2")

    def setUp(self):
        super().setUp()
        self.conf = self.fake.config(os.path.join(self.tmp, "live.conf"))

    def collect(self, code, *args, conf=None, env=None):
        e = credentials()
        e.update(env or {})
        return self.expect(code, "collect", *args, config=conf or self.conf, env=e)

    def runs(self):
        return self.expect(OK, "runs", "--format", "json", config=self.conf).json()

    def log(self):
        return [r for r in self.fake.requests() if not r["path"].startswith("/_fake")]

    def ledger(self, run, lst):
        return [l for l in run["ledger"] if l["list"] == lst]

    def assert_nothing_mutating(self):
        log = self.log()
        self.assertTrue(log)
        bad = [r for r in log if r.get("mutating") or r["method"] in ("PUT", "PATCH", "DELETE")]
        self.assertEqual(bad, [])
        posts = {r["path"].split("?")[0].rsplit("/", 1)[-1] for r in log if r["method"] == "POST"}
        self.assertLessEqual(posts, {"token", "metrics:getBatch", "resources", "query"})

    def test_clean_run(self):
        r = self.collect(OK)
        self.assertIn("run 1: ok, 8 file systems", r.out)
        run = self.runs()[0]
        self.assertEqual(run["status"], "ok")
        self.assertEqual(run["source"], "live")
        self.assertEqual(run["tenant_id"], TENANT)
        self.assertTrue(run["principal_id"])
        self.assertEqual(run["errors"], 0)
        # Paged at 2 per page: 5 file systems in the first subscription.
        fs = self.ledger(run, "filesystems")
        self.assertEqual({l["scope"]: l["pages"] for l in fs}, {SUB1: 3, "c94e7a15-2f6b-4b8d-9e31-7ad05c8b2e4f": 2})
        self.assertEqual(sum(l["items"] for l in fs), 8)
        self.assertEqual(run["requests"], run["evidence"])
        inv = {x["name"]: x for x in
               self.expect(OK, "inventory", "--format", "json", config=self.conf).json()}
        self.assertEqual(len(inv), 8)
        # Capacity metrics are per OST: their sum is the file system's size.
        g = inv["amlfs-genomics-prod"]
        self.assertAlmostEqual(g["capacity_total_bytes"], g["capacity_tib"] * 2 ** 40,
                               delta=g["capacity_tib"] * 2 ** 40 * 1e-9)
        self.assertTrue(g["resource_group_tags"] is not None)
        self.assertTrue(g["subscription_tags"])
        self.expect(OK, "verify", config=self.conf)
        self.assert_nothing_mutating()
        # Every ARM call carried a bearer token; metrics got their own audience.
        arm = [x for x in self.log() if "/subscriptions" in x["path"]]
        self.assertTrue(all(x["bearer"] for x in arm))
        batch = [x for x in arm if x["path"].endswith("metrics:getBatch")]
        self.assertTrue(batch)
        self.assertEqual({x["audience"] for x in batch}, {"https://metrics.monitor.azure.com"})

    def test_second_run_adds_no_metric_duplicates(self):
        self.collect(OK)
        points = self.scalar("SELECT count(*) FROM metric_points")
        self.assertGreater(points, 0)
        self.collect(OK)
        self.assertEqual(self.scalar("SELECT count(*) FROM metric_points"), points)
        self.expect(OK, "verify", config=self.conf)

    def test_throttling_honours_retry_after(self):
        self.fake.faults([{"match": SUB1 + FS_LIST, "action": "429", "retry_after": "1"}])
        self.collect(OK)
        run = self.runs()[0]
        fs = [l for l in self.ledger(run, "filesystems") if l["scope"] == SUB1][0]
        self.assertEqual((fs["throttled"], fs["retries"]), (1, 1))
        self.assertGreaterEqual(fs["throttle_wait_ms"], 1000)
        self.assertEqual(run["status"], "ok")

    def test_throttling_with_an_http_date(self):
        # The date is made when the 429 is sent (a date fixed here had
        # passed before a slow sanitizer build reached the request).
        self.fake.faults([{"match": "amlfs-vfx-sim/providers/Microsoft.Authorization/locks",
                           "action": "429",
                           "retry_after_date_in": 2}])
        self.collect(OK)
        run = self.runs()[0]
        self.assertEqual(run["throttled"], 1)
        self.assertGreaterEqual(run["throttle_wait_ms"], 1000)

    def test_throttling_header_of_another_name(self):
        self.fake.faults([{"match": "importJobs", "action": "429", "retry_after": "1",
                           "header": "x-ms-ratelimit-microsoft.storagecache-retry-after"}])
        self.collect(OK)
        self.assertEqual(self.runs()[0]["throttled"], 1)

    def test_server_errors_are_retried(self):
        self.fake.faults([{"match": "autoExportJobs", "action": "500", "times": 1},
                          {"match": "locks", "action": "503", "times": 1},
                          {"match": "diagnosticSettings", "action": "502_html", "times": 1}])
        self.collect(OK)
        self.assertEqual(self.runs()[0]["retries"], 3)

    def test_retries_stay_within_bounds(self):
        self.fake.faults([{"match": "amlfs-vfx-sim/importJobs", "action": "503", "times": -1}])
        self.collect(PARTIAL)
        run = self.runs()[0]
        self.assertEqual(run["status"], "partial")
        err = run["errors_detail"][0]
        self.assertEqual(err["http_status"], 503)
        self.assertIn("amlfs-vfx-sim/importJobs", err["url"])
        tries = [x for x in self.log() if "amlfs-vfx-sim/importJobs" in x["path"]]
        self.assertEqual(len(tries), 3)  # max_attempts
        # The failed answer is evidence, but yields no job rows.
        self.assertEqual(self.scalar(
            "SELECT count(*) FROM evidence_log WHERE status = 503 AND projected = 0"), 1)
        self.expect(OK, "verify", config=self.conf)

    def test_an_empty_200_or_a_key_given_twice_is_no_answer(self):
        # Review findings: a 200 with no body read as an empty list (the
        # run "ok", its file systems gone), and a key given twice was kept
        # last by the projection but first by json_extract() over the
        # evidence.
        for body, why in (("", "an empty body (HTTP 200, not 204)"),
                          ('{"value": [], "value": []}', "duplicate object key")):
            self.fake.faults([{"match": "amlFilesystems\\?api", "times": 1,
                               "action": "custom", "status": 200, "body": body}])
            self.collect(PARTIAL)
            run = self.runs()[0]
            self.assertEqual(run["status"], "partial")
            err = [e for e in run["errors_detail"] if e["code"] == "InvalidResponse"]
            self.assertEqual(len(err), 1, run["errors_detail"])
            self.assertIn(why, err[0]["message"])
            self.assertIn("amlFilesystems", err[0]["url"])
        self.assertEqual(self.scalar("SELECT count(*) FROM runs"), 2)
        self.expect(OK, "verify", config=self.conf)

    def test_reset_connection_is_retried(self):
        self.fake.faults([{"match": "roleAssignments", "action": "reset", "times": 2}])
        self.collect(OK)
        # libcurl itself re-sends once on a reused connection that died, so
        # the ledger may count fewer tries than the fake saw; nothing is lost.
        roles = [x for x in self.log() if x["path"].endswith("roleAssignments")]
        self.assertEqual(len(roles), 8 + 2)
        self.assertEqual(self.scalar("SELECT count(DISTINCT fs_key) FROM role_assignments"), 8)

    def test_slow_response_times_out(self):
        self.fake.faults([{"match": "amlfs-llm-scratch/autoImportJobs", "action": "slow",
                           "delay_ms": 4000, "times": -1}])
        self.collect(PARTIAL)
        err = self.runs()[0]["errors_detail"][0]
        self.assertEqual(err["code"], "TransportError")
        self.assertIn("imed out", err["message"])

    def test_truncated_body_is_retried(self):
        self.fake.faults([{"match": "amlfs-genomics-prod/importJobs", "action": "truncate"}])
        self.collect(OK)
        self.assertEqual(self.runs()[0]["retries"], 1)
        self.assertEqual(self.scalar("SELECT count(*) FROM import_jobs WHERE "
                                     "fs_key LIKE '%amlfs-genomics-prod'"), 3)

    def test_invalid_json_is_stored_as_evidence_but_not_as_data(self):
        self.fake.faults([{"match": "amlfs-cfd-aero-01/importJobs", "action": "invalid_json"}])
        self.collect(PARTIAL)
        err = self.runs()[0]["errors_detail"][0]
        self.assertEqual(err["code"], "InvalidResponse")
        self.assertIn("invalid JSON", err["message"])
        self.assertEqual(self.scalar("SELECT count(*) FROM import_jobs WHERE "
                                     "fs_key LIKE '%amlfs-cfd-aero-01'"), 0)
        self.assertEqual(self.scalar("SELECT count(*) FROM evidence_log WHERE "
                                     "projected = 0 AND status = 200 AND "
                                     "kind <> 'cost_query'"), 1)
        self.expect(OK, "verify", config=self.conf)

    def test_diff_tells_unread_from_removed(self):
        self.collect(OK)
        # Run 2: page 2 of the first subscription's list fails, the second
        # subscription's list is read and empty (a real removal), and one
        # file system's import jobs fail.
        self.fake.faults([
            {"match": SUB1 + FS_LIST, "action": "invalid_json", "skip": 1},
            {"match": SUB2 + FS_LIST, "action": "custom",
             "body": {"value": []}},
            {"match": "amlfs-genomics-prod/importJobs", "action": "500",
             "times": -1}])
        self.collect(PARTIAL)
        d = self.expect(OK, "diff", "--format", "json", "1", "2",
                        config=self.conf).json()
        unread = {f["name"]: f for f in d["unread"]}
        self.assertIn("amlfs-cfd-aero-01", unread)
        self.assertEqual(unread["amlfs-cfd-aero-01"]["not_read_in"], 2)
        removed = {f["name"] for f in d["removed"]}
        self.assertEqual(len(removed), 3)
        self.assertFalse(removed & set(unread))
        self.assertEqual(len(unread) + len(removed) + 2, 8)
        self.assertEqual(d["added"], [])
        prod = [f for f in d["changed"] if f["name"] == "amlfs-genomics-prod"]
        kinds = {(c["kind"], c["path"].split("/")[0]) for c in prod[0]["changes"]}
        self.assertEqual(kinds, {("unread", "importJobs")})
        text = self.expect(OK, "diff", "1", "2", config=self.conf).out
        self.assertIn("3 removed, %d not read" % len(unread), text)
        self.assertRegex(text, r"(?m)^unread   amlfs-cfd-aero-01  \(/subscriptions/"
                         r"[^)]*\): not read in run 2 \(its list failed\)$")
        self.assertIn("  unread    importJobs/", text)
        self.assertNotRegex(text, r"(?m)^removed  amlfs-cfd-aero-01")
        # Back the other way, run 2's failures are not additions either.
        self.fake.faults([])
        self.collect(OK)
        d = self.expect(OK, "diff", "--format", "json", "2", "3",
                        config=self.conf).json()
        self.assertEqual({f["name"] for f in d["added"]}, removed)
        self.assertEqual({f["name"] for f in d["unread"]}, set(unread))
        self.assertEqual({f["not_read_in"] for f in d["unread"]}, {2})

    def test_expired_token_is_refreshed_once(self):
        self.fake.faults([{"match": "autoImportJobs", "action": "401_expired"}])
        self.collect(OK)
        tokens = [x for x in self.log() if x["path"].endswith("/oauth2/v2.0/token")]
        self.assertEqual(len(tokens), 3)  # ARM, metrics, and one refresh

    def test_next_link_loop_is_stopped(self):
        self.fake.faults([{"match": SUB1 + FS_LIST, "action": "next_link_loop", "times": -1}])
        self.collect(PARTIAL)
        err = self.runs()[0]["errors_detail"][0]
        self.assertEqual(err["code"], "PagingError")
        self.assertIn("repeats", err["message"])

    def test_wrong_tenant_is_refused(self):
        # A token someone pasted from another tenant.
        b64 = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
        other = "00000000-1111-2222-3333-444444444444"
        token = ".".join([b64({"alg": "RS256", "typ": "JWT"}),
                          b64({"tid": other, "oid": "x", "exp": 4102444800,
                               "aud": "https://management.azure.com"}), "c2ln"])
        conf = self.fake.config(os.path.join(self.tmp, "other.conf"))
        with open(conf) as f:
            text = f.read().replace("auth = client-secret", "auth = access-token")
        with open(conf, "w") as f:
            f.write(text)
        r = self.collect(USAGE, conf=conf, env={"AZURE_ACCESS_TOKEN": token})
        self.assertIn("refusing to collect", r.err)
        self.assertIn(other, r.err)
        self.assertNotIn(token, r.err)
        self.assertFalse(self.sql("SELECT * FROM runs"))
        self.assertFalse([x for x in self.log() if "/subscriptions" in x["path"]])

    def test_bad_secret_fails_without_leaking_it(self):
        r = self.collect(RUNTIME, env={"AZURE_CLIENT_SECRET": "s3cr3t-value"})
        self.assertIn("AADSTS7000215", r.err)
        self.assertNotIn("s3cr3t-value", r.err + r.out)

    def test_verbose_log_never_shows_a_token(self):
        r = self.expect(OK, "-v", "collect", config=self.conf, env=credentials())
        self.assertIn("-> 200", r.err)
        self.assertNotIn("Bearer", r.err)
        self.assertIsNone(re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.", r.err))  # a JWT
        self.assertNotIn("fake-secret", r.err)

    def test_record_then_replay(self):
        rec = os.path.join(self.tmp, "rec")
        self.collect(OK, "--record", rec)
        with open(os.path.join(rec, "manifest.json")) as f:
            m = json.load(f)
        self.assertEqual(m["format"], "amlfs-audit-replay/1")
        for e in m["entries"]:
            self.assertNotIn("token", e["url"].lower().split("?")[0].rsplit("/", 1)[-1])
        text = open(os.path.join(rec, "manifest.json")).read()
        self.assertNotIn("fake-secret", text)
        live = self.expect(OK, "inventory", "--format", "json", config=self.conf).json()
        self.db = os.path.join(self.tmp, "replayed.db")
        self.expect(OK, "collect", "--replay", rec, config=self.conf)
        replayed = self.expect(OK, "inventory", "--format", "json", config=self.conf).json()
        strip = lambda inv: [{k: v for k, v in x.items() if k != "run_id"} for x in inv]
        self.assertEqual(strip(replayed), strip(live))

    def test_resource_graph_discovery(self):
        conf = self.fake.config(os.path.join(self.tmp, "arg.conf"),
                                scope="discovery = resource-graph")
        self.collect(OK, conf=conf)
        names = {x["name"] for x in
                 self.expect(OK, "inventory", "--format", "json", config=conf).json()}
        self.assertEqual(len(names), 8)
        graph = [x for x in self.log() if x["path"].endswith("Microsoft.ResourceGraph/resources")]
        self.assertGreaterEqual(len(graph), 4)  # 8 rows, pages of 2
        self.expect(OK, "verify", config=conf)

    # ---- Cost Management Query API ----------------------------------------

    def cost_run(self, code, *args, env=None):
        return self.collect(code, "--costs-only", *args, env=env)

    def fake_costs(self, sub, typ, frm, to):
        return self.fake._call("GET", "/_fake/costs?scope=subscriptions/%s&type=%s"
                               "&from=%s&to=%s" % (sub, typ, frm, to))

    def test_cost_query_matches_the_service(self):
        self.cost_run(OK, "--from", "2026-10-01", "--to", "2026-10-31")
        got = {(r["name"], r["currency"]): r for r in self.expect(
            OK, "costs", "--month", "2026-10", "--format", "json",
            config=self.conf).json()}
        for sub in (SUB1, "c94e7a15-2f6b-4b8d-9e31-7ad05c8b2e4f"):
            for typ, col in (("ActualCost", "actual_cost"),
                             ("AmortizedCost", "amortized_cost")):
                want = self.fake_costs(sub, typ, "2026-10-01", "2026-10-31")
                for w in want["resources"]:
                    name = w["name"]
                    self.assertAlmostEqual(got[(name, w["currency"])][col], w["total"],
                                           places=4, msg=(name, typ))
        # One query at a time per scope, paged with the same body.
        run = self.runs()[0]
        q = [l for l in self.ledger(run, "cost_query") if l["scope"] == SUB1][0]
        self.assertEqual(q["pages"], 8)  # 155 rows in pages of 50, two cost types
        self.assertEqual(q["errors"], 0)
        srcs = self.sql("SELECT kind, format, run_id, rows_kept FROM cost_sources "
                        "WHERE name LIKE '%%' || ? || '%%ActualCost%%'", SUB1)
        self.assertEqual(srcs, [("api", "query", 1, 155)])
        self.assert_nothing_mutating()

    def test_cost_query_throttling(self):
        self.fake.faults([{"match": "CostManagement/query", "action": "429",
                           "retry_after": "1",
                           "header": "x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after"}])
        self.cost_run(OK, "--from", "2026-10-01", "--to", "2026-10-31")
        q = [l for l in self.ledger(self.runs()[0], "cost_query") if l["throttled"]]
        self.assertEqual(len(q), 1)
        self.assertGreaterEqual(q[0]["throttle_wait_ms"], 1000)

    def test_closed_month_is_not_asked_again(self):
        env = {"AMLFS_AUDIT_NOW": "2026-11-20T00:00:00Z"}
        self.cost_run(OK, env=env)
        first = [x for x in self.log() if x["path"].endswith("CostManagement/query")]
        rows = self.scalar("SELECT count(*) FROM cost_rows")
        self.fake.reset_log()
        self.cost_run(OK, env=env)
        # November asked again, unchanged: nothing is stored twice.
        self.assertEqual(self.scalar("SELECT count(*) FROM cost_rows"), rows)
        second = [x for x in self.log() if x["path"].endswith("CostManagement/query")]
        # October (closed, held) is left out; November is asked again.
        self.assertEqual(len(second), 4)  # 2 subscriptions x 2 cost types, 1 page
        self.assertGreater(len(first), len(second))
        self.fake.reset_log()
        self.cost_run(OK, "--refresh-costs", env=env)
        third = [x for x in self.log() if x["path"].endswith("CostManagement/query")]
        self.assertEqual(len(third), len(first))
        # Nothing doubled however often it was asked.
        dup = self.sql("SELECT resource_key, day, cost_type, meter, count(*) FROM "
                       "costs_current GROUP BY 1, 2, 3, 4 HAVING count(*) > 1")
        self.assertEqual(dup, [])

    def test_a_failed_cost_query_leaves_none_of_its_rows(self):
        self.fake.faults([{"match": SUB1 + "/providers/Microsoft.CostManagement/query.*skiptoken",
                           "action": "503", "times": -1}])
        self.cost_run(PARTIAL, "--from", "2026-10-01", "--to", "2026-10-31")
        run = self.runs()[0]
        self.assertEqual({e["http_status"] for e in run["errors_detail"]}, {503})
        self.assertEqual(self.scalar(
            "SELECT count(*) FROM cost_sources WHERE name LIKE '%' || ? || '%'", SUB1), 0)
        self.assertGreater(self.scalar("SELECT count(*) FROM cost_rows"), 0)  # the other sub
        self.expect(OK, "verify", config=self.conf)

    def test_a_cost_row_out_of_shape_fails_its_query(self):
        # Review finding: the query path stored what exports refuse (a
        # lower-case currency, a 13th month, a cost past the exact range).
        fs = ("/subscriptions/%s/resourceGroups/rg/providers/"
              "Microsoft.StorageCache/amlFilesystems/x" % SUB1)
        cols = [{"name": n, "type": t} for n, t in (
            ("totalCost", "Number"), ("UsageDate", "Number"),
            ("ResourceId", "String"), ("Currency", "String"))]
        good = [1.5, 20261001, fs, "USD"]
        for i, (bad, why) in enumerate((
                ([1.5, 20261001, fs, "usd"], "currency code of three capital"),
                ([1.5, 20261399, fs, "USD"], "UsageDate yyyymmdd of a real day"),
                ([1.5, 20261001.5, fs, "USD"], "UsageDate yyyymmdd of a real day"),
                ([1e300, 20261001, fs, "USD"], "finite cost under 9.2e12"))):
            self.db = os.path.join(self.tmp, "bad%d.db" % i)
            self.fake.faults([{"match": SUB1 + "/providers/Microsoft.CostManagement/query",
                               "action": "custom", "times": -1,
                               "body": {"properties": {"columns": cols,
                                                       "rows": [good, bad]}}}])
            r = self.cost_run(PARTIAL, "--from", "2026-10-01", "--to", "2026-10-31")
            self.assertIn("expected a " + why, r.err + json.dumps(self.runs()[0]))
            self.assertIn("$.properties.rows[1]", r.err + json.dumps(self.runs()[0]))
            self.assertEqual(self.scalar(
                "SELECT count(*) FROM cost_sources WHERE name LIKE '%' || ? || '%'",
                SUB1), 0)
            self.expect(OK, "verify", config=self.conf)

    def test_per_resource_metrics(self):
        conf = self.fake.config(os.path.join(self.tmp, "pr.conf"), "metrics = per-resource\n")
        self.collect(OK, conf=conf)
        calls = [x for x in self.log() if x["path"].endswith("Microsoft.Insights/metrics")]
        self.assertEqual(len(calls), 16)  # 8 file systems x (OST, MDT)
        self.assertGreater(self.scalar("SELECT count(*) FROM metric_points"), 0)


    def test_a_metric_azure_did_not_answer_fails_its_response(self):
        # Review findings: an errorCode other than Success, a timeseries
        # that is not an array and a sum past the largest double left no
        # points, no run error, and the run "ok".
        conf = self.fake.config(os.path.join(self.tmp, "pr.conf"), "metrics = per-resource\n")
        fs = "amlfs-genomics-prod"

        def metric(name, **rest):
            m = {"name": {"value": name}, "errorCode": "Success", "timeseries": []}
            m.update(rest)
            return m
        series = {"data": [{"timeStamp": "2026-11-01T00:00:00Z", "average": 1.7e308}]}
        for i, (metrics, why) in enumerate((
                ([metric("OSTBytesUsed", errorCode="Throttled",
                         errorMessage="Too many requests"),
                  metric("OSTBytesTotal", timeseries={"oops": 1})],
                 "metric 'OSTBytesUsed' at $.value[0] has errorCode "
                 "'Throttled': Too many requests"),
                ([metric("OSTBytesTotal", timeseries={"oops": 1})],
                 "expected an array at $.value[0].timeseries"),
                ([metric("OSTBytesUsed", timeseries=[series, series])],
                 "metric 'OSTBytesUsed' summed over its series is out of range"))):
            self.db = os.path.join(self.tmp, "metrics%d.db" % i)
            self.fake.faults([{"match": fs + "/providers/Microsoft.Insights/metrics.*OSTBytesUsed",
                               "action": "custom", "body": {"value": metrics}}])
            self.collect(PARTIAL, conf=conf)
            run = self.runs()[0]
            self.assertEqual(run["status"], "partial")
            self.assertEqual(run["errors"], 1)
            err = run["errors_detail"][0]
            self.assertEqual(err["code"], "InvalidResponse")
            self.assertIn(why, err["message"])
            self.assertIn(fs + "/providers/Microsoft.Insights/metrics", err["url"])
            self.assertEqual(self.scalar(
                "SELECT count(*) FROM metric_points p JOIN metric_names n ON "
                "n.id = p.metric JOIN resources r ON r.id = p.resource WHERE "
                "n.name LIKE 'OST%' AND r.resource_key LIKE '%/' || ?", fs), 0)
            self.assertGreater(self.scalar("SELECT count(*) FROM metric_points"), 0)
            self.expect(OK, "verify", config=conf)

if __name__ == "__main__":
    main()
