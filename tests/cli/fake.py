"""Start and drive the loopback fake of Azure (tests/fake_azure) for the
end-to-end tests of live collection. Everything stays on 127.0.0.1."""
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

from harness import ROOT, CliTest

FAKE = os.path.join(ROOT, "tests", "fake_azure", "fake_azure.py")
TENANT = "3e9a6c41-7d2b-4f58-9c0e-b1a4d6f82c75"
SUB1 = "6f3c2b1e-8a47-4d9e-b5c2-1e7a9d4f0b63"
SUB2 = "c94e7a15-2f6b-4b8d-9e31-7ad05c8b2e4f"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "fake-secret"


def make_test_pki(d):
    """A throw-away CA and a server certificate for 127.0.0.1, made with the
    openssl command into d (never committed: no private key lives in the
    repository, and nothing can expire there). Valid for two days.
    Returns (ca.pem, server.pem, server.key)."""
    ca, ca_key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
    cert, key = os.path.join(d, "server.pem"), os.path.join(d, "server.key")
    csr, ext = os.path.join(d, "server.csr"), os.path.join(d, "server.ext")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    with open(ext, "w") as f:
        f.write("basicConstraints = critical, CA:FALSE\n"
                "keyUsage = critical, digitalSignature\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = IP:127.0.0.1\n")
    for cmd in (["req", "-x509"] + ec + ["-keyout", ca_key, "-out", ca, "-days", "2",
                                         "-subj", "/CN=amlfs-audit test CA",
                                         "-addext", "basicConstraints=critical,CA:TRUE",
                                         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                ["req"] + ec + ["-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
                ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                 "-out", cert, "-days", "2", "-extfile", ext]):
        subprocess.run(["openssl"] + cmd, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return ca, cert, key


class Fake:
    """One fake server process; stop() it (or use it as a context manager).
    tls=True serves HTTPS with a certificate of a test CA made for it
    (self.ca_file); the configuration from config() trusts that CA through
    [azure] ca_file, and verification stays on."""

    def __init__(self, *args, tls=False):
        self.dir = tempfile.mkdtemp(prefix="fake-azure-")
        self.ca_file = None
        self.ssl = None
        if tls:
            self.ca_file, cert, key = make_test_pki(self.dir)
            args = list(args) + ["--tls-cert", cert, "--tls-key", key]
            self.ssl = ssl.create_default_context(cafile=self.ca_file)
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "stderr"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port-file", port_file] + list(args),
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("fake Azure did not start: see %s" % self.dir)
            time.sleep(0.02)  # waiting for a child process to start, not timing
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10, context=self.ssl) as r:
            text = r.read().decode()
        return json.loads(text) if text.strip().startswith(("[", "{")) else text

    def faults(self, rules):
        self._call("POST", "/_fake/faults", rules)

    def requests(self):
        return self._call("GET", "/_fake/requests")

    def reset_log(self):
        self._call("POST", "/_fake/reset-log", {})

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    COLLECT = (("max_in_flight", "4"), ("connect_timeout_s", "2"),
               ("timeout_s", "2"), ("max_attempts", "3"),
               ("backoff_base_ms", "20"), ("max_wait_s", "2"),
               ("retry_budget_s", "20"))

    def config(self, path, extra="", scope=""):
        """A configuration that points every endpoint at this fake. Keys at
        the start of extra (before any [section]) go into [collect] and
        replace its defaults there: a key given twice is an error."""
        own = set()
        for line in extra.splitlines():
            if line.startswith("["):
                break
            if "=" in line:
                own.add(line.split("=")[0].strip())
        collect = "".join("%s = %s\n" % kv for kv in self.COLLECT
                          if kv[0] not in own)
        with open(path, "w") as f:
            f.write("""[azure]
cloud = AzureCloud
tenant_id = %(tenant)s
auth = client-secret
resource_manager = %(url)s
authority_host = %(url)s
metrics_endpoint = %(url)s/regions/{region}
imds_endpoint = %(url)s
%(ca)s
[scope]
subscriptions = %(sub1)s, %(sub2)s
%(scope)s

[collect]
%(collect)s%(extra)s
""" % {"tenant": TENANT, "url": self.url, "sub1": SUB1, "sub2": SUB2,
       "extra": extra, "scope": scope, "collect": collect,
       "ca": "ca_file = %s\n" % self.ca_file if self.ca_file else ""})
        return path


def credentials():
    """The environment a client-secret sign-in needs (secrets from env only)."""
    return {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT_ID,
            "AZURE_CLIENT_SECRET": SECRET, "no_proxy": "127.0.0.1",
            "NO_PROXY": "127.0.0.1"}


class FakeTest(CliTest):
    """Tests against one fake per class (ARGS its options, TLS for HTTPS),
    its faults cleared and its log emptied before each test."""
    ARGS = ()
    TLS = False

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake(*cls.ARGS, tls=cls.TLS)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        super().setUp()
        self.fake.faults([])
        self.fake.reset_log()
