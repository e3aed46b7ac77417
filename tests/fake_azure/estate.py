"""Fixture estate for the loopback fake of Azure (tests/fake_azure/fake_azure.py).

Python 3 standard library only.  Two ways to build an estate:

* load_samples(replay_dir): the recorded sample estate in samples/replay,
  read through its manifest.json: subscriptions (and their tags), the 8
  AMLFS file systems, their job lists, resource groups, role assignments,
  locks and diagnostic settings exactly as recorded, and the recorded
  Azure Monitor getBatch series.  Whatever the recordings lack is filled in
  deterministically (role assignments and locks at subscription and group
  scope are derived from the recorded ones; metrics outside the recorded
  24 hours, and metrics that were not recorded, are computed).
* generate(nsubs, nfs, replay_dir): nsubs subscriptions with nfs file systems
  each, cloned from the 8 recorded file systems (same shapes and quirks,
  same recorded metric series), deterministic, for benchmarks.

Metric values are a pure function of (file system, metric, timestamp,
target); see metric_average() and README.md ("Metric values").  Tests can
import this module and call it to compute the numbers the fake serves.

Cost Management values (the Query API) are a pure function of (resource,
day, cost type); see cost_resource_fs(), cost_resource_storage(),
daily_cost() and README.md ("Cost values").

Run `python3 estate.py [--estate samples|generated:S:F] [--replay-dir DIR]`
to print the fixture facts as JSON (the document GET /_fake/estate returns).
"""
import calendar
import copy
import datetime
import hashlib
import json
import os
import re
import sys
import time
import uuid
from urllib.parse import urlsplit

TENANT = "3e9a6c41-7d2b-4f58-9c0e-b1a4d6f82c75"
SUB_RESEARCH = "6f3c2b1e-8a47-4d9e-b5c2-1e7a9d4f0b63"
SUB_MEDIA = "c94e7a15-2f6b-4b8d-9e31-7ad05c8b2e4f"

# Namespace for every synthetic GUID: guid(label) = uuid5(_NS, label).
_NS = uuid.UUID("0f9a7c52-3b1d-5e84-9a6f-2c4d8e1b7a30")


def guid(label):
    return str(uuid.uuid5(_NS, label))


TIB = 1 << 40
JOB_KINDS = ("importJobs", "autoExportJobs", "autoImportJobs")

# Built-in role definition GUIDs (the same in every tenant).
ROLE_OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
ROLE_CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382a24c7"
ROLE_READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ROLE_UAA = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
ROLE_MONITORING_READER = "43d0d8ad-25c7-4714-9337-8ba259a9fe05"
ROLE_COST_READER = "72fafb9e-0641-4937-9268-a91bfd8191a3"
ROLE_NAMES = {ROLE_OWNER: "Owner", ROLE_CONTRIBUTOR: "Contributor", ROLE_READER: "Reader",
              ROLE_UAA: "User Access Administrator", ROLE_MONITORING_READER: "Monitoring Reader",
              ROLE_COST_READER: "Cost Management Reader"}

# Managed identities the token endpoints know (IMDS and App Service).
MI_SYSTEM = {
    "kind": "SystemAssigned",
    "client_id": guid("mi:system:client"),
    "object_id": guid("mi:system:object"),
    "resource_id": None,
}
MI_USER = {
    "kind": "UserAssigned",
    "client_id": guid("mi:user:client"),
    "object_id": guid("mi:user:object"),
    "resource_id": "/subscriptions/%s/resourceGroups/rg-audit-tools/providers/"
                   "Microsoft.ManagedIdentity/userAssignedIdentities/id-amlfs-audit"
                   % SUB_RESEARCH,
}
IDENTITIES = (MI_SYSTEM, MI_USER)

# ---------------------------------------------------------------------------
# Azure Monitor metric catalogue (section G.3).
# kind: "rate" (min = avg//2, max = avg + avg//2), "gauge" (min = max = avg).
# scale: computed metrics are floor(u * scale); None = capacity metric
# (derived from the file system's size, or held from the recording).
# ---------------------------------------------------------------------------

_AGG_MMA = ("Minimum", "Maximum", "Average")
_AGG_MMAT = ("Minimum", "Maximum", "Average", "Total")
METRICS = {}


def _m(name, unit, dim, kind, scale, aggs, desc, extra_dims=()):
    METRICS[name.lower()] = {
        "name": name, "unit": unit, "dim": dim, "kind": kind, "scale": scale,
        "aggregations": aggs, "description": desc, "localized": re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name),
        "extra_dims": extra_dims,
    }


_m("ClientReadOps", "Count", "ostnum", "rate", 100000, _AGG_MMA, "Number of client read operations.")
_m("ClientReadThroughput", "BytesPerSecond", "ostnum", "rate", "throughput", _AGG_MMA,
   "Client read data transfer rate, in bytes per second.")
_m("ClientReadLatencyTotal", "MilliSeconds", "ostnum", "rate", 5000, _AGG_MMAT, "Summed client read latency.")
_m("ClientWriteOps", "Count", "ostnum", "rate", 100000, _AGG_MMA, "Number of client write operations.")
_m("ClientWriteThroughput", "BytesPerSecond", "ostnum", "rate", "throughput", _AGG_MMA,
   "Client write data transfer rate, in bytes per second.")
_m("ClientWriteLatencyTotal", "MilliSeconds", "ostnum", "rate", 5000, _AGG_MMAT, "Summed client write latency.")
_m("OSTBytesTotal", "Bytes", "ostnum", "gauge", None, _AGG_MMA, "Total capacity of the OST in bytes.")
_m("OSTBytesAvailable", "Bytes", "ostnum", "gauge", None, _AGG_MMA, "Bytes available on the OST.")
_m("OSTBytesUsed", "Bytes", "ostnum", "gauge", None, _AGG_MMA,
   "Total number of bytes used on the OST (total minus free).")
_m("OSTFilesTotal", "Count", "ostnum", "gauge", None, _AGG_MMA, "Total inodes on the OST.")
_m("OSTFilesFree", "Count", "ostnum", "gauge", None, _AGG_MMA, "Free inodes on the OST.")
_m("OSTFilesUsed", "Count", "ostnum", "gauge", None, _AGG_MMA, "Used inodes on the OST.")
_m("OSTClientOps", "Count", "ostnum", "rate", 50000, _AGG_MMA, "Client operations to OSTs.", ("operation",))
_m("OSTClientLatency", "MilliSeconds", "ostnum", "rate", 20, _AGG_MMA, "Client latency to OSTs.", ("operation",))
_m("OSTConnectedClients", "Count", "ostnum", "gauge", 64, _AGG_MMA, "Client exports per OST.")
_m("MDTBytesTotal", "Bytes", "mdtnum", "gauge", None, _AGG_MMA, "Total capacity of the MDT in bytes.")
_m("MDTBytesAvailable", "Bytes", "mdtnum", "gauge", None, _AGG_MMA, "Bytes available on the MDT.")
_m("MDTBytesUsed", "Bytes", "mdtnum", "gauge", None, _AGG_MMA, "Bytes used on the MDT.")
_m("MDTFilesTotal", "Count", "mdtnum", "gauge", None, _AGG_MMA, "Total inodes (files) on the MDT.")
_m("MDTFilesFree", "Count", "mdtnum", "gauge", None, _AGG_MMA, "Free inodes (files) on the MDT.")
_m("MDTFilesUsed", "Count", "mdtnum", "gauge", None, _AGG_MMA, "Used inodes (files) on the MDT.")
_m("MDTClientOps", "Count", "mdtnum", "rate", 200000, _AGG_MMA, "Metadata operations.", ("operation",))
_m("MDTClientLatency", "MilliSeconds", "mdtnum", "rate", 10, _AGG_MMA, "Metadata latency.", ("operation",))
_m("MDTConnectedClients", "Count", "mdtnum", "gauge", 64, _AGG_MMAT, "Client exports per MDT.")
_m("HSMArchiveRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "In-flight HSM archive requests.")
_m("HSMRestoreRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "In-flight HSM restore requests.")
_m("HSMRemoveRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "In-flight HSM remove requests.")
_m("HSMCurrentRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "Active HSM requests.")
_m("HSMCompletedRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "Completed HSM requests.")
_m("HSMActionErrors", "Count", "mdtnum", "rate", 5, _AGG_MMAT, "HSM processing errors.")
_m("LustreClientEvictions", "Count", None, "rate", 3, _AGG_MMAT, "Client evictions per minute.")

METRIC_NAMESPACE = "Microsoft.StorageCache/amlFilesystems"

_M64 = (1 << 64) - 1
_seed_cache = {}


def _seed(rid_lower, metric_name, target):
    key = (rid_lower, metric_name, target)
    s = _seed_cache.get(key)
    if s is None:
        d = hashlib.sha256(("%s|%s|%s" % key).encode("utf-8")).digest()
        s = int.from_bytes(d[:8], "big")
        if len(_seed_cache) < 500000:
            _seed_cache[key] = s
    return s


def unit_value(rid_lower, metric_name, ts_epoch, target):
    """Deterministic u in [0, 1): splitmix64 of seed + ts * golden gamma."""
    z = (_seed(rid_lower, metric_name, target) + ts_epoch * 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    z ^= z >> 31
    return (z >> 11) / float(1 << 53)


def ost_count_for(tib):
    """OSTs of a file system without recorded metrics (the recordings' rule)."""
    return 4 if float(tib or 0) < 50 else 8


def ost_total(meta, k):
    """Computed OSTBytesTotal of OST k; the OSTs sum to exactly capacity_bytes."""
    n = meta["ost_count"]
    base = meta["capacity_bytes"] // n
    if k == n - 1:
        base += meta["capacity_bytes"] % n
    return base


def _recorded(meta, name, ts, k):
    """(True, value) when a recording covers (metric, target); value may be
    None (a recorded gap).  Capacity metrics hold the nearest recorded hour
    outside the recorded window; the others repeat the recorded day."""
    rec = meta.get("rec")
    if not rec:
        return False, None
    e = rec.get((name, k))
    if e is None:
        return False, None
    t0, vals, cyclic = e
    i = (ts - t0) // 3600
    if cyclic:
        i %= len(vals)
    elif i < 0:
        i = 0
    elif i >= len(vals):
        i = len(vals) - 1
    return True, vals[i]


def metric_average(meta, metric, ts_epoch, target):
    """The 'average' the fake serves for one point.

    meta: a file system's metric parameters (Estate.fs_meta[id.lower()]).
    metric: metric name (any case).
    ts_epoch: the point's timeStamp as Unix seconds (UTC).
    target: the ostnum/mdtnum index as an int (0-based), or None for a
    dimensionless metric.
    Returns an int or a float, or None for "no data" (a file system without
    metrics, or a recorded gap).
    """
    if not meta["has_data"]:
        return None
    d = METRICS[metric.lower()]
    name = d["name"]
    k = 0 if target is None else int(target)
    hit, v = _recorded(meta, name, ts_epoch, k)
    if hit:
        return v
    pct = meta["fill_pct"]
    if d["scale"] is None:  # capacity: derived from total/used (recorded or computed)
        if name.startswith("OST"):
            hit, total = _recorded(meta, "OSTBytesTotal", ts_epoch, k)
            if not hit or total is None:
                total = ost_total(meta, k)
            hit, used = _recorded(meta, "OSTBytesUsed", ts_epoch, k)
            if not hit or used is None:
                used = max(0, min(total, total * (100 * pct + 100 * k - 150) // 10000))
            total, used = int(total), int(used)
            return {
                "OSTBytesTotal": total,
                "OSTBytesUsed": used,
                "OSTBytesAvailable": total - used,
                "OSTFilesTotal": total >> 20,
                "OSTFilesUsed": used >> 22,
                "OSTFilesFree": (total >> 20) - (used >> 22),
            }[name]
        hit, total = _recorded(meta, "MDTBytesTotal", ts_epoch, k)
        if not hit or total is None:
            total = meta["capacity_bytes"] // 64
        hit, used = _recorded(meta, "MDTBytesUsed", ts_epoch, k)
        if not hit or used is None:
            used = total * pct // 100
        total, used = int(total), int(used)
        files_total = total >> 12
        hit, files_used = _recorded(meta, "MDTFilesUsed", ts_epoch, k)
        if not hit or files_used is None:
            files_used = files_total * pct // 100
        files_used = int(files_used)
        return {
            "MDTBytesTotal": total,
            "MDTBytesUsed": used,
            "MDTBytesAvailable": total - used,
            "MDTFilesTotal": files_total,
            "MDTFilesUsed": files_used,
            "MDTFilesFree": files_total - files_used,
        }[name]
    scale = d["scale"]
    if scale == "throughput":
        scale = meta["throughput_mbps"] * 1000000 // meta["ost_count"]
    u = unit_value(meta["rid"], name, ts_epoch, "" if target is None else str(target))
    return int(u * scale)


def series_averages(meta, metric, stamps, target):
    """metric_average() for every timestamp in stamps (Unix seconds), in one
    go.  Returns a list (items may be None for recorded gaps), or None when
    the file system has no metric data at all."""
    if not meta["has_data"]:
        return None
    d = METRICS[metric.lower()]
    name = d["name"]
    k = 0 if target is None else int(target)
    rec = meta.get("rec")
    if d["scale"] is not None and not (rec and (name, k) in rec):
        scale = d["scale"]
        if scale == "throughput":
            scale = meta["throughput_mbps"] * 1000000 // meta["ost_count"]
        seed = _seed(meta["rid"], name, "" if target is None else str(target))
        out = []
        append = out.append
        inv = 1.0 / float(1 << 53)
        for t in stamps:
            z = (seed + t * 0x9E3779B97F4A7C15) & _M64
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
            z ^= z >> 31
            append(int((z >> 11) * inv * scale))
        return out
    e = rec.get((name, k)) if rec else None
    if e is not None:  # a recorded series: index arithmetic only
        t0, vals, cyclic = e
        n = len(vals)
        if cyclic:
            return [vals[((t - t0) // 3600) % n] for t in stamps]
        last = n - 1
        return [vals[min(max((t - t0) // 3600, 0), last)] for t in stamps]
    return [metric_average(meta, name, t, target) for t in stamps]


def aggregates(metric, avg, minutes):
    """All five aggregations for one point from its average (see README)."""
    d = METRICS[metric.lower()]
    if d["kind"] == "gauge":
        mn, mx = avg, avg
    else:
        mn, mx = avg // 2, avg + avg // 2
    return {"average": float(avg), "minimum": float(mn), "maximum": float(mx),
            "total": float(avg * minutes), "count": float(minutes)}


# ---------------------------------------------------------------------------
# Estate
# ---------------------------------------------------------------------------

def split_fs_id(fs_id):
    """'/subscriptions/S/resourceGroups/R/providers/.../amlFilesystems/N' -> (S, R, N)."""
    p = fs_id.strip("/").split("/")
    return p[1], p[3], p[7]


def scope_of(obj_id, marker):
    """The scope part of '<scope>/providers/Microsoft.Authorization/<marker>/<name>'."""
    low = obj_id.lower()
    i = low.rfind("/providers/microsoft.authorization/%s/" % marker.lower())
    return obj_id[:i] if i >= 0 else obj_id


def at_or_above(scope_low, target_low):
    """True when scope_low is target_low or one of its ancestors."""
    return target_low == scope_low or target_low.startswith(scope_low.rstrip("/") + "/")


class Estate:
    def __init__(self, kind):
        self.kind = kind
        self.tenant = TENANT
        self.subscriptions = []        # ARM subscription objects (with tags)
        self.last_page_null = {}       # sub lower -> True: last list page has "nextLink": null
        self.resource_groups = []      # ARM resource group objects
        self.filesystems = []          # ARM AMLFS objects in list order
        self.jobs = {}                 # fs id lower -> {kind: [job objects]}
        self.role_assignments = []     # every role assignment (any scope)
        self.locks = []                # every lock (any scope)
        self.fs_roles = {}             # fs id lower -> recorded atScope() list (served as is)
        self.fs_locks = {}             # fs id lower -> recorded lock list (served as is)
        self.diagnostic_settings = {}  # fs id lower -> [setting objects]
        self.fs_meta = {}              # fs id lower -> metric parameters
        self.metric_text = {}          # metric lower -> {"localizedValue", "displayDescription", "unit"}
        self.recorded = {}             # what came from the recordings: name -> count
        self.identities = IDENTITIES

    def roles_at(self, scope):
        """Role assignments at and above scope (what atScope() returns)."""
        low = scope.lower()
        if low in self.fs_roles:
            return self.fs_roles[low]
        return [a for a in self.role_assignments if at_or_above(a["properties"]["scope"].lower(), low)]

    def locks_for(self, scope):
        """Locks at, above and below scope."""
        low = scope.lower()
        if low in self.fs_locks:
            return self.fs_locks[low]
        out = []
        for lk in self.locks:
            ls = scope_of(lk["id"], "locks").lower()
            if at_or_above(ls, low) or ls.startswith(low + "/"):
                out.append(lk)
        return out

    def facts(self):
        subs = [{"subscriptionId": s["subscriptionId"], "displayName": s["displayName"],
                 "tags": s.get("tags"), "currency": subscription_currency(i)}
                for i, s in enumerate(self.subscriptions)]
        rgs = [{"id": g["id"], "location": g["location"], "tags": g.get("tags")}
               for g in self.resource_groups]
        fss = []
        for fs in self.filesystems:
            low = fs["id"].lower()
            sub, rg, name = split_fs_id(fs["id"])
            meta = self.fs_meta[low]
            roles = self.roles_at(fs["id"])
            fss.append({
                "id": fs["id"], "name": name, "subscriptionId": sub,
                "resourceGroup": rg, "location": fs["location"],
                "storageCapacityTiB": fs["properties"].get("storageCapacityTiB"),
                "sku": (fs.get("sku") or {}).get("name"),
                "capacityBytes": meta["capacity_bytes"],
                "ostCount": meta["ost_count"], "mdtCount": meta["mdt_count"],
                "metricsHaveData": meta["has_data"],
                "metricsRecorded": bool(meta.get("rec")),
                "jobs": {k: [j["name"] for j in v] for k, v in self.jobs[low].items()},
                "locks": [{"name": l["name"], "level": l["properties"]["level"],
                           "scope": scope_of(l["id"], "locks")} for l in self.locks_for(fs["id"])],
                "diagnosticSettings": [d["name"] for d in self.diagnostic_settings.get(low, [])],
                "roleAssignmentsAtScope": len(roles),
                "fsScopeRoleAssignments": [{
                    "name": a["name"],
                    "role": ROLE_NAMES.get(a["properties"]["roleDefinitionId"].rsplit("/", 1)[1],
                                           a["properties"]["roleDefinitionId"].rsplit("/", 1)[1]),
                    "principalType": a["properties"]["principalType"],
                    "principalId": a["properties"]["principalId"],
                    "condition": a["properties"].get("condition") is not None,
                } for a in roles if a["properties"]["scope"].lower() == low],
            })
        return {
            "estate": self.kind,
            "tenantId": self.tenant,
            "billingAccountId": BILLING_ACCOUNT,
            "subscriptions": subs,
            "resourceGroups": rgs,
            "fileSystems": fss,
            "identities": [dict(i) for i in self.identities],
            "recorded": dict(self.recorded),
            "counts": {"subscriptions": len(self.subscriptions),
                       "resourceGroups": len(self.resource_groups),
                       "fileSystems": len(self.filesystems),
                       "roleAssignments": len(self.role_assignments),
                       "locks": len(self.locks)},
        }


# ---------------------------------------------------------------------------
# Loading the recordings
# ---------------------------------------------------------------------------

def default_replay_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(os.path.dirname(here)), "samples", "replay")


def parse_time(s):
    return calendar.timegm(time.strptime(s.replace(".000Z", "Z"), "%Y-%m-%dT%H:%M:%SZ"))


class Recordings:
    """Everything usable in a replay directory, keyed by lower-case ids."""

    def __init__(self, replay_dir):
        with open(os.path.join(replay_dir, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        self.subs_body = None
        self.sub_objects = {}     # sub -> object
        self.rg_objects = {}      # (sub, rg) -> object
        self.fs_pages = {}        # url -> body
        self.first_pages = []     # (sub, url)
        self.jobs = {}            # fs id -> {kind: [..]}
        self.roles = {}           # fs id -> [..]
        self.locks = {}           # fs id -> [..]
        self.diags = {}           # fs id -> [..]
        self.metrics = {}         # fs id -> [metric objects]
        kinds = {k.lower(): k for k in JOB_KINDS}
        for e in man["entries"]:
            if e.get("status", 200) != 200:
                continue
            method = e.get("method", "GET")
            u = urlsplit(e["url"])
            low = [s.lower() for s in u.path.strip("/").split("/")]
            with open(os.path.join(replay_dir, e["body"]), encoding="utf-8") as f:
                body = json.load(f)
            if method == "POST":
                if low and low[-1] == "metrics:getbatch":
                    for v in body.get("values", []):
                        self.metrics.setdefault(v["resourceid"].lower(), []).extend(v.get("value", []))
                continue
            if method != "GET" or not low or low[0] != "subscriptions":
                continue
            n = len(low)
            if n == 1:
                self.subs_body = body
            elif n == 2:
                self.sub_objects[low[1]] = body
            elif n == 4 and low[2] == "resourcegroups":
                self.rg_objects[(low[1], low[3])] = body
            elif n == 5 and low[2:] == ["providers", "microsoft.storagecache", "amlfilesystems"]:
                self.fs_pages[e["url"]] = body
                if "skiptoken" not in u.query.lower():
                    self.first_pages.append((low[1], e["url"]))
            elif n >= 9 and low[4:7] == ["providers", "microsoft.storagecache", "amlfilesystems"]:
                fs_id = "/" + "/".join(low[:8])
                rest = low[8:]
                if len(rest) == 1 and rest[0] in kinds:
                    self.jobs.setdefault(fs_id, {})[kinds[rest[0]]] = body.get("value", [])
                elif rest == ["providers", "microsoft.authorization", "roleassignments"]:
                    self.roles[fs_id] = body.get("value", [])
                elif rest == ["providers", "microsoft.authorization", "locks"]:
                    self.locks[fs_id] = body.get("value", [])
                elif rest == ["providers", "microsoft.insights", "diagnosticsettings"]:
                    self.diags[fs_id] = body.get("value", [])
        if self.subs_body is None:
            raise ValueError("%s: no recorded GET /subscriptions" % replay_dir)


def _metric_recording(metric_objects, est):
    """-> ({(Metric, k): (t0, [values], cyclic)}, ost_count, has any series)."""
    rec = {}
    ost = 0
    for m in metric_objects:
        d = METRICS.get(m["name"]["value"].lower())
        if d is None:
            continue
        est.metric_text.setdefault(d["name"].lower(), {
            "localizedValue": m["name"].get("localizedValue", d["localized"]),
            "displayDescription": m.get("displayDescription", d["description"]),
            "unit": m.get("unit", d["unit"])})
        for ts in m.get("timeseries", []):
            k = 0
            for mv in ts.get("metadatavalues", []):
                if mv["name"]["value"].lower() in ("ostnum", "mdtnum"):
                    k = int(mv["value"])
            if d["dim"] == "ostnum":
                ost = max(ost, k + 1)
            pts = sorted((parse_time(p["timeStamp"]), p.get("average")) for p in ts.get("data", []))
            if not pts:
                continue
            t0 = pts[0][0]
            vals = [None] * ((pts[-1][0] - t0) // 3600 + 1)
            for t, v in pts:
                if v is not None and float(v).is_integer():
                    v = int(v)
                vals[(t - t0) // 3600] = v
            rec[(d["name"], k)] = (t0, vals, d["scale"] is not None)
    return rec, ost


def load_samples(replay_dir=None):
    replay_dir = replay_dir or default_replay_dir()
    r = Recordings(replay_dir)
    est = Estate("samples")
    for i, s in enumerate(r.subs_body["value"]):
        low = s["subscriptionId"].lower()
        if low in r.sub_objects:
            est.subscriptions.append(copy.deepcopy(r.sub_objects[low]))
            est.recorded["subscriptions"] = est.recorded.get("subscriptions", 0) + 1
        else:
            s = copy.deepcopy(s)
            s["tags"] = _generic_sub_tags(i)
            est.subscriptions.append(s)
    order = {s["subscriptionId"].lower(): i for i, s in enumerate(est.subscriptions)}
    first_pages = sorted(r.first_pages, key=lambda t: order.get(t[0], 1 << 30))
    for sub, url in first_pages:
        seen = set()
        while url and url not in seen:
            seen.add(url)
            body = r.fs_pages.get(url)
            if body is None:
                break
            est.filesystems.extend(copy.deepcopy(body.get("value", [])))
            url = body.get("nextLink")
            if "nextLink" in body and body["nextLink"] is None:
                est.last_page_null[sub] = True
    for fs in est.filesystems:
        low = fs["id"].lower()
        recorded = r.jobs.get(low, {})
        est.jobs[low] = {k: copy.deepcopy(recorded.get(k, [])) for k in JOB_KINDS}
    _add_groups(est, r.rg_objects)
    # Access: the recorded lists are served as they are; their union is the
    # set of assignments/locks behind the subscription and group scopes.
    seen_ra, seen_lk = set(), set()
    for fs in est.filesystems:
        low = fs["id"].lower()
        if low in r.roles:
            est.fs_roles[low] = copy.deepcopy(r.roles[low])
            for a in est.fs_roles[low]:
                if a["id"].lower() not in seen_ra:
                    seen_ra.add(a["id"].lower())
                    est.role_assignments.append(a)
        if low in r.locks:
            est.fs_locks[low] = copy.deepcopy(r.locks[low])
            for lk in est.fs_locks[low]:
                if lk["id"].lower() not in seen_lk:
                    seen_lk.add(lk["id"].lower())
                    est.locks.append(lk)
        if low in r.diags:
            est.diagnostic_settings[low] = copy.deepcopy(r.diags[low])
    est.recorded.update({"roleAssignmentLists": len(est.fs_roles), "lockLists": len(est.fs_locks),
                         "diagnosticSettingLists": len(est.diagnostic_settings),
                         "metricFileSystems": sum(1 for fs in est.filesystems if fs["id"].lower() in r.metrics)})
    _add_synthetic_access(est, [fs for fs in est.filesystems if fs["id"].lower() not in r.roles],
                          [fs for fs in est.filesystems if fs["id"].lower() not in r.locks],
                          [fs for fs in est.filesystems if fs["id"].lower() not in r.diags])
    for fs in est.filesystems:
        low = fs["id"].lower()
        meta = _meta(fs)
        if low in r.metrics:
            rec, ost = _metric_recording(r.metrics[low], est)
            meta["rec"] = rec
            meta["has_data"] = bool(rec)
            if ost:
                meta["ost_count"] = ost
        est.fs_meta[low] = meta
    return est


# ---------------------------------------------------------------------------
# Generated estate (benchmarks)
# ---------------------------------------------------------------------------

def _generic_sub_tags(i):
    return {"CostCenter": "CC-%d" % (1000 * (i + 1)), "Department": "Dept-%02d" % (i + 1)}


def generate(nsubs, nfs, replay_dir=None):
    """nsubs subscriptions x nfs file systems, cloned from the recordings."""
    tmpl = load_samples(replay_dir)
    templates = []
    for fs in tmpl.filesystems:
        low = fs["id"].lower()
        sub, rg, name = split_fs_id(fs["id"])
        templates.append((fs, tmpl.jobs[low], tmpl.fs_meta[low], sub, rg, name))
    est = Estate("generated:%d:%d" % (nsubs, nfs))
    est.metric_text = dict(tmpl.metric_text)
    for i in range(nsubs):
        sub_id = guid("gen-sub-%d" % i)
        est.subscriptions.append({
            "id": "/subscriptions/" + sub_id,
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "tags": _generic_sub_tags(i),
            "subscriptionId": sub_id,
            "tenantId": TENANT,
            "displayName": "Generated %03d" % (i + 1),
            "state": "Enabled",
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                     "quotaId": "EnterpriseAgreement_2014-09-01",
                                     "spendingLimit": "Off"},
        })
        if i % 2:
            est.last_page_null[sub_id] = True
        for j in range(nfs):
            fs_t, jobs_t, meta_t, t_sub, t_rg, t_name = templates[(i * nfs + j) % len(templates)]
            rg = "rg-gen%03d-%02d" % (i + 1, j // 5 + 1)
            name = "amlfs-g%03d-%03d" % (i + 1, j + 1)

            def clone(obj):
                text = json.dumps(obj, ensure_ascii=False)
                text = text.replace(t_sub, sub_id)
                text = re.sub(re.escape(t_rg) + r"(?=[/\"])", rg, text)
                text = re.sub(r"(?<=/)" + re.escape(t_name) + r"(?=[/\"])", name, text)
                text = text.replace('"name": "%s"' % t_name, '"name": "%s"' % name)
                return json.loads(text)

            fs = clone(fs_t)
            low = fs["id"].lower()
            est.filesystems.append(fs)
            est.jobs[low] = {k: clone(v) for k, v in jobs_t.items()}
            meta = dict(meta_t)
            meta["rid"] = low
            est.fs_meta[low] = meta  # same recorded series as its template
    _add_groups(est, {})
    _add_synthetic_access(est, est.filesystems, est.filesystems, est.filesystems)
    return est


def build(spec, replay_dir=None):
    """spec: 'samples' or 'generated:SUBS:FS'."""
    if spec == "samples":
        return load_samples(replay_dir)
    m = re.fullmatch(r"generated:(\d+):(\d+)", spec or "")
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise ValueError("--estate must be 'samples' or 'generated:SUBS:FS' (both >= 1), not %r" % spec)
    return generate(int(m.group(1)), int(m.group(2)), replay_dir)


# ---------------------------------------------------------------------------
# Synthetic parts
# ---------------------------------------------------------------------------

def _meta(fs):
    props = fs.get("properties", {})
    tib = props.get("storageCapacityTiB") or 0
    low = fs["id"].lower()
    return {
        "rid": low,
        "location": fs["location"],
        "capacity_bytes": int(round(float(tib) * TIB)),
        "throughput_mbps": int(props.get("throughputProvisionedMBps") or 0),
        "ost_count": ost_count_for(tib),
        "mdt_count": 1,
        "fill_pct": 10 + int(hashlib.sha256(low.encode()).hexdigest()[:4], 16) % 86,
        "has_data": props.get("provisioningState") != "Failed",
        "rec": None,
    }


def _add_groups(est, recorded):
    """Resource groups holding file systems, recorded objects where present."""
    seen = {}
    for fs in est.filesystems:
        sub, rg, _ = split_fs_id(fs["id"])
        seen.setdefault((sub.lower(), rg.lower()), (sub, rg, fs["location"]))
    for idx, (key, (sub, rg, loc)) in enumerate(seen.items()):
        if key in recorded:
            est.resource_groups.append(copy.deepcopy(recorded[key]))
            est.recorded["resourceGroups"] = est.recorded.get("resourceGroups", 0) + 1
            continue
        g = {"id": "/subscriptions/%s/resourceGroups/%s" % (sub, rg), "name": rg,
             "type": "Microsoft.Resources/resourceGroups", "location": loc}
        if idx % 4 != 3:
            g["tags"] = {"CostCenter": "CC-%04d" % (4000 + idx), "Owner": "team-%02d" % (idx % 17)}
        g["properties"] = {"provisioningState": "Succeeded"}
        est.resource_groups.append(g)


def _created(label):
    h = int(hashlib.sha256(label.encode()).hexdigest()[:8], 16)
    return "2026-%02d-%02dT%02d:%02d:%02d.%07dZ" % (
        1 + (h >> 5) % 9, 1 + h % 28, h % 24, (h >> 7) % 60, (h >> 13) % 60, h % 9999999)


def _role_assignment(scope, role, ptype, plabel, sub, condition=None):
    name = guid("ra|%s|%s|%s" % (scope.lower(), role, plabel))
    created = _created(name)
    return {
        "id": "%s/providers/Microsoft.Authorization/roleAssignments/%s" % (scope, name),
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (sub, role),
            "principalId": guid("principal|" + plabel),
            "principalType": ptype,
            "scope": scope,
            "condition": condition,
            "conditionVersion": "2.0" if condition else None,
            "createdOn": created,
            "updatedOn": created,
            "createdBy": guid("principal|user:platform-admin"),
            "updatedBy": guid("principal|user:platform-admin"),
            "delegatedManagedIdentityResourceId": None,
            "description": None,
        },
    }


def _lock(scope, name, level, notes, owner):
    props = {"level": level}
    if notes is not None:
        props["notes"] = notes
    props["owners"] = [{"applicationId": guid(owner)}] if owner else []
    return {"id": "%s/providers/Microsoft.Authorization/locks/%s" % (scope, name),
            "name": name, "type": "Microsoft.Authorization/locks", "properties": props}


def _diag(fs_id, sub, rg, name, dest, logs, metrics_on):
    ws = "/subscriptions/%s/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-amlfs" % sub
    props = {
        "storageAccountId": None, "serviceBusRuleId": None,
        "workspaceId": ws if "workspace" in dest else None,
        "eventHubAuthorizationRuleId": None, "eventHubName": None,
        "metrics": [] if metrics_on is None else [{"category": "AllMetrics", "enabled": metrics_on}],
        "logs": logs,
        "logAnalyticsDestinationType": None,
    }
    if "storage" in dest:
        props["storageAccountId"] = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/"
                                     "storageAccounts/stdiag%s" % (sub, rg, hashlib.sha256(fs_id.lower().encode()).hexdigest()[:10]))
    if "eventhub" in dest:
        props["eventHubAuthorizationRuleId"] = ("/subscriptions/%s/resourceGroups/rg-monitoring/providers/Microsoft.EventHub/"
                                                "namespaces/evhns-amlfs/authorizationRules/RootManageSharedAccessKey" % sub)
        props["eventHubName"] = "amlfs-audit"
    return {"id": "%s/providers/microsoft.insights/diagnosticSettings/%s" % (fs_id, name),
            "name": name, "type": "Microsoft.Insights/diagnosticSettings", "location": None,
            "properties": props}


COND = ("((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
        "ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}))")


def _add_synthetic_access(est, need_roles, need_locks, need_diags):
    """Role assignments, locks and diagnostic settings for file systems the
    recordings do not cover (all of them in a generated estate).  Rules by
    position p of the file system in the estate: see README."""
    pos = {fs["id"].lower(): p for p, fs in enumerate(est.filesystems)}
    if need_roles:
        have = {a["properties"]["scope"].lower() for a in est.role_assignments}
        subs = {split_fs_id(fs["id"])[0].lower() for fs in need_roles}
        for s in est.subscriptions:
            sid = s["subscriptionId"]
            scope = "/subscriptions/" + sid
            if sid.lower() in subs and scope.lower() not in have:
                est.role_assignments.append(_role_assignment(scope, ROLE_OWNER, "User", "user:owner-" + sid, sid))
                est.role_assignments.append(_role_assignment(scope, ROLE_READER, "Group", "group:amlfs-auditors", sid))
                est.role_assignments.append(_role_assignment(scope, ROLE_MONITORING_READER, "ServicePrincipal",
                                                             "sp:amlfs-audit", sid))
        groups = {("/subscriptions/%s/resourcegroups/%s" % split_fs_id(fs["id"])[:2]).lower() for fs in need_roles}
        for g in est.resource_groups:
            if g["id"].lower() in groups and g["id"].lower() not in have:
                est.role_assignments.append(_role_assignment(
                    g["id"], ROLE_CONTRIBUTOR, "ServicePrincipal", "sp:deploy-" + g["name"], g["id"].split("/")[2]))
        for fs in need_roles:
            p = pos[fs["id"].lower()]
            sub = split_fs_id(fs["id"])[0]
            if p % 3 == 0:
                est.role_assignments.append(_role_assignment(fs["id"], ROLE_READER, "User", "user:auditor", sub))
            if p % 9 == 0:
                est.role_assignments.append(_role_assignment(fs["id"], ROLE_UAA, "Group", "group:storage-leads",
                                                             sub, COND))
    for fs in need_locks:
        p = pos[fs["id"].lower()]
        name = split_fs_id(fs["id"])[2]
        if p % 4 == 0:
            est.locks.append(_lock(fs["id"], "lock-" + name, "CanNotDelete", "generated", None))
        elif p % 8 == 2:
            est.locks.append(_lock(fs["id"], "freeze-" + name, "ReadOnly", None, "app:release"))
    for fs in need_diags:
        p = pos[fs["id"].lower()]
        sub, rg, name = split_fs_id(fs["id"])
        if p % 10 == 0:
            spec = ("diag-off-" + name, "workspace", [{"category": "AmlfsAuditEvent", "enabled": False}], False)
        elif p % 6 == 0:
            spec = ("diag-storage-" + name, "storage+eventhub",
                    [{"category": "AmlfsAuditEvent", "enabled": True}], True)
        elif p % 2 == 0:
            spec = ("diag-" + name, "workspace", [{"categoryGroup": "allLogs", "enabled": True}], None)
        else:
            spec = None
        est.diagnostic_settings[fs["id"].lower()] = [_diag(fs["id"], sub, rg, *spec)] if spec else []


# ---------------------------------------------------------------------------
# Cost Management (Query API) values
# ---------------------------------------------------------------------------

# The one billing account of every estate; it covers all its subscriptions
# (MCA-style id, with the ':' and '_' real ones have).
BILLING_ACCOUNT = "70a1c3e5-2b4d-4f68-9a0c-1e3f5b7d9a2c:4b6d8f0a-1c3e-4a5b-8c7d-9e0f1a2b3c4d_2019-05-31"
COST_TYPES = ("Usage", "ActualCost", "AmortizedCost")
# Capacity price per TiB-hour by SKU throughput tier (AMLFS-Durable-Premium-<tier>).
SKU_RATES = {"40": 0.096, "125": 0.233, "250": 0.377, "500": 0.64}
DEFAULT_TIER = "125"
# Billing currency by subscription position in the estate (0-based): even USD, odd EUR.
CURRENCIES = ("USD", "EUR")
# CostUSD / PreTaxCostUSD = cost x this (a fixed rate).
USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08}
HOT_LRS_PER_GB_MONTH = 0.0184
# AmortizedCost = ActualCost x factor (a reservation) for these file system names.
AMORTIZED_FACTOR = {"amlfs-genomics-prod": 0.8}
AMLFS_TYPE = "microsoft.storagecache/amlfilesystems"
STORAGE_TYPE = "microsoft.storage/storageaccounts"
STORAGE_ID_RX = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/microsoft\.storage/"
                           r"storageaccounts/([^/]+)$")


def subscription_currency(index):
    """Billing currency of the subscription at 0-based estate position index."""
    return CURRENCIES[index % 2]


def sku_tier(sku_name):
    m = re.search(r"-(\d+)$", sku_name or "")
    return m.group(1) if m and m.group(1) in SKU_RATES else DEFAULT_TIER


def cost_factor(rid_lower, day):
    """Deterministic daily factor in [0.98, 1.02): first 8 bytes (big-endian)
    of sha256("<resource id lower>|<yyyymmdd>") / 2^64, scaled."""
    h = hashlib.sha256(("%s|%d" % (rid_lower, day)).encode()).digest()
    return 0.98 + 0.04 * (int.from_bytes(h[:8], "big") / 18446744073709551616.0)


def _dims(rid_lower, rtype, sub, sub_name, rg, location, meter, category, subcategory, service):
    return {
        "resourceid": rid_lower, "resourcetype": rtype, "resourcegroup": rg,
        "resourcegroupname": rg, "resourcelocation": location, "subscriptionid": sub,
        "subscriptionname": sub_name, "servicename": service, "servicefamily": "Storage",
        "metercategory": category, "metersubcategory": subcategory, "meter": meter,
        "metername": meter, "meterid": guid("meter|" + meter.lower()), "chargetype": "Usage",
        "pricingmodel": "OnDemand", "publishertype": "Azure",
    }


def cost_resource_fs(fs, sub_name="", currency="USD"):
    """The cost facts of a file system object: one capacity meter."""
    low = fs["id"].lower()
    sub, rg, name = split_fs_id(low)
    tier = sku_tier((fs.get("sku") or {}).get("name"))
    tib = float(fs.get("properties", {}).get("storageCapacityTiB") or 0)
    meter = "Durable Premium-%s Capacity" % tier
    return {
        "id": low, "name": fs["name"], "kind": "amlfs", "sub": sub, "currency": currency,
        "tags": fs.get("tags") or {}, "meter": meter, "tib": tib, "rate": SKU_RATES[tier],
        "amortized": AMORTIZED_FACTOR.get(fs["name"].lower(), 1.0), "unit": "1 TiB/Hour",
        "dims": _dims(low, AMLFS_TYPE, sub, sub_name, rg, (fs.get("location") or "").lower(), meter,
                      "Azure Managed Lustre", "Durable Premium-%s" % tier, "Azure Managed Lustre"),
    }


def cost_resource_storage(rid_lower, sub_name="", currency="USD", location=""):
    """The cost facts of a storage account id (lower case): one Hot LRS meter;
    its size, (500 + first 4 bytes of sha256(id) mod 49500) GB, is fixed."""
    m = STORAGE_ID_RX.match(rid_lower)
    if not m:
        raise ValueError("not a storage account id: %s" % rid_lower)
    sub, rg, name = m.groups()
    gb = 500 + int(hashlib.sha256(rid_lower.encode()).hexdigest()[:8], 16) % 49500
    meter = "Hot LRS Data Stored"
    return {
        "id": rid_lower, "name": name, "kind": "storage", "sub": sub, "currency": currency,
        "tags": {}, "meter": meter, "gb": gb, "rate": HOT_LRS_PER_GB_MONTH, "amortized": 1.0,
        "unit": "1 GB/Month",
        "dims": _dims(rid_lower, STORAGE_TYPE, sub, sub_name, rg, location, meter,
                      "Storage", "Tiered Block Blob", "Storage"),
    }


def day_int(d):
    return d.year * 10000 + d.month * 100 + d.day


def daily_cost(res, day, cost_type="ActualCost"):
    """-> (cost in the resource's billing currency, usage quantity) for one
    UTC day (a datetime.date or a yyyymmdd int).
    File system: quantity = TiB x 24 (TiB-hours), cost = quantity x rate x
    cost_factor; storage account: quantity = GB / days in that month
    (GB-months), cost = quantity x 0.0184 x cost_factor.  AmortizedCost =
    ActualCost x AMORTIZED_FACTOR (amlfs-genomics-prod 0.8, others 1);
    Usage = ActualCost."""
    if isinstance(day, int):
        day = datetime.date(day // 10000, day // 100 % 100, day % 100)
    di = day_int(day)
    f = cost_factor(res["id"], di)
    if res["kind"] == "amlfs":
        qty = res["tib"] * 24
    else:
        qty = res["gb"] / calendar.monthrange(day.year, day.month)[1]
    cost = qty * res["rate"] * f
    if cost_type == "AmortizedCost" and res["amortized"] != 1.0:
        cost = cost * res["amortized"]
    return cost, qty


def cost_resources(est):
    """The file systems' cost facts, in estate order."""
    subs = {s["subscriptionId"].lower(): (i, s.get("displayName", "")) for i, s in enumerate(est.subscriptions)}
    out = []
    for fs in est.filesystems:
        i, sname = subs.get(fs["id"].split("/")[2].lower(), (0, ""))
        out.append(cost_resource_fs(fs, sname, subscription_currency(i)))
    return out


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Print the fake Azure fixture facts as JSON.")
    ap.add_argument("--estate", default="samples")
    ap.add_argument("--replay-dir", default=None)
    a = ap.parse_args(argv)
    est = build(a.estate, a.replay_dir)
    json.dump(est.facts(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
