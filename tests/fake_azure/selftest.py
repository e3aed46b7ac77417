#!/usr/bin/python3
"""Self test of the loopback fake of Azure (stdlib unittest, 127.0.0.1 only).

    /usr/bin/python3 tests/fake_azure/selftest.py            # run the tests
    /usr/bin/python3 tests/fake_azure/selftest.py -v Faults  # one class, verbose
    /usr/bin/python3 tests/fake_azure/selftest.py bench [--estate generated:50:20]
        [--latency-ms 20] [--concurrency 16]                  # throughput measurement

Every test starts the real server (fake_azure.py) as a subprocess and talks
to it over HTTP with http.client.
"""
import base64
import concurrent.futures
import gzip
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from urllib.parse import quote, urlencode, urlsplit

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import estate  # noqa: E402

FAKE = os.path.join(HERE, "fake_azure.py")
PY = sys.executable or "/usr/bin/python3"
REPLAY = estate.default_replay_dir()

TENANT = estate.TENANT
SUB_R = estate.SUB_RESEARCH
SUB_M = estate.SUB_MEDIA
ARM_SCOPE = "https://management.azure.com/.default"
METRICS_SCOPE = "https://metrics.monitor.azure.com/.default"
NS = "Microsoft.StorageCache/amlFilesystems"


def fs_id(sub, rg, name):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.StorageCache/amlFilesystems/%s" % (sub, rg, name)


GEN_PROD = fs_id(SUB_R, "rg-genomics-prod", "amlfs-genomics-prod")
GEN_SCRATCH = fs_id(SUB_R, "rg-genomics-prod", "amlfs-genomics-scratch")
CFD_AERO = fs_id(SUB_R, "rg-cfd-aero", "amlfs-cfd-aero-01")
CFD_TRANSIENT = fs_id(SUB_R, "rg-cfd-aero", "amlfs-cfd-transient")
LLM = fs_id(SUB_R, "rg-ai-training", "amlfs-llm-scratch")
FEATURE = fs_id(SUB_M, "rg-render-farm", "amlfs-render-feature-film")
DAILIES = fs_id(SUB_M, "rg-render-farm", "amlfs-render-dailies")
VFX = fs_id(SUB_M, "rg-vfx-sim", "amlfs-vfx-sim")
ALL_FS = [GEN_PROD, GEN_SCRATCH, CFD_AERO, CFD_TRANSIENT, LLM, FEATURE, DAILIES, VFX]


class Fake:
    """One fake_azure.py process."""

    def __init__(self, *args, faults=None):
        self.dir = tempfile.mkdtemp(prefix="fake-azure-test-")
        self.port_file = os.path.join(self.dir, "port")
        argv = [PY, FAKE, "--port-file", self.port_file] + list(args)
        if faults is not None:
            fp = os.path.join(self.dir, "faults.json")
            with open(fp, "w") as f:
                json.dump(faults, f)
            argv += ["--faults", fp]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("fake exited %s: %s" % (self.proc.returncode, self.proc.stderr.read().decode()))
            if time.time() > deadline:
                self.proc.kill()
                raise RuntimeError("fake did not write its port file")
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
        self.base = "http://127.0.0.1:%d" % self.port
        self._tokens = {}

    def conn(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, headers=None, body=None, conn=None):
        """-> (status, {lower header: value}, raw body bytes)."""
        if path.startswith("http://"):
            u = urlsplit(path)
            path = u.path + ("?" + u.query if u.query else "")
        own = conn is None
        c = conn or self.conn()
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = dict(headers or {})
                headers.setdefault("Content-Type", "application/json")
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                c.close()

    def token_raw(self, tenant=TENANT, **form):
        form.setdefault("grant_type", "client_credentials")
        form.setdefault("client_id", "11111111-2222-3333-4444-555555555555")
        form.setdefault("scope", ARM_SCOPE)
        form = {k: v for k, v in form.items() if v is not None}
        return self.request("POST", "/%s/oauth2/v2.0/token" % tenant,
                            {"Content-Type": "application/x-www-form-urlencoded"},
                            urlencode(form).encode())

    def token(self, scope=ARM_SCOPE, tenant=TENANT, client_id="11111111-2222-3333-4444-555555555555"):
        st, _, body = self.token_raw(tenant=tenant, scope=scope, client_id=client_id,
                                     client_secret="fake-secret")
        assert st == 200, body
        return json.loads(body)["access_token"]

    def arm(self, scope=ARM_SCOPE):
        if scope not in self._tokens:
            self._tokens[scope] = self.token(scope)
        return self._tokens[scope]

    def get(self, path, token=None, headers=None, conn=None):
        h = {"Authorization": "Bearer " + (token or self.arm())}
        h.update(headers or {})
        return self.request("GET", path, h, conn=conn)

    def get_json(self, path, token=None):
        st, h, body = self.get(path, token)
        return st, json.loads(body) if body else None

    def post_json(self, path, doc, token=None, headers=None):
        h = {"Authorization": "Bearer " + (token or self.arm())}
        h.update(headers or {})
        st, hd, body = self.request("POST", path, h, doc)
        return st, json.loads(body) if body else None

    def control(self, method, path, doc=None):
        st, _, body = self.request(method, "/_fake/" + path, None, doc)
        return st, json.loads(body) if body[:1] in (b"[", b"{") else body

    def faults(self, rules):
        st, d = self.control("POST", "faults", rules)
        assert st == 200, d

    def log(self):
        return self.control("GET", "requests")[1]

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.request("GET", "/_fake/shutdown")
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


def follow(fake, path, token=None):
    """Follows nextLink from path; returns (items, pages)."""
    pages = []
    items = []
    url = path
    for _ in range(50):
        st, d = fake.get_json(url, token)
        if st != 200:
            raise AssertionError("%s -> %s %s" % (url, st, d))
        pages.append(d)
        items += d["value"]
        url = d.get("nextLink")
        if not url:
            break
    return items, pages


def jwt_payload(tok):
    parts = tok.split(".")
    assert len(parts) == 3, tok
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(parts[0]))),
            json.loads(base64.urlsafe_b64decode(pad(parts[1]))))


def slug(fid):
    return "research-hpc" if SUB_R in fid else "media-rendering"


def manifest():
    with open(os.path.join(REPLAY, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def recorded(rel):
    with open(os.path.join(REPLAY, "bodies", rel), encoding="utf-8") as f:
        return json.load(f)


class FakeCase(unittest.TestCase):
    ARGS = ()
    FAULTS = None

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake(*cls.ARGS, faults=cls.FAULTS)

    @classmethod
    def tearDownClass(cls):
        rc = cls.fake.stop()
        assert rc == 0, "fake exit status %s" % rc

    def follow(self, path, token=None):
        return follow(self.fake, path, token)


# ---------------------------------------------------------------------------

class Tokens(FakeCase):
    def test_client_secret(self):
        st, h, body = self.fake.token_raw(client_secret="fake-secret")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        d = json.loads(body)
        self.assertEqual(d["token_type"], "Bearer")
        self.assertEqual(d["expires_in"], 3599)
        self.assertEqual(d["ext_expires_in"], 3599)
        hdr, p = jwt_payload(d["access_token"])
        self.assertEqual(hdr, {"alg": "RS256", "typ": "JWT", "kid": "fake"})
        self.assertEqual(p["aud"], "https://management.azure.com")
        self.assertEqual(p["tid"], TENANT)
        self.assertEqual(p["iss"], "https://sts.windows.net/%s/" % TENANT)
        self.assertEqual(p["appid"], "11111111-2222-3333-4444-555555555555")
        self.assertEqual(p["exp"] - p["iat"], 3599)
        self.assertLessEqual(p["nbf"], time.time() + 1)
        for k in ("oid", "sub"):
            self.assertTrue(p[k])
        _, p2 = jwt_payload(self.fake.token())
        self.assertEqual(p["oid"], p2["oid"])  # fixed per client id
        _, p3 = jwt_payload(self.fake.token(client_id="other-client"))
        self.assertNotEqual(p["oid"], p3["oid"])
        st, d = self.fake.get_json("/subscriptions?api-version=2022-12-01", d["access_token"])
        self.assertEqual(st, 200)

    def test_wrong_secret(self):
        st, _, body = self.fake.token_raw(client_secret="nope")
        self.assertEqual(st, 401)
        d = json.loads(body)
        self.assertEqual(d["error"], "invalid_client")
        self.assertTrue(d["error_description"].startswith("AADSTS7000215: Invalid client secret provided."))
        self.assertEqual(d["error_codes"], [7000215])
        for k in ("timestamp", "trace_id", "correlation_id"):
            self.assertIn(k, d)

    def test_missing_and_bad_fields(self):
        for field in ("grant_type", "client_id", "scope"):
            st, _, body = self.fake.token_raw(client_secret="fake-secret", **{field: None})
            self.assertEqual(st, 400, field)
            self.assertEqual(json.loads(body)["error"], "invalid_request")
        st, _, body = self.fake.token_raw(client_secret=None)
        self.assertEqual(st, 401)
        st, _, body = self.fake.token_raw(client_secret="fake-secret", grant_type="password")
        self.assertEqual((st, json.loads(body)["error"]), (400, "unsupported_grant_type"))
        st, _, body = self.fake.token_raw(client_secret="fake-secret", scope="https://management.azure.com/")
        self.assertEqual((st, json.loads(body)["error"]), (400, "invalid_scope"))
        st, _, body = self.fake.token_raw(tenant="contoso.onmicrosoft.com", client_secret="fake-secret")
        self.assertEqual(st, 400)
        st, _, body = self.fake.request("GET", "/%s/oauth2/v2.0/token" % TENANT)
        self.assertEqual(st, 400)

    def test_federated(self):
        ok = dict(client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                  client_assertion="fake-federated-token")
        st, _, body = self.fake.token_raw(**ok)
        self.assertEqual(st, 200, body)
        self.assertEqual(jwt_payload(json.loads(body)["access_token"])[1]["tid"], TENANT)
        st, _, body = self.fake.token_raw(**dict(ok, client_assertion="forged"))
        self.assertEqual((st, json.loads(body)["error"]), (401, "invalid_client"))
        st, _, body = self.fake.token_raw(**dict(ok, client_assertion_type="urn:other"))
        self.assertEqual(st, 400)
        st, _, body = self.fake.token_raw(client_secret="fake-secret", **ok)
        self.assertEqual(st, 400)

    def test_other_tenant(self):
        other = "0b7c2f3e-1111-4222-8333-944455556666"
        tok = self.fake.token(tenant=other)
        self.assertEqual(jwt_payload(tok)[1]["tid"], other)
        self.assertEqual(jwt_payload(tok)[1]["iss"], "https://sts.windows.net/%s/" % other)
        st, h, body = self.fake.get("/subscriptions/%s?api-version=2022-12-01" % SUB_R, tok)
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(body)["error"]["code"], "InvalidAuthenticationTokenTenant")
        self.assertIn(TENANT, h["www-authenticate"])
        st, d = self.fake.get_json("/subscriptions?api-version=2022-12-01", tok)
        self.assertEqual((st, d["value"]), (200, []))

    def test_imds(self):
        path = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + quote("https://management.azure.com/", safe="")
        st, _, body = self.fake.request("GET", path)
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(body)["error"], "invalid_request")
        st, _, body = self.fake.request("GET", path, {"Metadata": "true"})
        self.assertEqual(st, 200, body)
        d = json.loads(body)
        for k in ("access_token", "client_id", "expires_in", "expires_on", "ext_expires_in", "not_before",
                  "resource", "token_type"):
            self.assertIsInstance(d[k], str, k)
        self.assertEqual(d["client_id"], estate.MI_SYSTEM["client_id"])
        self.assertEqual(d["resource"], "https://management.azure.com/")
        self.assertEqual(int(d["expires_on"]) - int(d["not_before"]), 3599)
        st, _ = self.fake.get_json("/subscriptions?api-version=2022-12-01", d["access_token"])
        self.assertEqual(st, 200)
        for sel, val in (("client_id", estate.MI_USER["client_id"]), ("object_id", estate.MI_USER["object_id"]),
                         ("msi_res_id", estate.MI_USER["resource_id"])):
            st, _, body = self.fake.request("GET", path + "&%s=%s" % (sel, quote(val, safe="")), {"Metadata": "true"})
            self.assertEqual(st, 200, body)
            self.assertEqual(json.loads(body)["client_id"], estate.MI_USER["client_id"])
            self.assertEqual(jwt_payload(json.loads(body)["access_token"])[1]["oid"], estate.MI_USER["object_id"])
        st, _, body = self.fake.request("GET", path + "&client_id=" + str(uuid.uuid4()), {"Metadata": "true"})
        self.assertEqual(st, 400)
        st, _, _ = self.fake.request("GET", "/metadata/identity/oauth2/token?api-version=2018-02-01", {"Metadata": "true"})
        self.assertEqual(st, 400)

    def test_app_service(self):
        path = "/msi/token?api-version=2019-08-01&resource=" + quote("https://management.azure.com/", safe="")
        st, _, _ = self.fake.request("GET", path)
        self.assertEqual(st, 401)
        st, _, _ = self.fake.request("GET", path, {"X-IDENTITY-HEADER": "wrong"})
        self.assertEqual(st, 401)
        st, _, body = self.fake.request("GET", path, {"X-IDENTITY-HEADER": "fake-identity-header"})
        self.assertEqual(st, 200, body)
        d = json.loads(body)
        self.assertEqual(set(d), {"access_token", "expires_on", "resource", "token_type", "client_id"})
        self.assertIsInstance(d["expires_on"], str)
        int(d["expires_on"])
        st, _ = self.fake.get_json("/subscriptions?api-version=2022-12-01", d["access_token"])
        self.assertEqual(st, 200)
        st, _, body = self.fake.request("GET", path + "&mi_res_id=" + quote(estate.MI_USER["resource_id"], safe=""),
                                        {"X-IDENTITY-HEADER": "fake-identity-header"})
        self.assertEqual((st, json.loads(body)["client_id"]), (200, estate.MI_USER["client_id"]))


class Auth(FakeCase):
    def test_missing_and_invalid(self):
        path = "/subscriptions/%s?api-version=2022-12-01" % SUB_R
        st, h, body = self.fake.request("GET", path)
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(body)["error"]["code"], "InvalidAuthenticationToken")
        self.assertIn('authorization_uri="https://login.microsoftonline.com/%s"' % TENANT, h["www-authenticate"])
        self.assertIn('error="invalid_token"', h["www-authenticate"])
        for auth in ("Bearer not-a-token", "Basic Zm9vOmJhcg=="):
            st, h, body = self.fake.request("GET", path, {"Authorization": auth})
            self.assertEqual(st, 401)
            self.assertEqual(json.loads(body)["error"]["code"], "InvalidAuthenticationToken")
        # A well-formed JWT the server did not issue is refused.
        forged = self.fake.arm()[:-4] + "AAAA"
        st, _, _ = self.fake.request("GET", path, {"Authorization": "Bearer " + forged})
        self.assertEqual(st, 401)

    def test_audience(self):
        mtok = self.fake.token(METRICS_SCOPE)
        self.assertEqual(jwt_payload(mtok)[1]["aud"], "https://metrics.monitor.azure.com")
        st, _, body = self.fake.get("/subscriptions?api-version=2022-12-01", mtok)
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(body)["error"]["code"], "InvalidAuthenticationTokenAudience")
        st, d = self.fake.post_json(batch_path("eastus", SUB_R), {"resourceids": [GEN_PROD]})
        self.assertEqual(st, 401)
        self.assertEqual(d["error"]["code"], "InvalidAuthenticationTokenAudience")
        st, d = self.fake.post_json(batch_path("eastus", SUB_R), {"resourceids": [GEN_PROD]}, mtok)
        self.assertEqual(st, 200, d)

    def test_expire_all(self):
        tok = self.fake.token()
        self.assertEqual(self.fake.get("/subscriptions?api-version=2022-12-01", tok)[0], 200)
        st, d = self.fake.control("POST", "expire-tokens")
        self.assertEqual(st, 200)
        self.assertGreaterEqual(d["expired"], 1)
        st, _, body = self.fake.get("/subscriptions?api-version=2022-12-01", tok)
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(body)["error"]["code"], "ExpiredAuthenticationToken")
        self.fake._tokens.clear()


class Expiry(FakeCase):
    ARGS = ("--token-lifetime", "1")

    def test_expired(self):
        st, _, body = self.fake.token_raw(client_secret="fake-secret")
        d = json.loads(body)
        self.assertEqual(d["expires_in"], 1)
        time.sleep(1.2)
        st, h, body = self.fake.get("/subscriptions?api-version=2022-12-01", d["access_token"])
        self.assertEqual(st, 401)
        self.assertEqual(json.loads(body)["error"]["code"], "ExpiredAuthenticationToken")
        self.assertIn("www-authenticate", h)


class Secrets(FakeCase):
    ARGS = ("--client-secret", "s3cr3t", "--federated-token", "fed-tok", "--identity-header", "idh")

    def test_custom_credentials(self):
        self.assertEqual(self.fake.token_raw(client_secret="fake-secret")[0], 401)
        self.assertEqual(self.fake.token_raw(client_secret="s3cr3t")[0], 200)
        self.assertEqual(self.fake.token_raw(
            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion="fed-tok")[0], 200)
        path = "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"
        self.assertEqual(self.fake.request("GET", path, {"X-IDENTITY-HEADER": "idh"})[0], 200)
        log = json.dumps(self.fake.log())
        for secret in ("s3cr3t", "fed-tok", "idh", "fake-secret"):
            self.assertNotIn(secret, log)


# ---------------------------------------------------------------------------

class Arm(FakeCase):
    ARGS = ("--page-size", "2")

    def test_subscriptions(self):
        items, pages = self.follow("/subscriptions?api-version=2022-12-01")
        self.assertEqual([s["subscriptionId"] for s in items], [SUB_R, SUB_M])
        self.assertEqual([s["displayName"] for s in items], ["Research HPC", "Media Rendering"])
        rec = recorded("subscriptions.json")["value"]
        for got, want in zip(items, rec):
            self.assertEqual({k: v for k, v in got.items() if k != "tags"}, want)
        for sub, folder in ((SUB_R, "research-hpc"), (SUB_M, "media-rendering")):
            st, d = self.fake.get_json("/subscriptions/%s?api-version=2022-12-01" % sub)
            self.assertEqual((st, d), (200, recorded(folder + "/subscription.json")))
        st, d = self.fake.get_json("/subscriptions/%s?api-version=2022-12-01" % SUB_R)
        self.assertEqual(d["tags"], {"CostCenter": "CC-4400", "Department": "Research"})
        self.assertEqual(d["tenantId"], TENANT)

    def test_fs_list_paging_matches_recording(self):
        items, pages = self.follow("/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems?api-version=2025-07-01" % SUB_R)
        self.assertEqual([len(p["value"]) for p in pages], [2, 2, 1])
        want = []
        for i in (1, 2, 3):
            want += recorded("research-hpc/amlfilesystems.page%d.json" % i)["value"]
        self.assertEqual(items, want)
        nl = pages[0]["nextLink"]
        self.assertEqual(nl, "%s/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems"
                             "?api-version=2025-07-01&$skipToken=eyJuZXh0IjoyfQ%%3D%%3D" % (self.fake.base, SUB_R))
        self.assertNotIn("nextLink", pages[-1])
        items, pages = self.follow("/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems?api-version=2025-07-01" % SUB_M)
        self.assertEqual(items, recorded("media-rendering/amlfilesystems.page1.json")["value"])
        self.assertIn("nextLink", pages[-1])
        self.assertIsNone(pages[-1]["nextLink"])
        st, d = self.fake.get_json("/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems"
                                   "?api-version=2025-07-01&$skipToken=bogus" % SUB_R)
        self.assertEqual(st, 400)

    def test_rg_list_and_groups(self):
        items, _ = self.follow("/subscriptions/%s/resourceGroups/rg-render-farm/providers/Microsoft.StorageCache/amlFilesystems?api-version=2025-07-01" % SUB_M)
        self.assertEqual([f["id"] for f in items], [FEATURE, DAILIES])
        groups = {SUB_R: ["rg-genomics-prod", "rg-cfd-aero", "rg-ai-training"], SUB_M: ["rg-render-farm", "rg-vfx-sim"]}
        for sub, names in groups.items():
            for rg in names:
                st, g = self.fake.get_json("/subscriptions/%s/resourcegroups/%s?api-version=2021-04-01" % (sub, rg))
                self.assertEqual((st, g), (200, recorded("%s/%s.json" % (slug(sub), rg))))
                self.assertEqual(g["type"], "Microsoft.Resources/resourceGroups")
            st, d = self.fake.get_json("/subscriptions/%s/resourcegroups?api-version=2021-04-01" % sub)
            self.assertEqual([x["name"] for x in d["value"]], names)
        st, g = self.fake.get_json("/subscriptions/%s/resourceGroups/rg-genomics-prod?api-version=2021-04-01" % SUB_R)
        self.assertEqual((g["location"], g["tags"]["CostCenter"]), ("eastus", "CC-4410"))
        st, g = self.fake.get_json("/subscriptions/%s/resourceGroups/rg-ai-training?api-version=2021-04-01" % SUB_R)
        self.assertNotIn("tags", g)

    def test_jobs_match_recording(self):
        for sub, folder in ((SUB_R, "research-hpc"), (SUB_M, "media-rendering")):
            for fid in ALL_FS:
                if sub not in fid:
                    continue
                name = fid.rsplit("/", 1)[1]
                for kind in ("importJobs", "autoExportJobs", "autoImportJobs"):
                    st, d = self.fake.get_json("%s/%s?api-version=2025-07-01" % (fid, kind))
                    self.assertEqual(st, 200)
                    self.assertEqual(d, recorded("%s/%s/%s.json" % (folder, name, kind)))
                    for job in d["value"]:
                        # Canonical URL; the recorded ids may use quirky segments
                        # (".../autoExportJob/{job}"), which ARM would not route.
                        st, j = self.fake.get_json("%s/%s/%s?api-version=2025-07-01" % (fid, kind, job["name"]))
                        self.assertEqual((st, j), (200, job))
                        if "/%s/" % kind.lower() in job["id"].lower():
                            st, j = self.fake.get_json(job["id"] + "?api-version=2025-07-01")
                            self.assertEqual((st, j), (200, job))
        st, d = self.fake.get_json("%s/autoImportJobs?api-version=2024-07-01" % GEN_PROD)
        self.assertEqual(st, 400)
        self.assertEqual(d["error"]["code"], "NoRegisteredProviderFound")

    def test_single_fs_and_case_insensitivity(self):
        st, d = self.fake.get_json(GEN_PROD + "?api-version=2025-07-01")
        self.assertEqual(st, 200)
        self.assertEqual(d["name"], "amlfs-genomics-prod")
        st, d2 = self.fake.get_json(GEN_PROD.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/") + "?API-Version=2025-07-01")
        self.assertEqual((st, d2), (200, d))

    def test_role_assignments(self):
        q = "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()"
        counts = {GEN_PROD: 6, GEN_SCRATCH: 5, CFD_AERO: 4, CFD_TRANSIENT: 4, LLM: 5, FEATURE: 6, DAILIES: 5, VFX: 4}
        for fid, n in counts.items():
            st, d = self.fake.get_json(fid + q)
            self.assertEqual(st, 200)
            self.assertEqual(d, recorded("%s/%s/roles.json" % (slug(fid), fid.rsplit("/", 1)[1])))
            self.assertEqual(len(d["value"]), n, fid)
            for a in d["value"]:
                self.assertEqual(a["type"], "Microsoft.Authorization/roleAssignments")
                p = a["properties"]
                self.assertIn(p["principalType"], ("User", "Group", "ServicePrincipal"))
                self.assertTrue(a["id"].startswith(p["scope"] + "/providers/Microsoft.Authorization/roleAssignments/"))
        # Subscription and group scopes are derived from the recorded assignments.
        st, d = self.fake.get_json("/subscriptions/%s" % SUB_M + q)
        self.assertEqual([a["properties"]["scope"] for a in d["value"]], ["/subscriptions/" + SUB_M] * 4)
        rg = "/subscriptions/%s/resourceGroups/rg-genomics-prod" % SUB_R
        st, d = self.fake.get_json(rg + q)
        self.assertEqual(len(d["value"]), 5)
        st, d = self.fake.get_json(rg + q.replace("&$filter=atScope()", ""))
        self.assertEqual(len(d["value"]), 6)  # + the one on amlfs-genomics-prod below
        st, d = self.fake.get_json(GEN_PROD + q)
        own = [a for a in d["value"] if a["properties"]["scope"] == GEN_PROD]
        self.assertEqual(len(own), 1)
        pid = own[0]["properties"]["principalId"]
        st, d = self.fake.get_json(GEN_PROD + q + quote(" and assignedTo('%s')" % pid))
        self.assertEqual((st, [a["properties"]["principalId"] for a in d["value"]]), (200, [pid]))
        st, d = self.fake.get_json(GEN_PROD + q.replace("atScope()", "bogus()"))
        self.assertEqual(st, 400)

    def test_locks(self):
        q = "/providers/Microsoft.Authorization/locks?api-version=2016-09-01"
        want = {GEN_PROD: ["CanNotDelete"], GEN_SCRATCH: [], CFD_AERO: [], CFD_TRANSIENT: [], LLM: [],
                FEATURE: ["CanNotDelete"], DAILIES: [], VFX: ["ReadOnly"]}
        for fid, levels in want.items():
            st, d = self.fake.get_json(fid + q)
            self.assertEqual(st, 200)
            self.assertEqual(d, recorded("%s/%s/locks.json" % (slug(fid), fid.rsplit("/", 1)[1])))
            self.assertEqual([l["properties"]["level"] for l in d["value"]], levels, fid)
        st, d = self.fake.get_json("/subscriptions/%s/resourceGroups/rg-render-farm" % SUB_M + q)
        self.assertEqual([l["name"] for l in d["value"]], ["DoNotDelete"])  # the lock below the group

    def test_diagnostic_settings(self):
        q = "/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview"
        have = {GEN_PROD, CFD_AERO, FEATURE}
        for fid in ALL_FS:
            st, d = self.fake.get_json(fid + q)
            self.assertEqual(st, 200)
            self.assertEqual(d, recorded("%s/%s/diagnostics.json" % (slug(fid), fid.rsplit("/", 1)[1])))
            self.assertEqual(len(d["value"]), 1 if fid in have else 0, fid)
        st, d = self.fake.get_json(CFD_AERO + q)
        one = d["value"][0]
        st, d = self.fake.get_json(CFD_AERO + "/providers/Microsoft.Insights/diagnosticSettings/%s"
                                   "?api-version=2021-05-01-preview" % one["name"])
        self.assertEqual((st, d), (200, one))

    def test_errors(self):
        cases = [
            ("/subscriptions/%s?api-version=2022-12-01" % uuid.uuid4(), 404, "SubscriptionNotFound"),
            ("/subscriptions/%s/resourceGroups/nope?api-version=2021-04-01" % SUB_R, 404, "ResourceGroupNotFound"),
            ("/subscriptions/%s/resourceGroups/rg-cfd-aero/providers/Microsoft.StorageCache/amlFilesystems/nope?api-version=2025-07-01" % SUB_R,
             404, "ResourceNotFound"),
            ("/subscriptions/%s/providers/Microsoft.Nope/things?api-version=2025-07-01" % SUB_R, 400, "NoRegisteredProviderFound"),
            ("/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems" % SUB_R, 400, "MissingApiVersionParameter"),
            ("/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems?api-version=1999-01-01" % SUB_R,
             400, "NoRegisteredProviderFound"),
            ("/subscriptions?api-version=1999-01-01", 400, "InvalidApiVersionParameter"),
            ("/nothing/here?api-version=2025-07-01", 404, "ResourceNotFound"),
        ]
        for path, status, code in cases:
            st, d = self.fake.get_json(path)
            self.assertEqual((st, d["error"]["code"]), (status, code), path)
            self.assertTrue(d["error"]["message"])

    def test_headers_gzip_keepalive(self):
        path = "/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems?api-version=2025-07-01" % SUB_R
        c = self.fake.conn()
        ids = set()
        plain = None
        for i in range(3):
            st, h, body = self.fake.get(path, conn=c, headers={"x-ms-client-request-id": "cid-%d" % i})
            self.assertEqual(st, 200)
            self.assertEqual(h["content-type"], "application/json; charset=utf-8")
            uuid.UUID(h["x-ms-request-id"])
            uuid.UUID(h["x-ms-correlation-request-id"])
            self.assertTrue(h["x-ms-ratelimit-remaining-subscription-reads"].isdigit())
            self.assertEqual(h["x-ms-client-request-id"], "cid-%d" % i)
            self.assertNotIn("content-encoding", h)
            ids.add(h["x-ms-request-id"])
            plain = body
        self.assertEqual(len(ids), 3)
        sock = c.sock
        st, h, body = self.fake.get(path, conn=c, headers={"Accept-Encoding": "gzip, deflate"})
        self.assertIs(c.sock, sock)  # same TCP connection all along
        self.assertEqual(h["content-encoding"], "gzip")
        self.assertEqual(int(h["content-length"]), len(body))
        self.assertEqual(gzip.decompress(body), plain)
        c.close()
        st, h, body = self.fake.get(path, headers={"Accept-Encoding": "gzip;q=0"})
        self.assertNotIn("content-encoding", h)

    def test_mutating_refused_and_logged(self):
        self.fake.control("POST", "reset-log")
        tok = self.fake.arm()
        calls = [("PUT", GEN_PROD), ("PATCH", GEN_PROD), ("DELETE", GEN_PROD + "/importJobs/import-cohort8-nightly"),
                 ("POST", GEN_PROD + "/archive"),
                 ("POST", "/subscriptions/%s/providers/Microsoft.CostManagement/exports/nightly/run" % SUB_R),
                 ("PUT", "/subscriptions/%s/providers/Microsoft.CostManagement/query" % SUB_R)]
        for method, path in calls:
            st, h, body = self.fake.request(method, path + "?api-version=2025-07-01",
                                            {"Authorization": "Bearer " + tok}, b"{}")
            self.assertEqual(st, 405, (method, path))
            self.assertEqual(json.loads(body)["error"]["code"], "MethodNotAllowed")
        for method in ("HEAD", "OPTIONS"):
            st, _, _ = self.fake.request(method, GEN_PROD + "?api-version=2025-07-01",
                                         {"Authorization": "Bearer " + tok})
            self.assertEqual(st, 405, method)
        self.fake.control("POST", "reset-log")
        for method, path in calls:
            self.fake.request(method, path + "?api-version=2025-07-01", {"Authorization": "Bearer " + tok}, b"{}")
        # Unauthenticated mutating calls are refused the same way.
        st, _, _ = self.fake.request("DELETE", GEN_PROD + "?api-version=2025-07-01")
        self.assertEqual(st, 405)
        st, _ = self.fake.get_json(GEN_PROD + "?api-version=2025-07-01")
        log = self.fake.log()
        self.assertEqual(len(log), len(calls) + 2)
        for e, (method, path) in zip(log, calls):
            self.assertEqual(set(e), {"seq", "method", "path", "query", "status", "fault", "bearer",
                                      "audience", "mutating", "ts"})
            self.assertEqual((e["method"], e["path"], e["status"], e["mutating"], e["bearer"]),
                             (method, path, 405, True, True))
            self.assertEqual(e["query"], "api-version=2025-07-01")
            self.assertEqual(e["audience"], "https://management.azure.com")
        self.assertEqual(log[-2]["bearer"], False)
        self.assertEqual((log[-1]["method"], log[-1]["mutating"], log[-1]["status"]), ("GET", False, 200))
        self.assertEqual([e["seq"] for e in log], sorted(e["seq"] for e in log))
        self.assertNotIn(tok, json.dumps(log))
        st, d = self.fake.control("POST", "reset-log")
        self.assertEqual(d["cleared"], len(log))
        self.assertEqual(self.fake.log(), [])

    def test_estate_facts(self):
        st, d = self.fake.control("GET", "estate")
        self.assertEqual(st, 200)
        self.assertEqual(d["tenantId"], TENANT)
        self.assertEqual(len(d["fileSystems"]), 8)
        self.assertEqual([f["id"] for f in d["fileSystems"]], ALL_FS)


# ---------------------------------------------------------------------------

def metrics_path(fid, names, start="2026-11-01T00:00:00Z", end="2026-11-02T00:00:00Z", flt="ostnum eq '*'",
                 interval="PT1H", aggregation="average", top=10, extra=""):
    q = "api-version=2024-02-01&metricnames=%s&metricnamespace=%s&timespan=%s/%s&interval=%s&aggregation=%s&top=%d" % (
        ",".join(names), quote(NS, safe=""), start, end, interval, aggregation, top)
    if flt is not None:
        q += "&$filter=" + quote(flt, safe="")
    return "%s/providers/Microsoft.Insights/metrics?%s%s" % (fid, q, extra)


def batch_path(region, sub, names=("OSTBytesUsed",), flt="ostnum eq '*'", start="2026-11-01T00:00:00Z",
               end="2026-11-01T06:00:00Z", ns=NS):
    q = "metricnamespace=%s&metricnames=%s&starttime=%s&endtime=%s&interval=PT1H&aggregation=average&top=10&api-version=2023-10-01" % (
        quote(ns, safe=""), ",".join(names), start, end)
    if flt:
        q += "&filter=" + quote(flt, safe="")
    return "/regions/%s/subscriptions/%s/metrics:getBatch?%s" % (region, sub, q)


def epoch(s):
    import datetime
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


class Metrics(FakeCase):
    def meta(self, fid):
        return self.est.fs_meta[fid.lower()]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.est = estate.load_samples()

    def test_ost_capacity_sums(self):
        osts = {GEN_PROD: 8, GEN_SCRATCH: 4, CFD_AERO: 4, LLM: 8, FEATURE: 8, DAILIES: 4, VFX: 4}
        for fid in ALL_FS:
            st, d = self.fake.get_json(metrics_path(fid, ["OSTBytesTotal", "OSTBytesUsed"]))
            self.assertEqual(st, 200, d)
            self.assertEqual(d["interval"], "PT1H")
            self.assertEqual(d["timespan"], "2026-11-01T00:00:00Z/2026-11-02T00:00:00Z")
            self.assertEqual(d["namespace"].lower(), NS.lower())
            total, used = d["value"]
            self.assertEqual(total["name"]["value"], "OSTBytesTotal")
            self.assertEqual(total["unit"], "Bytes")
            self.assertEqual(total["errorCode"], "Success")
            self.assertEqual(total["id"], fid + "/providers/Microsoft.Insights/metrics/OSTBytesTotal")
            if fid == CFD_TRANSIENT:  # Failed file system: no series at all, as recorded
                self.assertEqual((total["timeseries"], used["timeseries"]), ([], []))
                continue
            n = osts[fid]
            self.assertEqual(self.meta(fid)["ost_count"], n)
            self.assertEqual(len(total["timeseries"]), n)
            self.assertEqual([ts["metadatavalues"][0]["value"] for ts in total["timeseries"]], [str(k) for k in range(n)])
            self.assertEqual(total["timeseries"][0]["metadatavalues"][0]["name"]["value"], "ostnum")
            self.assertEqual(len(total["timeseries"][0]["data"]), 24)
            cap = self.meta(fid)["capacity_bytes"]
            self.assertEqual(cap, self.est.filesystems[ALL_FS.index(fid)]["properties"]["storageCapacityTiB"] * 2 ** 40)
            for h in range(24):
                self.assertEqual(sum(ts["data"][h]["average"] for ts in total["timeseries"]), cap)
                t = epoch(used["timeseries"][0]["data"][h]["timeStamp"])
                u = sum(ts["data"][h]["average"] for ts in used["timeseries"])
                self.assertEqual(u, sum(estate.metric_average(self.meta(fid), "OSTBytesUsed", t, k) for k in range(n)))
                self.assertLess(u, cap)

    def test_recorded_window_matches_getbatch_recordings(self):
        """The recorded getBatch requests, replayed against the fake, get the recorded answers."""
        mtok = self.fake.token(METRICS_SCOPE)
        n = 0
        for e in manifest()["entries"]:
            if e.get("method") != "POST" or "metrics:getBatch" not in e["url"]:
                continue
            u = urlsplit(e["url"])
            path = "/regions/%s%s?%s" % (u.hostname.split(".")[0], u.path, u.query)
            st, hd, body = self.fake.request("POST", path, {"Authorization": "Bearer " + mtok,
                                                            "Content-Type": "application/json"},
                                             e["request_body"].encode())
            self.assertEqual(st, 200, body[:300])
            want = recorded(e["body"][len("bodies/"):])
            self.assertEqual(json.loads(body), want, e["url"])
            n += 1
        self.assertEqual(n, 10)

    def test_recorded_series_and_outside_window(self):
        # Inside the recorded window: the recorded numbers, including the one gap.
        st, d = self.fake.get_json(metrics_path(LLM, ["ClientReadThroughput"], start="2026-11-01T03:00:00Z",
                                                end="2026-11-02T03:00:00Z"))
        s5 = d["value"][0]["timeseries"][5]["data"]
        gap = [p for p in s5 if "average" not in p]
        self.assertEqual([p["timeStamp"] for p in gap], ["2026-11-01T17:00:00Z"])
        rec = recorded("research-hpc/metrics-westus3-ost.json")["values"][0]["value"][0]
        self.assertEqual(d["value"][0]["timeseries"], rec["timeseries"])
        # Outside it: rates repeat the recorded day, capacity holds the nearest recorded hour.
        day = 86400
        a = self.fake.get_json(metrics_path(GEN_PROD, ["ClientWriteOps", "OSTBytesUsed"],
                                            start="2026-11-01T03:00:00Z", end="2026-11-02T03:00:00Z"))[1]
        b = self.fake.get_json(metrics_path(GEN_PROD, ["ClientWriteOps", "OSTBytesUsed"],
                                            start="2026-11-22T03:00:00Z", end="2026-11-23T03:00:00Z"))[1]
        for k in range(8):
            self.assertEqual([p["average"] for p in a["value"][0]["timeseries"][k]["data"]],
                             [p["average"] for p in b["value"][0]["timeseries"][k]["data"]])
            last = a["value"][1]["timeseries"][k]["data"][-1]["average"]
            self.assertEqual({p["average"] for p in b["value"][1]["timeseries"][k]["data"]}, {last})
        t = epoch("2026-11-22T05:00:00Z")
        self.assertEqual(estate.metric_average(self.meta(GEN_PROD), "ClientWriteOps", t, 3),
                         estate.metric_average(self.meta(GEN_PROD), "ClientWriteOps", t - 21 * day, 3))
        # Metrics that were not recorded are computed; derived ones agree with the recorded ones.
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["OSTBytesAvailable", "OSTBytesUsed", "OSTBytesTotal",
                                                           "ClientReadLatencyTotal"]))
        av, us, to, lat = d["value"]
        for k in range(8):
            for h in range(24):
                self.assertEqual(av["timeseries"][k]["data"][h]["average"],
                                 to["timeseries"][k]["data"][h]["average"] - us["timeseries"][k]["data"][h]["average"])
                t = epoch(lat["timeseries"][k]["data"][h]["timeStamp"])
                self.assertEqual(lat["timeseries"][k]["data"][h]["average"],
                                 estate.metric_average(self.meta(GEN_PROD), "ClientReadLatencyTotal", t, k))

    def test_rates_deterministic(self):
        p = metrics_path(GEN_PROD, ["ClientReadThroughput", "ClientWriteOps"], aggregation="average,minimum,maximum,total,count")
        st, a = self.fake.get_json(p)
        st2, b = self.fake.get_json(p + "&x=1")  # bypass the cache: same numbers
        self.assertEqual(a["value"], b["value"])
        vals = []
        for name, m in zip(("ClientReadThroughput", "ClientWriteOps"), a["value"]):
            for k, ts in enumerate(m["timeseries"]):
                for pt in ts["data"]:
                    t = epoch(pt["timeStamp"])
                    avg = estate.metric_average(self.meta(GEN_PROD), name, t, k)
                    self.assertEqual(pt["average"], avg)
                    self.assertEqual(pt["minimum"], avg // 2)
                    self.assertEqual(pt["maximum"], avg + avg // 2)
                    self.assertEqual(pt["total"], avg * 60)
                    self.assertEqual(pt["count"], 60)
                    vals.append(avg)
        self.assertGreater(len(set(vals)), 50)

    def test_mdt_and_unsplit(self):
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["MDTBytesUsed", "MDTBytesTotal", "MDTFilesUsed"], flt="mdtnum eq '*'"))
        self.assertEqual(st, 200, d)
        for m in d["value"]:
            self.assertEqual(len(m["timeseries"]), 1)
            self.assertEqual(m["timeseries"][0]["metadatavalues"][0], {"name": {"value": "mdtnum", "localizedValue": "mdtnum"}, "value": "0"})
        cap = self.meta(GEN_PROD)["capacity_bytes"]
        self.assertEqual(d["value"][1]["timeseries"][0]["data"][0]["average"], cap // 64)
        t = epoch(d["value"][0]["timeseries"][0]["data"][0]["timeStamp"])
        self.assertEqual(d["value"][0]["timeseries"][0]["data"][0]["average"],
                         estate.metric_average(self.meta(GEN_PROD), "MDTBytesUsed", t, 0))
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["OSTBytesTotal"], flt=None))
        ts = d["value"][0]["timeseries"]
        self.assertEqual((len(ts), ts[0]["metadatavalues"]), (1, []))
        self.assertEqual(ts[0]["data"][0]["average"], cap / 8)
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["OSTBytesTotal"], flt="ostnum eq '1' or ostnum eq '3'"))
        self.assertEqual([t["metadatavalues"][0]["value"] for t in d["value"][0]["timeseries"]], ["1", "3"])
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["OSTBytesTotal"], top=2))
        self.assertEqual(len(d["value"][0]["timeseries"]), 2)
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["OSTBytesTotal"], interval="FULL"))
        self.assertEqual(len(d["value"][0]["timeseries"][0]["data"]), 1)
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["LustreClientEvictions"], flt=None))
        self.assertEqual(st, 200)
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["OSTBytesUsed"], interval="PT15M",
                                                start="2026-11-01T03:00:00Z", end="2026-11-01T04:00:00Z"))
        self.assertEqual(len(d["value"][0]["timeseries"][0]["data"]), 4)

    def test_metric_errors(self):
        for p, frag in ((metrics_path(GEN_PROD, ["NoSuchMetric"]), "NoSuchMetric"),
                        (metrics_path(GEN_PROD, ["MDTBytesUsed"]), "dimension"),
                        (metrics_path(GEN_PROD, ["OSTBytesUsed"], interval="PT2H"), "grain"),
                        (metrics_path(GEN_PROD, ["OSTBytesUsed"], aggregation="median"), "aggregation"),
                        (metrics_path(GEN_PROD, ["OSTBytesUsed"], start="2026-11-02T00:00:00Z", end="2026-11-01T00:00:00Z"), "after"),
                        (metrics_path(GEN_PROD, ["OSTBytesUsed"]).replace("metricnamespace=", "metricnamespace=Microsoft.Foo%2Fbar&x="), "namespace")):
            st, d = self.fake.get_json(p)
            self.assertEqual(st, 400, p)
            self.assertEqual(d["error"]["code"], "BadRequest")
            self.assertIn(frag, d["error"]["message"])
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["MDTBytesUsed"], extra="&ValidateDimensions=false"))
        self.assertEqual(st, 200)
        st, d = self.fake.get_json(metrics_path(GEN_PROD, ["OSTBytesUsed"], interval="PT2H", extra="&AutoAdjustTimegrain=true"))
        self.assertEqual((st, d["interval"]), (200, "PT1H"))

    def test_metric_definitions(self):
        st, d = self.fake.get_json(GEN_PROD + "/providers/Microsoft.Insights/metricDefinitions?api-version=2024-02-01&metricnamespace=" + quote(NS, safe=""))
        self.assertEqual(st, 200)
        names = {m["name"]["value"] for m in d["value"]}
        self.assertTrue({"ClientReadThroughput", "ClientWriteThroughput", "ClientReadOps", "ClientWriteOps",
                         "OSTBytesUsed", "OSTBytesTotal", "MDTBytesUsed", "MDTBytesTotal", "MDTFilesUsed"} <= names)

    def test_batch(self):
        mtok = self.fake.token(METRICS_SCOPE)
        st, d = self.fake.post_json(batch_path("eastus", SUB_R, names=("OSTBytesTotal", "ClientReadOps")),
                                    {"resourceids": [GEN_PROD, GEN_SCRATCH]}, mtok)
        self.assertEqual(st, 200, d)
        self.assertEqual([v["resourceid"] for v in d["values"]], [GEN_PROD, GEN_SCRATCH])
        v = d["values"][0]
        for k in ("starttime", "endtime", "interval", "namespace", "resourceregion", "resourceid", "value"):
            self.assertIn(k, v)
        self.assertEqual((v["starttime"], v["endtime"], v["resourceregion"]), ("2026-11-01T00:00:00Z", "2026-11-01T06:00:00Z", "eastus"))
        self.assertEqual(sum(ts["data"][0]["average"] for ts in v["value"][0]["timeseries"]), 128 * 2 ** 40)
        # Same numbers as the per-resource API.
        st, single = self.fake.get_json(metrics_path(GEN_PROD, ["OSTBytesTotal", "ClientReadOps"], end="2026-11-01T06:00:00Z"))
        self.assertEqual(single["value"], v["value"])
        bad = [
            (batch_path("westus", SUB_R), {"resourceids": [GEN_PROD]}),                      # wrong region
            (batch_path("eastus", SUB_M), {"resourceids": [GEN_PROD]}),                      # wrong subscription
            (batch_path("eastus", SUB_R), {"resourceids": [GEN_PROD] * 51}),                 # > 50
            (batch_path("eastus", SUB_R), {"resourceids": []}),
            (batch_path("eastus", SUB_R), {"ids": [GEN_PROD]}),
            (batch_path("eastus", SUB_R, names=("Nope",)), {"resourceids": [GEN_PROD]}),
            (batch_path("eastus", SUB_R, ns="Microsoft.Compute/virtualMachines"), {"resourceids": [GEN_PROD]}),
            (batch_path("eastus", SUB_R) + "x", {"resourceids": [GEN_PROD]}),               # bad api-version
        ]
        for path, doc in bad:
            st, d = self.fake.post_json(path, doc, mtok)
            self.assertEqual(st, 400, (path, doc, d))
            self.assertIn("error", d)
        st, d = self.fake.post_json(batch_path("eastus", SUB_R), {"resourceids": [GEN_PROD] * 50}, mtok)
        self.assertEqual((st, len(d["values"])), (200, 50))


# ---------------------------------------------------------------------------

ARG = "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"
AMLFS_Q = "resources | where type =~ 'Microsoft.StorageCache/amlFilesystems' | order by id asc"


class ResourceGraph(FakeCase):
    ARGS = ("--page-size", "3")

    def pages(self, body):
        out = []
        body = json.loads(json.dumps(body))
        for _ in range(20):
            st, d = self.fake.post_json(ARG, body)
            self.assertEqual(st, 200, d)
            out.append(d)
            tok = d.get("$skipToken")
            if not tok:
                break
            body.setdefault("options", {})["$skipToken"] = tok
        return out

    def test_paging_and_rows(self):
        pages = self.pages({"query": AMLFS_Q})
        self.assertEqual([p["count"] for p in pages], [3, 3, 2])
        for p in pages:
            self.assertEqual(p["totalRecords"], 8)
            self.assertEqual(p["resultTruncated"], "false")
            self.assertEqual(p["facets"], [])
        rows = [r for p in pages for r in p["data"]]
        self.assertEqual([r["id"] for r in rows], ALL_FS)
        r = rows[0]
        self.assertEqual((r["subscriptionId"], r["resourceGroup"]), (SUB_R, "rg-genomics-prod"))
        self.assertEqual(r["type"], "microsoft.storagecache/amlfilesystems")
        self.assertEqual(r["properties"]["storageCapacityTiB"], 128)
        self.assertEqual(r["tenantId"], TENANT)
        for k in ("sku", "tags", "location", "zones", "identity"):
            self.assertIn(k, r)
        pages = self.pages({"query": AMLFS_Q, "options": {"$top": 1}})
        self.assertEqual(len(pages), 8)

    def test_subscription_scope_and_table(self):
        pages = self.pages({"subscriptions": [SUB_M], "query": AMLFS_Q, "options": {"resultFormat": "table"}})
        self.assertEqual(pages[0]["totalRecords"], 3)
        cols = [c["name"] for c in pages[0]["data"]["columns"]]
        self.assertIn("subscriptionId", cols)
        rows = [r for p in pages for r in p["data"]["rows"]]
        self.assertEqual([r[cols.index("id")] for r in rows], [FEATURE, DAILIES, VFX])
        pages = self.pages({"subscriptions": [str(uuid.uuid4())], "query": AMLFS_Q})
        self.assertEqual((pages[0]["totalRecords"], pages[0]["data"]), (0, []))

    def test_errors(self):
        for body in ({"query": "resources | where type =~ 'microsoft.compute/virtualmachines'"}, {"subscriptions": [SUB_R]},
                     {"query": AMLFS_Q, "options": {"$top": 0}}, {"query": AMLFS_Q, "options": {"$skipToken": "zzz"}}):
            st, d = self.fake.post_json(ARG, body)
            self.assertEqual(st, 400, body)
            self.assertIn("details", d["error"])
        first = self.fake.post_json(ARG, {"query": AMLFS_Q})[1]
        st, d = self.fake.post_json(ARG, {"query": AMLFS_Q + " | project id", "options": {"$skipToken": first["$skipToken"]}})
        self.assertEqual(st, 400)
        st, d = self.fake.get_json(ARG)
        self.assertEqual(st, 405)


# ---------------------------------------------------------------------------

SUBS_PATH = "/subscriptions?api-version=2022-12-01"
FS_LIST = "/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems?api-version=2025-07-01" % SUB_R


class Faults(FakeCase):
    ARGS = ("--page-size", "2")

    def setUp(self):
        self.fake.faults([])

    def test_runtime_install(self):
        self.fake.faults([{"match": r"^/subscriptions\?", "action": "429", "retry_after": "1"}])
        st, h, body = self.fake.get(SUBS_PATH)
        self.assertEqual(st, 429)
        self.assertEqual(h["retry-after"], "1")
        self.assertEqual(json.loads(body)["error"]["code"], "TooManyRequests")
        self.assertEqual(self.fake.get(SUBS_PATH)[0], 200)

    def test_429_variants(self):
        hdr = "x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after"
        date = "Wed, 21 Oct 2026 07:28:00 GMT"
        self.fake.faults([{"match": "amlFilesystems", "action": "429", "retry_after": "7", "header": hdr},
                          {"match": "subscriptions\\?", "action": "429", "retry_after": date},
                          {"match": "resourcegroups", "action": "429"}])
        st, h, _ = self.fake.get(FS_LIST)
        self.assertEqual((st, h[hdr]), (429, "7"))
        self.assertNotIn("retry-after", h)
        st, h, _ = self.fake.get(SUBS_PATH)
        self.assertEqual((st, h["retry-after"]), (429, date))
        st, h, _ = self.fake.get("/subscriptions/%s/resourcegroups?api-version=2021-04-01" % SUB_R)
        self.assertEqual(st, 429)
        self.assertNotIn("retry-after", h)

    def test_5xx(self):
        self.fake.faults([{"match": "amlFilesystems", "action": "500"},
                          {"match": "amlFilesystems", "action": "503", "retry_after": "2"},
                          {"match": "amlFilesystems", "action": "502_html"}])
        st, h, body = self.fake.get(FS_LIST)
        self.assertEqual((st, json.loads(body)["error"]["code"]), (500, "InternalServerError"))
        st, h, body = self.fake.get(FS_LIST)
        self.assertEqual((st, h["retry-after"], json.loads(body)["error"]["code"]), (503, "2", "ServiceUnavailable"))
        st, h, body = self.fake.get(FS_LIST)
        self.assertEqual(st, 502)
        self.assertTrue(h["content-type"].startswith("text/html"))
        self.assertIn(b"<html>", body)
        self.assertEqual(self.fake.get(FS_LIST)[0], 200)

    def test_reset(self):
        self.fake.faults([{"match": "amlFilesystems", "action": "reset"}])
        self.fake.control("POST", "reset-log")
        with self.assertRaises(ConnectionResetError):
            self.fake.get(FS_LIST)
        self.assertEqual(self.fake.get(FS_LIST)[0], 200)
        log = self.fake.log()
        self.assertEqual((log[0]["fault"], log[0]["status"]), ("reset", None))
        self.assertEqual((log[1]["fault"], log[1]["status"]), (None, 200))

    def test_slow(self):
        self.fake.faults([{"match": "amlFilesystems", "action": "slow", "delay_ms": 400}])
        t = time.time()
        st, _, _ = self.fake.get(FS_LIST)
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.time() - t, 0.38)
        t = time.time()
        self.fake.get(FS_LIST)
        self.assertLess(time.time() - t, 0.3)

    def test_truncate(self):
        self.fake.faults([{"match": "amlFilesystems", "action": "truncate"}])
        c = self.fake.conn()
        c.request("GET", FS_LIST, headers={"Authorization": "Bearer " + self.fake.arm()})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        with self.assertRaises(http.client.IncompleteRead):
            r.read()
        c.close()

    def test_invalid_json(self):
        self.fake.faults([{"match": "amlFilesystems", "action": "invalid_json"}])
        st, h, body = self.fake.get(FS_LIST)
        self.assertEqual(st, 200)
        with self.assertRaises(ValueError):
            json.loads(body)

    def test_401_expired(self):
        tok = self.fake.token()
        self.fake.faults([{"match": "amlFilesystems", "action": "401_expired"}])
        st, h, body = self.fake.get(FS_LIST, tok)
        self.assertEqual((st, json.loads(body)["error"]["code"]), (401, "ExpiredAuthenticationToken"))
        self.assertIn("www-authenticate", h)
        st, h, body = self.fake.get(SUBS_PATH, tok)  # the token is forgotten
        self.assertEqual(st, 401)
        self.assertEqual(self.fake.get(FS_LIST, self.fake.token())[0], 200)

    def test_next_link_loop(self):
        self.fake.faults([{"match": "amlFilesystems", "action": "next_link_loop", "times": -1}])
        st, d = self.fake.get_json(FS_LIST)
        self.assertEqual(d["nextLink"], self.fake.base + FS_LIST)
        st, d2 = self.fake.get_json(d["nextLink"])
        self.assertEqual(d2["nextLink"], d["nextLink"])
        self.fake.faults([{"match": "ResourceGraph", "action": "next_link_loop", "times": -1}])
        st, a = self.fake.post_json(ARG, {"query": AMLFS_Q})
        st, b = self.fake.post_json(ARG, {"query": AMLFS_Q, "options": {"$skipToken": a["$skipToken"]}})
        self.assertEqual(a["data"], b["data"])
        self.assertEqual(a["$skipToken"], b["$skipToken"])

    def test_skip_times_method(self):
        self.fake.faults([{"match": "amlFilesystems", "method": "GET", "skip": 1, "times": 2, "action": "500"}])
        self.assertEqual([self.fake.get(FS_LIST)[0] for _ in range(5)], [200, 500, 500, 200, 200])
        st, d = self.fake.control("GET", "faults")
        self.assertEqual((d[0]["seen"], d[0]["applied"]), (5, 2))
        self.fake.faults([{"match": "ResourceGraph", "method": "GET", "action": "500", "times": -1}])
        self.assertEqual(self.fake.post_json(ARG, {"query": AMLFS_Q})[0], 200)
        self.fake.faults([{"match": "amlFilesystems", "action": "503", "times": -1}])
        self.assertEqual([self.fake.get(FS_LIST)[0] for _ in range(4)], [503] * 4)

    def test_custom_headers_and_token_endpoint(self):
        self.fake.faults([
            {"match": "amlFilesystems", "action": "custom", "status": 400,
             "body": {"code": "BadRequest", "message": "flat error shape"}},
            {"match": "subscriptions\\?", "action": "headers",
             "headers": {"x-ms-ratelimit-remaining-subscription-reads": "3"}},
            {"match": "oauth2/v2.0/token", "action": "500"},
        ])
        st, h, body = self.fake.get(FS_LIST)
        self.assertEqual((st, json.loads(body)), (400, {"code": "BadRequest", "message": "flat error shape"}))
        st, h, body = self.fake.get(SUBS_PATH)
        self.assertEqual(st, 200)
        self.assertEqual(h["x-ms-ratelimit-remaining-subscription-reads"], "3")
        self.assertEqual(self.fake.token_raw(client_secret="fake-secret")[0], 500)
        self.assertEqual(self.fake.token_raw(client_secret="fake-secret")[0], 200)

    def test_bad_rules_and_log_fault_names(self):
        for bad in ({"match": "x"}, [{"action": "500"}], [{"match": "(", "action": "500"}],
                    [{"match": "x", "action": "explode"}], [{"match": "x", "action": "500", "times": "2"}]):
            st, d = self.fake.control("POST", "faults", bad)
            self.assertEqual(st, 400, bad)
        self.fake.control("POST", "reset-log")
        self.fake.faults([{"match": "amlFilesystems", "action": "503"}])
        self.fake.get(FS_LIST)
        log = self.fake.log()
        self.assertEqual((log[-1]["fault"], log[-1]["status"]), ("503", 503))


class LoadedFaultFile(FakeCase):
    FAULTS = [{"match": r"^/subscriptions\?", "action": "429", "retry_after": "1", "times": 1}]

    def test_rule_from_file(self):
        st, h, _ = self.fake.get(SUBS_PATH)
        self.assertEqual((st, h["retry-after"]), (429, "1"))
        self.assertEqual(self.fake.get(SUBS_PATH)[0], 200)


# ---------------------------------------------------------------------------

class Latency(FakeCase):
    ARGS = ("--latency-ms", "200")

    def test_latency_overlaps(self):
        self.fake.arm()
        t = time.time()
        self.assertEqual(self.fake.get(SUBS_PATH)[0], 200)
        self.assertGreaterEqual(time.time() - t, 0.19)
        t = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            sts = list(ex.map(lambda _: self.fake.get(SUBS_PATH)[0], range(8)))
        self.assertEqual(sts, [200] * 8)
        self.assertLess(time.time() - t, 0.19 * 8 / 2)
        t = time.time()
        self.assertEqual(self.fake.request("GET", "/_fake/health")[2], b"ok")
        self.assertGreaterEqual(time.time() - t, 0.19)  # control endpoints too


class FileLog(unittest.TestCase):
    def test_log_file(self):
        d = tempfile.mkdtemp(prefix="fake-azure-log-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "requests.jsonl")
        fake = Fake("--log", path)
        try:
            fake.get(SUBS_PATH)
            fake.request("PUT", GEN_PROD + "?api-version=2025-07-01", body=b"{}")
        finally:
            self.assertEqual(fake.stop(), 0)
        with open(path) as f:
            lines = [json.loads(l) for l in f]
        self.assertEqual([(l["method"], l["status"], l["mutating"]) for l in lines],
                         [("POST", 200, False), ("GET", 200, False), ("PUT", 405, True)])
        with open(path) as f:
            text = f.read()
        self.assertNotIn("fake-secret", text)
        self.assertNotIn("eyJ", text.replace('"path"', ""))  # no JWT


class Generated(unittest.TestCase):
    def test_generated_estate(self):
        a = estate.build("generated:3:7").facts()
        b = estate.build("generated:3:7").facts()
        self.assertEqual(a, b)
        self.assertEqual((len(a["subscriptions"]), len(a["fileSystems"])), (3, 21))
        self.assertEqual(len({f["id"].lower() for f in a["fileSystems"]}), 21)
        fake = Fake("--estate", "generated:3:7", "--page-size", "5")
        try:
            subs, _ = follow(fake, SUBS_PATH)
            self.assertEqual([s["subscriptionId"] for s in subs], [s["subscriptionId"] for s in a["subscriptions"]])
            for s in subs:
                items, pages = follow(fake, "/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems?api-version=2025-07-01" % s["subscriptionId"])
                self.assertEqual([len(p["value"]) for p in pages], [5, 2])
                for fs in items:
                    for kind in ("importJobs", "autoExportJobs", "autoImportJobs"):
                        st, d = fake.get_json("%s/%s?api-version=2025-07-01" % (fs["id"], kind))
                        self.assertEqual(st, 200)
                        for job in d["value"]:
                            self.assertTrue(job["id"].lower().startswith(fs["id"].lower() + "/"))
            st, d = fake.post_json(ARG, {"query": AMLFS_Q, "options": {"$top": 1000}})
            self.assertEqual(d["totalRecords"], 21)
            fid = a["fileSystems"][0]["id"]
            st, d = fake.get_json(metrics_path(fid, ["OSTBytesTotal"]))
            self.assertEqual(sum(t["data"][0]["average"] for t in d["value"][0]["timeseries"]),
                             a["fileSystems"][0]["capacityBytes"])
        finally:
            self.assertEqual(fake.stop(), 0)


# ---------------------------------------------------------------------------
# Cost Management Query API
# ---------------------------------------------------------------------------

COST_AV = "2025-03-01"
OCT_FROM, OCT_TO = "2026-10-01T00:00:00Z", "2026-10-31T23:59:59Z"
FS_TYPE_FILTER = {"dimensions": {"name": "ResourceType", "operator": "In",
                                 "values": ["microsoft.storagecache/amlfilesystems"]}}
QPU = "x-ms-ratelimit-microsoft.costmanagement-qpu-"
STORAGE_GEN = "/subscriptions/%s/resourceGroups/rg-genomics-prod/providers/Microsoft.Storage/storageAccounts/stgenomicsarchive01" % SUB_R
RESEARCH_FS = [GEN_PROD, GEN_SCRATCH, CFD_AERO, CFD_TRANSIENT, LLM]
MEDIA_FS = [FEATURE, DAILIES, VFX]
# name -> (TiB, SKU tier rate per TiB-hour, meter)
FS_PRICE = {"amlfs-genomics-prod": (128, 0.233, "Durable Premium-125 Capacity"),
            "amlfs-genomics-scratch": (32, 0.64, "Durable Premium-500 Capacity"),
            "amlfs-cfd-aero-01": (16, 0.377, "Durable Premium-250 Capacity"),
            "amlfs-cfd-transient": (48, 0.096, "Durable Premium-40 Capacity"),
            "amlfs-llm-scratch": (64, 0.64, "Durable Premium-500 Capacity"),
            "amlfs-render-feature-film": (480, 0.096, "Durable Premium-40 Capacity"),
            "amlfs-render-dailies": (24, 0.377, "Durable Premium-250 Capacity"),
            "amlfs-vfx-sim": (32, 0.233, "Durable Premium-125 Capacity")}


def cost_body(ctype="ActualCost", frm=OCT_FROM, to=OCT_TO, granularity="Daily", grouping=("ResourceId", "Meter"),
              flt=FS_TYPE_FILTER, agg=None, timeframe="Custom"):
    """The body amlfs-audit sends (E.1), with variations."""
    ds = {"granularity": granularity,
          "aggregation": agg or {"totalCost": {"name": "Cost", "function": "Sum"}},
          "grouping": [{"type": "Dimension", "name": g} if isinstance(g, str) else g for g in grouping]}
    if flt is not None:
        ds["filter"] = flt
    body = {"type": ctype, "timeframe": timeframe}
    if timeframe == "Custom":
        body["timePeriod"] = {"from": frm, "to": to}
    body["dataset"] = ds
    return body


def cost_path(scope, av=COST_AV, extra=""):
    return "/%s/providers/Microsoft.CostManagement/query?api-version=%s%s" % (scope, av, extra)


def expected_daily(fid, day, ctype="ActualCost"):
    """Independent re-statement of the README formula for a file system."""
    import hashlib
    name = fid.rsplit("/", 1)[1]
    tib, rate, _ = FS_PRICE[name]
    h = hashlib.sha256(("%s|%d" % (fid.lower(), day)).encode()).digest()
    v = tib * 24 * rate * (0.98 + 0.04 * (int.from_bytes(h[:8], "big") / 2.0 ** 64))
    if ctype == "AmortizedCost" and name == "amlfs-genomics-prod":
        v *= 0.8
    return v


def cost_follow(fake, path, body, token=None):
    """POSTs body to path, then the same body to every nextLink.
    -> (all rows, pages, response headers of every page)."""
    rows, pages, heads = [], [], []
    url = path
    for _ in range(200):
        st, h, raw = fake.request("POST", url, {"Authorization": "Bearer " + (token or fake.arm()),
                                                "Content-Type": "application/json"},
                                  json.dumps(body, separators=(",", ":")).encode())
        if st != 200:
            raise AssertionError("%s -> %s %s" % (url, st, raw[:300]))
        d = json.loads(raw)
        pages.append(d)
        heads.append(h)
        rows += d["properties"]["rows"]
        url = d["properties"]["nextLink"]
        if not url:
            break
    return rows, pages, heads


def by_col(d, rows=None):
    names = [c["name"] for c in d["properties"]["columns"]]
    return [dict(zip(names, r)) for r in (d["properties"]["rows"] if rows is None else rows)]


class CostQuery(FakeCase):
    def setUp(self):
        self.fake.faults([])

    def post(self, path, body, token=None, raw=None):
        h = {"Authorization": "Bearer " + (token or self.fake.arm()), "Content-Type": "application/json"}
        st, hd, data = self.fake.request("POST", path, h, raw if raw is not None else json.dumps(body).encode())
        return st, hd, (json.loads(data) if data else None)

    def test_shape_and_paging(self):
        self.fake.control("POST", "reset-log")
        path = cost_path("subscriptions/" + SUB_R)
        rows, pages, heads = cost_follow(self.fake, path, cost_body())
        self.assertEqual([len(p["properties"]["rows"]) for p in pages], [50, 50, 50, 5])
        d = pages[0]
        self.assertEqual(list(d), ["id", "name", "type", "location", "sku", "eTag", "tags", "properties"])
        self.assertRegex(d["id"], r"^subscriptions/%s/providers/Microsoft\.CostManagement/Query/[0-9a-f-]{36}$" % SUB_R)
        self.assertEqual(d["id"].rsplit("/", 1)[1], d["name"])
        self.assertEqual(d["type"], "microsoft.costmanagement/Query")
        self.assertEqual([d[k] for k in ("location", "sku", "eTag", "tags")], [None] * 4)
        self.assertEqual(list(d["properties"]), ["nextLink", "columns", "rows"])
        self.assertEqual(d["properties"]["columns"], [
            {"name": "Cost", "type": "Number"}, {"name": "UsageDate", "type": "Number"},
            {"name": "ResourceId", "type": "String"}, {"name": "Meter", "type": "String"},
            {"name": "Currency", "type": "String"}])
        for p in pages[:-1]:
            nl = p["properties"]["nextLink"]
            self.assertTrue(nl.startswith("%s/subscriptions/%s/providers/Microsoft.CostManagement/query?"
                                          "api-version=2025-03-01&$skiptoken=" % (self.fake.base, SUB_R)), nl)
            self.assertIn("%3D", nl)
        self.assertIn("nextLink", pages[-1]["properties"])
        self.assertIsNone(pages[-1]["properties"]["nextLink"])
        self.assertEqual(len({p["name"] for p in pages}), 4)
        self.assertEqual(len(rows), 5 * 31)
        seen = {}
        for cost, date, rid, meter, cur in rows:
            self.assertIs(type(cost), float)
            self.assertIs(type(date), int)
            self.assertEqual(rid, rid.lower())
            self.assertEqual(cur, "USD")
            self.assertEqual(meter, FS_PRICE[rid.rsplit("/", 1)[1]][2])
            seen.setdefault(rid, []).append(date)
        self.assertEqual(set(seen), {f.lower() for f in RESEARCH_FS})
        for dates in seen.values():
            self.assertEqual(sorted(dates), list(range(20261001, 20261032)))
        self.assertEqual(rows, sorted(rows, key=lambda r: (r[1], r[2], r[3])))
        for h in heads:
            self.assertEqual((h[QPU + "consumed"], h[QPU + "remaining"]), ("1", "60"))
            self.assertTrue(h["content-type"].startswith("application/json"))
        log = self.fake.log()
        self.assertEqual([(e["method"], e["status"], e["mutating"], e["fault"]) for e in log],
                         [("POST", 200, False, None)] * 4)
        self.assertIn("$skiptoken=", log[1]["query"])
        rows, pages, _ = cost_follow(self.fake, cost_path("subscriptions/" + SUB_M), cost_body())
        self.assertEqual((len(rows), len(pages)), (3 * 31, 2))
        self.assertEqual({r[4] for r in rows}, {"EUR"})
        self.assertEqual({r[2] for r in rows}, {f.lower() for f in MEDIA_FS})

    def test_next_page_needs_same_body(self):
        path = cost_path("subscriptions/" + SUB_R)
        body = cost_body()
        st, _, d = self.post(path, body)
        nl = d["properties"]["nextLink"]
        # Same body, other key order and spacing: the same query.
        st, _, d2 = self.post(nl, None, raw=json.dumps(dict(reversed(list(body.items())))).encode())
        self.assertEqual(st, 200)
        self.assertEqual(len(d2["properties"]["rows"]), 50)
        self.assertNotEqual(d2["properties"]["rows"][0], d["properties"]["rows"][0])
        st, _, e = self.post(nl, cost_body(ctype="AmortizedCost"))
        self.assertEqual((st, e["error"]["code"]), (400, "BadRequest"))
        self.assertIn("skiptoken", e["error"]["message"])
        st, _, e = self.post(nl.replace(SUB_R, SUB_M), body)
        self.assertEqual(st, 400)
        st, _, e = self.post(path + "&$skiptoken=garbage", body)
        self.assertEqual((st, e["error"]["code"]), (400, "BadRequest"))
        # $top caps the page size and stays in the nextLink.
        rows, pages, _ = cost_follow(self.fake, path + "&$top=40", body)
        self.assertEqual([len(p["properties"]["rows"]) for p in pages], [40, 40, 40, 35])
        self.assertIn("&$top=40&", pages[0]["properties"]["nextLink"])

    def test_expected_values(self):
        rows, _, _ = cost_follow(self.fake, cost_path("subscriptions/" + SUB_R), cost_body())
        for cost, date, rid, meter, cur in rows:
            self.assertAlmostEqual(cost, expected_daily(rid, date), delta=1e-9 * cost)
            tib, rate, _ = FS_PRICE[rid.rsplit("/", 1)[1]]
            self.assertTrue(0.98 * tib * 24 * rate <= cost < 1.02 * tib * 24 * rate)
        st, ctl = self.fake.control("GET", "costs?scope=subscriptions/%s&type=ActualCost&from=2026-10-01&to=2026-10-31" % SUB_R)
        self.assertEqual(st, 200)
        self.assertEqual((ctl["days"], ctl["rows"], ctl["pages"], ctl["today"]), (31, 155, 4, "2026-11-02"))
        self.assertEqual([r["resourceId"] for r in ctl["resources"]], [f.lower() for f in RESEARCH_FS])
        sums = {}
        for r in rows:
            sums[r[2]] = sums.get(r[2], 0.0) + r[0]
        for r in ctl["resources"]:
            self.assertAlmostEqual(sums[r["resourceId"]], r["total"], delta=1e-9 * r["total"])
            tib, rate, meter = FS_PRICE[r["name"]]
            self.assertEqual((r["meter"], r["currency"], r["days"], r["quantity"]), (meter, "USD", 31, tib * 24 * 31))
        self.assertAlmostEqual(ctl["totals"]["USD"], sum(sums.values()), delta=1e-6)
        # The October 2026 ActualCost totals the README lists.
        listed = {"amlfs-genomics-prod": 22137.303698, "amlfs-genomics-scratch": 15200.917901,
                  "amlfs-cfd-aero-01": 4483.229468, "amlfs-cfd-transient": 3417.647646,
                  "amlfs-llm-scratch": 30435.847426}
        self.assertEqual({r["name"]: round(r["total"], 6) for r in ctl["resources"]}, listed)
        _, media = self.fake.control("GET", "costs?scope=subscriptions/%s&from=2026-10-01&to=2026-10-31" % SUB_M)
        self.assertEqual({r["name"]: (round(r["total"], 6), r["currency"]) for r in media["resources"]},
                         {"amlfs-render-feature-film": (34301.419909, "EUR"), "amlfs-render-dailies": (6743.678227, "EUR"),
                          "amlfs-vfx-sim": (5554.736147, "EUR")})
        # Totals per resource (granularity None) equal the control endpoint's exactly.
        st, _, d = self.post(cost_path("subscriptions/" + SUB_R), cost_body(granularity="None", grouping=("ResourceId",)))
        self.assertEqual([c["name"] for c in d["properties"]["columns"]], ["Cost", "ResourceId", "Currency"])
        self.assertEqual({r["ResourceId"]: r["Cost"] for r in by_col(d)},
                         {r["resourceId"]: r["total"] for r in ctl["resources"]})
        # AmortizedCost: 20 % lower for amlfs-genomics-prod only; Usage = ActualCost.
        st, amo = self.fake.control("GET", "costs?scope=subscriptions/%s&type=AmortizedCost&from=2026-10-01&to=2026-10-31" % SUB_R)
        st, use = self.fake.control("GET", "costs?scope=subscriptions/%s&type=Usage&from=2026-10-01&to=2026-10-31" % SUB_R)
        for a, u, c in zip(amo["resources"], use["resources"], ctl["resources"]):
            f = 0.8 if a["name"] == "amlfs-genomics-prod" else 1.0
            self.assertAlmostEqual(a["total"], c["total"] * f, delta=1e-9 * c["total"])
            self.assertEqual(u["total"], c["total"])
        rows_a, _, _ = cost_follow(self.fake, cost_path("subscriptions/" + SUB_R), cost_body(ctype="AmortizedCost"))
        for (ca, da, ra, _, _), (cb, db, rb, _, _) in zip(rows_a, rows):
            self.assertEqual((da, ra), (db, rb))
            self.assertAlmostEqual(ca, cb * (0.8 if ra.endswith("/amlfs-genomics-prod") else 1.0), delta=1e-9 * cb)
        # Two measures: CostUSD = Cost x 1.08 in EUR, UsageQuantity = TiB x 24 per day.
        agg = {"c": {"name": "PreTaxCost", "function": "Sum"}, "q": {"name": "UsageQuantity", "function": "Sum"}}
        st, _, d = self.post(cost_path("subscriptions/" + SUB_M), cost_body(granularity="None", grouping=("ResourceId",), agg=agg))
        self.assertEqual([c["name"] for c in d["properties"]["columns"]], ["PreTaxCost", "UsageQuantity", "ResourceId", "Currency"])
        for r in by_col(d):
            self.assertEqual(r["UsageQuantity"], FS_PRICE[r["ResourceId"].rsplit("/", 1)[1]][0] * 24 * 31)
        agg = {"c": {"name": "Cost", "function": "Sum"}, "u": {"name": "CostUSD", "function": "Sum"}}
        st, _, d = self.post(cost_path("subscriptions/" + SUB_M), cost_body(granularity="None", grouping=("ResourceId",), agg=agg))
        for r in by_col(d):
            self.assertAlmostEqual(r["CostUSD"], r["Cost"] * 1.08, delta=1e-9 * r["Cost"])
            self.assertEqual(r["Currency"], "EUR")

    def test_related_storage_account(self):
        flt = {"or": [FS_TYPE_FILTER, {"dimensions": {"name": "ResourceId", "operator": "In",
                                                      "values": [STORAGE_GEN.lower(),
                                                                 STORAGE_GEN.lower().replace(SUB_R, SUB_M),
                                                                 GEN_PROD.lower() + "/nothing"]}}]}
        rows, pages, _ = cost_follow(self.fake, cost_path("subscriptions/" + SUB_R), cost_body(flt=flt))
        self.assertEqual(len(rows), 6 * 31)
        sa = [r for r in rows if r[2] == STORAGE_GEN.lower()]
        self.assertEqual(len(sa), 31)
        self.assertEqual({(r[3], r[4]) for r in sa}, {("Hot LRS Data Stored", "USD")})
        st, ctl = self.fake.control("GET", "costs?scope=subscriptions/%s&from=2026-10-01&to=2026-10-31&resourceId=%s"
                                    % (SUB_R, quote(STORAGE_GEN, safe="")))
        self.assertEqual(ctl["rows"], 186)
        c = [r for r in ctl["resources"] if r["resourceId"] == STORAGE_GEN.lower()][0]
        self.assertEqual((c["resourceType"], c["meter"]), ("microsoft.storage/storageaccounts", "Hot LRS Data Stored"))
        self.assertAlmostEqual(c["total"], sum(r[0] for r in sa), delta=1e-9 * c["total"])
        # Only the storage account: the ResourceId filter alone.
        st, _, d = self.post(cost_path("subscriptions/" + SUB_R),
                             cost_body(flt={"dimensions": {"name": "ResourceId", "operator": "In", "values": [STORAGE_GEN]}}))
        self.assertEqual({r[2] for r in d["properties"]["rows"]}, {STORAGE_GEN.lower()})
        # The file-system-only filter leaves it out.
        _, ctl2 = self.fake.control("GET", "costs?scope=subscriptions/%s&from=2026-10-01&to=2026-10-31" % SUB_R)
        self.assertEqual(ctl2["rows"], 155)
        # and + tags filter (tag keys and values compared case-insensitively): env=prod.
        tagged = {"and": [FS_TYPE_FILTER, {"tags": {"name": "ENV", "operator": "In", "values": ["PROD"]}}]}
        st, _, d = self.post(cost_path("subscriptions/" + SUB_R), cost_body(granularity="None", grouping=("ResourceId",), flt=tagged))
        self.assertEqual(st, 200)
        self.assertEqual({r["ResourceId"] for r in by_col(d)}, {GEN_PROD.lower(), CFD_AERO.lower()})
        st, _, d = self.post(cost_path("subscriptions/" + SUB_R), cost_body(
            granularity="None", grouping=({"type": "TagKey", "name": "env"},)))
        self.assertEqual([c["name"] for c in d["properties"]["columns"]], ["Cost", "TagKey", "TagValue", "Currency"])
        self.assertEqual({(r[1], r[2]) for r in d["properties"]["rows"]}, {("env", "prod"), ("env", "test"), ("env", "")})

    def test_scopes_methods_and_auth(self):
        rows, _, _ = cost_follow(self.fake, cost_path("subscriptions/%s/resourceGroups/rg-genomics-prod" % SUB_R), cost_body())
        self.assertEqual({r[2] for r in rows}, {GEN_PROD.lower(), GEN_SCRATCH.lower()})
        self.assertEqual(len(rows), 62)
        ba = estate.BILLING_ACCOUNT
        st, facts = self.fake.control("GET", "estate")
        self.assertEqual(facts["billingAccountId"], ba)
        self.assertEqual([s["currency"] for s in facts["subscriptions"]], ["USD", "EUR"])
        for scope in ("providers/Microsoft.Billing/billingAccounts/" + ba,
                      "providers/Microsoft.Billing/billingAccounts/" + quote(ba, safe="")):
            rows, pages, _ = cost_follow(self.fake, cost_path(scope), cost_body())
            self.assertEqual(len(rows), 8 * 31)
            self.assertEqual({r[4] for r in rows}, {"USD", "EUR"})
            self.assertRegex(pages[0]["id"], r"^providers/Microsoft\.Billing/billingAccounts/.*/providers/"
                                             r"Microsoft\.CostManagement/Query/")
        st, _, e = self.post(cost_path("providers/Microsoft.Billing/billingAccounts/12345"), cost_body())
        self.assertEqual(st, 404)
        st, _, e = self.post(cost_path("subscriptions/00000000-0000-0000-0000-000000000000"), cost_body())
        self.assertEqual((st, e["error"]["code"]), (404, "SubscriptionNotFound"))
        st, _, e = self.post(cost_path("subscriptions/%s/resourceGroups/rg-nope" % SUB_R), cost_body())
        self.assertEqual((st, e["error"]["code"]), (404, "ResourceGroupNotFound"))
        st, _, e = self.post("/subscriptions/%s/providers/Microsoft.CostManagement/query" % SUB_R, cost_body())
        self.assertEqual((st, e["error"]["code"]), (400, "MissingApiVersionParameter"))
        st, _, e = self.post(cost_path("subscriptions/" + SUB_R, av="2018-01-01"), cost_body())
        self.assertEqual((st, e["error"]["code"]), (400, "NoRegisteredProviderFound"))
        st, _, d = self.post(cost_path("subscriptions/" + SUB_R, av="2023-11-01"), cost_body())
        self.assertEqual(st, 200)
        self.assertIn("api-version=2023-11-01&", d["properties"]["nextLink"])
        self.fake.control("POST", "reset-log")
        st, h, body = self.fake.get(cost_path("subscriptions/" + SUB_R))
        self.assertEqual((st, h["allow"], json.loads(body)["error"]["code"]), (405, "POST", "HttpMethodNotAllowed"))
        for method in ("PUT", "DELETE"):
            st, _, body = self.fake.request(method, cost_path("subscriptions/" + SUB_R),
                                            {"Authorization": "Bearer " + self.fake.arm()}, b"{}")
            self.assertEqual((st, json.loads(body)["error"]["code"]), (405, "MethodNotAllowed"))
        self.assertEqual([(e["method"], e["mutating"]) for e in self.fake.log()],
                         [("GET", False), ("PUT", True), ("DELETE", True)])
        st, h, body = self.fake.request("POST", cost_path("subscriptions/" + SUB_R), {}, json.dumps(cost_body()).encode())
        self.assertEqual((st, json.loads(body)["error"]["code"]), (401, "InvalidAuthenticationToken"))
        st, _, e = self.post(cost_path("subscriptions/" + SUB_R), cost_body(), token=self.fake.arm(METRICS_SCOPE))
        self.assertEqual((st, e["error"]["code"]), (401, "InvalidAuthenticationTokenAudience"))
        other = self.fake.token(tenant="99999999-8888-7777-6666-555555555555")
        for scope in ("subscriptions/" + SUB_R, "providers/Microsoft.Billing/billingAccounts/" + ba):
            st, _, e = self.post(cost_path(scope), cost_body(), token=other)
            self.assertEqual((st, e["error"]["code"]), (401, "InvalidAuthenticationTokenTenant"), scope)

    def test_204_and_timeframes(self):
        path = cost_path("subscriptions/" + SUB_R)
        st, h, raw = self.fake.request("POST", path, {"Authorization": "Bearer " + self.fake.arm()},
                                       json.dumps(cost_body(frm="2026-12-01T00:00:00Z", to="2026-12-31T23:59:59Z")).encode())
        self.assertEqual((st, raw), (204, b""))
        self.assertNotIn("content-type", h)
        self.assertNotIn("content-length", h)
        self.assertEqual(h[QPU + "consumed"], "1")
        st, ctl = self.fake.control("GET", "costs?scope=subscriptions/%s&from=2026-12-01&to=2026-12-31" % SUB_R)
        self.assertEqual((ctl["rows"], ctl["pages"], ctl["totals"]), (0, 0, {"USD": 0.0}))
        # A filter that matches nothing: 200 with no rows.
        st, _, d = self.post(path, cost_body(flt={"dimensions": {"name": "ResourceGroup", "operator": "In", "values": ["rg-nope"]}}))
        self.assertEqual((st, d["properties"]["rows"], d["properties"]["nextLink"]), (200, [], None))
        # Days after "today" (2026-11-02) have no rows.
        rows, _, _ = cost_follow(self.fake, path, cost_body(frm="2026-10-20", to="2026-11-30T00:00:00Z"))
        self.assertEqual(sorted({r[1] for r in rows}), list(range(20261020, 20261032)) + [20261101, 20261102])
        for tf, days in (("MonthToDate", [20261101, 20261102]), ("BillingMonthToDate", [20261101, 20261102]),
                         ("TheLastMonth", list(range(20261001, 20261032))), ("WeekToDate", [20261102])):
            rows, _, _ = cost_follow(self.fake, path, cost_body(timeframe=tf))
            self.assertEqual(sorted({r[1] for r in rows}), days, tf)
            self.assertEqual(len(rows), 5 * len(days))
        # Offsets: 2026-10-01T01:00:00+02:00 is 2026-09-30 in UTC.
        rows, _, _ = cost_follow(self.fake, path, cost_body(frm="2026-10-01T01:00:00+02:00", to="2026-10-01T10:00:00Z"))
        self.assertEqual(sorted({r[1] for r in rows}), [20260930, 20261001])

    def test_bad_bodies(self):
        path = cost_path("subscriptions/" + SUB_R)
        good = cost_body()

        def mod(**kw):
            b = json.loads(json.dumps(good))
            for k, v in kw.items():
                if k.startswith("ds_"):
                    if v is None:
                        b["dataset"].pop(k[3:], None)
                    else:
                        b["dataset"][k[3:]] = v
                elif v is None:
                    b.pop(k, None)
                else:
                    b[k] = v
            return b
        dim = lambda **kw: {"dimensions": dict({"name": "ResourceType", "operator": "In", "values": ["x"]}, **kw)}  # noqa: E731
        cases = [
            ({}, "type"), (mod(type="Forecast"), "type"), (mod(type=None), "type"),
            (mod(timeframe=None), "timeframe"), (mod(timeframe="Yesterday"), "timeframe"),
            (mod(timePeriod=None), "timePeriod"), (mod(timePeriod={"from": OCT_FROM}), "timePeriod"),
            (mod(timePeriod={"from": OCT_TO, "to": OCT_FROM}), "after"),
            (mod(timePeriod={"from": "2026-13-01T00:00:00Z", "to": OCT_TO}), "date-time"),
            (mod(timePeriod={"from": "yesterday", "to": OCT_TO}), "date-time"),
            (mod(timePeriod={"from": "2025-01-01T00:00:00Z", "to": OCT_TO}), "one year"),
            (mod(dataset=None), "dataset"), (mod(dataset=[]), "dataset"),
            (mod(ds_granularity="Monthly"), "granularity"), (mod(ds_granularity="Hourly"), "granularity"),
            (mod(ds_aggregation=None), "aggregation"), (mod(ds_aggregation={}), "aggregation"),
            (mod(ds_aggregation={k: {"name": "Cost", "function": "Sum"} for k in "abc"}), "2 aggregation"),
            (mod(ds_aggregation={"t": {"name": "Cost", "function": "Avg"}}), "function"),
            (mod(ds_aggregation={"t": {"name": "Bogus", "function": "Sum"}}), "column name"),
            (mod(ds_aggregation={"t": {"function": "Sum"}}), "column name"),
            (mod(ds_grouping=[{"type": "Dimension", "name": n} for n in ("ResourceId", "Meter", "ResourceGroup")]), "2 group"),
            (mod(ds_grouping=[{"type": "Tag", "name": "env"}]), "type"),
            (mod(ds_grouping=[{"type": "Dimension", "name": "Nope"}]), "dimension"),
            (mod(ds_grouping=[{"type": "Dimension"}]), "name"),
            (mod(ds_grouping={"type": "Dimension", "name": "ResourceId"}), "list"),
            (mod(ds_filter={"and": [dim()]}), "at least 2"),
            (mod(ds_filter={"or": dim()}), "at least 2"),
            (mod(ds_filter={"dimensions": dim()["dimensions"], "tags": dim()["dimensions"]}), "exactly one"),
            (mod(ds_filter={}), "exactly one"),
            (mod(ds_filter={"not": dim()}), "unknown property"),
            (mod(ds_filter=dim(operator="Contains")), "operator"),
            (mod(ds_filter=dim(values=[])), "values"),
            (mod(ds_filter=dim(values="x")), "values"),
            (mod(ds_filter=dim(name="Nope")), "dimension"),
            (mod(ds_filter={"or": [FS_TYPE_FILTER, {"tags": {"name": "env", "values": ["prod"]}}]}), "operator"),
            (mod(ds_configuration={"columns": "x"}), "configuration"),
            ([good], "object"),
        ]
        for body, text in cases:
            st, h, e = self.post(path, body)
            self.assertEqual((st, e["error"]["code"]), (400, "BadRequest"), body)
            self.assertIn(text.lower(), e["error"]["message"].lower(), body)
            self.assertEqual(h[QPU + "consumed"], "0")
        for raw in (b"{not json", b""):
            st, _, e = self.post(path, None, raw=raw)
            self.assertEqual((st, e["error"]["code"]), (400, "BadRequest"))
        st, _, e = self.post(path + "&$top=0", good)
        self.assertEqual(st, 400)
        # Accepted variants: enum case, granularity absent (= None), date-only times, no filter.
        st, _, d = self.post(path, mod(type="actualcost", timeframe="custom",
                                       timePeriod={"from": "2026-10-01", "to": "2026-10-31"},
                                       ds_granularity=None, ds_filter=None, ds_grouping=None))
        self.assertEqual(st, 200)
        self.assertEqual([c["name"] for c in d["properties"]["columns"]], ["Cost", "Currency"])
        self.assertEqual(len(d["properties"]["rows"]), 1)

    def test_faults(self):
        hdr = QPU + "retry-after"
        self.fake.faults([{"match": "CostManagement/query", "action": "429", "retry_after": "1", "header": hdr}])
        path = cost_path("subscriptions/" + SUB_R)
        st, h, e = self.post(path, cost_body())
        self.assertEqual((st, h[hdr], e["error"]["code"]), (429, "1", "TooManyRequests"))
        self.assertNotIn("retry-after", h)
        self.assertEqual(self.post(path, cost_body())[0], 200)
        self.fake.faults([{"match": "CostManagement/query", "action": "next_link_loop"}])
        st, _, d = self.post(path, cost_body())
        self.assertEqual(d["properties"]["nextLink"], self.fake.base + path)
        self.fake.faults([{"match": "skiptoken", "method": "POST", "action": "503", "retry_after": "2"}])
        st, _, d = self.post(path, cost_body())
        st, h, _ = self.post(d["properties"]["nextLink"], cost_body())
        self.assertEqual((st, h["retry-after"]), (503, "2"))


class CostThrottle(FakeCase):
    ARGS = ("--cost-qpu-per-minute", "3", "--cost-qpu-window", "2", "--cost-page-size", "100")

    def test_qpu_quota(self):
        path = cost_path("subscriptions/" + SUB_R)
        h = {"Authorization": "Bearer " + self.fake.arm(), "Content-Type": "application/json"}
        one = json.dumps(cost_body()).encode()
        two = json.dumps(cost_body(frm="2026-09-01T00:00:00Z")).encode()  # two months: 2 QPU
        time.sleep(0.1)
        st, hd, _ = self.fake.request("POST", path, h, one)
        t0 = time.time()
        self.assertEqual((st, hd[QPU + "consumed"], hd[QPU + "remaining"]), (200, "1", "2"))
        st, hd, _ = self.fake.request("POST", path, h, two)
        self.assertEqual((st, hd[QPU + "consumed"], hd[QPU + "remaining"]), (200, "2", "0"))
        st, hd, raw = self.fake.request("POST", path, h, one)
        self.assertEqual(st, 429)
        self.assertEqual(json.loads(raw), {"error": {"code": "429", "message": "Too many requests. Please retry."}})
        self.assertIn(hd[QPU + "retry-after"], ("1", "2"))
        self.assertEqual((hd[QPU + "consumed"], hd[QPU + "remaining"]), ("0", "0"))
        self.assertNotIn("retry-after", hd)
        # A bad body is refused before the quota is looked at.
        self.assertEqual(self.fake.request("POST", path, h, b"{}")[0], 400)
        # A client that honours the header gets through after waiting.
        while True:
            st, hd, _ = self.fake.request("POST", path, h, one)
            if st != 429:
                break
            time.sleep(int(hd[QPU + "retry-after"]))
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.time() - t0, 1.5)
        self.assertEqual(hd[QPU + "remaining"], "2")
        log = self.fake.log()
        self.assertIn(429, [e["status"] for e in log])
        self.assertTrue(all(e["fault"] is None for e in log))

    def test_default_window(self):
        fake = Fake("--cost-qpu-per-minute", "1")
        try:
            path = cost_path("subscriptions/" + SUB_M)
            h = {"Authorization": "Bearer " + fake.token(), "Content-Type": "application/json"}
            self.assertEqual(fake.request("POST", path, h, json.dumps(cost_body()).encode())[0], 200)
            st, hd, _ = fake.request("POST", path, h, json.dumps(cost_body()).encode())
            self.assertEqual(st, 429)
            self.assertTrue(55 <= int(hd[QPU + "retry-after"]) <= 60, hd[QPU + "retry-after"])
        finally:
            self.assertEqual(fake.stop(), 0)


class CostToday(FakeCase):
    ARGS = ("--cost-today", "2026-10-15", "--cost-page-size", "7")

    def test_today_and_page_size(self):
        rows, pages, _ = cost_follow(self.fake, cost_path("subscriptions/" + SUB_R), cost_body())
        self.assertEqual(len(rows), 5 * 15)
        self.assertEqual(max(r[1] for r in rows), 20261015)
        self.assertEqual([len(p["properties"]["rows"]) for p in pages], [7] * 10 + [5])
        st, ctl = self.fake.control("GET", "costs?scope=subscriptions/%s&from=2026-10-01T00:00:00Z&to=2026-10-31T23:59:59Z" % SUB_R)
        self.assertEqual((ctl["today"], ctl["days"], ctl["rows"], ctl["pages"], ctl["pageSize"]), ("2026-10-15", 15, 75, 11, 7))
        st, e = self.fake.control("GET", "costs?scope=subscriptions/%s&from=2026-10-01" % SUB_R)
        self.assertEqual(st, 400)
        st, e = self.fake.control("GET", "costs?scope=subscriptions/00000000-0000-0000-0000-000000000000&from=2026-10-01&to=2026-10-02")
        self.assertEqual(st, 404)

    def test_now_and_generated(self):
        import datetime
        fake = Fake("--cost-today", "now", "--estate", "generated:3:7")
        try:
            today = datetime.datetime.now(datetime.timezone.utc).date()
            st, facts = fake.control("GET", "estate")
            self.assertEqual([s["currency"] for s in facts["subscriptions"]], ["USD", "EUR", "USD"])
            st, ctl = fake.control("GET", "costs?scope=providers/Microsoft.Billing/billingAccounts/%s&from=%s&to=%s"
                                   % (quote(estate.BILLING_ACCOUNT, safe=""), today.replace(day=1), today))
            self.assertIn(ctl["today"], (today.isoformat(), (today + datetime.timedelta(days=1)).isoformat()))
            self.assertEqual(len(ctl["resources"]), 21)
            self.assertEqual(set(ctl["totals"]), {"USD", "EUR"})
            rows, _, _ = cost_follow(fake, cost_path("subscriptions/" + facts["subscriptions"][1]["subscriptionId"]),
                                     cost_body(timeframe="MonthToDate"), token=fake.token())
            self.assertEqual(len(rows), 7 * today.day)
            self.assertEqual({r[4] for r in rows}, {"EUR"})
        finally:
            self.assertEqual(fake.stop(), 0)


class Lifecycle(unittest.TestCase):
    def test_sigterm_and_sigint(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            fake = Fake()
            self.assertEqual(fake.request("GET", "/_fake/health")[2], b"ok")
            fake.proc.send_signal(sig)
            self.assertEqual(fake.proc.wait(10), 0)
            fake.stop()

    def test_shutdown_endpoint_and_port_file(self):
        fake = Fake("--port", "0")
        with open(fake.port_file) as f:
            self.assertRegex(f.read(), r"^\d+\n$")
        self.assertEqual([n for n in os.listdir(fake.dir) if n.endswith(".tmp")], [])
        st, _, body = fake.request("GET", "/_fake/shutdown")
        self.assertEqual(st, 200)
        self.assertEqual(fake.proc.wait(10), 0)
        fake.stop()

    def test_bad_arguments(self):
        d = tempfile.mkdtemp(prefix="fake-azure-bad-")
        self.addCleanup(shutil.rmtree, d, True)
        bad = os.path.join(d, "faults.json")
        with open(bad, "w") as f:
            f.write('[{"match": "x", "action": "nope"}]')
        for extra in (["--faults", bad], ["--estate", "bogus"], ["--page-size", "0"], ["--cost-today", "2026-13-01"],
                      ["--cost-today", "20261102"], ["--cost-page-size", "0"], ["--cost-qpu-per-minute", "-1"],
                      ["--cost-qpu-window", "0"]):
            p = subprocess.run([PY, FAKE, "--port-file", os.path.join(d, "port")] + extra,
                               capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 2, extra)
            self.assertFalse(os.path.exists(os.path.join(d, "port")))


# ---------------------------------------------------------------------------
# Throughput measurement: python3 selftest.py bench
# ---------------------------------------------------------------------------

def bench(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="selftest.py bench")
    ap.add_argument("--estate", default="generated:50:20")
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--page-size", type=int, default=5)
    ap.add_argument("--client", choices=("python", "curl"), default="python",
                    help="who sends the per-file-system requests: 16 http.client keep-alive "
                         "connections (python) or curl --parallel (curl)")
    a = ap.parse_args(argv)
    fake = Fake("--estate", a.estate, "--latency-ms", str(a.latency_ms), "--page-size", str(a.page_size))
    try:
        tok = fake.token()
        local = threading.local()
        count = [0]
        lock = threading.Lock()

        def cpu():
            try:
                with open("/proc/%d/stat" % fake.proc.pid) as f:
                    st = f.read().rsplit(")", 1)[1].split()
                return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError, IndexError):
                return float("nan")

        def get(path, parse=True):
            c = getattr(local, "c", None)
            if c is None:
                c = local.c = fake.conn()
            c.request("GET", path, headers={"Authorization": "Bearer " + tok, "Accept-Encoding": "gzip"})
            r = c.getresponse()
            body = r.read()
            if r.status != 200:
                raise RuntimeError("%s -> %d %s" % (path, r.status, body[:200]))
            with lock:
                count[0] += 1
            if not parse:
                return None
            if r.getheader("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return json.loads(body)

        def follow(path):
            out = []
            while path:
                d = get(path)
                out += d["value"]
                nl = d.get("nextLink")
                path = urlsplit(nl).path + "?" + urlsplit(nl).query if nl else None
            return out

        ost = ["ClientReadThroughput", "ClientWriteThroughput", "ClientReadOps", "ClientWriteOps", "OSTBytesUsed", "OSTBytesTotal"]
        mdt = ["MDTBytesUsed", "MDTBytesTotal", "MDTFilesUsed"]

        def per_fs(fid):
            for kind in ("importJobs", "autoExportJobs", "autoImportJobs"):
                get("%s/%s?api-version=2025-07-01" % (fid, kind), False)
            get(metrics_path(fid, ost), False)
            get(metrics_path(fid, mdt, flt="mdtnum eq '*'"), False)

        def per_fs_curl(ids):
            cfg = os.path.join(fake.dir, "curl.cfg")
            with open(cfg, "w") as f:
                for fid in ids:
                    paths = ["%s/%s?api-version=2025-07-01" % (fid, k)
                             for k in ("importJobs", "autoExportJobs", "autoImportJobs")]
                    paths += [metrics_path(fid, ost), metrics_path(fid, mdt, flt="mdtnum eq '*'")]
                    for p in paths:
                        f.write('url = "%s%s"\noutput = "/dev/null"\n' % (fake.base, p.replace('"', "%22")))
            p = subprocess.run(["curl", "-s", "--compressed", "--parallel", "--parallel-max", str(a.concurrency),
                                "-H", "Authorization: Bearer " + tok, "-w", "%{http_code}\n", "-K", cfg],
                               capture_output=True, text=True)
            codes = p.stdout.split()
            if set(codes) != {"200"}:
                raise RuntimeError("curl: %s" % sorted(set(codes)))
            with lock:
                count[0] += len(codes)

        c0 = cpu()
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(a.concurrency) as ex:
            subs = follow(SUBS_PATH)
            lists = ex.map(lambda s: follow("/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems?api-version=2025-07-01" % s["subscriptionId"]), subs)
            fss = [f for l in lists for f in l]
            t1 = time.time()
            n1 = count[0]
            if a.client == "curl":
                per_fs_curl([f["id"] for f in fss])
            else:
                list(ex.map(per_fs, [f["id"] for f in fss]))
        t2 = time.time()
        c1 = cpu()
        n = count[0]
        ideal = n * a.latency_ms / 1000.0 / a.concurrency
        print("estate %s: %d subscriptions, %d file systems" % (a.estate, len(subs), len(fss)))
        print("requests %d, concurrency %d, latency %g ms" % (n, a.concurrency, a.latency_ms))
        print("wall %.2f s (inventory phase %.2f s), ideal n*latency/concurrency = %.2f s, ratio %.2f, %.0f req/s"
              % (t2 - t0, t1 - t0, ideal, (t2 - t0) / ideal if ideal else float("nan"), n / (t2 - t0)))
        n2 = n - n1
        ideal2 = n2 * a.latency_ms / 1000.0 / a.concurrency
        print("per-file-system phase (%s client): %d requests in %.2f s, ideal %.2f s, ratio %.2f"
              % (a.client, n2, t2 - t1, ideal2, (t2 - t1) / ideal2 if ideal2 else float("nan")))
        print("server CPU %.2f s (%.0f us/request)" % (c1 - c0, (c1 - c0) / n * 1e6))
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "bench":
        sys.exit(bench(sys.argv[2:]))
    unittest.main()
