"""Fixture estate for the loopback fake of Azure (tests/fake_azure/fake_azure.py).

Python 3 standard library only.  Two ways to build an estate:

* load_samples(replay_dir): the recorded sample estate in samples/replay
  (2 subscriptions, 8 AMLFS file systems and their job lists, exactly as
  recorded) plus deterministic synthetic data the recordings lack:
  subscription and resource-group tags, role assignments, management
  locks, diagnostic settings and Azure Monitor metric parameters.
* generate(nsubs, nfs, replay_dir): nsubs subscriptions with nfs file systems
  each, cloned from the 8 recorded file systems (same shapes and quirks),
  deterministic, for benchmarks.

Metric values are a pure function of (resource id, metric, timestamp,
target); see metric_average() and README.md ("Metric values").  Tests can
import this module and call it to compute the numbers the fake serves.

Run `python3 estate.py [--estate samples|generated:S:F] [--replay-dir DIR]`
to print the fixture facts as JSON (the same document GET /_fake/estate
returns).
"""
import copy
import hashlib
import json
import os
import re
import sys
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
N_OST = 4
N_MDT = 1

JOB_KINDS = ("importJobs", "autoExportJobs", "autoImportJobs")

# Built-in role definition GUIDs (the same in every tenant).
ROLE_OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
ROLE_CONTRIBUTOR = "b24988ac-6210-4e12-9f18-92d5a8f35b8c"
ROLE_READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ROLE_UAA = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
ROLE_NAMES = {ROLE_OWNER: "Owner", ROLE_CONTRIBUTOR: "Contributor",
              ROLE_READER: "Reader", ROLE_UAA: "User Access Administrator"}

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
# Synthetic data for the recorded sample estate (keyed by name).
# ---------------------------------------------------------------------------

SAMPLE_SUB_TAGS = {
    SUB_RESEARCH: {"CostCenter": "CC-1000", "Department": "Research"},
    SUB_MEDIA: {"CostCenter": "CC-2000", "Department": "Media"},
}

# Resource group name -> tags (None = the group has no "tags" key).
SAMPLE_RG_TAGS = {
    "rg-genomics-prod": {"CostCenter": "CC-4410", "Owner": "Hannah Okafor"},
    "rg-cfd-aero": {"costcenter": "AERO-17", "owner": "cfd-team"},
    "rg-ai-training": None,
    "rg-render-farm": {"CostCenter": "MR-2001",
                       "Owner": "render-ops@fabrikam.example"},
    "rg-vfx-sim": {"CostCenter": "MR-2040"},
}

# Percentage of capacity in use (drives OSTBytesUsed, MDT*Used).
SAMPLE_FILL_PCT = {
    "amlfs-genomics-prod": 71,
    "amlfs-genomics-scratch": 93,
    "amlfs-cfd-aero-01": 58,
    "amlfs-cfd-transient": 0,
    "amlfs-llm-scratch": 86,
    "amlfs-render-feature-film": 44,
    "amlfs-render-dailies": 12,
    "amlfs-vfx-sim": 97,
}

# Role assignments made at the file system itself.
# name -> list of (role, principalType, principal label, condition?, lowercase-scope quirk?)
SAMPLE_FS_ROLES = {
    "amlfs-genomics-prod": [(ROLE_READER, "ServicePrincipal", "sp:genomics-monitoring", None, False)],
    "amlfs-cfd-aero-01": [(ROLE_CONTRIBUTOR, "User", "user:jose.muller", None, True)],
    "amlfs-render-feature-film": [(
        ROLE_UAA, "Group", "group:render-leads",
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
        "ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}))",
        False)],
}

# Locks on file systems: name -> list of (lock name, level, notes or None, owner app label or None)
SAMPLE_FS_LOCKS = {
    "amlfs-genomics-prod": [("lock-genomics-prod-nodelete", "CanNotDelete",
                             "Production genomics data; deletion needs CAB approval", None)],
    "amlfs-render-feature-film": [("lock-feature-film-readonly", "ReadOnly",
                                   "Frozen for delivery of Lighthouse S2", "app:render-release")],
    "amlfs-vfx-sim": [("lock-vfx-sim", "CanNotDelete", None, None)],
}
# Locks on resource groups (inherited: listed on every file system in the group).
SAMPLE_RG_LOCKS = {
    "rg-render-farm": [("lock-render-farm-rg", "CanNotDelete",
                        "Render farm resource group", None)],
}

# Diagnostic settings: fs name -> list of specs.
SAMPLE_FS_DIAG = {
    "amlfs-genomics-prod": [{
        "name": "diag-genomics-prod-law", "dest": "workspace",
        "logs": [{"categoryGroup": "allLogs", "enabled": True}],
        "metrics": [{"category": "AllMetrics", "enabled": True}]}],
    "amlfs-cfd-aero-01": [{
        "name": "diag-cfd-to-storage", "dest": "storage",
        "logs": [{"category": "AmlfsAuditEvent", "enabled": True}],
        "metrics": [{"category": "AllMetrics", "enabled": False}]}],
    "amlfs-render-feature-film": [{
        "name": "diag-render-eventhub", "dest": "eventhub+workspace",
        "logs": [{"categoryGroup": "audit", "enabled": True}],
        "metrics": [{"category": "AllMetrics", "enabled": True}]}],
    "amlfs-vfx-sim": [{
        "name": "diag-vfx-disabled", "dest": "workspace",
        "logs": [{"category": "AmlfsAuditEvent", "enabled": False}],
        "metrics": [{"category": "AllMetrics", "enabled": False}]}],
}

# ---------------------------------------------------------------------------
# Azure Monitor metric catalogue (section G.3).
# kind: "rate" (min = avg//2, max = avg + avg//2), "gauge" (min = max = avg).
# scale: the average is floor(u * scale) for rate/counter metrics; None for
# capacity metrics, computed from the file system's size.
# ---------------------------------------------------------------------------

_AGG_MMA = ("Minimum", "Maximum", "Average")
_AGG_MMAT = ("Minimum", "Maximum", "Average", "Total")
METRICS = {}


def _m(name, unit, dim, kind, scale, aggs, desc, extra_dims=()):
    METRICS[name.lower()] = {
        "name": name, "unit": unit, "dim": dim, "kind": kind, "scale": scale,
        "aggregations": aggs, "description": desc, "extra_dims": extra_dims,
    }


_m("ClientReadOps", "Count", "ostnum", "rate", 100000, _AGG_MMA, "Client read operations")
_m("ClientReadThroughput", "BytesPerSecond", "ostnum", "rate", "throughput", _AGG_MMA, "Client read throughput")
_m("ClientReadLatencyTotal", "MilliSeconds", "ostnum", "rate", 5000, _AGG_MMAT, "Summed client read latency")
_m("ClientWriteOps", "Count", "ostnum", "rate", 100000, _AGG_MMA, "Client write operations")
_m("ClientWriteThroughput", "BytesPerSecond", "ostnum", "rate", "throughput", _AGG_MMA, "Client write throughput")
_m("ClientWriteLatencyTotal", "MilliSeconds", "ostnum", "rate", 5000, _AGG_MMAT, "Summed client write latency")
_m("OSTBytesTotal", "Bytes", "ostnum", "gauge", None, _AGG_MMA, "OST size")
_m("OSTBytesAvailable", "Bytes", "ostnum", "gauge", None, _AGG_MMA, "OST bytes available")
_m("OSTBytesUsed", "Bytes", "ostnum", "gauge", None, _AGG_MMA, "OST bytes used (total minus free)")
_m("OSTFilesTotal", "Count", "ostnum", "gauge", None, _AGG_MMA, "OST inodes total")
_m("OSTFilesFree", "Count", "ostnum", "gauge", None, _AGG_MMA, "OST inodes free")
_m("OSTFilesUsed", "Count", "ostnum", "gauge", None, _AGG_MMA, "OST inodes used")
_m("OSTClientOps", "Count", "ostnum", "rate", 50000, _AGG_MMA, "Client operations to OSTs", ("operation",))
_m("OSTClientLatency", "MilliSeconds", "ostnum", "rate", 20, _AGG_MMA, "Client latency to OSTs", ("operation",))
_m("OSTConnectedClients", "Count", "ostnum", "gauge", 64, _AGG_MMA, "Client exports per OST")
_m("MDTBytesTotal", "Bytes", "mdtnum", "gauge", None, _AGG_MMA, "MDT size")
_m("MDTBytesAvailable", "Bytes", "mdtnum", "gauge", None, _AGG_MMA, "MDT bytes available")
_m("MDTBytesUsed", "Bytes", "mdtnum", "gauge", None, _AGG_MMA, "MDT bytes used")
_m("MDTFilesTotal", "Count", "mdtnum", "gauge", None, _AGG_MMA, "MDT inodes total")
_m("MDTFilesFree", "Count", "mdtnum", "gauge", None, _AGG_MMA, "MDT inodes free")
_m("MDTFilesUsed", "Count", "mdtnum", "gauge", None, _AGG_MMA, "MDT inodes used")
_m("MDTClientOps", "Count", "mdtnum", "rate", 200000, _AGG_MMA, "Metadata operations", ("operation",))
_m("MDTClientLatency", "MilliSeconds", "mdtnum", "rate", 10, _AGG_MMA, "Metadata latency", ("operation",))
_m("MDTConnectedClients", "Count", "mdtnum", "gauge", 64, _AGG_MMAT, "Client exports per MDT")
_m("HSMArchiveRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "In-flight HSM archive requests")
_m("HSMRestoreRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "In-flight HSM restore requests")
_m("HSMRemoveRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "In-flight HSM remove requests")
_m("HSMCurrentRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "Active HSM requests")
_m("HSMCompletedRequests", "Count", "mdtnum", "rate", 1000, _AGG_MMAT, "Completed HSM requests")
_m("HSMActionErrors", "Count", "mdtnum", "rate", 5, _AGG_MMAT, "HSM processing errors")
_m("LustreClientEvictions", "Count", None, "rate", 3, _AGG_MMAT, "Client evictions per minute")

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
    """Deterministic u in [0, 1) (splitmix64 of seed + ts * golden gamma)."""
    z = (_seed(rid_lower, metric_name, target) + ts_epoch * 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    z ^= z >> 31
    return (z >> 11) / float(1 << 53)


def ost_total(meta, k):
    """OSTBytesTotal of OST k; the n OSTs sum to exactly capacity_bytes."""
    n = meta["ost_count"]
    base = meta["capacity_bytes"] // n
    if k == n - 1:
        base += meta["capacity_bytes"] % n
    return base


def metric_average(meta, metric, ts_epoch, target):
    """The 'average' the fake serves for one point.

    meta: a file system's metric parameters (Estate.fs_meta[id.lower()]).
    metric: canonical metric name (e.g. "OSTBytesUsed").
    ts_epoch: the point's timeStamp as Unix seconds (UTC).
    target: the ostnum/mdtnum index as an int (0-based), or None for a
    dimensionless metric.  Returns an int, or None when the file system
    has no metric data at all.
    """
    if not meta["has_data"]:
        return None
    d = METRICS[metric.lower()]
    name = d["name"]
    k = 0 if target is None else int(target)
    pct = meta["fill_pct"]
    if d["scale"] is None:  # capacity
        if name.startswith("OST"):
            total = ost_total(meta, k)
            used = total * (100 * pct + 100 * k - 150) // 10000
            used = max(0, min(total, used))
            return {
                "OSTBytesTotal": total,
                "OSTBytesUsed": used,
                "OSTBytesAvailable": total - used,
                "OSTFilesTotal": total >> 20,
                "OSTFilesUsed": used >> 22,
                "OSTFilesFree": (total >> 20) - (used >> 22),
            }[name]
        mdt_total = meta["capacity_bytes"] // 64
        mdt_used = mdt_total * pct // 100
        files_total = mdt_total >> 12
        files_used = files_total * pct // 100
        return {
            "MDTBytesTotal": mdt_total,
            "MDTBytesUsed": mdt_used,
            "MDTBytesAvailable": mdt_total - mdt_used,
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
    """metric_average() for every timestamp in stamps (a list of Unix
    seconds), computed in one go.  Returns a list of ints, or None when the
    file system has no metric data."""
    if not meta["has_data"]:
        return None
    d = METRICS[metric.lower()]
    if d["scale"] is None:
        v = metric_average(meta, metric, 0, target)
        return [v] * len(stamps)
    scale = d["scale"]
    if scale == "throughput":
        scale = meta["throughput_mbps"] * 1000000 // meta["ost_count"]
    seed = _seed(meta["rid"], d["name"], "" if target is None else str(target))
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


class Estate:
    def __init__(self, kind):
        self.kind = kind
        self.tenant = TENANT
        self.subscriptions = []        # ARM subscription objects (with tags)
        self.last_page_null = {}       # sub lower -> True: last list page has "nextLink": null
        self.resource_groups = []      # ARM resource group objects
        self.filesystems = []          # ARM AMLFS objects in list order
        self.jobs = {}                 # fs id lower -> {kind: [job objects]}
        self.role_assignments = []     # ARM role assignment objects
        self.locks = []                # ARM lock objects
        self.diagnostic_settings = {}  # fs id lower -> [setting objects]
        self.fs_meta = {}              # fs id lower -> metric parameters
        self.identities = IDENTITIES

    # -- lookups used by the server --------------------------------------
    def sub_of(self, obj_id):
        return obj_id.strip("/").split("/")[1].lower()

    def facts(self):
        subs = []
        for s in self.subscriptions:
            subs.append({"subscriptionId": s["subscriptionId"],
                         "displayName": s["displayName"],
                         "tags": s.get("tags")})
        rgs = [{"id": g["id"], "location": g["location"], "tags": g.get("tags")}
               for g in self.resource_groups]
        fss = []
        for fs in self.filesystems:
            low = fs["id"].lower()
            sub, rg, name = split_fs_id(fs["id"])
            meta = self.fs_meta[low]
            fs_roles = [a for a in self.role_assignments
                        if a["properties"]["scope"].lower() == low]
            locks = [l for l in self.locks if _lock_applies(l, low)]
            fss.append({
                "id": fs["id"], "name": name, "subscriptionId": sub,
                "resourceGroup": rg, "location": fs["location"],
                "storageCapacityTiB": fs["properties"].get("storageCapacityTiB"),
                "capacityBytes": meta["capacity_bytes"],
                "ostCount": meta["ost_count"], "mdtCount": meta["mdt_count"],
                "fillPct": meta["fill_pct"], "metricsHaveData": meta["has_data"],
                "jobs": {k: [j["name"] for j in v] for k, v in self.jobs[low].items()},
                "locks": [{"name": l["name"], "level": l["properties"]["level"],
                           "scope": _lock_scope(l["id"])} for l in locks],
                "diagnosticSettings": [d["name"] for d in self.diagnostic_settings.get(low, [])],
                "fsScopeRoleAssignments": [{
                    "name": a["name"],
                    "role": ROLE_NAMES[a["properties"]["roleDefinitionId"].rsplit("/", 1)[1]],
                    "principalType": a["properties"]["principalType"],
                    "principalId": a["properties"]["principalId"],
                    "condition": a["properties"]["condition"] is not None,
                } for a in fs_roles],
                "roleAssignmentsAtScope": sum(
                    1 for a in self.role_assignments
                    if _scope_at_or_above(a["properties"]["scope"].lower(), low)),
            })
        return {
            "estate": self.kind,
            "tenantId": self.tenant,
            "subscriptions": subs,
            "resourceGroups": rgs,
            "fileSystems": fss,
            "identities": [dict(i) for i in self.identities],
            "counts": {"subscriptions": len(self.subscriptions),
                       "resourceGroups": len(self.resource_groups),
                       "fileSystems": len(self.filesystems),
                       "roleAssignments": len(self.role_assignments),
                       "locks": len(self.locks)},
        }


def _lock_scope(lock_id):
    return lock_id.rsplit("/providers/Microsoft.Authorization/locks/", 1)[0]


def _scope_at_or_above(scope_lower, target_lower):
    return target_lower == scope_lower or target_lower.startswith(scope_lower.rstrip("/") + "/")


def _lock_applies(lock, fs_lower):
    return _scope_at_or_above(_lock_scope(lock["id"]).lower(), fs_lower)


# ---------------------------------------------------------------------------
# Loading the recorded samples
# ---------------------------------------------------------------------------

def default_replay_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(os.path.dirname(here)), "samples", "replay")


def _read_recordings(replay_dir):
    with open(os.path.join(replay_dir, "manifest.json"), encoding="utf-8") as f:
        man = json.load(f)
    subs_body = None
    fs_pages = {}     # url -> body
    first_pages = []  # (sub lower, url) in manifest order
    jobs = {}         # fs id lower -> {kind: [..]}
    kinds = {k.lower(): k for k in JOB_KINDS}
    for e in man["entries"]:
        if e.get("method", "GET") != "GET" or e.get("status", 200) != 200:
            continue
        u = urlsplit(e["url"])
        segs = u.path.strip("/").split("/")
        low = [s.lower() for s in segs]
        with open(os.path.join(replay_dir, e["body"]), encoding="utf-8") as f:
            body = json.load(f)
        if low == ["subscriptions"]:
            subs_body = body
        elif len(low) == 5 and low[0] == "subscriptions" and \
                low[2:] == ["providers", "microsoft.storagecache", "amlfilesystems"]:
            fs_pages[e["url"]] = body
            if "skiptoken" not in u.query.lower():
                first_pages.append((low[1], e["url"]))
        elif len(low) == 9 and low[0] == "subscriptions" and low[8] in kinds and \
                low[4:7] == ["providers", "microsoft.storagecache", "amlfilesystems"]:
            fs_id = "/" + "/".join(low[:8])
            jobs.setdefault(fs_id, {})[kinds[low[8]]] = body.get("value", [])
    if subs_body is None:
        raise ValueError("%s: no recorded GET /subscriptions" % replay_dir)
    return subs_body, fs_pages, first_pages, jobs


def load_samples(replay_dir=None):
    replay_dir = replay_dir or default_replay_dir()
    subs_body, fs_pages, first_pages, jobs = _read_recordings(replay_dir)
    est = Estate("samples")
    for s in subs_body["value"]:
        s = copy.deepcopy(s)
        s["tags"] = copy.deepcopy(SAMPLE_SUB_TAGS.get(s["subscriptionId"].lower(),
                                                      _generic_sub_tags(len(est.subscriptions))))
        est.subscriptions.append(s)
    order = {s["subscriptionId"].lower(): i for i, s in enumerate(est.subscriptions)}
    first_pages.sort(key=lambda t: order.get(t[0], 1 << 30))
    for sub, url in first_pages:
        seen = set()
        while url and url not in seen:
            seen.add(url)
            body = fs_pages.get(url)
            if body is None:
                break
            for fs in body.get("value", []):
                est.filesystems.append(copy.deepcopy(fs))
            url = body.get("nextLink")
            if "nextLink" in body and body["nextLink"] is None:
                est.last_page_null[sub] = True
    for fs in est.filesystems:
        low = fs["id"].lower()
        recorded = jobs.get(low, {})
        est.jobs[low] = {k: copy.deepcopy(recorded.get(k, [])) for k in JOB_KINDS}
    _add_synthetic(est, sample=True)
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
        templates.append((fs, tmpl.jobs[low], sub, rg, name))
    est = Estate("generated:%d:%d" % (nsubs, nfs))
    for i in range(nsubs):
        sub_id = guid("gen-sub-%d" % i)
        est.subscriptions.append({
            "id": "/subscriptions/" + sub_id,
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "subscriptionId": sub_id,
            "tenantId": TENANT,
            "displayName": "Generated %03d" % (i + 1),
            "state": "Enabled",
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                     "quotaId": "EnterpriseAgreement_2014-09-01",
                                     "spendingLimit": "Off"},
            "tags": _generic_sub_tags(i),
        })
        if i % 2:
            est.last_page_null[sub_id] = True
        for j in range(nfs):
            fs_t, jobs_t, t_sub, t_rg, t_name = templates[(i * nfs + j) % len(templates)]
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
            est.filesystems.append(fs)
            est.jobs[fs["id"].lower()] = {k: clone(v) for k, v in jobs_t.items()}
    _add_synthetic(est, sample=False)
    return est


def build(spec, replay_dir=None):
    """spec: 'samples' or 'generated:SUBS:FS'."""
    if spec == "samples":
        return load_samples(replay_dir)
    m = re.fullmatch(r"generated:(\d+):(\d+)", spec or "")
    if not m:
        raise ValueError("--estate must be 'samples' or 'generated:SUBS:FS', not %r" % spec)
    return generate(int(m.group(1)), int(m.group(2)), replay_dir)


# ---------------------------------------------------------------------------
# Synthetic parts
# ---------------------------------------------------------------------------

def _created(label):
    """A stable createdOn timestamp derived from a label."""
    h = int(hashlib.sha256(label.encode()).hexdigest()[:6], 16)
    day = 1 + h % 28
    month = 1 + (h >> 5) % 9
    return "2026-%02d-%02dT%02d:%02d:%02d.%07dZ" % (month, day, h % 24, h % 60, (h >> 3) % 60, h % 9999999)


def _role_assignment(scope, role, ptype, plabel, sub, condition=None, scope_text=None):
    name = guid("ra|%s|%s|%s" % (scope.lower(), role, plabel))
    created = _created(name)
    return {
        "id": "%s/providers/Microsoft.Authorization/roleAssignments/%s" % (scope_text or scope, name),
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (sub, role),
            "principalId": guid("principal|" + plabel),
            "principalType": ptype,
            "scope": scope_text or scope,
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


def _diag(fs_id, sub, rg, spec):
    dest = spec["dest"]
    ws = "/subscriptions/%s/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-amlfs-audit" % sub
    props = {
        "storageAccountId": None,
        "serviceBusRuleId": None,
        "workspaceId": ws if "workspace" in dest else None,
        "eventHubAuthorizationRuleId": None,
        "eventHubName": None,
        "metrics": [dict(m, retentionPolicy={"enabled": False, "days": 0}) for m in spec["metrics"]],
        "logs": [],
        "logAnalyticsDestinationType": "Dedicated" if "workspace" in dest else None,
    }
    for lg in spec["logs"]:
        e = {"category": lg.get("category"), "categoryGroup": lg.get("categoryGroup"),
             "enabled": lg["enabled"], "retentionPolicy": {"enabled": False, "days": 0}}
        props["logs"].append(e)
    if "storage" in dest:
        props["storageAccountId"] = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/stdiag%s" % (
            sub, rg, hashlib.sha256(fs_id.lower().encode()).hexdigest()[:10])
    if "eventhub" in dest:
        props["eventHubAuthorizationRuleId"] = "/subscriptions/%s/resourceGroups/rg-monitoring/providers/Microsoft.EventHub/namespaces/evhns-amlfs/authorizationRules/RootManageSharedAccessKey" % sub
        props["eventHubName"] = "amlfs-audit"
    return {
        "id": "%s/providers/microsoft.insights/diagnosticSettings/%s" % (fs_id, spec["name"]),
        "type": "Microsoft.Insights/diagnosticSettings",
        "name": spec["name"],
        "location": None,
        "kind": None,
        "identity": None,
        "properties": props,
    }


def _add_synthetic(est, sample):
    # Resource groups, in order of first appearance.
    rgs = {}
    for fs in est.filesystems:
        sub, rg, _ = split_fs_id(fs["id"])
        key = (sub.lower(), rg.lower())
        if key not in rgs:
            rgs[key] = (sub, rg, fs["location"])
    for idx, (key, (sub, rg, loc)) in enumerate(rgs.items()):
        if sample and rg.lower() in SAMPLE_RG_TAGS:
            tags = SAMPLE_RG_TAGS[rg.lower()]
        else:
            tags = None if idx % 4 == 3 else {"CostCenter": "CC-%04d" % (4000 + idx), "Owner": "team-%02d" % (idx % 17)}
        g = {"id": "/subscriptions/%s/resourceGroups/%s" % (sub, rg), "name": rg,
             "type": "Microsoft.Resources/resourceGroups", "location": loc}
        if tags is not None:
            g["tags"] = copy.deepcopy(tags)
        g["properties"] = {"provisioningState": "Succeeded"}
        est.resource_groups.append(g)

    # Role assignments: subscription (Owner user, Reader group), resource group
    # (Contributor service principal), some file systems.
    for s in est.subscriptions:
        sid = s["subscriptionId"]
        scope = "/subscriptions/" + sid
        est.role_assignments.append(_role_assignment(scope, ROLE_OWNER, "User", "user:owner-" + sid, sid))
        est.role_assignments.append(_role_assignment(scope, ROLE_READER, "Group", "group:amlfs-auditors", sid))
    for g in est.resource_groups:
        sub = g["id"].split("/")[2]
        est.role_assignments.append(_role_assignment(
            g["id"], ROLE_CONTRIBUTOR, "ServicePrincipal", "sp:deploy-" + g["name"], sub))
    for j, fs in enumerate(est.filesystems):
        sub, rg, name = split_fs_id(fs["id"])
        if sample:
            specs = SAMPLE_FS_ROLES.get(name, [])
        else:
            specs = [(ROLE_READER, "ServicePrincipal", "sp:monitor", None, False)] if j % 3 == 0 else []
        for role, ptype, plabel, cond, lower_quirk in specs:
            text = None
            if lower_quirk:
                text = fs["id"].replace("/resourceGroups/", "/resourcegroups/")
            est.role_assignments.append(_role_assignment(fs["id"], role, ptype, plabel, sub, cond, text))

    # Locks.
    if sample:
        for g in est.resource_groups:
            for spec in SAMPLE_RG_LOCKS.get(g["name"].lower(), []):
                est.locks.append(_lock(g["id"], *spec))
    for j, fs in enumerate(est.filesystems):
        sub, rg, name = split_fs_id(fs["id"])
        if sample:
            specs = SAMPLE_FS_LOCKS.get(name, [])
        else:
            specs = [("lock-" + name, "CanNotDelete", "generated", None)] if j % 4 == 0 else []
        for spec in specs:
            est.locks.append(_lock(fs["id"], *spec))

    # Diagnostic settings and metric parameters.
    for j, fs in enumerate(est.filesystems):
        sub, rg, name = split_fs_id(fs["id"])
        low = fs["id"].lower()
        if sample:
            specs = SAMPLE_FS_DIAG.get(name, [])
        else:
            specs = [{"name": "diag-" + name, "dest": "workspace",
                      "logs": [{"categoryGroup": "allLogs", "enabled": True}],
                      "metrics": [{"category": "AllMetrics", "enabled": True}]}] if j % 2 == 0 else []
        est.diagnostic_settings[low] = [_diag(fs["id"], sub, rg, s) for s in specs]
        props = fs.get("properties", {})
        tib = props.get("storageCapacityTiB") or 0
        if sample and name in SAMPLE_FILL_PCT:
            pct = SAMPLE_FILL_PCT[name]
        else:
            pct = 10 + int(hashlib.sha256(low.encode()).hexdigest()[:4], 16) % 86
        est.fs_meta[low] = {
            "rid": low,
            "location": fs["location"],
            "capacity_bytes": int(round(float(tib) * TIB)),
            "throughput_mbps": int(props.get("throughputProvisionedMBps") or 0),
            "ost_count": N_OST,
            "mdt_count": N_MDT,
            "fill_pct": pct,
            "has_data": props.get("provisioningState") != "Failed",
        }


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
