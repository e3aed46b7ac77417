#!/usr/bin/python3
"""Loopback fake of Azure for the amlfs-audit tests and benchmarks.

Serves, on 127.0.0.1 only, the Entra ID / managed-identity token endpoints,
the read-only Azure Resource Manager calls amlfs-audit makes (subscriptions,
resource groups, Microsoft.StorageCache/amlFilesystems and their job lists,
role assignments, locks, diagnostic settings, Azure Monitor metrics,
Resource Graph, the Cost Management Query API) and Azure Monitor
metrics:getBatch, from a fixture estate
(estate.py).  Faults can be injected per request.  Python 3 standard library
only.  See README.md next to this file for the full reference.

    python3 tests/fake_azure/fake_azure.py --port-file PATH [--port 0]
        [--estate samples|generated:SUBS:FS] [--replay-dir DIR]
        [--faults FILE.json] [--latency-ms N] [--page-size N] [--log FILE]
        [--client-secret S] [--federated-token T] [--identity-header H]
        [--token-lifetime SECONDS] [--cost-today YYYY-MM-DD|now]
        [--cost-page-size N] [--cost-qpu-per-minute N] [--cost-qpu-window SECONDS]
        [--tls-cert PEM --tls-key PEM]
"""
import argparse
import base64
import datetime
import email.utils
import gzip
import hashlib
import json
import math
import os
import random
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estate as estate_mod  # noqa: E402

JSON_CT = "application/json; charset=utf-8"
TEXT_CT = "text/plain; charset=utf-8"
HTML_CT = "text/html; charset=us-ascii"

GUID_RX = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TOKEN_RX = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
BATCH_RX = re.compile(r"^/regions/([^/]+)/subscriptions/([^/]+)/metrics:getbatch$")
ARG_PATH = "/providers/microsoft.resourcegraph/resources"
COST_SUB_RX = re.compile(r"^/subscriptions/([^/]+)(?:/resourcegroups/([^/]+))?/providers/microsoft\.costmanagement/query$")
COST_BILLING_RX = re.compile(r"^/providers/microsoft\.billing/billingaccounts/([^/]+)/providers/microsoft\.costmanagement/query$")
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

ARM_AUDIENCES = {"https://management.azure.com", "https://management.core.windows.net"}
METRICS_AUDIENCES = {"https://metrics.monitor.azure.com"}

AV_SUBS = ("2016-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2021-01-01", "2022-12-01")
AV_RG = ("2019-10-01", "2020-06-01", "2021-04-01", "2022-09-01", "2023-07-01", "2024-03-01",
         "2024-07-01", "2024-11-01", "2025-04-01")
AV_SC = ("2023-05-01", "2024-03-01", "2024-07-01", "2025-07-01", "2026-01-01")
AV_JOBS_MIN = {"importjobs": "2024-03-01", "autoexportjobs": "2024-07-01", "autoimportjobs": "2025-07-01"}
AV_RA = ("2015-07-01", "2018-09-01-preview", "2020-04-01-preview", "2020-08-01-preview",
         "2020-10-01-preview", "2022-01-01-preview", "2022-04-01")
AV_LOCKS = ("2016-09-01", "2020-05-01")
AV_DIAG = ("2016-09-01", "2017-05-01-preview", "2021-05-01-preview")
AV_METRICS = ("2018-01-01", "2019-07-01", "2021-05-01", "2023-10-01", "2024-02-01")
AV_ARG = ("2019-04-01", "2020-04-01-preview", "2021-03-01", "2021-06-01-preview", "2022-10-01", "2024-04-01")
AV_BATCH = ("2023-05-01-preview", "2023-10-01", "2024-02-01")
AV_IMDS = ("2018-02-01", "2019-08-01", "2019-11-01", "2021-02-01")
AV_COST = ("2019-11-01", "2021-10-01", "2022-10-01", "2023-03-01", "2023-11-01", "2024-08-01", "2025-03-01")

KNOWN_NAMESPACES = {
    "microsoft.storagecache", "microsoft.authorization", "microsoft.insights",
    "microsoft.resources", "microsoft.resourcegraph", "microsoft.managedidentity",
    "microsoft.network", "microsoft.storage", "microsoft.keyvault",
    "microsoft.costmanagement", "microsoft.operationalinsights", "microsoft.eventhub",
    "microsoft.compute", "microsoft.consumption", "microsoft.billing",
}

FAULT_ACTIONS = ("429", "500", "503", "502_html", "reset", "slow", "truncate",
                 "invalid_json", "401_expired", "next_link_loop", "custom", "headers")

GRAINS = {"PT1M": 60, "PT5M": 300, "PT15M": 900, "PT30M": 1800, "PT1H": 3600,
          "PT6H": 21600, "PT12H": 43200, "P1D": 86400}
AGGREGATIONS = ("average", "minimum", "maximum", "total", "count")
MAX_POINTS = 250000


def parse_query(q):
    """Query string -> {lower-case name: decoded value} (last one wins)."""
    out = {}
    if not q:
        return out
    for part in q.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        if "%" in k or "+" in k:
            k = unquote_plus(k)
        if "%" in v or "+" in v:
            v = unquote_plus(v)
        out[k.lower()] = v
    return out


_iso_cache = {}


def num(v):
    """A metric value as Azure Monitor writes it: always a JSON float."""
    return "%d.0" % v if type(v) is int else repr(float(v))


def jdump(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def iso(epoch):
    s = _iso_cache.get(epoch)
    if s is None:
        s = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
        if len(_iso_cache) > 200000:
            _iso_cache.clear()
        _iso_cache[epoch] = s
    return s


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def norm_aud(a):
    return (a or "").strip().rstrip("/").lower()


class Headers(dict):
    """Request headers, keyed by lower-case name (look up lower-case names)."""


_rng = random.Random(int.from_bytes(os.urandom(16), "big"))
_rng_lock = threading.Lock()


def fast_guid():
    """A random version-4 GUID string (cheaper than uuid.uuid4())."""
    with _rng_lock:
        n = _rng.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    h = "%032x" % n
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


_date_cache = [0, ""]


def http_date():
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[1] = email.utils.formatdate(now, usegmt=True)
        _date_cache[0] = now
    return _date_cache[1]


REASONS = {s.value: s.phrase for s in HTTPStatus}
GZIP_Q0 = re.compile(r"gzip\s*;\s*q=0(\.0*)?(\s|,|$)", re.I)


class Body:
    """A response body with a lazily computed gzip form (precomputed bodies)."""
    __slots__ = ("raw", "_gz")

    def __init__(self, raw):
        self.raw = raw
        self._gz = None

    def gz(self):
        g = self._gz
        if g is None:
            g = gzip.compress(self.raw, compresslevel=6, mtime=0)
            self._gz = g
        return g


class Resp:
    __slots__ = ("status", "body", "ctype", "headers")

    def __init__(self, status, body=b"", ctype=JSON_CT, headers=None):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = headers or []


class HttpError(Exception):
    def __init__(self, resp):
        Exception.__init__(self)
        self.resp = resp


def arm_error(status, code, message, headers=None, details=None):
    err = {"code": code, "message": message}
    if details:
        err["details"] = details
    return Resp(status, jdump({"error": err}), JSON_CT, headers)


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------

class TokenInfo:
    __slots__ = ("aud", "aud_norm", "tid", "appid", "exp", "iat")

    def __init__(self, aud, tid, appid, iat, exp):
        self.aud = aud
        self.aud_norm = norm_aud(aud)
        self.tid = tid
        self.appid = appid
        self.iat = iat
        self.exp = exp


class Tokens:
    def __init__(self, lifetime):
        self.lifetime = lifetime
        self.d = {}
        self.lock = threading.Lock()

    def issue(self, aud, tid, appid, oid, extra=None):
        iat = int(time.time())
        exp = iat + self.lifetime
        header = {"alg": "RS256", "typ": "JWT", "kid": "fake"}
        payload = {
            "aud": aud, "iss": "https://sts.windows.net/%s/" % tid,
            "iat": iat, "nbf": iat, "exp": exp,
            "tid": tid, "oid": oid, "appid": appid, "sub": oid,
            "idtyp": "app", "ver": "1.0", "uti": b64url(os.urandom(12)),
        }
        if extra:
            payload.update(extra)
        signing = b64url(jdump(header)) + "." + b64url(jdump(payload))
        sig = b64url(hashlib.sha256(signing.encode() + os.urandom(8)).digest() * 8)
        tok = signing + "." + sig
        with self.lock:
            self.d[tok] = TokenInfo(aud, tid, appid, iat, exp)
        return tok, iat, exp

    def get(self, tok):
        return self.d.get(tok)

    def forget(self, tok):
        with self.lock:
            self.d.pop(tok, None)

    def expire_all(self):
        with self.lock:
            now = int(time.time())
            n = 0
            for info in self.d.values():
                if info.exp > now - 1:
                    info.exp = now - 1
                    n += 1
            return n


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------

class Rule:
    def __init__(self, spec, index):
        if not isinstance(spec, dict):
            raise ValueError("rule %d: not a JSON object" % index)
        self.spec = spec
        if "match" not in spec or not isinstance(spec["match"], str):
            raise ValueError("rule %d: 'match' (a regex string) is required" % index)
        try:
            self.rx = re.compile(spec["match"])
        except re.error as e:
            raise ValueError("rule %d: bad regex %r: %s" % (index, spec["match"], e))
        self.method = spec.get("method")
        if self.method is not None:
            if not isinstance(self.method, str):
                raise ValueError("rule %d: 'method' must be a string" % index)
            self.method = self.method.upper()
        self.action = str(spec.get("action", ""))
        if self.action not in FAULT_ACTIONS:
            raise ValueError("rule %d: unknown action %r (one of %s)" % (index, self.action, ", ".join(FAULT_ACTIONS)))
        self.skip = spec.get("skip", 0)
        self.times = spec.get("times", 1)
        for k in ("skip", "times"):
            v = getattr(self, k)
            if not isinstance(v, int) or isinstance(v, bool) or v < -1 or (k == "skip" and v < 0):
                raise ValueError("rule %d: '%s' must be an integer%s" % (index, k, " >= 0" if k == "skip" else " >= -1"))
        self.delay_ms = spec.get("delay_ms", 0)
        if not isinstance(self.delay_ms, (int, float)) or self.delay_ms < 0:
            raise ValueError("rule %d: 'delay_ms' must be a number >= 0" % index)
        hdrs = spec.get("headers", {})
        if not isinstance(hdrs, dict):
            raise ValueError("rule %d: 'headers' must be an object" % index)
        self.headers = [(str(k), str(v)) for k, v in hdrs.items()]
        self.seen = 0
        self.applied = 0

    def state(self):
        d = dict(self.spec)
        d["seen"] = self.seen
        d["applied"] = self.applied
        return d


def parse_rules(data):
    if isinstance(data, dict) and "rules" in data:
        data = data["rules"]
    if not isinstance(data, list):
        raise ValueError("faults must be a JSON list of rules")
    return [Rule(s, i) for i, s in enumerate(data)]


class Faults:
    def __init__(self, rules=None):
        self.rules = rules or []
        self.lock = threading.Lock()

    def replace(self, rules):
        with self.lock:
            self.rules = rules

    def pick(self, method, target):
        if not self.rules:
            return None
        with self.lock:
            for r in self.rules:
                if r.method is not None and r.method != method:
                    continue
                if not r.rx.search(target):
                    continue
                r.seen += 1
                if r.seen <= r.skip:
                    continue
                if r.times != -1 and r.applied >= r.times:
                    continue
                r.applied += 1
                return r
        return None

    def state(self):
        with self.lock:
            return [r.state() for r in self.rules]


# ---------------------------------------------------------------------------
# Request log
# ---------------------------------------------------------------------------

class RequestLog:
    def __init__(self, path=None):
        self.entries = []
        self.seq = 0
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8") if path else None

    def add(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)
            if self.file:
                self.file.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
                self.file.flush()

    def dump(self):
        with self.lock:
            return jdump(self.entries)

    def clear(self):
        with self.lock:
            n = len(self.entries)
            self.entries = []
            return n

    def close(self):
        if self.file:
            self.file.close()


# ---------------------------------------------------------------------------
# Parsed request
# ---------------------------------------------------------------------------

class Req:
    __slots__ = ("method", "target", "path_raw", "query_raw", "low", "segs", "params",
                 "headers", "body", "bearer", "token", "token_info", "loop")

    def __init__(self, method, target, headers, body):
        self.method = method
        if target.startswith(("http://", "https://")):
            u = urlsplit(target)
            target = u.path + ("?" + u.query if u.query else "")
        self.target = target
        self.path_raw, _, self.query_raw = target.partition("?")
        self.low = unquote(self.path_raw).lower().rstrip("/") or "/"
        self.segs = self.low.strip("/").split("/")
        self.params = parse_query(self.query_raw)
        self.headers = headers
        self.body = body
        auth = headers.get("authorization")
        self.bearer = False
        self.token = None
        if auth:
            scheme, _, tok = auth.strip().partition(" ")
            if scheme.lower() == "bearer" and tok.strip():
                self.bearer = True
                self.token = tok.strip()
        self.token_info = None
        self.loop = False


# ---------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------

class Route:
    """One static ARM path.  kind decides how the handler answers."""
    __slots__ = ("kind", "versions", "vtype", "sub", "data", "cache", "path", "null_last", "extra")

    def __init__(self, kind, versions, vtype, sub, data=None, path=None, null_last=False, extra=None):
        self.kind = kind
        self.versions = versions
        self.vtype = vtype          # resource type named in api-version errors, None = ARM core
        self.sub = sub              # subscription (lower) the path belongs to, or None
        self.data = data
        self.cache = {}
        self.path = path            # canonical path for nextLinks
        self.null_last = null_last
        self.extra = extra


def skip_token(n):
    return base64.b64encode(b'{"next":%d}' % n).decode("ascii")


def parse_time(s):
    s = s.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    import datetime as _dt
    d = _dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return int(d.timestamp())


DUR_RX = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.I)


def parse_duration(s):
    m = DUR_RX.match(s.strip())
    if not m or not any(m.groups()):
        raise ValueError("bad duration %r" % s)
    d, h, mi, se = (int(x or 0) for x in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + se


def parse_timespan(s, now):
    if not s:
        end = now - now % 60
        return end - 3600, end
    if "/" in s:
        a, b = s.split("/", 1)
        if a.strip().upper().startswith("P"):
            dur = parse_duration(a)
            end = parse_time(b)
            return end - dur, end
        start = parse_time(a)
        if b.strip().upper().startswith("P"):
            return start, start + parse_duration(b)
        return start, parse_time(b)
    dur = parse_duration(s)
    end = now - now % 60
    return end - dur, end


FILTER_CLAUSE_RX = re.compile(r"^\s*([A-Za-z_][\w.]*)\s+eq\s+'([^']*)'\s*$", re.I)


def parse_metric_filter(text):
    """-> {dim_lower: set(values)} ; '*' means split by every value."""
    if not text or not text.strip():
        return {}
    out = {}
    for conj in re.split(r"\s+and\s+", text.strip(), flags=re.I):
        conj = conj.strip()
        if conj.startswith("(") and conj.endswith(")"):
            conj = conj[1:-1]
        dim = None
        vals = set()
        for clause in re.split(r"\s+or\s+", conj, flags=re.I):
            m = FILTER_CLAUSE_RX.match(clause)
            if not m:
                raise ValueError("Invalid filter clause %r" % clause.strip())
            d = m.group(1).lower()
            if dim is not None and d != dim:
                raise ValueError("'or' is only allowed between values of the same dimension")
            dim = d
            vals.add(m.group(2))
        out.setdefault(dim, set()).update(vals)
    return out


# ---------------------------------------------------------------------------
# Cost Management Query API: request parsing and the QPU quota
# ---------------------------------------------------------------------------

QPU_PREFIX = "x-ms-ratelimit-microsoft.costmanagement-qpu-"
COST_MEASURES = {m.lower(): m for m in ("Cost", "CostUSD", "PreTaxCost", "PreTaxCostUSD", "UsageQuantity")}
COST_DIMENSIONS = {d.lower(): d for d in (
    "ResourceId", "ResourceType", "ResourceGroup", "ResourceGroupName", "ResourceLocation",
    "SubscriptionId", "SubscriptionName", "ServiceName", "ServiceFamily", "MeterCategory",
    "MeterSubCategory", "Meter", "MeterName", "MeterId", "ChargeType", "PricingModel", "PublisherType")}
COST_TIMEFRAMES = ("MonthToDate", "BillingMonthToDate", "TheLastMonth", "TheLastBillingMonth",
                   "WeekToDate", "Custom")
COST_DATE_RX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                          r"(Z|z|[+-]\d{2}:?\d{2})?)?$")
MAX_COST_TOP = 5000


class CostBad(Exception):
    """A query definition the service would refuse (400 BadRequest)."""


def _cost_enum(value, allowed, what):
    if not isinstance(value, str):
        raise CostBad("'%s' must be a string, one of: %s." % (what, ", ".join(allowed)))
    for a in allowed:
        if a.lower() == value.lower():
            return a
    raise CostBad("Invalid %s '%s'. Allowed values: %s." % (what, value, ", ".join(allowed)))


def parse_cost_date(value, what):
    """'2026-10-01', '2026-10-01T00:00:00Z' (offsets, fractions allowed) ->
    the UTC calendar date."""
    if not isinstance(value, str):
        raise CostBad("'%s' must be a date-time string." % what)
    m = COST_DATE_RX.match(value.strip())
    if not m:
        raise CostBad("'%s' value '%s' is not a valid date-time." % (what, value))
    y, mo, d, hh, mi, ss, tz = m.groups()
    try:
        t = datetime.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
    except ValueError:
        raise CostBad("'%s' value '%s' is not a valid date-time." % (what, value))
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        t -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return t.date()


def timeframe_period(tf, today):
    if tf in ("MonthToDate", "BillingMonthToDate"):
        return today.replace(day=1), today
    if tf in ("TheLastMonth", "TheLastBillingMonth"):
        last = today.replace(day=1) - datetime.timedelta(days=1)
        return last.replace(day=1), last
    if tf == "WeekToDate":
        return today - datetime.timedelta(days=today.weekday()), today
    raise CostBad("Unsupported timeframe %s." % tf)


def _cost_filter(node, where, rid_values):
    """Validates one QueryFilter node (section E.2) -> a compiled tuple."""
    if not isinstance(node, dict) or len(node) != 1:
        raise CostBad("Invalid filter at %s: a filter node must have exactly one of 'and', 'or', "
                      "'dimensions', 'tags'." % where)
    key, val = next(iter(node.items()))
    k = key.lower()
    if k in ("and", "or"):
        if not isinstance(val, list) or len(val) < 2:
            raise CostBad("Invalid filter at %s.%s: the logical '%s' expression must have at least 2 items."
                          % (where, key, k.upper()))
        return (k, tuple(_cost_filter(c, "%s.%s[%d]" % (where, key, i), rid_values) for i, c in enumerate(val)))
    if k in ("dimensions", "tags"):
        if not isinstance(val, dict):
            raise CostBad("Invalid filter at %s.%s: a comparison expression object is required." % (where, key))
        name, op, values = val.get("name"), val.get("operator"), val.get("values")
        if not isinstance(name, str) or not name.strip():
            raise CostBad("Invalid filter at %s.%s: 'name' is required." % (where, key))
        if not isinstance(op, str) or op.lower() != "in":
            raise CostBad("Invalid filter at %s.%s: operator '%s' is not supported; the only operator is 'In'."
                          % (where, key, op))
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise CostBad("Invalid filter at %s.%s: 'values' must be a list of at least one string."
                          % (where, key))
        low = {v.lower() for v in values}
        if k == "tags":
            return ("tag", name.lower(), low)
        dim = name.lower()
        if dim not in COST_DIMENSIONS:
            raise CostBad("Invalid dimension name '%s' in filter. Valid dimensions: %s."
                          % (name, ", ".join(COST_DIMENSIONS.values())))
        if dim == "resourceid":
            rid_values.update(v.rstrip("/") for v in low)
        return ("dim", dim, low)
    raise CostBad("Invalid filter at %s: unknown property '%s' (expected 'and', 'or', 'dimensions' or 'tags')."
                  % (where, key))


def parse_cost_definition(doc, today):
    """A QueryDefinition (section E.1) -> a dict; raises CostBad."""
    if not isinstance(doc, dict):
        raise CostBad("The request body must be a JSON object (QueryDefinition).")
    body = {k.lower(): v for k, v in doc.items()}
    if "type" not in body:
        raise CostBad("The query 'type' is required (Usage, ActualCost, AmortizedCost).")
    ctype = _cost_enum(body["type"], estate_mod.COST_TYPES, "type")
    if "timeframe" not in body:
        raise CostBad("The query 'timeframe' is required.")
    tf = _cost_enum(body["timeframe"], COST_TIMEFRAMES, "timeframe")
    if tf == "Custom":
        tp = body.get("timeperiod")
        if not isinstance(tp, dict):
            raise CostBad("'timePeriod' with 'from' and 'to' is required when timeframe is Custom.")
        tpl = {k.lower(): v for k, v in tp.items()}
        if "from" not in tpl or "to" not in tpl:
            raise CostBad("'timePeriod' requires both 'from' and 'to'.")
        start = parse_cost_date(tpl["from"], "timePeriod.from")
        end = parse_cost_date(tpl["to"], "timePeriod.to")
        if end < start:
            raise CostBad("Invalid timePeriod: 'from' (%s) is after 'to' (%s)." % (start, end))
        if (end - start).days > 365:
            raise CostBad("Invalid timePeriod: the period (%s to %s) is longer than one year." % (start, end))
    else:
        start, end = timeframe_period(tf, today)
    ds = body.get("dataset")
    if not isinstance(ds, dict):
        raise CostBad("The query 'dataset' is required and must be an object.")
    ds = {k.lower(): v for k, v in ds.items()}
    gran = ds.get("granularity")
    gran = "None" if gran is None else _cost_enum(gran, ("Daily", "None"), "granularity")
    conf = ds.get("configuration")
    if conf is not None and (not isinstance(conf, dict) or not isinstance(conf.get("columns", []), list)):
        raise CostBad("'dataset.configuration' must be an object with a 'columns' list.")
    agg = ds.get("aggregation")
    if agg is None:
        raise CostBad("'dataset.aggregation' is required by this fake (raw usage rows are not served).")
    if not isinstance(agg, dict) or not agg:
        raise CostBad("'dataset.aggregation' must be an object with 1 or 2 aggregation expressions.")
    if len(agg) > 2:
        raise CostBad("Query can have up to 2 aggregation clauses; got %d." % len(agg))
    measures = []
    for alias, a in agg.items():
        if not isinstance(a, dict):
            raise CostBad("Aggregation '%s' must be an object with 'name' and 'function'." % alias)
        a = {k.lower(): v for k, v in a.items()}
        name, fn = a.get("name"), a.get("function")
        if not isinstance(name, str) or name.lower() not in COST_MEASURES:
            raise CostBad("Invalid aggregation column name '%s' in '%s'. Valid names: %s."
                          % (name, alias, ", ".join(COST_MEASURES.values())))
        if not isinstance(fn, str) or fn.lower() != "sum":
            raise CostBad("Invalid aggregation function '%s' in '%s'; the only function is 'Sum'." % (fn, alias))
        measures.append(COST_MEASURES[name.lower()])
    grp = ds.get("grouping", [])
    if grp is None:
        grp = []
    if not isinstance(grp, list):
        raise CostBad("'dataset.grouping' must be a list.")
    if len(grp) > 2:
        raise CostBad("Query can have up to 2 group by clauses; got %d." % len(grp))
    groupings = []
    for i, g in enumerate(grp):
        if not isinstance(g, dict):
            raise CostBad("grouping[%d] must be an object with 'type' and 'name'." % i)
        g = {k.lower(): v for k, v in g.items()}
        gtype = _cost_enum(g.get("type"), ("Dimension", "TagKey"), "grouping[%d].type" % i)
        name = g.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CostBad("grouping[%d].name is required." % i)
        if gtype == "Dimension":
            if name.lower() not in COST_DIMENSIONS:
                raise CostBad("Invalid dimension name '%s' in grouping. Valid dimensions: %s."
                              % (name, ", ".join(COST_DIMENSIONS.values())))
            groupings.append(("Dimension", COST_DIMENSIONS[name.lower()]))
        else:
            groupings.append(("TagKey", name))
    rid_values = set()
    flt = None
    if ds.get("filter") is not None:
        flt = _cost_filter(ds["filter"], "dataset.filter", rid_values)
    months = (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1
    return {"type": ctype, "timeframe": tf, "from": start, "to": end, "daily": gran == "Daily",
            "measures": measures, "groupings": groupings, "filter": flt, "rid_values": rid_values,
            "qpu": months}


def cost_match(f, res):
    op = f[0]
    if op == "and":
        return all(cost_match(c, res) for c in f[1])
    if op == "or":
        return any(cost_match(c, res) for c in f[1])
    if op == "dim":
        return res["dims"].get(f[1], "").lower() in f[2]
    v = cost_tag(res, f[1], None)
    return v is not None and v.lower() in f[2]


def cost_tag(res, key_lower, default=""):
    """A resource's tag value (tag keys are case-insensitive)."""
    for k, v in res["tags"].items():
        if k.lower() == key_lower.lower():
            return v if isinstance(v, str) else str(v)
    return default


class QpuMeter:
    """The Cost Management QPU quota: a fixed window of `window` seconds that
    starts at the first query after the previous one ended; each answered
    query costs its QPU (1 per month of the period).  limit 0 = unlimited."""

    UNLIMITED_REMAINING = 60

    def __init__(self, limit, window):
        self.limit = limit
        self.window = window
        self.start = None
        self.used = 0
        self.lock = threading.Lock()

    def _roll(self, now):
        if self.start is None or now >= self.start + self.window:
            self.start = now
            self.used = 0

    def remaining(self):
        if self.limit <= 0:
            return self.UNLIMITED_REMAINING
        with self.lock:
            self._roll(time.monotonic())
            return max(0, self.limit - self.used)

    def take(self, cost):
        """-> (allowed, remaining, retry_after_seconds)."""
        if self.limit <= 0:
            return True, self.UNLIMITED_REMAINING, 0
        with self.lock:
            now = time.monotonic()
            self._roll(now)
            if self.used >= self.limit:
                return False, 0, max(1, int(math.ceil(self.start + self.window - now)))
            self.used += cost
            return True, max(0, self.limit - self.used), 0


# ---------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------

class App:
    def __init__(self, est, opts, port):
        self.est = est
        self.opts = opts
        self.port = port
        self.base = "%s://127.0.0.1:%d" % ("https" if opts.tls_cert else "http", port)
        self.ps = opts.page_size
        self.latency = opts.latency_ms / 1000.0
        self.tokens = Tokens(opts.token_lifetime)
        self.faults = Faults()
        self.log = RequestLog(opts.log)
        self.stop = threading.Event()
        self.tenant = est.tenant.lower()
        self.sub_set = {s["subscriptionId"].lower() for s in est.subscriptions}
        self.sub_tenant = {s["subscriptionId"].lower(): s["tenantId"].lower() for s in est.subscriptions}
        self.rg_set = set()
        self.fs_by_low = {fs["id"].lower(): fs for fs in est.filesystems}
        self.metric_cache = {}
        self.metric_text = {}
        self.series_text_cache = {}
        self.metric_cache_lock = threading.Lock()
        self.routes = {}
        self._build_routes()
        self._build_arg_rows()
        self._build_cost()
        self._warm()

    def _warm(self):
        """Precomputes the first list pages for the usual api-versions and the
        gzip form of every static body, so a request is a dict lookup."""
        class _R:
            params = {}
        for path, r in self.routes.items():
            if r.kind == "paged":
                av = "2022-12-01" if path == "/subscriptions" else "2025-07-01"
                n = max(1, -(-len(r.data) // self.ps))
                for page in range(1, n + 1):
                    q = _R()
                    q.params = {} if page == 1 else {"$skiptoken": skip_token(page)}
                    self.paged(q, r, av)
                for body in r.cache.values():
                    body.gz()
            elif r.kind == "static":
                r.data.gz()

    # -- start-up -----------------------------------------------------------
    def _build_routes(self):
        est = self.est
        R = self.routes
        subs_items = [jdump(s).decode() for s in est.subscriptions]
        R["/subscriptions"] = Route("paged", AV_SUBS, None, None, subs_items, "/subscriptions",
                                    extra='"count":{"type":"Total","value":%d}' % len(subs_items))
        by_sub_fs = {}
        by_rg_fs = {}
        for fs in est.filesystems:
            sub, rg, name = estate_mod.split_fs_id(fs["id"])
            by_sub_fs.setdefault(sub.lower(), []).append(fs)
            by_rg_fs.setdefault((sub.lower(), rg.lower()), []).append(fs)
        rgs_by_sub = {}
        for g in est.resource_groups:
            p = g["id"].split("/")
            sub, rg = p[2].lower(), p[4].lower()
            self.rg_set.add((sub, rg))
            rgs_by_sub.setdefault(sub, []).append(g)
        for s in est.subscriptions:
            sid = s["subscriptionId"]
            low = sid.lower()
            base = "/subscriptions/" + low
            R[base] = Route("static", AV_SUBS, None, low, Body(jdump(s)))
            R[base + "/resourcegroups"] = Route(
                "static", AV_RG, None, low, Body(jdump({"value": rgs_by_sub.get(low, [])})))
            R[base + "/providers/microsoft.storagecache/amlfilesystems"] = Route(
                "paged", AV_SC, "amlFilesystems", low,
                [jdump(f).decode() for f in by_sub_fs.get(low, [])],
                "/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems" % sid,
                null_last=est.last_page_null.get(low, False))
            self._authz_routes(base, low, "/subscriptions/" + sid)
        for g in est.resource_groups:
            p = g["id"].split("/")
            sub, rg = p[2], p[4]
            base = "/subscriptions/%s/resourcegroups/%s" % (sub.lower(), rg.lower())
            R[base] = Route("static", AV_RG, None, sub.lower(), Body(jdump(g)))
            R[base + "/providers/microsoft.storagecache/amlfilesystems"] = Route(
                "paged", AV_SC, "amlFilesystems", sub.lower(),
                [jdump(f).decode() for f in by_rg_fs.get((sub.lower(), rg.lower()), [])],
                "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.StorageCache/amlFilesystems" % (sub, rg),
                null_last=est.last_page_null.get(sub.lower(), False))
            self._authz_routes(base, sub.lower(), g["id"])
        for fs in est.filesystems:
            fid = fs["id"]
            low = fid.lower()
            sub = low.split("/")[2]
            R[low] = Route("static", AV_SC, "amlFilesystems", sub, Body(jdump(fs)))
            jobs = est.jobs[low]
            for kind in estate_mod.JOB_KINDS:
                kl = kind.lower()
                versions = tuple(v for v in AV_SC if v >= AV_JOBS_MIN[kl])
                vtype = "amlFilesystems/" + kind
                R[low + "/" + kl] = Route("static", versions, vtype, sub,
                                          Body(jdump({"value": jobs.get(kind, [])})))
                for job in jobs.get(kind, []):
                    R[low + "/" + kl + "/" + job["name"].lower()] = Route(
                        "static", versions, vtype, sub, Body(jdump(job)))
            self._authz_routes(low, sub, fid)
            diags = est.diagnostic_settings.get(low, [])
            dpath = low + "/providers/microsoft.insights/diagnosticsettings"
            R[dpath] = Route("static", AV_DIAG, "diagnosticSettings", sub, Body(jdump({"value": diags})))
            for d in diags:
                R[dpath + "/" + d["name"].lower()] = Route("static", AV_DIAG, "diagnosticSettings", sub,
                                                           Body(jdump(d)))
            R[low + "/providers/microsoft.insights/metrics"] = Route(
                "metrics", AV_METRICS, "metrics", sub, (fid, est.fs_meta[low]))
            R[low + "/providers/microsoft.insights/metricdefinitions"] = Route(
                "metricdefs", AV_METRICS, "metricDefinitions", sub, fid)
        R[ARG_PATH] = Route("arg", AV_ARG, "resources", None)

    def _authz_index(self):
        """Role assignments and locks grouped by lower-case scope."""
        if getattr(self, "_ra_by_scope", None) is None:
            self._ra_by_scope = {}
            for a in self.est.role_assignments:
                self._ra_by_scope.setdefault(a["properties"]["scope"].lower().rstrip("/"), []).append(a)
            self._lock_by_scope = {}
            for lk in self.est.locks:
                self._lock_by_scope.setdefault(estate_mod.scope_of(lk["id"], "locks").lower(), []).append(lk)
            # scope -> every scope strictly below it (for subscriptions and groups)
            self._below = {}
            for sc in set(self._ra_by_scope) | set(self._lock_by_scope):
                for anc in self._ancestors(sc)[:-1]:
                    self._below.setdefault(anc, []).append(sc)

    @staticmethod
    def _ancestors(scope_low):
        """'/subscriptions/s/resourcegroups/r/providers/..' -> [sub, group, resource] scopes."""
        p = scope_low.strip("/").split("/")
        out = ["/" + "/".join(p[:2])]
        if len(p) >= 4 and p[2] == "resourcegroups":
            out.append("/" + "/".join(p[:4]))
            if len(p) > 4:
                out.append("/" + "/".join(p))
        elif len(p) > 2:
            out.append("/" + "/".join(p))
        return out

    def _authz_routes(self, base_low, sub, scope):
        """Role assignments and locks at a subscription, group or file system:
        those at the scope and above, plus (without $filter=atScope()) below.
        A file system's recorded lists are served as recorded."""
        self._authz_index()
        scope_low = scope.lower()
        anc = self._ancestors(scope_low)
        below_scopes = sorted(self._below.get(scope_low, []))
        if scope_low in self.est.fs_roles:
            above, below = self.est.fs_roles[scope_low], []
        else:
            above = [a for sc in anc for a in self._ra_by_scope.get(sc, [])]
            below = [a for sc in below_scopes for a in self._ra_by_scope.get(sc, [])]
        self.routes[base_low + "/providers/microsoft.authorization/roleassignments"] = Route(
            "roles", AV_RA, "roleAssignments", sub, (above, below))
        if scope_low in self.est.fs_locks:
            locks = self.est.fs_locks[scope_low]
        else:
            locks = [lk for sc in anc + below_scopes for lk in self._lock_by_scope.get(sc, [])]
        self.routes[base_low + "/providers/microsoft.authorization/locks"] = Route(
            "static", AV_LOCKS, "locks", sub, Body(jdump({"value": locks})))

    def _build_arg_rows(self):
        cols = ["id", "name", "type", "tenantId", "kind", "location", "resourceGroup",
                "subscriptionId", "managedBy", "sku", "plan", "properties", "tags",
                "identity", "zones", "extendedLocation"]
        ctypes = {"sku": "object", "plan": "object", "properties": "object", "tags": "object",
                  "identity": "object", "zones": "object", "extendedLocation": "object"}
        self.arg_columns = [{"name": c, "type": ctypes.get(c, "string")} for c in cols]
        self.arg_rows = []
        for fs in self.est.filesystems:
            sub, rg, name = estate_mod.split_fs_id(fs["id"])
            row = {
                "id": fs["id"], "name": fs["name"],
                "type": "microsoft.storagecache/amlfilesystems",
                "tenantId": self.sub_tenant.get(sub.lower(), self.tenant),
                "kind": "", "location": fs["location"], "resourceGroup": rg.lower(),
                "subscriptionId": sub, "managedBy": "", "sku": fs.get("sku"), "plan": None,
                "properties": fs.get("properties", {}), "tags": fs.get("tags", {}),
                "identity": fs.get("identity"), "zones": fs.get("zones"),
                "extendedLocation": None,
            }
            self.arg_rows.append((sub.lower(), jdump(row).decode(), jdump([row[c] for c in cols]).decode()))

    # -- helpers --------------------------------------------------------------
    def www_auth(self, desc, tid=None):
        return ("WWW-Authenticate",
                'Bearer authorization_uri="https://login.microsoftonline.com/%s", error="invalid_token", '
                'error_description="%s"' % (tid or self.tenant, desc))

    def auth_fail(self, code, message):
        return arm_error(401, code, message, [self.www_auth(message)])

    def authenticate(self, req, audiences):
        if req.headers.get("authorization") is None:
            raise HttpError(self.auth_fail("InvalidAuthenticationToken",
                                           "The 'Authorization' header is missing."))
        if not req.bearer:
            raise HttpError(self.auth_fail(
                "InvalidAuthenticationToken",
                "The 'Authorization' header is invalid. It must be in the format 'Bearer <token>'."))
        info = req.token_info
        if info is None:
            raise HttpError(self.auth_fail("InvalidAuthenticationToken",
                                           "The access token is invalid or was not issued by this server."))
        now = int(time.time())
        if info.exp <= now:
            raise HttpError(self.auth_fail(
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time '%s' is earlier than current UTC time '%s'."
                % (iso(info.exp), iso(now))))
        if info.aud_norm not in audiences:
            allowed = ", ".join("'%s'" % a for a in sorted(audiences))
            raise HttpError(self.auth_fail(
                "InvalidAuthenticationTokenAudience",
                "The access token has been obtained for wrong audience or resource '%s'. "
                "It should exactly match with one of the allowed audiences %s." % (info.aud, allowed)))
        return info

    def check_tenant(self, info, sub):
        want = self.sub_tenant.get(sub)
        if want and info.tid != want:
            msg = ("The access token is from the wrong issuer 'https://sts.windows.net/%s/'. It must match "
                   "the tenant 'https://sts.windows.net/%s/' associated with this subscription. Please use "
                   "the authority (URL) 'https://login.windows.net/%s' to get the token."
                   % (info.tid, want, want))
            raise HttpError(arm_error(401, "InvalidAuthenticationTokenTenant", msg,
                                      [self.www_auth(msg, want)]))

    def check_api_version(self, req, versions, vtype, location=None):
        av = req.params.get("api-version")
        if av is None or av == "":
            raise HttpError(arm_error(400, "MissingApiVersionParameter",
                                      "The api-version query parameter (?api-version=) is required for all requests."))
        if av not in versions:
            sup = ", ".join(versions)
            if vtype is None:
                raise HttpError(arm_error(400, "InvalidApiVersionParameter",
                                          "The api-version '%s' is invalid. The supported versions are '%s'." % (av, sup)))
            raise HttpError(arm_error(
                400, "NoRegisteredProviderFound",
                "No registered resource provider found for location '%s' and API version '%s' for type '%s'. "
                "The supported api-versions are '%s'." % (location or "global", av, vtype, sup)))
        return av

    # -- dispatch -----------------------------------------------------------
    def handle(self, req):
        """Routes one (non-control, non-mutating) request.  Returns a Resp."""
        low = req.low
        if low == "/metadata/identity/oauth2/token":
            return self.imds(req)
        if low == "/msi/token":
            return self.appservice(req)
        m = TOKEN_RX.match(low)
        if m:
            return self.token(req, unquote(req.path_raw).strip("/").split("/")[0])
        m = BATCH_RX.match(low)
        if m:
            info = self.authenticate(req, METRICS_AUDIENCES)
            if req.method != "POST":
                return arm_error(405, "HttpMethodNotAllowed", "getBatch accepts POST only.", [("Allow", "POST")])
            return self.get_batch(req, m.group(1), m.group(2), info)
        info = self.authenticate(req, ARM_AUDIENCES)
        segs = req.segs
        if segs[0] == "subscriptions" and len(segs) >= 2:
            self.check_tenant(info, segs[1])
        if low == "/subscriptions" and info.tid != self.tenant:
            self.check_api_version(req, AV_SUBS, None)
            return Resp(200, jdump({"value": [], "count": {"type": "Total", "value": 0}}))
        if low.endswith("/providers/microsoft.costmanagement/query") and (
                COST_SUB_RX.match(low) or COST_BILLING_RX.match(low)):
            return self.cost_query(req, info)
        route = self.routes.get(low)
        if route is None:
            return self.not_found(req)
        if route.kind == "arg":
            if req.method != "POST":
                return arm_error(405, "HttpMethodNotAllowed",
                                 "The requested resource does not support http method '%s'." % req.method,
                                 [("Allow", "POST")])
            av = self.check_api_version(req, route.versions, route.vtype)
            return self.resource_graph(req, info)
        if req.method != "GET":
            return arm_error(405, "HttpMethodNotAllowed",
                             "The requested resource does not support http method '%s'." % req.method,
                             [("Allow", "GET")])
        av = self.check_api_version(req, route.versions, route.vtype)
        kind = route.kind
        if kind == "static":
            return Resp(200, route.data)
        if kind == "paged":
            return self.paged(req, route, av)
        if kind == "roles":
            return self.roles(req, route)
        if kind == "metrics":
            return self.metrics(req, route)
        if kind == "metricdefs":
            return self.metric_definitions(route)
        return arm_error(500, "InternalServerError", "unhandled route kind %s" % kind)

    def not_found(self, req):
        segs = req.segs
        if req.params.get("api-version") in (None, ""):
            return arm_error(400, "MissingApiVersionParameter",
                             "The api-version query parameter (?api-version=) is required for all requests.")
        rest = segs
        rg = None
        if segs[0] == "subscriptions" and len(segs) >= 2:
            sub = segs[1]
            if sub not in self.sub_set:
                return arm_error(404, "SubscriptionNotFound", "The subscription '%s' could not be found." % sub)
            rest = segs[2:]
            if len(segs) >= 4 and segs[2] == "resourcegroups":
                rg = segs[3]
                if (sub, rg) not in self.rg_set:
                    return arm_error(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % rg)
                rest = segs[4:]
        for i, s in enumerate(rest):
            if s == "providers" and i + 1 < len(rest) and rest[i + 1] not in KNOWN_NAMESPACES:
                ns = unquote(req.path_raw).strip("/").split("/")
                nsname = ns[len(segs) - len(rest) + i + 1] if len(ns) == len(segs) else rest[i + 1]
                return arm_error(400, "NoRegisteredProviderFound",
                                 "No registered resource provider found for location 'global' and API version "
                                 "'%s' for type '%s'." % (req.params.get("api-version"), nsname))
        path = unquote(req.path_raw)
        if rg is not None and "providers" in rest:
            tail = path.split("/providers/", 1)[1].split("/")
            rtype = "/".join(tail[:2])
            name = "/".join(tail[2:])
            msg = ("The Resource '%s/%s' under resource group '%s' was not found. For more details please "
                   "go to https://aka.ms/ARMResourceNotFoundFix" % (rtype, name, path.split("/")[4]))
        else:
            msg = "The resource '%s' was not found." % path
        return arm_error(404, "ResourceNotFound", msg)

    # -- ARM lists ------------------------------------------------------------
    def paged(self, req, route, av):
        items = route.data
        n = len(items)
        npages = max(1, -(-n // self.ps))
        page = 1
        tok = req.params.get("$skiptoken")
        if tok is not None:
            try:
                page = int(json.loads(base64.b64decode(tok + "=" * (-len(tok) % 4)).decode())["next"])
            except Exception:
                page = -1
            if page < 2 or page > npages:
                return arm_error(400, "InvalidSkipToken", "The skip token '%s' is not valid." % tok)
        key = (av, page)
        body = route.cache.get(key)
        if body is None:
            chunk = items[(page - 1) * self.ps: page * self.ps]
            parts = ['{"value":[', ",".join(chunk), "]"]
            if page < npages:
                link = "%s%s?api-version=%s&$skipToken=%s" % (self.base, route.path, av,
                                                              quote(skip_token(page + 1), safe=""))
                parts.append(',"nextLink":' + json.dumps(link))
            elif route.null_last:
                parts.append(',"nextLink":null')
            if route.extra:
                parts.append("," + route.extra)
            parts.append("}")
            body = Body("".join(parts).encode("utf-8"))
            route.cache[key] = body
        return Resp(200, body)

    def roles(self, req, route):
        above, below = route.data
        f = (req.params.get("$filter") or "").strip()
        principal = None
        only_above = False
        if f:
            rest = f
            m = re.match(r"^atScope\(\)\s*(?:and\s+(.*))?$", f, re.I)
            if m:
                only_above = True
                rest = m.group(1) or ""
            if rest:
                m2 = re.match(r"^(?:principalId\s+eq\s+'([^']+)'|assignedTo\('([^']+)'\))$", rest.strip(), re.I)
                if not m2:
                    return arm_error(400, "UnsupportedQuery", "The filter '%s' is not supported." % f)
                principal = (m2.group(1) or m2.group(2)).lower()
        key = (only_above, principal)
        body = route.cache.get(key)
        if body is None:
            items = list(above) if only_above else list(above) + list(below)
            if principal:
                items = [a for a in items if a["properties"]["principalId"].lower() == principal]
            body = Body(jdump({"value": items}))
            if len(route.cache) < 64:
                route.cache[key] = body
        return Resp(200, body)

    # -- Azure Monitor ----------------------------------------------------------
    def metric_definitions(self, route):
        body = route.cache.get("defs")
        if body is None:
            fid = route.data
            grains = ["PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D"]
            vals = []
            for d in estate_mod.METRICS.values():
                item = {
                    "id": "%s/providers/microsoft.insights/metricdefinitions/%s" % (fid, d["name"]),
                    "resourceId": fid,
                    "namespace": estate_mod.METRIC_NAMESPACE,
                    "metricClass": "Saturation" if d["scale"] is None else "Transactions",
                    "name": {"value": d["name"],
                             "localizedValue": self.est.metric_text.get(d["name"].lower(), {}).get(
                                 "localizedValue", d["localized"])},
                    "displayDescription": self.est.metric_text.get(d["name"].lower(), {}).get(
                        "displayDescription", d["description"]),
                    "category": "Capacity" if d["scale"] is None else "Performance",
                    "isDimensionRequired": False,
                    "unit": d["unit"],
                    "primaryAggregationType": "Average",
                    "supportedAggregationTypes": list(d["aggregations"]),
                    "metricAvailabilities": [{"timeGrain": g, "retention": "P93D"} for g in grains],
                }
                dims = ([d["dim"]] if d["dim"] else []) + list(d["extra_dims"])
                if dims:
                    item["dimensions"] = [{"value": x, "localizedValue": x} for x in dims]
                vals.append(item)
            body = Body(jdump({"value": vals}))
            route.cache["defs"] = body
        return Resp(200, body)

    def _metric_request(self, names_s, ns, aggs_s, interval_s, filt_s, top_s, validate, autoadjust):
        """Validates the common metric parameters. Raises HttpError."""
        def bad(msg):
            raise HttpError(arm_error(400, "BadRequest", msg))
        if ns and ns.lower() != estate_mod.METRIC_NAMESPACE.lower():
            bad("Metric namespace '%s' is not valid for resource type Microsoft.StorageCache/amlFilesystems. "
                "Valid metric namespaces are: Microsoft.StorageCache/amlFilesystems" % ns)
        if not names_s:
            bad("The 'metricnames' parameter is required by this fake.")
        names = [n.strip().replace("%2", ",") for n in names_s.split(",") if n.strip()]
        if len(names) > 20:
            bad("A maximum of 20 metric names may be requested; got %d." % len(names))
        defs = []
        for n in names:
            d = estate_mod.METRICS.get(n.lower())
            if d is None:
                bad("Failed to find metric configuration for provider: Microsoft.StorageCache, resource Type: "
                    "amlFilesystems, metric: %s, Valid metrics: %s"
                    % (n, ",".join(x["name"] for x in estate_mod.METRICS.values())))
            defs.append(d)
        aggs = []
        for a in (aggs_s or "average").split(","):
            a = a.strip().lower()
            if not a:
                continue
            if a not in AGGREGATIONS:
                bad("Invalid aggregation '%s'. Valid values: Average, Minimum, Maximum, Total, Count." % a)
            if a not in aggs:
                aggs.append(a)
        if not aggs:
            aggs = ["average"]
        interval = (interval_s or "PT1M").strip().upper()
        if interval != "FULL" and interval not in GRAINS:
            try:
                secs = parse_duration(interval)
            except ValueError:
                bad("Invalid interval '%s'." % interval_s)
            if not autoadjust:
                bad("Invalid time grain '%s'. Supported time grains: %s, FULL. Set AutoAdjustTimegrain=true to "
                    "let the service pick the closest supported interval." % (interval_s, ", ".join(GRAINS)))
            interval = min(GRAINS, key=lambda g: (abs(GRAINS[g] - secs), GRAINS[g]))
        try:
            filt = parse_metric_filter(filt_s)
        except ValueError as e:
            bad("Invalid $filter '%s': %s" % (filt_s, e))
        try:
            top = int(top_s) if top_s not in (None, "") else 10
        except ValueError:
            bad("Invalid top '%s'." % top_s)
        if top < 1:
            bad("top must be positive.")
        for d in defs:
            for dim in filt:
                ok = dim == (d["dim"] or "") or dim in d["extra_dims"]
                if not ok and validate:
                    sup = ", ".join(([d["dim"]] if d["dim"] else []) + list(d["extra_dims"])) or "none"
                    bad("Metric: %s does not support requested dimension combination: %s, supported ones are: %s"
                        % (d["name"], dim, sup))
        return defs, aggs, interval, filt, top

    @staticmethod
    def _agg_text(avg, gauge, minutes, aggs):
        """',"average":..,"minimum":..' for one point (README "Metric values")."""
        return App._agg_formatter(gauge, minutes, aggs)(avg)

    @staticmethod
    def _agg_formatter(gauge, minutes, aggs):
        """A function avg -> ',"average":..,...' for the requested aggregations."""
        if aggs == ["average"]:
            return lambda v: ',"average":' + num(v)
        fmt = "".join(',"%s":%%r' % ag for ag in aggs)
        fns = {
            "average": lambda v: float(v),
            "minimum": (lambda v: float(v)) if gauge else (lambda v: float(v // 2)),
            "maximum": (lambda v: float(v)) if gauge else (lambda v: float(v + v // 2)),
            "total": lambda v: float(v * minutes),
            "count": lambda v: float(minutes),
        }
        chosen = tuple(fns[ag] for ag in aggs)
        return lambda v: fmt % tuple(fn(v) for fn in chosen)

    def _metric_values(self, fid, meta, defs, aggs, interval, start, end, filt, top):
        """-> (list of metric JSON texts as in G.2 'value', number of points)."""
        if end <= start:
            raise HttpError(arm_error(400, "BadRequest", "The timespan end must be after its start."))
        if interval == "FULL":
            stamps = [start]
            minutes = max(1, (end - start) // 60)
        else:
            g = GRAINS[interval]
            t = start - start % g
            if (end - t) // g * len(defs) > MAX_POINTS:
                raise HttpError(arm_error(400, "BadRequest",
                                          "The request would return more than %d data points." % MAX_POINTS))
            stamps = list(range(t, end, g))
            minutes = g // 60
        n_ost, n_mdt = meta["ost_count"], meta["mdt_count"]
        total_points = 0
        out = []
        ts_text = ['{"timeStamp":"%s"' % iso(t) for t in stamps]
        for d in defs:
            name = d["name"]
            dim = d["dim"]
            gauge = d["kind"] == "gauge"
            series = []
            if dim is not None and dim in filt:
                count = n_ost if dim == "ostnum" else n_mdt
                vals = filt[dim]
                targets = list(range(count)) if "*" in vals else \
                    sorted(int(v) for v in vals if v.isdigit() and int(v) < count)
                for k in targets[:top]:
                    series.append(('[{"name":{"value":"%s","localizedValue":"%s"},"value":"%d"}]' % (dim, dim, k), [k]))
            elif dim is not None:
                count = n_ost if dim == "ostnum" else n_mdt
                series.append(("[]", list(range(count))))
            else:
                series.append(("[]", [None]))
            total_points += len(series) * len(stamps)
            if total_points > MAX_POINTS:
                raise HttpError(arm_error(400, "BadRequest",
                                          "The request would return more than %d data points." % MAX_POINTS))
            ts_out = []
            if not meta["has_data"]:
                series = []  # a file system without metrics: no series at all
            rec = meta.get("rec")
            for mdv, targets in series:
                # A recorded series is shared by every clone of its file system:
                # its text for a given time grid is built once.
                e = rec.get((name, targets[0])) if rec and len(targets) == 1 else None
                if e is not None:
                    ckey = (id(e), stamps[0], len(stamps), interval, tuple(aggs), minutes)
                    text = self.series_text_cache.get(ckey)
                    if text is not None:
                        ts_out.append('{"metadatavalues":%s,"data":[%s]}' % (mdv, text))
                        continue
                per = [estate_mod.series_averages(meta, name, stamps, k) for k in targets]
                if len(per) == 1:
                    vals = per[0]
                    if aggs == ["average"]:
                        pts = [tt + "}" if v is None else '%s,"average":%s}' % (tt, num(v))
                               for tt, v in zip(ts_text, vals)]
                    else:
                        at = self._agg_formatter(gauge, minutes, aggs)
                        pts = [tt + "}" if v is None else tt + at(v) + "}" for tt, v in zip(ts_text, vals)]
                else:
                    # Unsplit series: mean of the per-target averages, min of
                    # minimums, max of maximums, sums of totals and counts
                    # (targets without data at that time are left out).
                    pts = []
                    for i, tt in enumerate(ts_text):
                        avgs = [p[i] for p in per if p[i] is not None]
                        if not avgs:
                            pts.append(tt + "}")
                            continue
                        a = {"average": sum(avgs) / len(avgs),
                             "minimum": min(v if gauge else v // 2 for v in avgs),
                             "maximum": max(v if gauge else v + v // 2 for v in avgs),
                             "total": sum(avgs) * minutes,
                             "count": minutes * len(avgs)}
                        pts.append(tt + "".join(',"%s":%r' % (ag, float(a[ag])) for ag in aggs) + "}")
                text = ",".join(pts)
                if e is not None:
                    if len(self.series_text_cache) > 50000:
                        self.series_text_cache.clear()
                    self.series_text_cache[ckey] = text
                ts_out.append('{"metadatavalues":%s,"data":[%s]}' % (mdv, text))
            txt = self.metric_text.get(name)
            if txt is None:
                t = self.est.metric_text.get(name.lower(), {})
                txt = self.metric_text[name] = (
                    json.dumps(t.get("localizedValue", d["localized"])),
                    json.dumps(t.get("displayDescription", d["description"])),
                    json.dumps(t.get("unit", d["unit"])))
            out.append('{"id":%s,"type":"Microsoft.Insights/metrics","name":{"value":"%s","localizedValue":%s},'
                       '"displayDescription":%s,"unit":%s,"errorCode":"Success","timeseries":[%s]}' % (
                           json.dumps("%s/providers/Microsoft.Insights/metrics/%s" % (fid, name)), name,
                           txt[0], txt[1], txt[2], ",".join(ts_out)))
        return out, total_points

    def metrics(self, req, route):
        fid, meta = route.data
        p = req.params
        key = (req.low, tuple(sorted(p.items())))
        body = self.metric_cache.get(key)
        if body is not None:
            return Resp(200, body)
        defs, aggs, interval, filt, top = self._metric_request(
            p.get("metricnames"), p.get("metricnamespace"), p.get("aggregation"), p.get("interval"),
            p.get("$filter", p.get("filter")), p.get("top"),
            (p.get("validatedimensions") or "true").lower() != "false",
            (p.get("autoadjusttimegrain") or "false").lower() == "true")
        try:
            start, end = parse_timespan(p.get("timespan"), int(time.time()))
        except ValueError as e:
            raise HttpError(arm_error(400, "BadRequest", "Invalid timespan '%s': %s" % (p.get("timespan"), e)))
        values, points = self._metric_values(fid, meta, defs, aggs, interval, start, end, filt, top)
        text = '{"cost":%d,"timespan":"%s/%s","interval":"%s","value":[%s],"namespace":"%s","resourceregion":%s}' % (
            points, iso(start), iso(end), interval, ",".join(values),
            estate_mod.METRIC_NAMESPACE.lower(), json.dumps(meta["location"]))
        body = Body(text.encode("utf-8"))
        with self.metric_cache_lock:
            if len(self.metric_cache) > 20000:
                self.metric_cache.clear()
            self.metric_cache[key] = body
        return Resp(200, body)

    def get_batch(self, req, region, sub, info):
        self.check_api_version(req, AV_BATCH, "metrics:getBatch", region)
        if sub not in self.sub_set:
            return arm_error(404, "SubscriptionNotFound", "The subscription '%s' could not be found." % sub)
        self.check_tenant(info, sub)
        p = req.params
        try:
            doc = json.loads(req.body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError):
            return arm_error(400, "BadRequest", "The request body is not valid JSON.")
        ids = doc.get("resourceids") if isinstance(doc, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            return arm_error(400, "BadRequest", "The body must be {\"resourceids\": [<resource id>, ...]} with at least one id.")
        if len(ids) > 50:
            return arm_error(400, "BadRequest", "At most 50 resource ids per batch; got %d." % len(ids))
        targets = []
        for rid in ids:
            low = rid.lower().rstrip("/")
            fs = self.fs_by_low.get(low)
            if fs is None:
                return arm_error(400, "BadRequest", "Resource '%s' was not found or is not an "
                                 "amlFilesystems resource." % rid)
            if low.split("/")[2] != sub:
                return arm_error(400, "BadRequest", "Resource '%s' is not in subscription '%s'." % (rid, sub))
            if fs["location"].lower().replace(" ", "") != region.replace(" ", ""):
                return arm_error(400, "BadRequest", "Resource '%s' is in region '%s', not '%s'."
                                 % (rid, fs["location"], region))
            targets.append((rid, fs["id"], self.est.fs_meta[low]))
        defs, aggs, interval, filt, top = self._metric_request(
            p.get("metricnames"), p.get("metricnamespace"), p.get("aggregation"), p.get("interval"),
            p.get("filter", p.get("$filter")), p.get("top"),
            (p.get("validatedimensions") or "true").lower() != "false",
            (p.get("autoadjusttimegrain") or "false").lower() == "true")
        now = int(time.time())
        try:
            end = parse_time(p["endtime"]) if p.get("endtime") else now - now % 60
            start = parse_time(p["starttime"]) if p.get("starttime") else end - 3600
        except ValueError as e:
            return arm_error(400, "BadRequest", "Invalid starttime/endtime: %s" % e)
        values = []
        for rid, fid, meta in targets:
            vals, _ = self._metric_values(fid, meta, defs, aggs, interval, start, end, filt, top)
            values.append('{"starttime":"%s","endtime":"%s","interval":"%s","namespace":"%s",'
                          '"resourceregion":%s,"resourceid":%s,"value":[%s]}' % (
                              iso(start), iso(end), interval, estate_mod.METRIC_NAMESPACE.lower(),
                              json.dumps(meta["location"]), json.dumps(rid, ensure_ascii=False), ",".join(vals)))
        return Resp(200, ('{"values":[%s]}' % ",".join(values)).encode("utf-8"))

    # -- Resource Graph -------------------------------------------------------
    def resource_graph(self, req, info):
        def bad(msg, code="BadRequest"):
            return arm_error(400, "BadRequest", "Please provide below info when asking for support: "
                             "timestamp = %s, correlationId = %s." % (iso(time.time()), uuid.uuid4()),
                             details=[{"code": code, "message": msg}])
        try:
            doc = json.loads(req.body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError):
            return bad("The request body is not valid JSON.", "InvalidRequestContent")
        if not isinstance(doc, dict) or not isinstance(doc.get("query"), str) or not doc["query"].strip():
            return bad("The 'query' property is required.", "InvalidRequestContent")
        query = doc["query"]
        if "microsoft.storagecache/amlfilesystems" not in query.lower():
            return bad("This fake answers only queries over microsoft.storagecache/amlfilesystems.", "InvalidQuery")
        subs = doc.get("subscriptions")
        if subs is not None and (not isinstance(subs, list) or not all(isinstance(s, str) for s in subs)):
            return bad("'subscriptions' must be a list of subscription ids.", "InvalidRequestContent")
        opts = doc.get("options") or {}
        if not isinstance(opts, dict):
            return bad("'options' must be an object.", "InvalidRequestContent")
        top = opts.get("$top", 1000)
        skip = opts.get("$skip", 0)
        if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= 1000:
            return bad("options.$top must be an integer between 1 and 1000.", "InvalidRequestContent")
        if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
            return bad("options.$skip must be a non-negative integer.", "InvalidRequestContent")
        fmt = opts.get("resultFormat", "objectArray")
        if fmt not in ("objectArray", "table"):
            return bad("options.resultFormat must be objectArray or table.", "InvalidRequestContent")
        visible = {s for s, t in self.sub_tenant.items() if t == info.tid}
        if subs is not None:
            visible &= {s.lower() for s in subs}
        qhash = hashlib.sha256((query + "|" + ",".join(sorted(visible))).encode()).hexdigest()[:12]
        rows = [r for r in self.arg_rows if r[0] in visible]
        offset = skip
        tok = opts.get("$skipToken")
        if tok:
            try:
                t = json.loads(base64.b64decode(tok + "=" * (-len(tok) % 4)).decode())
                offset, th = int(t["$skip"]), t["q"]
            except Exception:
                return bad("The $skipToken is not valid.", "InvalidSkipToken")
            if th != qhash:
                return bad("The $skipToken was issued for a different query or scope.", "InvalidSkipToken")
        page = min(top, self.ps)
        chunk = rows[offset: offset + page]
        nxt = offset + len(chunk)
        token = None
        if req.loop:
            token = base64.b64encode(jdump({"$skip": offset, "q": qhash})).decode()
        elif nxt < len(rows):
            token = base64.b64encode(jdump({"$skip": nxt, "q": qhash})).decode()
        if fmt == "table":
            data = '{"columns":%s,"rows":[%s]}' % (jdump(self.arg_columns).decode(), ",".join(r[2] for r in chunk))
        else:
            data = "[" + ",".join(r[1] for r in chunk) + "]"
        text = '{"totalRecords":%d,"count":%d,"data":%s,"facets":[],"resultTruncated":"false"%s}' % (
            len(rows), len(chunk), data, (',"$skipToken":' + json.dumps(token)) if token else "")
        return Resp(200, text.encode("utf-8"), JSON_CT,
                    [("x-ms-user-quota-remaining", "14"), ("x-ms-user-quota-resets-after", "00:00:05")])

    # -- Cost Management Query API ------------------------------------------------
    def _build_cost(self):
        est = self.est
        self.cost_fs = estate_mod.cost_resources(est)
        self.cost_subs = {}
        for i, s in enumerate(est.subscriptions):
            self.cost_subs[s["subscriptionId"].lower()] = (i, s.get("displayName", ""),
                                                          estate_mod.subscription_currency(i))
        self.rg_loc = {}
        for g in est.resource_groups:
            p = g["id"].lower().split("/")
            self.rg_loc[(p[2], p[4])] = (g.get("location") or "").lower()
        self.billing_low = estate_mod.BILLING_ACCOUNT.lower()
        self.qpu = QpuMeter(self.opts.cost_qpu_per_minute, self.opts.cost_qpu_window)
        self.cost_storage_cache = {}
        self.cost_cache = {}
        self.cost_cache_lock = threading.Lock()

    def cost_today(self):
        t = self.opts.cost_today
        if t == "now":
            return datetime.datetime.now(datetime.timezone.utc).date()
        return t

    def cost_scope(self, low):
        """'/subscriptions/s[/resourcegroups/r]/providers/microsoft.costmanagement/query' (lower case)
        -> (subscription set, resource group or None, None), or (None, None, error Resp)."""
        m = COST_BILLING_RX.match(low)
        if m:
            if m.group(1) != self.billing_low:
                return None, None, arm_error(404, "BillingAccountNotFound",
                                             "The billing account '%s' was not found." % m.group(1))
            return set(self.cost_subs), None, None
        m = COST_SUB_RX.match(low)
        sub, rg = m.group(1), m.group(2)
        if sub not in self.sub_set:
            return None, None, arm_error(404, "SubscriptionNotFound", "The subscription '%s' could not be found." % sub)
        if rg is not None and (sub, rg) not in self.rg_set:
            return None, None, arm_error(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % rg)
        return {sub}, rg, None

    def cost_resources_in(self, subs, rg, extra_ids):
        """File systems in the scope, then the storage accounts among extra_ids
        (lower-case ids, e.g. the values of a ResourceId filter) in the scope."""
        out = [r for r in self.cost_fs if r["sub"] in subs and (rg is None or r["dims"]["resourcegroup"] == rg)]
        for rid in sorted(extra_ids):
            m = estate_mod.STORAGE_ID_RX.match(rid)
            if not m or m.group(1) not in subs or (rg is not None and m.group(2) != rg):
                continue
            res = self.cost_storage_cache.get(rid)
            if res is None:
                i, sname, cur = self.cost_subs[m.group(1)]
                res = estate_mod.cost_resource_storage(rid, sname, cur, self.rg_loc.get((m.group(1), m.group(2)), ""))
                if len(self.cost_storage_cache) < 10000:
                    self.cost_storage_cache[rid] = res
            out.append(res)
        return out

    def cost_days(self, start, end):
        """The days of [start, end] on or before today."""
        end = min(end, self.cost_today())
        n = (end - start).days + 1
        return [start + datetime.timedelta(days=i) for i in range(max(0, n))]

    @staticmethod
    def cost_rows(resources, days, spec):
        """-> (columns, sorted rows) of the aggregated answer."""
        measures = spec["measures"]
        daily = spec["daily"]
        groups = {}
        ctype = spec["type"]
        for res in resources:
            gv = []
            for kind, name in spec["groupings"]:
                if kind == "Dimension":
                    gv.append(res["dims"][name.lower()])
                else:
                    gv += [name, cost_tag(res, name)]
            gv = tuple(gv)
            usd = estate_mod.USD_PER_UNIT[res["currency"]]
            for d in days:
                cost, qty = estate_mod.daily_cost(res, d, ctype)
                key = ((estate_mod.day_int(d),) if daily else ()) + gv + (res["currency"],)
                vals = [qty if m == "UsageQuantity" else cost * usd if m.endswith("USD") else cost
                        for m in measures]
                groups.setdefault(key, []).append(vals)
        rows = []
        for key in sorted(groups):
            lists = groups[key]
            rows.append([math.fsum(v[i] for v in lists) for i in range(len(measures))] + list(key))
        cols = [{"name": m, "type": "Number"} for m in measures]
        if daily:
            cols.append({"name": "UsageDate", "type": "Number"})
        for kind, name in spec["groupings"]:
            if kind == "Dimension":
                cols.append({"name": name, "type": "String"})
            else:
                cols += [{"name": "TagKey", "type": "String"}, {"name": "TagValue", "type": "String"}]
        cols.append({"name": "Currency", "type": "String"})
        return cols, rows

    def cost_query(self, req, info):
        """POST {scope}/providers/Microsoft.CostManagement/query (section E)."""
        hdrs = []
        try:
            resp = self._cost_query(req, info, hdrs)
        except HttpError as e:
            resp = e.resp
        if resp.status == 401:
            return resp
        if not hdrs:
            hdrs = [(QPU_PREFIX + "consumed", "0"), (QPU_PREFIX + "remaining", str(self.qpu.remaining()))]
        resp.headers = list(resp.headers) + hdrs
        return resp

    def _cost_query(self, req, info, hdrs):
        if req.method != "POST":
            return arm_error(405, "HttpMethodNotAllowed",
                             "The requested resource does not support http method '%s'." % req.method,
                             [("Allow", "POST")])
        av = self.check_api_version(req, AV_COST, "query")
        subs, rg, err = self.cost_scope(req.low)
        if err is not None:
            return err
        if COST_BILLING_RX.match(req.low) and info.tid != self.tenant:
            msg = ("The access token is from the wrong issuer 'https://sts.windows.net/%s/'. It must match the "
                   "tenant 'https://sts.windows.net/%s/' associated with this billing account."
                   % (info.tid, self.tenant))
            return arm_error(401, "InvalidAuthenticationTokenTenant", msg, [self.www_auth(msg)])
        path = unquote(req.path_raw).rstrip("/")
        scope_text = path[: path.lower().rindex("/providers/microsoft.costmanagement/query")].strip("/")

        def bad(msg):
            return arm_error(400, "BadRequest", msg)
        top = req.params.get("$top")
        ps = self.opts.cost_page_size
        if top is not None:
            if not top.isdigit() or not 1 <= int(top) <= MAX_COST_TOP:
                return bad("Invalid $top '%s': must be an integer between 1 and %d." % (top, MAX_COST_TOP))
            ps = min(ps, int(top))
        try:
            doc = json.loads(req.body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError):
            return bad("The request body is not valid JSON.")
        if doc is None:
            return bad("The request body (a QueryDefinition) is required.")
        try:
            spec = parse_cost_definition(doc, self.cost_today())
        except CostBad as e:
            return bad("Invalid query definition: %s" % e)
        qhash = hashlib.sha256((scope_text.lower() + "|" + json.dumps(doc, sort_keys=True, separators=(",", ":")))
                               .encode("utf-8")).hexdigest()[:16]
        offset = 0
        tok = req.params.get("$skiptoken")
        if tok is not None:
            try:
                t = json.loads(base64.b64decode(tok + "=" * (-len(tok) % 4)).decode())
                offset, th = int(t["o"]), t["h"]
            except Exception:
                return bad("Invalid $skiptoken '%s'." % tok)
            if th != qhash or offset < 0:
                return bad("The $skiptoken does not belong to this query: POST the same body and scope "
                           "to the nextLink.")
        ok, remaining, retry = self.qpu.take(spec["qpu"])
        if not ok:
            hdrs += [(QPU_PREFIX + "retry-after", str(retry)), (QPU_PREFIX + "consumed", "0"),
                     (QPU_PREFIX + "remaining", "0")]
            return arm_error(429, "429", "Too many requests. Please retry.")
        hdrs += [(QPU_PREFIX + "consumed", str(spec["qpu"])), (QPU_PREFIX + "remaining", str(remaining))]
        ckey = (qhash, self.cost_today())
        with self.cost_cache_lock:
            result = self.cost_cache.get(ckey)
        if result is None:
            # The answer of a query (all its pages) is computed once and kept
            # (the 32 latest queries), so following nextLinks stays cheap.
            resources = self.cost_resources_in(subs, rg, spec["rid_values"])
            days = self.cost_days(spec["from"], spec["to"])
            if not resources or not days:
                result = ()
            else:
                if spec["filter"] is not None:
                    resources = [r for r in resources if cost_match(spec["filter"], r)]
                result = self.cost_rows(resources, days, spec)
            with self.cost_cache_lock:
                if len(self.cost_cache) >= 32:
                    self.cost_cache.pop(next(iter(self.cost_cache)))
                self.cost_cache[ckey] = result
        if not result:
            return Resp(204, b"")
        cols, rows = result
        if offset > len(rows) or (offset and offset == len(rows)):
            return bad("Invalid $skiptoken '%s': past the last row." % tok)
        chunk = rows[offset: offset + ps]
        link = None
        if offset + ps < len(rows):
            ntok = base64.b64encode(jdump({"o": offset + ps, "h": qhash})).decode("ascii")
            link = "%s/%s/providers/Microsoft.CostManagement/query?api-version=%s%s&$skiptoken=%s" % (
                self.base, quote(scope_text, safe="/:"), av, "&$top=%s" % top if top is not None else "",
                quote(ntok, safe=""))
        qid = fast_guid()
        out = {"id": "%s/providers/Microsoft.CostManagement/Query/%s" % (scope_text, qid), "name": qid,
               "type": "microsoft.costmanagement/Query", "location": None, "sku": None, "eTag": None,
               "tags": None, "properties": {"nextLink": link, "columns": cols, "rows": chunk}}
        return Resp(200, jdump(out))

    def cost_control(self, req):
        """GET /_fake/costs?scope=..&type=..&from=..&to=..[&resourceId=id1,id2]: expected totals."""
        p = req.params

        def err(status, msg):
            return Resp(status, jdump({"error": msg}))
        scope = (p.get("scope") or "").strip().strip("/")
        if not scope:
            return err(400, "scope is required (subscriptions/{sub}, subscriptions/{sub}/resourceGroups/{rg} "
                            "or providers/Microsoft.Billing/billingAccounts/{id})")
        low = "/" + scope.lower() + "/providers/microsoft.costmanagement/query"
        if not (COST_SUB_RX.match(low) or COST_BILLING_RX.match(low)):
            return err(400, "unsupported scope %r" % scope)
        subs, rg, e = self.cost_scope(low)
        if e is not None:
            return Resp(404, e.body if isinstance(e.body, bytes) else e.body.raw)
        try:
            ctype = _cost_enum(p.get("type") or "ActualCost", estate_mod.COST_TYPES, "type")
            if not p.get("from") or not p.get("to"):
                raise CostBad("from and to are required (YYYY-MM-DD or date-time)")
            start = parse_cost_date(p["from"], "from")
            end = parse_cost_date(p["to"], "to")
        except CostBad as x:
            return err(400, str(x))
        extra = {x.strip().lower().rstrip("/") for x in (p.get("resourceid") or "").split(",") if x.strip()}
        resources = self.cost_resources_in(subs, rg, extra)
        days = self.cost_days(start, end) if end >= start else []
        items = []
        totals = {}
        for res in resources:
            vals = [estate_mod.daily_cost(res, d, ctype) for d in days]
            total = math.fsum(v[0] for v in vals)
            items.append({"resourceId": res["id"], "name": res["name"], "resourceType": res["dims"]["resourcetype"],
                          "subscriptionId": res["sub"], "meter": res["meter"], "currency": res["currency"],
                          "days": len(days), "total": total, "quantity": math.fsum(v[1] for v in vals)})
            totals.setdefault(res["currency"], []).append(total)
        rows = len(resources) * len(days)
        return Resp(200, jdump({
            "scope": scope, "type": ctype, "from": start.isoformat(), "to": end.isoformat(),
            "today": self.cost_today().isoformat(), "days": len(days), "rows": rows,
            "pages": -(-rows // self.opts.cost_page_size), "pageSize": self.opts.cost_page_size,
            "resources": items, "totals": {k: math.fsum(v) for k, v in totals.items()}}))

    # -- token endpoints ------------------------------------------------------
    def aad_error(self, status, error, code, desc):
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
        ts = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
        return Resp(status, jdump({
            "error": error,
            "error_description": "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s"
                                 % (code, desc, trace, corr, ts),
            "error_codes": [code], "timestamp": ts, "trace_id": trace, "correlation_id": corr,
            "error_uri": "https://login.microsoftonline.com/error?code=%d" % code}))

    def token(self, req, tenant):
        if req.method != "POST":
            return self.aad_error(400, "invalid_request", 900561,
                                  "The endpoint only accepts POST, OPTIONS requests. Received a %s request." % req.method)
        if not GUID_RX.match(tenant):
            return self.aad_error(400, "invalid_request", 90002,
                                  "Tenant '%s' not found. Check to make sure you have the correct tenant ID." % tenant)
        form = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
        for p in ("grant_type", "client_id", "scope"):
            if not form.get(p):
                return self.aad_error(400, "invalid_request", 900144,
                                      "The request body must contain the following parameter: '%s'." % p)
        if form["grant_type"] != "client_credentials":
            return self.aad_error(400, "unsupported_grant_type", 70003,
                                  "The app requested an unsupported grant type '%s'." % form["grant_type"])
        scope = form["scope"].strip()
        if " " in scope or not scope.endswith("/.default") or len(scope) <= len("/.default"):
            return self.aad_error(400, "invalid_scope", 1002012,
                                  "The provided value for scope %s is not valid. Client credential flows must have "
                                  "a scope value with /.default suffixed to the resource identifier "
                                  "(application ID URI)." % scope)
        client_id = form["client_id"]
        secret = form.get("client_secret")
        atype = form.get("client_assertion_type")
        assertion = form.get("client_assertion")
        if secret is not None and (atype is not None or assertion is not None):
            return self.aad_error(400, "invalid_request", 90014,
                                  "Both client_secret and client_assertion were presented; send exactly one.")
        if secret is not None:
            if secret != self.opts.client_secret:
                return self.aad_error(401, "invalid_client", 7000215,
                                      "Invalid client secret provided. Ensure the secret being sent in the request "
                                      "is the client secret value, not the client secret ID, for a secret added to "
                                      "app '%s'." % client_id)
        elif atype is not None or assertion is not None:
            if atype != JWT_BEARER:
                return self.aad_error(400, "invalid_request", 50027,
                                      "Invalid client_assertion_type '%s'; expected '%s'." % (atype, JWT_BEARER))
            if not assertion:
                return self.aad_error(400, "invalid_request", 900144,
                                      "The request body must contain the following parameter: 'client_assertion'.")
            if assertion.strip() != self.opts.federated_token:
                return self.aad_error(401, "invalid_client", 700211,
                                      "No matching federated identity record found for presented assertion issuer.")
        else:
            return self.aad_error(401, "invalid_client", 7000218,
                                  "The request body must contain the following parameter: 'client_assertion' or "
                                  "'client_secret'.")
        aud = scope[: -len("/.default")]
        tid = tenant.lower()
        tok, iat, exp = self.tokens.issue(aud, tid, client_id, estate_mod.guid("oid|" + client_id.lower()))
        life = self.tokens.lifetime
        return Resp(200, jdump({"token_type": "Bearer", "expires_in": life, "ext_expires_in": life,
                                "access_token": tok}))

    def _pick_identity(self, params, keys):
        sel = [(k, params[k]) for k in keys if params.get(k)]
        if len(sel) > 1:
            return None, "Only one of %s may be given." % ", ".join(keys)
        if not sel:
            return estate_mod.MI_SYSTEM, None
        k, v = sel[0]
        field = {"client_id": "client_id", "object_id": "object_id", "principal_id": "object_id",
                 "msi_res_id": "resource_id", "mi_res_id": "resource_id"}[k]
        for ident in self.est.identities:
            if (ident.get(field) or "").lower() == v.lower():
                return ident, None
        return None, "Identity not found"

    def _mi_token(self, ident, resource):
        extra = {"xms_mirid": ident["resource_id"]} if ident["resource_id"] else None
        return self.tokens.issue(resource, self.tenant, ident["client_id"], ident["object_id"], extra)

    def imds(self, req):
        if req.method != "GET":
            return Resp(405, jdump({"error": "invalid_request", "error_description": "Only GET is allowed"}))
        if (req.headers.get("metadata") or "").strip().lower() != "true":
            return Resp(400, jdump({"error": "invalid_request",
                                    "error_description": "Required metadata header not specified"}))
        av = req.params.get("api-version")
        if not av:
            return Resp(400, jdump({"error": "invalid_request",
                                    "error_description": "Required query variable 'api-version' is missing"}))
        if av not in AV_IMDS:
            return Resp(400, jdump({"error": "invalid_request",
                                    "error_description": "Invalid api-version '%s'" % av}))
        resource = req.params.get("resource")
        if not resource:
            return Resp(400, jdump({"error": "invalid_request",
                                    "error_description": "Required audience parameter not specified"}))
        ident, err = self._pick_identity(req.params, ("client_id", "object_id", "msi_res_id", "mi_res_id"))
        if ident is None:
            return Resp(400, jdump({"error": "invalid_request", "error_description": err}))
        tok, iat, exp = self._mi_token(ident, resource)
        life = str(self.tokens.lifetime)
        return Resp(200, jdump({"access_token": tok, "client_id": ident["client_id"], "expires_in": life,
                                "expires_on": str(exp), "ext_expires_in": life, "not_before": str(iat),
                                "resource": resource, "token_type": "Bearer"}))

    def appservice(self, req):
        if req.method != "GET":
            return Resp(405, jdump({"statusCode": 405, "message": "Only GET is allowed"}))
        corr = str(uuid.uuid4())
        hdr = req.headers.get("x-identity-header")
        if hdr is None or hdr != self.opts.identity_header:
            return Resp(401, jdump({"statusCode": 401, "message": "X-IDENTITY-HEADER is missing or does not match.",
                                    "correlationId": corr}))
        av = req.params.get("api-version")
        if av != "2019-08-01":
            return Resp(400, jdump({"statusCode": 400, "message": "api-version must be 2019-08-01 (got %r)." % av,
                                    "correlationId": corr}))
        resource = req.params.get("resource")
        if not resource:
            return Resp(400, jdump({"statusCode": 400, "message": "The 'resource' parameter is required.",
                                    "correlationId": corr}))
        ident, err = self._pick_identity(req.params, ("client_id", "mi_res_id", "principal_id"))
        if ident is None:
            return Resp(400, jdump({"statusCode": 400, "message": "Unable to load the proper Managed Identity. " + err,
                                    "correlationId": corr}))
        tok, iat, exp = self._mi_token(ident, resource)
        return Resp(200, jdump({"access_token": tok, "expires_on": str(exp), "resource": resource,
                                "token_type": "Bearer", "client_id": ident["client_id"]}))

    # -- faults -------------------------------------------------------------------
    def fault_response(self, req, rule):
        """Returns (resp or None for reset, truncate flag, delay seconds)."""
        a = rule.action
        spec = rule.spec
        ra = spec.get("retry_after")
        if spec.get("retry_after_date_in") is not None:
            # An HTTP date that many seconds after this answer, made now,
            # so a slow client still gets the whole wait.
            ra = email.utils.formatdate(time.time() + float(spec["retry_after_date_in"]),
                                        usegmt=True)
        hdrs = list(rule.headers)
        if a == "reset":
            return None, False, 0
        if a == "429":
            if ra is not None:
                hdrs.append((spec.get("header", "Retry-After"), str(ra)))
            return arm_error(429, "TooManyRequests",
                             "The request is being throttled (injected fault).", hdrs), False, 0
        if a == "500":
            if ra is not None:
                hdrs.append(("Retry-After", str(ra)))
            return arm_error(500, "InternalServerError",
                             "Encountered an internal server error (injected fault).", hdrs), False, 0
        if a == "503":
            if ra is not None:
                hdrs.append((spec.get("header", "Retry-After"), str(ra)))
            return arm_error(503, "ServiceUnavailable",
                             "The service is temporarily unavailable (injected fault).", hdrs), False, 0
        if a == "502_html":
            html = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
                    b"Gateway</h1></center>\r\n<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n"
                    b"</body>\r\n</html>\r\n")
            return Resp(502, html, HTML_CT, hdrs), False, 0
        if a == "invalid_json":
            return Resp(200, b'{"value": [ {"id": ', JSON_CT, hdrs), False, 0
        if a == "401_expired":
            if req.token:
                self.tokens.forget(req.token)
            msg = ("The access token expiry UTC time '%s' is earlier than current UTC time '%s'."
                   % (iso(time.time() - 60), iso(time.time())))
            hdrs.append(self.www_auth(msg))
            return arm_error(401, "ExpiredAuthenticationToken", msg, hdrs), False, 0
        if a == "custom":
            body = spec.get("body", "")
            if not isinstance(body, (str, bytes)):
                body = jdump(body)
            elif isinstance(body, str):
                body = body.encode("utf-8")
            return Resp(int(spec.get("status", 200)), body, spec.get("content_type", JSON_CT), hdrs), False, 0
        # Pass-through actions: answer normally, then modify.
        if a == "next_link_loop":
            req.loop = True
        resp = self.route_safely(req)
        resp.headers = resp.headers + hdrs
        if a == "slow":
            return resp, False, rule.delay_ms / 1000.0
        if a == "truncate":
            return resp, True, 0
        if a == "next_link_loop" and resp.status == 200:
            raw = resp.body.raw if isinstance(resp.body, Body) else resp.body
            try:
                obj = json.loads(raw)
            except ValueError:
                obj = None
            if isinstance(obj, dict) and isinstance(obj.get("value"), list):
                obj["nextLink"] = self.base + req.target
                resp.body = jdump(obj)
            elif isinstance(obj, dict) and isinstance(obj.get("properties"), dict) and "nextLink" in obj["properties"]:
                obj["properties"]["nextLink"] = self.base + req.target  # Cost Management query
                resp.body = jdump(obj)
        return resp, False, 0

    def route_safely(self, req):
        try:
            return self.handle(req)
        except HttpError as e:
            return e.resp
        except Exception:
            traceback.print_exc()
            return arm_error(500, "InternalServerError", "The fake raised: %s" % traceback.format_exc(limit=1))

    # -- control endpoints --------------------------------------------------------
    def control(self, req):
        low = req.low
        if low == "/_fake/health":
            return Resp(200, b"ok", TEXT_CT)
        if low == "/_fake/requests":
            return Resp(200, self.log.dump())
        if low == "/_fake/reset-log" and req.method == "POST":
            return Resp(200, jdump({"cleared": self.log.clear()}))
        if low == "/_fake/faults":
            if req.method == "POST":
                try:
                    rules = parse_rules(json.loads(req.body.decode("utf-8") or "[]"))
                except (ValueError, UnicodeDecodeError) as e:
                    return Resp(400, jdump({"error": str(e)}))
                self.faults.replace(rules)
                return Resp(200, jdump({"rules": len(rules)}))
            return Resp(200, jdump(self.faults.state()))
        if low == "/_fake/expire-tokens" and req.method == "POST":
            return Resp(200, jdump({"expired": self.tokens.expire_all()}))
        if low == "/_fake/estate":
            body = getattr(self, "_facts", None)
            if body is None:
                body = self._facts = Body(jdump(self.est.facts()))
            return Resp(200, body)
        if low == "/_fake/costs":
            return self.cost_control(req)
        if low == "/_fake/shutdown":
            self.stop.set()
            return Resp(200, b"bye", TEXT_CT, [("Connection", "close")])
        return Resp(404, jdump({"error": "unknown control endpoint %s" % req.path_raw}))


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------

MUTATING = {"PUT", "PATCH", "DELETE"}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    block_on_close = False
    app = None


class TlsServer(Server):
    """HTTPS: each connection's handshake runs in its own thread, not in
    the accept loop (a slow or broken client holds up no one else)."""
    ssl_context = None

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def tls_context(cert, key):
    """A server context for --tls-cert/--tls-key (TLS 1.2 and later; the
    default ciphers; session tickets on, so clients can resume)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fake-azure/1.0"
    sys_version = ""
    timeout = 600

    def log_message(self, fmt, *args):
        pass

    def _bad(self, status, msg):
        self.close_connection = True
        body = jdump({"error": {"code": "BadRequest", "message": msg}})
        try:
            self.wfile.write(("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                              % (status, REASONS.get(status, "Error"), JSON_CT, len(body))).encode() + body)
        except OSError:
            pass

    def handle_one_request(self):
        """A lean HTTP/1.x request parser (the stdlib one goes through the
        email package, which costs more than everything else per request)."""
        try:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n"):  # tolerate an empty line between requests (RFC 9112 2.2)
                line = self.rfile.readline(65537)
            self.t_start = time.monotonic()
            if not line:
                self.close_connection = True
                return
            if len(line) > 65536:
                return self._bad(414, "Request line too long")
            parts = line.decode("latin-1").split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                return self._bad(400, "Bad request line %r" % line[:200])
            self.command, self.path, self.request_version = parts
            self.requestline = line.decode("latin-1").rstrip("\r\n")
            headers = Headers()
            for _ in range(201):
                h = self.rfile.readline(65537)
                if h in (b"\r\n", b"\n", b""):
                    break
                k, sep, v = h.decode("latin-1").partition(":")
                if not sep:
                    return self._bad(400, "Bad header line")
                k = k.strip().lower()
                v = v.strip()
                headers[k] = headers[k] + ", " + v if k in headers else v
            else:
                return self._bad(431, "Too many headers")
            self.headers = headers
            conn = (headers.get("connection") or "").lower()
            if self.request_version == "HTTP/1.0":
                self.close_connection = "keep-alive" not in conn
            else:
                self.close_connection = "close" in conn
                if (headers.get("expect") or "").lower() == "100-continue":
                    self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._dispatch()
        except (TimeoutError, socket.timeout, ConnectionError):
            self.close_connection = True

    def _read_body(self):
        te = (self.headers.get("transfer-encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _dispatch(self):
        app = self.server.app
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._write(Resp(400, jdump({"error": {"code": "BadRequest", "message": "Malformed request body"}})),
                        None, False)
            return
        req = Req(self.command, self.path, self.headers, body)
        if req.low == "/_fake" or req.low.startswith("/_fake/"):
            resp = app.control(req)
            if req.low == "/_fake/shutdown":
                self.close_connection = True
            wait = app.latency - (time.monotonic() - self.t_start)
            if wait > 0:  # --latency-ms applies to every response
                time.sleep(wait)
            self._write(resp, req, False, control=True)
            return
        if req.token is not None:
            req.token_info = app.tokens.get(req.token)
        entry = {"seq": 0, "method": req.method, "path": req.path_raw, "query": req.query_raw,
                 "status": None, "fault": None, "bearer": req.bearer,
                 "audience": req.token_info.aud if req.token_info else None,
                 "mutating": False, "ts": None}
        truncate = False
        delay = 0.0
        method = req.method
        if method in MUTATING or (method == "POST" and not (
                TOKEN_RX.match(req.low) or BATCH_RX.match(req.low) or req.low == ARG_PATH
                or COST_SUB_RX.match(req.low) or COST_BILLING_RX.match(req.low))):
            entry["mutating"] = True
            resp = arm_error(405, "MethodNotAllowed",
                             "The fake Azure is read-only: %s %s refused." % (method, req.path_raw),
                             [("Allow", "GET")])
        elif method not in ("GET", "POST"):
            resp = arm_error(405, "MethodNotAllowed", "Method %s is not supported." % method,
                             [("Allow", "GET, POST")])
        else:
            rule = app.faults.pick(method, req.target)
            if rule is None:
                resp = app.route_safely(req)
            else:
                entry["fault"] = rule.action
                resp, truncate, delay = app.fault_response(req, rule)
        # --latency-ms is the time from reading the request line to writing
        # the response: the time spent computing it counts towards it.
        wait = app.latency + delay - (time.monotonic() - self.t_start)
        if wait > 0:
            time.sleep(wait)
        now = time.time()
        entry["ts"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % (int(now * 1000) % 1000)
        if resp is None:
            entry["status"] = None
            app.log.add(entry)
            self._reset()
            return
        entry["status"] = resp.status
        app.log.add(entry)
        self._write(resp, req, truncate)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def _reset(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.rfile.close()
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def _write(self, resp, req, truncate, control=False):
        body = resp.body
        gz = False
        accept = self.headers.get("accept-encoding") or ""
        want_gz = "gzip" in accept.lower() and not GZIP_Q0.search(accept)
        if isinstance(body, Body):
            raw = body.raw
            if want_gz and raw and resp.ctype == JSON_CT:
                raw = body.gz()
                gz = True
        else:
            raw = body
            if want_gz and raw and resp.ctype == JSON_CT:
                raw = gzip.compress(raw, compresslevel=1, mtime=0)
                gz = True
        status = resp.status
        reason = REASONS.get(status, "Status")
        rid = fast_guid()
        if status == 204:  # no body, and (RFC 9110) neither Content-Length nor Content-Type
            raw, gz = b"", False
            lines = ["HTTP/1.1 204 %s\r\n" % reason, "Date: %s\r\n" % http_date()]
        else:
            lines = ["HTTP/1.1 %d %s\r\n" % (status, reason),
                     "Date: %s\r\n" % http_date(),
                     "Content-Type: %s\r\n" % resp.ctype,
                     "Content-Length: %d\r\n" % len(raw)]
        if not control:
            corr = self.headers.get("x-ms-correlation-request-id") or fast_guid()
            lines.append("Cache-Control: no-cache\r\n")
            lines.append("x-ms-request-id: %s\r\n" % rid)
            lines.append("x-ms-correlation-request-id: %s\r\n" % corr)
            lines.append("x-ms-routing-request-id: LOCAL:%s:%s\r\n" % (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), rid))
            lines.append("x-ms-ratelimit-remaining-subscription-reads: 249\r\n")
            crid = self.headers.get("x-ms-client-request-id")
            if crid:
                lines.append("x-ms-client-request-id: %s\r\n" % crid)
        if gz:
            lines.append("Content-Encoding: gzip\r\n")
        if not control:
            lines.append("Vary: Accept-Encoding\r\n")
        seen = set()
        for k, v in resp.headers:
            lines.append("%s: %s\r\n" % (k, v))
            seen.add(k.lower())
        if "connection" in seen and any(k.lower() == "connection" and v.lower() == "close" for k, v in resp.headers):
            self.close_connection = True
        if truncate:
            self.close_connection = True
        if self.close_connection and "connection" not in seen:
            lines.append("Connection: close\r\n")
        elif self.request_version == "HTTP/1.0" and not self.close_connection:
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1", "replace")
        if self.command == "HEAD":
            raw = b""
        elif truncate:
            raw = raw[: len(raw) // 2]
        try:
            self.wfile.write(head + raw)
        except OSError:
            self.close_connection = True


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Loopback fake of Azure for amlfs-audit tests (127.0.0.1 only).")
    ap.add_argument("--port-file", required=True, help="write the bound port here (atomically) once listening")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--estate", default="samples", help="samples (default) or generated:SUBS:FS")
    ap.add_argument("--replay-dir", default=os.path.join(os.path.dirname(os.path.dirname(here)), "samples", "replay"))
    ap.add_argument("--faults", help="JSON file with fault rules")
    ap.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every response")
    ap.add_argument("--page-size", type=int, default=5, help="items per list page (file systems, subscriptions, ARG)")
    ap.add_argument("--log", help="append one JSON line per request to this file")
    ap.add_argument("--client-secret", default="fake-secret")
    ap.add_argument("--federated-token", default="fake-federated-token")
    ap.add_argument("--identity-header", default="fake-identity-header")
    ap.add_argument("--token-lifetime", type=int, default=3599, help="seconds")
    ap.add_argument("--cost-today", default="2026-11-02",
                    help="the last day with cost data: YYYY-MM-DD (default 2026-11-02) or 'now' (the UTC date)")
    ap.add_argument("--cost-page-size", type=int, default=50, help="rows per Cost Management query page")
    ap.add_argument("--cost-qpu-per-minute", type=int, default=0,
                    help="QPU the query endpoint answers per window before it throttles (0 = unlimited)")
    ap.add_argument("--cost-qpu-window", type=float, default=60.0,
                    help="length of the QPU window in seconds (default 60)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain) instead of HTTP")
    ap.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    a = ap.parse_args(argv)
    if bool(a.tls_cert) != bool(a.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if a.page_size < 1:
        ap.error("--page-size must be >= 1")
    if a.latency_ms < 0:
        ap.error("--latency-ms must be >= 0")
    if a.token_lifetime < 1:
        ap.error("--token-lifetime must be >= 1")
    if a.cost_today != "now":
        try:
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", a.cost_today):
                raise ValueError(a.cost_today)
            a.cost_today = datetime.date.fromisoformat(a.cost_today)
        except ValueError:
            ap.error("--cost-today must be YYYY-MM-DD or now")
    if a.cost_page_size < 1:
        ap.error("--cost-page-size must be >= 1")
    if a.cost_qpu_per_minute < 0:
        ap.error("--cost-qpu-per-minute must be >= 0")
    if a.cost_qpu_window <= 0:
        ap.error("--cost-qpu-window must be > 0")
    return a


def write_port_file(path, port):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        est = estate_mod.build(opts.estate, opts.replay_dir)
    except (ValueError, OSError) as e:
        print("fake_azure: cannot build estate: %s" % e, file=sys.stderr)
        return 2
    rules = []
    if opts.faults:
        try:
            with open(opts.faults, encoding="utf-8") as f:
                rules = parse_rules(json.load(f))
        except (ValueError, OSError) as e:
            print("fake_azure: bad --faults file %s: %s" % (opts.faults, e), file=sys.stderr)
            return 2
    if opts.tls_cert:
        try:
            ctx = tls_context(opts.tls_cert, opts.tls_key)
        except (ssl.SSLError, OSError) as e:
            print("fake_azure: cannot load --tls-cert/--tls-key: %s" % e, file=sys.stderr)
            return 2
        server = TlsServer(("127.0.0.1", opts.port), Handler)
        server.ssl_context = ctx
    else:
        server = Server(("127.0.0.1", opts.port), Handler)
    port = server.server_address[1]
    app = App(est, opts, port)
    app.faults.replace(rules)
    server.app = app

    def on_signal(signum, frame):
        app.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    write_port_file(opts.port_file, port)
    while not app.stop.wait(0.5):
        pass
    time.sleep(0.05)  # let a /_fake/shutdown answer go out
    server.shutdown()
    server.server_close()
    app.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
