"""whoami: each way of getting a token, against the loopback fake of Azure.

Nothing here may reach anything but 127.0.0.1: every configuration points
the login host and IMDS at the fake (or at a closed loopback port), proxies
are dropped from the environment, and the Azure CLI is either the fake
script the test writes or a path that does not exist."""
import base64
import json
import os
import re
import socket
import stat
import subprocess
import sys
import tempfile
import time
import shutil
import urllib.request

from harness import CliTest, main, OK, USAGE, RUNTIME, ROOT

FAKE_DIR = os.path.join(ROOT, "tests", "fake_azure")
FAKE = os.path.join(FAKE_DIR, "fake_azure.py")
sys.path.insert(0, FAKE_DIR)
sys.dont_write_bytecode = True
import estate  # noqa: E402  (the fake's fixture: identities, GUIDs)

MI_SYSTEM, MI_USER = estate.MI_SYSTEM, estate.MI_USER
TENANT = "3e9a6c41-7d2b-4f58-9c0e-b1a4d6f82c75"
OTHER_TENANT = "9d0f5b7a-1c2e-4d3f-8a6b-5e4c3b2a1f09"
CLIENT_ID = "5d1f8a27-3c6e-4b90-a1d4-7e2f9c0b3a68"
OID = "0b7e2c11-94d3-4a6f-8e5b-2c1d9f0a7e34"
SP_OID = estate.guid("oid|" + CLIENT_ID)  # the fake's object id for CLIENT_ID
ARM = "https://management.azure.com"
SECRET = "fake-secret"
FEDERATED = "fake-federated-token"
IDENTITY_HEADER = "fake-identity-header"
WRONG_SECRET = "not-the-secret-Zq81"

# What an inherited environment could add: credentials of the machine
# running the tests, and proxies that would take requests elsewhere.
SCRUB = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
         "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST",
         "AZURE_ACCESS_TOKEN", "AZURE_CLIENT_CERTIFICATE_PATH",
         "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET",
         "IMDS_ENDPOINT", "http_proxy", "https_proxy", "all_proxy",
         "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")

JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims):
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    return "%s.%s.%s" % (head, body, b64url(b"not-a-signature"))


def arm_jwt(tid=TENANT, aud=ARM + "/", lifetime=3600):
    return make_jwt({"aud": aud, "tid": tid, "oid": OID, "appid": CLIENT_ID,
                     "iss": "https://sts.windows.net/%s/" % tid,
                     "exp": int(time.time()) + lifetime})


def closed_port():
    """A loopback port nothing listens on (connections are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


AZ_SCRIPT = """#!%(python)s
import json, sys
with open(%(log)r, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
if %(fail)r:
    sys.stderr.write("WARNING: a warning first\\nERROR: Please run 'az login' to setup account.\\n")
    sys.exit(1)
print(json.dumps({"accessToken": %(token)r,
                  "expiresOn": "2099-01-01 00:00:00.000000",
                  "expires_on": %(exp)d, "tenant": %(tenant)r,
                  "tokenType": "Bearer"}))
"""


class Whoami(CliTest):
    @classmethod
    def setUpClass(cls):
        for k in SCRUB:
            os.environ.pop(k, None)
        os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
        cls.fake_dir = tempfile.mkdtemp(prefix="fake-azure-")
        port_file = os.path.join(cls.fake_dir, "port")
        cls.fake_log = open(os.path.join(cls.fake_dir, "fake.log"), "w+")
        cls.fake = subprocess.Popen(
            [sys.executable, FAKE, "--port-file", port_file],
            stdin=subprocess.DEVNULL, stdout=cls.fake_log, stderr=cls.fake_log)
        deadline = time.time() + 15
        port = None
        while time.time() < deadline and cls.fake.poll() is None:
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    port = int(text)
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        if port is None:
            cls.tearDownClass()
            raise RuntimeError("the fake Azure did not start")
        cls.base = "http://127.0.0.1:%d" % port

    @classmethod
    def tearDownClass(cls):
        if cls.fake.poll() is None:
            cls.fake.terminate()
            try:
                cls.fake.wait(10)
            except subprocess.TimeoutExpired:
                cls.fake.kill()
                cls.fake.wait()
        cls.fake_log.close()
        shutil.rmtree(cls.fake_dir, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.control("POST", "/_fake/reset-log")
        self.bin = os.path.join(self.tmp, "bin")
        os.mkdir(self.bin)
        self.az_log = os.path.join(self.tmp, "az.log")
        self.secrets = [SECRET, FEDERATED, IDENTITY_HEADER, WRONG_SECRET]

    # -- helpers --

    @classmethod
    def control(cls, method, path):
        req = urllib.request.Request(cls.base + path, method=method,
                                     data=b"" if method == "POST" else None)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as r:
            return json.loads(r.read().decode())

    def requests(self):
        """(method, path, query) of each request the fake saw; only token
        endpoints, never Resource Manager."""
        seen = [(e["method"], e["path"], e["query"])
                for e in self.control("GET", "/_fake/requests")]
        for method, path, _ in seen:
            self.assertTrue(path.endswith("/oauth2/v2.0/token") or
                            path in ("/metadata/identity/oauth2/token",
                                     "/msi/token"), seen)
        return seen

    def conf(self, auth="auto", tenant=TENANT, imds=None, az=None, **extra):
        """A configuration aimed at the fake; az None: an absent CLI."""
        lines = ["[azure]", "cloud = AzureCloud", "auth = %s" % auth,
                 "authority_host = %s" % self.base,
                 "imds_endpoint = %s" % (imds or self.base),
                 "az_command = %s" % (az or os.path.join(self.tmp, "no-az"))]
        if tenant:
            lines.append("tenant_id = %s" % tenant)
        lines += ["%s = %s" % kv for kv in extra.items()]
        path = os.path.join(self.tmp, "amlfs-audit.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def dead_imds(self):
        return "http://127.0.0.1:%d" % closed_port()

    def write_az(self, token, tenant=TENANT, fail=False):
        path = os.path.join(self.bin, "az")
        with open(path, "w") as f:
            f.write(AZ_SCRIPT % {"python": sys.executable, "log": self.az_log,
                                 "fail": fail, "token": token,
                                 "exp": int(time.time()) + 1800,
                                 "tenant": tenant})
        os.chmod(path, stat.S_IRWXU)
        self.secrets.append(token)
        return path

    def az_calls(self):
        with open(self.az_log) as f:
            return [json.loads(line) for line in f]

    def whoami(self, code, conf, env=None, fmt=None):
        args = ["whoami"] + (["--format", fmt] if fmt else [])
        r = self.run_cli(*args, db=False, config=conf, env=env or {})
        self.assertEqual(r.code, code, r)
        self.assert_no_secrets(r)
        return r

    def assert_no_secrets(self, r):
        for s in self.secrets:
            self.assertNotIn(s, r.out, r)
            self.assertNotIn(s, r.err, r)
        self.assertIsNone(JWT_RE.search(r.out), r)
        self.assertIsNone(JWT_RE.search(r.err), r)

    def fields(self, r):
        out = {}
        for line in r.out.splitlines():
            k, _, v = line.partition(":")
            out[k.strip()] = v.strip()
        return out

    def secret_env(self, secret=SECRET):
        return {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT_ID,
                "AZURE_CLIENT_SECRET": secret}

    def federated_env(self):
        path = os.path.join(self.tmp, "federated-token")
        with open(path, "w") as f:
            f.write(FEDERATED + "\n")
        return {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT_ID,
                "AZURE_FEDERATED_TOKEN_FILE": path}

    def app_service_env(self):
        return {"IDENTITY_ENDPOINT": self.base + "/msi/token",
                "IDENTITY_HEADER": IDENTITY_HEADER}

    # -- one test per credential --

    def test_client_secret(self):
        r = self.whoami(OK, self.conf("client-secret"), self.secret_env())
        f = self.fields(r)
        self.assertEqual(f["credential"], "client-secret")
        self.assertEqual(f["tenant"], TENANT)
        self.assertEqual(f["app id"], CLIENT_ID)
        self.assertEqual(f["principal"], SP_OID)
        self.assertEqual(f["audience"].rstrip("/"), ARM)
        self.assertRegex(f["expires"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d+ min\)$")

    def test_client_secret_json(self):
        r = self.whoami(OK, self.conf("client-secret"), self.secret_env(),
                        fmt="json")
        j = r.json()
        self.assertEqual(list(j), ["credential", "tenant_id", "principal_id",
                                   "app_id", "audience", "expires_at"])
        self.assertEqual(j["credential"], "client-secret")
        self.assertEqual(j["tenant_id"], TENANT)
        self.assertEqual(j["app_id"], CLIENT_ID)
        self.assertEqual(j["principal_id"], SP_OID)
        self.assertEqual(self.requests(), [
            ("POST", "/%s/oauth2/v2.0/token" % TENANT, "")])

    def test_workload_identity(self):
        r = self.whoami(OK, self.conf("workload-identity"), self.federated_env())
        f = self.fields(r)
        self.assertEqual(f["credential"], "workload-identity")
        self.assertEqual(f["tenant"], TENANT)
        self.assertEqual(f["app id"], CLIENT_ID)
        self.assertEqual(f["principal"], SP_OID)

    def test_workload_identity_wrong_assertion(self):
        env = self.federated_env()
        with open(env["AZURE_FEDERATED_TOKEN_FILE"], "w") as f:
            f.write(WRONG_SECRET)
        r = self.whoami(RUNTIME, self.conf("workload-identity"), env)
        self.assertRegex(r.err, r"\n  workload-identity: invalid_client "
                         r"\(HTTP 401\): AADSTS700211: ")

    def test_managed_identity_imds(self):
        r = self.whoami(OK, self.conf("managed-identity"))
        f = self.fields(r)
        self.assertEqual(f["credential"], "managed-identity")
        self.assertEqual(f["tenant"], TENANT)
        self.assertEqual(f["principal"], MI_SYSTEM["object_id"])
        self.assertEqual(f["app id"], MI_SYSTEM["client_id"])
        self.assertEqual(self.requests(), [
            ("GET", "/metadata/identity/oauth2/token", "api-version=2018-02-01"
             "&resource=https%3A%2F%2Fmanagement.azure.com%2F")])

    def test_managed_identity_imds_user_assigned(self):
        r = self.whoami(OK, self.conf("managed-identity"),
                        {"AZURE_CLIENT_ID": MI_USER["client_id"]})
        self.assertEqual(self.fields(r)["principal"], MI_USER["object_id"])
        self.assertEqual(self.fields(r)["app id"], MI_USER["client_id"])
        self.assertIn("&client_id=" + MI_USER["client_id"],
                      self.requests()[0][2])

    def test_managed_identity_unknown_identity(self):
        r = self.whoami(RUNTIME, self.conf("managed-identity"),
                        {"AZURE_CLIENT_ID": CLIENT_ID})
        self.assertIn("\n  managed-identity: invalid_request (HTTP 400): "
                      "Identity not found", r.err)

    def test_managed_identity_app_service(self):
        # IMDS is closed, so success can only come from IDENTITY_ENDPOINT.
        r = self.whoami(OK, self.conf("managed-identity", imds=self.dead_imds()),
                        self.app_service_env())
        self.assertEqual(self.fields(r)["credential"], "managed-identity")
        self.assertEqual(self.fields(r)["tenant"], TENANT)
        self.assertEqual(self.fields(r)["principal"], MI_SYSTEM["object_id"])
        self.assertEqual(self.requests(), [
            ("GET", "/msi/token", "api-version=2019-08-01"
             "&resource=https%3A%2F%2Fmanagement.azure.com%2F")])

    def test_managed_identity_app_service_wrong_header(self):
        env = self.app_service_env()
        env["IDENTITY_HEADER"] = WRONG_SECRET
        r = self.whoami(RUNTIME, self.conf("managed-identity",
                                           imds=self.dead_imds()), env)
        self.assertIn("\n  managed-identity: (HTTP 401): X-IDENTITY-HEADER is "
                      "missing or does not match.", r.err)

    def test_azure_cli(self):
        self.write_az(arm_jwt())
        env = {"PATH": self.bin + os.pathsep + os.environ.get("PATH", "")}
        conf = self.conf("azure-cli", az="az")
        r = self.whoami(OK, conf, env)
        f = self.fields(r)
        self.assertEqual(f["credential"], "azure-cli")
        self.assertEqual(f["tenant"], TENANT)
        self.assertEqual(f["principal"], OID)
        self.assertEqual(self.az_calls(), [[
            "account", "get-access-token", "--resource", ARM + "/",
            "--output", "json", "--tenant", TENANT]])

    def test_azure_cli_not_logged_in(self):
        self.write_az(arm_jwt(), fail=True)
        env = {"PATH": self.bin + os.pathsep + os.environ.get("PATH", "")}
        r = self.whoami(RUNTIME, self.conf("azure-cli", az="az"), env)
        self.assertIn("azure-cli: az exited with status 1: ERROR: Please run "
                      "'az login'", r.err)

    def test_access_token_from_environment(self):
        token = arm_jwt(lifetime=1200)
        self.secrets.append(token)
        r = self.whoami(OK, self.conf("access-token"),
                        {"AZURE_ACCESS_TOKEN": token})
        f = self.fields(r)
        self.assertEqual(f["credential"], "access-token")
        self.assertEqual((f["tenant"], f["principal"], f["app id"]),
                         (TENANT, OID, CLIENT_ID))
        self.assertRegex(f["expires"], r"\(in (19|20) min\)$")

    def test_access_token_from_file(self):
        token = arm_jwt()
        self.secrets.append(token)
        path = os.path.join(self.tmp, "token")
        with open(path, "w") as f:
            f.write("\n  %s  \n" % token)
        r = self.whoami(OK, self.conf("access-token", access_token_file=path))
        self.assertEqual(self.fields(r)["credential"], "access-token")
        self.assertEqual(self.fields(r)["tenant"], TENANT)

    def test_access_token_expired(self):
        token = arm_jwt(lifetime=-60)
        self.secrets.append(token)
        r = self.whoami(RUNTIME, self.conf("access-token"),
                        {"AZURE_ACCESS_TOKEN": token})
        self.assertIn("access-token: the token from 'AZURE_ACCESS_TOKEN' "
                      "expired at", r.err)

    # -- auto: the first available, in the SDKs' order --

    def test_auto_prefers_client_secret(self):
        self.write_az(arm_jwt())
        env = dict(self.secret_env(), **self.federated_env())
        env.update(self.app_service_env())
        env["AZURE_ACCESS_TOKEN"] = arm_jwt()
        self.secrets.append(env["AZURE_ACCESS_TOKEN"])
        env["PATH"] = self.bin + os.pathsep + os.environ.get("PATH", "")
        r = self.whoami(OK, self.conf(az="az"), env)
        self.assertEqual(self.fields(r)["credential"], "client-secret")
        self.assertFalse(os.path.exists(self.az_log))

    def test_auto_then_workload_identity(self):
        env = dict(self.federated_env(), **self.app_service_env())
        r = self.whoami(OK, self.conf(), env)
        self.assertEqual(self.fields(r)["credential"], "workload-identity")

    def test_auto_then_managed_identity(self):
        self.write_az(arm_jwt())
        env = {"PATH": self.bin + os.pathsep + os.environ.get("PATH", ""),
               # half a client secret is no client secret: skipped
               "AZURE_CLIENT_SECRET": SECRET}
        r = self.whoami(OK, self.conf(az="az"), env)
        self.assertEqual(self.fields(r)["credential"], "managed-identity")
        self.assertFalse(os.path.exists(self.az_log))

    def test_auto_then_azure_cli(self):
        self.write_az(arm_jwt())
        env = {"PATH": self.bin + os.pathsep + os.environ.get("PATH", ""),
               "AZURE_ACCESS_TOKEN": arm_jwt()}
        self.secrets.append(env["AZURE_ACCESS_TOKEN"])
        r = self.whoami(OK, self.conf(imds=self.dead_imds(), az="az"), env)
        self.assertEqual(self.fields(r)["credential"], "azure-cli")

    def test_auto_then_access_token(self):
        token = arm_jwt()
        self.secrets.append(token)
        r = self.whoami(OK, self.conf(imds=self.dead_imds()),
                        {"AZURE_ACCESS_TOKEN": token})
        self.assertEqual(self.fields(r)["credential"], "access-token")

    # -- failures --

    def test_wrong_secret(self):
        r = self.whoami(RUNTIME, self.conf("client-secret"),
                        self.secret_env(WRONG_SECRET))
        self.assertIn("cannot get a token: no credential worked:", r.err)
        self.assertRegex(r.err, r"\n  client-secret: .*AADSTS\d+")
        self.assertEqual(r.out, "")

    def test_wrong_secret_in_auto_lists_every_attempt(self):
        r = self.whoami(RUNTIME, self.conf(imds=self.dead_imds()),
                        self.secret_env(WRONG_SECRET))
        lines = r.err.splitlines()
        self.assertEqual(lines[0], "amlfs-audit: cannot get a token: no "
                         "credential worked:")
        names = [line.split(":")[0].strip() for line in lines[1:]]
        self.assertEqual(names, ["client-secret", "managed-identity",
                                 "azure-cli"], r)
        self.assertRegex(lines[1], r"AADSTS\d+")
        self.assertIn("no answer from IMDS", lines[2])
        self.assertIn("not found", lines[3])

    def test_explicit_mode_without_inputs_is_a_config_error(self):
        r = self.whoami(USAGE, self.conf("client-secret"),
                        {"AZURE_CLIENT_ID": CLIENT_ID})
        self.assertIn("bad configuration: auth = client-secret needs", r.err)
        self.assertIn("missing: AZURE_CLIENT_SECRET", r.err)

    def test_wrong_tenant_is_refused(self):
        token = arm_jwt(tid=OTHER_TENANT)
        self.secrets.append(token)
        r = self.whoami(USAGE, self.conf("access-token"),
                        {"AZURE_ACCESS_TOKEN": token})
        self.assertIn("the token is for tenant %s but [azure] tenant_id is %s"
                      % (OTHER_TENANT, TENANT), r.err)
        self.assertEqual(r.out, "")

    def test_plain_http_login_host_is_refused(self):
        conf = self.conf("client-secret")
        with open(conf) as f:
            text = f.read().replace(self.base + "\n",
                                    "http://login.example.invalid\n", 1)
        with open(conf, "w") as f:
            f.write(text)
        r = self.whoami(USAGE, conf, self.secret_env())
        self.assertIn("plain http is allowed only to a loopback address", r.err)

    def test_usage(self):
        r = self.run_cli("whoami", "--format", "xml", db=False,
                         config=self.conf())
        self.assertEqual(r.code, USAGE, r)
        self.assertIn("usage: amlfs-audit whoami", r.err)


if __name__ == "__main__":
    main()
