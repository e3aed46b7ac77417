#!/usr/bin/env python3
"""Check the replay directory written by generate.py.

Usage:  python3 samples/replay/validate.py [--spec PATH/amlfilesystem.json]

Checks (exit status 1 on any error):
  - manifest shape; every entry GET on an absolute ARM URL, or POST with a
    string "request_body" on a {region}.metrics.monitor.azure.com
    metrics:getBatch URL; status, headers;
  - every body path is relative, exists, is strict UTF-8 and passes
    `python3 -m json.tool`; every file under bodies/ is referenced by
    exactly one entry; no URL is recorded twice;
  - every non-empty nextLink is itself an entry (and holds api-version and
    $skipToken); walking each subscription's pages from the first URL
    reaches every page; every listed file system has its importJobs,
    autoExportJobs and autoImportJobs entries, built from its listed id;
  - against the 2025-07-01 StorageCache swagger (default: the copy in
    /work/shared/reference, override with --spec): every enum value used
    is declared, every field name is declared (known, documented
    exceptions listed below), types and the timeOfDayUTC pattern match,
    date-times are ISO 8601 UTC;
  - SKU capacity rules (A.4) and throughput = TiB x rate except the one
    documented quirk; resource-name pattern; every job state is covered;
  - scope tags: each subscription has its GET /subscriptions/{sub} entry
    (J.5 shape + string tags) and each resource group holding a file
    system its GET .../resourcegroups/{rg} entry (ARM resource group;
    exactly one has no tags key);
  - access: every file system has its roleAssignments ($filter=atScope()),
    locks and diagnosticSettings lists; role assignments sit at the file
    system, its resource group or its subscription, use a known built-in
    role GUID, subscription-scope ones are identical under every file
    system of the subscription, exactly two file systems have one at their
    own scope; lock levels and ids; diagnostic setting ids and workspaces;
  - metrics: every (subscription, region) group of file systems has its
    OST and MDT getBatch entries (exact URL, request_body = compact JSON of
    the group's ids in list order); one values[] item per id in order, one
    metric per requested name in order, 4 or 8 OST series (1 MDT series)
    of 24 hourly points with only "average"; OSTBytesTotal sums to the
    capacity at every hour, OSTBytesUsed is 5-90 % of each OST; the Failed
    file system has Success with no series; exactly one point lacks
    "average";
  - every manifest entry is one of the requests above (no strays).
"""

import json
import os
import re
import subprocess
import sys
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
ARM = "https://management.azure.com"
API_SC = "2025-07-01"
DEFAULT_SPEC = os.path.normpath(os.path.join(
    HERE, "..", "..", "..", "shared", "reference", "specs", "storagecache",
    "2025-07-01", "amlfilesystem.json"))

RATE = {
    "AMLFS-Durable-Premium-40": (40, 48, 48, 768),
    "AMLFS-Durable-Premium-125": (125, 16, 16, 128),
    "AMLFS-Durable-Premium-250": (250, 8, 8, 128),
    "AMLFS-Durable-Premium-500": (500, 4, 4, 128),
}
NAME_RE = re.compile(r"^[0-9a-zA-Z][-0-9a-zA-Z_]{0,78}[0-9a-zA-Z]$")
DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$")
TRACKED = {"id", "name", "type", "location", "tags", "systemData"}
SYSTEM_DATA = {"createdBy", "createdByType", "createdAt", "lastModifiedBy",
               "lastModifiedByType", "lastModifiedAt"}
SYSTEM_DATA_TYPES = {"User", "Application", "ManagedIdentity", "Key"}
# Fields used on purpose although the stored 2025-07-01 swagger lacks them
# (azure-apis.md C.2 lists them; real service output has them).
ALLOWED_EXTRA = {
    "AutoImportJob.properties.status.lastStartedTimeUTC",
    "AutoImportJob.properties.status.lastCompletionTimeUTC",
}
# Known type deviations reproduced from the official examples (A.7).
ALLOWED_TYPE_QUIRK = {"AutoImportJob.properties.maximumErrors": "0"}

METRICS_HOST_RE = re.compile(r"^https://[a-z0-9]+\.metrics\.monitor\.azure\.com/subscriptions/"
                             r"[0-9a-f-]{36}/metrics:getBatch\?")
ROLE_GUIDS = {
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "b24988ac-6180-42a0-ab88-20f7382a24c7": "Contributor",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "43d0d8ad-25c7-4714-9337-8ba259a9fe05": "Monitoring Reader",
    "72fafb9e-0641-4937-9268-a91bfd8191a3": "Cost Management Reader",
}
GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
WORKSPACE_RE = re.compile(r"^/subscriptions/[0-9a-f-]{36}/resourcegroups/[^/]+/providers/"
                          r"microsoft\.operationalinsights/workspaces/[^/]+$", re.I)
METRIC_START = "2026-11-01T03:00:00Z"
METRIC_END = "2026-11-02T03:00:00Z"
HOURS = ["2026-11-%02dT%02d:00:00Z" % (1 + (3 + h) // 24, (3 + h) % 24) for h in range(24)]
METRIC_GROUPS = [
    ("ostnum", ["ClientReadThroughput", "ClientWriteThroughput", "ClientReadOps",
                "ClientWriteOps", "OSTBytesUsed", "OSTBytesTotal"]),
    ("mdtnum", ["MDTBytesUsed", "MDTBytesTotal", "MDTFilesUsed"]),
]

errors = []
notes = []


def err(msg):
    errors.append(msg)


class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as fh:
            self.doc = json.load(fh)
        self.defs = self.doc["definitions"]
        self.used = {}      # enum path -> set(values)

    def resolve(self, schema):
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/definitions/"):
                return None  # external (storagecache.json / common types): opaque
            schema = self.defs[ref[len("#/definitions/"):]]
        return schema

    def check(self, inst, schema, path):
        schema = self.resolve(schema)
        if schema is None:
            return
        if "enum" in schema:
            self.used.setdefault(path, set()).add(inst)
            if inst not in schema["enum"]:
                err("%s: value %r not in spec enum %s" % (path, inst, schema["enum"]))
        t = schema.get("type")
        if t == "integer":
            if isinstance(inst, bool) or not isinstance(inst, int):
                if ALLOWED_TYPE_QUIRK.get(path) == inst:
                    notes.append("%s = %r (documented string quirk)" % (path, inst))
                else:
                    err("%s: expected integer, got %r" % (path, inst))
        elif t == "number":
            if isinstance(inst, bool) or not isinstance(inst, (int, float)):
                err("%s: expected number, got %r" % (path, inst))
        elif t == "boolean":
            if not isinstance(inst, bool):
                err("%s: expected boolean, got %r" % (path, inst))
        elif t == "string":
            if not isinstance(inst, str):
                err("%s: expected string, got %r" % (path, inst))
            else:
                if schema.get("format") == "date-time" and not DATE_RE.match(inst):
                    err("%s: %r is not ISO 8601 UTC" % (path, inst))
                if "pattern" in schema and not re.search(schema["pattern"], inst):
                    err("%s: %r does not match %s" % (path, inst, schema["pattern"]))
        elif t == "array":
            if not isinstance(inst, list):
                err("%s: expected array" % path)
            else:
                for item in inst:
                    self.check(item, schema.get("items", {}), path + "[]")
        if isinstance(inst, dict) and (t == "object" or "properties" in schema
                                       or "additionalProperties" in schema):
            props = schema.get("properties", {})
            addl = schema.get("additionalProperties")
            for k, v in inst.items():
                if k in props:
                    self.check(v, props[k], path + "." + k)
                elif isinstance(addl, dict):
                    self.check(v, addl, path + ".*")
                elif (path + "." + k) in ALLOWED_EXTRA:
                    notes.append("%s used (not in stored swagger; azure-apis.md C.2)" % (path + "." + k))
                else:
                    err("%s: field %r not declared in spec" % (path, k))

    def check_resource(self, inst, defname):
        d = self.defs[defname]
        for k, v in inst.items():
            if k in d.get("properties", {}):
                self.check(v, d["properties"][k], defname + "." + k)
            elif k in TRACKED:
                continue
            else:
                err("%s: top-level field %r not declared" % (defname, k))
        check_tracked(inst, defname)


def check_tracked(inst, what):
    for k in ("id", "name", "type", "location"):
        if not isinstance(inst.get(k), str):
            err("%s %s: missing/invalid %r" % (what, inst.get("name"), k))
    if "tags" in inst:
        tags = inst["tags"]
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            err("%s %s: tags must map to strings" % (what, inst.get("name")))
        lower = [k.lower() for k in tags]
        if len(set(lower)) != len(lower):
            err("%s %s: tag keys differ only by case" % (what, inst.get("name")))
    sd = inst.get("systemData")
    if sd is not None:
        if set(sd) - SYSTEM_DATA:
            err("%s %s: unknown systemData keys %s" % (what, inst.get("name"), set(sd) - SYSTEM_DATA))
        for k in ("createdAt", "lastModifiedAt"):
            if k in sd and not DATE_RE.match(sd[k]):
                err("%s %s: systemData.%s not ISO 8601 UTC" % (what, inst.get("name"), k))
        for k in ("createdByType", "lastModifiedByType"):
            if k in sd and sd[k] not in SYSTEM_DATA_TYPES:
                err("%s %s: systemData.%s %r" % (what, inst.get("name"), k, sd[k]))
    if not NAME_RE.match(inst.get("name", "")):
        err("%s: name %r breaks the naming rule" % (what, inst.get("name")))


def fs_parts(fs_id):
    """(subscription, resource group) of a file-system id."""
    p = fs_id.split("/")
    return p[2], p[4]


def check_scope_tags(subs_body, filesystems, body_for):
    subs, rgs, untagged = 0, 0, []
    for s in (subs_body or {}).get("value", []):
        sub = s.get("subscriptionId")
        b = body_for("%s/subscriptions/%s?api-version=2022-12-01" % (ARM, sub))
        if b is None:
            continue
        subs += 1
        if b.get("id") != "/subscriptions/" + sub or b.get("subscriptionId") != sub:
            err("subscription %s: id/subscriptionId wrong" % sub)
        for k in ("tenantId", "displayName", "state", "subscriptionPolicies",
                  "authorizationSource"):
            if b.get(k) != s.get(k):
                err("subscription %s: %s differs from the list (%r)" % (sub, k, b.get(k)))
        tags = b.get("tags")
        if not isinstance(tags, dict) or not tags or \
                not all(isinstance(v, str) for v in tags.values()):
            err("subscription %s: tags missing or not strings" % sub)
    seen = set()
    for _, fs in filesystems:
        sub, rg = fs_parts(fs["id"])
        if (sub, rg) in seen:
            continue
        seen.add((sub, rg))
        b = body_for("%s/subscriptions/%s/resourcegroups/%s?api-version=2021-04-01" % (ARM, sub, rg))
        if b is None:
            continue
        rgs += 1
        if b.get("id") != "/subscriptions/%s/resourceGroups/%s" % (sub, rg):
            err("resource group %s: id %r" % (rg, b.get("id")))
        if b.get("name") != rg or b.get("type") != "Microsoft.Resources/resourceGroups":
            err("resource group %s: name/type wrong" % rg)
        if not isinstance(b.get("location"), str):
            err("resource group %s: no location" % rg)
        if "managedBy" in b:
            err("resource group %s: managedBy present" % rg)
        if (b.get("properties") or {}).get("provisioningState") != "Succeeded":
            err("resource group %s: provisioningState" % rg)
        if "tags" not in b:
            untagged.append(rg)
        else:
            tags = b["tags"]
            if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
                err("resource group %s: tags must map to strings" % rg)
    if len(untagged) != 1:
        err("expected exactly one resource group without a tags key, got %s" % untagged)
    return {"subs": subs, "rgs": rgs}


def check_access(filesystems, body_for):
    n_roles = n_locks = n_diags = 0
    sub_roles = {}          # sub -> sorted ids of subscription-scope assignments
    own_scope = []
    for sub_doc, fs in filesystems:
        fid, name = fs["id"], fs["name"]
        sub, rg = fs_parts(fid)
        sub_scope = "/subscriptions/" + sub
        rg_scope = "%s/resourceGroups/%s" % (sub_scope, rg)
        b = body_for("%s%s/providers/Microsoft.Authorization/roleAssignments"
                     "?$filter=atScope()&api-version=2022-04-01" % (ARM, fid))
        if b is not None:
            at_sub = []
            for ra in b.get("value", []):
                n_roles += 1
                p = ra.get("properties", {})
                scope = p.get("scope")
                if scope not in (sub_scope, rg_scope, fid):
                    err("%s: role assignment scope %r is not at or above it" % (name, scope))
                if scope == sub_scope:
                    at_sub.append(ra["id"])
                if scope == fid:
                    own_scope.append(name)
                if not GUID_RE.match(ra.get("name", "")) or \
                        ra.get("id") != "%s/providers/Microsoft.Authorization/roleAssignments/%s" % (
                            scope, ra.get("name")):
                    err("%s: role assignment id/name %r" % (name, ra.get("id")))
                if ra.get("type") != "Microsoft.Authorization/roleAssignments":
                    err("%s: role assignment type %r" % (name, ra.get("type")))
                rd = p.get("roleDefinitionId", "")
                prefix = "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/" % sub
                if not rd.startswith(prefix) or rd[len(prefix):] not in ROLE_GUIDS:
                    err("%s: roleDefinitionId %r" % (name, rd))
                if p.get("principalType") not in ("User", "Group", "ServicePrincipal"):
                    err("%s: principalType %r" % (name, p.get("principalType")))
                if not GUID_RE.match(p.get("principalId", "")):
                    err("%s: principalId %r" % (name, p.get("principalId")))
                if "condition" not in p or p["condition"] is not None:
                    err("%s: condition must be null" % name)
                if not DATE_RE.match(p.get("createdOn", "")):
                    err("%s: createdOn %r" % (name, p.get("createdOn")))
            at_sub.sort()
            if sub in sub_roles and sub_roles[sub] != at_sub:
                err("%s: subscription-scope assignments differ from its siblings" % name)
            sub_roles.setdefault(sub, at_sub)
            if not at_sub:
                err("%s: no subscription-scope assignment" % name)
        b = body_for("%s%s/providers/Microsoft.Authorization/locks?api-version=2016-09-01" % (ARM, fid))
        if b is not None:
            for lk in b.get("value", []):
                n_locks += 1
                if lk.get("id") != "%s/providers/Microsoft.Authorization/locks/%s" % (fid, lk.get("name")):
                    err("%s: lock id %r" % (name, lk.get("id")))
                if lk.get("type") != "Microsoft.Authorization/locks":
                    err("%s: lock type %r" % (name, lk.get("type")))
                p = lk.get("properties", {})
                if p.get("level") not in ("CanNotDelete", "ReadOnly"):
                    err("%s: lock level %r" % (name, p.get("level")))
                if not isinstance(p.get("notes"), str) or p.get("owners") != []:
                    err("%s: lock notes/owners" % name)
        b = body_for("%s%s/providers/Microsoft.Insights/diagnosticSettings"
                     "?api-version=2021-05-01-preview" % (ARM, fid))
        if b is not None:
            for ds in b.get("value", []):
                n_diags += 1
                if ds.get("id") != "%s/providers/microsoft.insights/diagnosticSettings/%s" % (
                        fid, ds.get("name")):
                    err("%s: diagnostic setting id %r" % (name, ds.get("id")))
                if ds.get("type") != "Microsoft.Insights/diagnosticSettings":
                    err("%s: diagnostic setting type %r" % (name, ds.get("type")))
                p = ds.get("properties", {})
                if not WORKSPACE_RE.match(p.get("workspaceId") or ""):
                    err("%s: workspaceId %r" % (name, p.get("workspaceId")))
                for k in ("storageAccountId", "eventHubAuthorizationRuleId"):
                    if k not in p or p[k] is not None:
                        err("%s: %s must be null" % (name, k))
                if p.get("logs") != [{"categoryGroup": "allLogs", "enabled": True}] or \
                        p.get("metrics") != []:
                    err("%s: diagnostic logs/metrics %r %r" % (name, p.get("logs"), p.get("metrics")))
    if len(set(own_scope)) != 2:
        err("expected assignments at the file-system scope on exactly 2 file systems: %s" % own_scope)
    return {"roles": n_roles, "locks": n_locks, "diags": n_diags}


def metrics_url(sub, region, dim, names):
    q = lambda v: quote(v, safe="")
    return ("https://%s.metrics.monitor.azure.com/subscriptions/%s/metrics:getBatch"
            "?metricnamespace=%s&metricnames=%s&starttime=%s&endtime=%s&interval=PT1H"
            "&aggregation=average&filter=%s&top=1000&api-version=2023-10-01" % (
                region, sub, q("Microsoft.StorageCache/amlFilesystems"), q(",".join(names)),
                q(METRIC_START), q(METRIC_END), q("%s eq '*'" % dim)))


def check_metrics(filesystems, body_for):
    groups = {}     # (sub, region) -> [fs, ...] in list order
    for _, fs in filesystems:
        sub, _ = fs_parts(fs["id"])
        groups.setdefault((sub, fs["location"].lower()), []).append(fs)
    calls = n_series = n_points = 0
    missing = []
    for (sub, region), fss in groups.items():
        if len(fss) > 50:
            err("%s/%s: more than 50 file systems in one batch" % (sub, region))
        rb = json.dumps({"resourceids": [f["id"] for f in fss]}, separators=(",", ":"))
        for dim, names in METRIC_GROUPS:
            url = metrics_url(sub, region, dim, names)
            b = body_for(url, "POST", rb)
            if b is None:
                continue
            calls += 1
            vals = b.get("values", [])
            if [v.get("resourceid") for v in vals] != [f["id"] for f in fss]:
                err("%s: values[] resource ids differ from the request" % url)
                continue
            for fs, v in zip(fss, vals):
                name = fs["name"]
                tib = fs["properties"]["storageCapacityTiB"]
                n_ost = 8 if tib >= 50 else 4
                for k, want in (("starttime", METRIC_START), ("endtime", METRIC_END),
                                ("interval", "PT1H"), ("resourceregion", region),
                                ("namespace", "microsoft.storagecache/amlfilesystems")):
                    if v.get(k) != want:
                        err("%s %s: %s = %r" % (name, dim, k, v.get(k)))
                ms = v.get("value", [])
                if [m.get("name", {}).get("value") for m in ms] != names:
                    err("%s %s: metric names %r" % (name, dim, [m.get("name") for m in ms]))
                    continue
                per_metric = {}
                for m in ms:
                    mname = m["name"]["value"]
                    if m.get("id") != "%s/providers/Microsoft.Insights/metrics/%s" % (fs["id"], mname):
                        err("%s: metric id %r" % (name, m.get("id")))
                    for k in ("type", "displayDescription", "unit", "errorCode"):
                        if not isinstance(m.get(k), str):
                            err("%s %s: %s missing" % (name, mname, k))
                    if m.get("type") != "Microsoft.Insights/metrics" or m.get("errorCode") != "Success":
                        err("%s %s: type/errorCode" % (name, mname))
                    ts_list = m.get("timeseries")
                    if fs["properties"]["provisioningState"] == "Failed":
                        if ts_list != []:
                            err("%s %s: failed file system should have no series" % (name, mname))
                        continue
                    want_n = n_ost if dim == "ostnum" else 1
                    if not isinstance(ts_list, list) or len(ts_list) != want_n:
                        err("%s %s: %r series, want %d" % (name, mname, len(ts_list or []), want_n))
                        continue
                    cols = []
                    for i, series in enumerate(ts_list):
                        n_series += 1
                        mv = series.get("metadatavalues")
                        if mv != [{"name": {"value": dim, "localizedValue": dim}, "value": str(i)}]:
                            err("%s %s: series %d metadatavalues %r" % (name, mname, i, mv))
                        data = series.get("data", [])
                        if [p.get("timeStamp") for p in data] != HOURS:
                            err("%s %s series %d: timestamps" % (name, mname, i))
                            continue
                        col = []
                        for p in data:
                            n_points += 1
                            if set(p) - {"timeStamp", "average"}:
                                err("%s %s: extra aggregation keys %s" % (name, mname, set(p)))
                            a = p.get("average")
                            if "average" not in p:
                                missing.append((name, mname, i, p["timeStamp"]))
                            elif isinstance(a, bool) or not isinstance(a, (int, float)) or a < 0:
                                err("%s %s: bad average %r" % (name, mname, a))
                                a = None
                            col.append(a)
                        cols.append(col)
                    per_metric[mname] = cols
                if dim == "ostnum" and "OSTBytesTotal" in per_metric:
                    cap = int(tib) * 2 ** 40
                    tot, used = per_metric["OSTBytesTotal"], per_metric["OSTBytesUsed"]
                    for h in range(24):
                        if sum(c[h] for c in tot) != cap:
                            err("%s: OSTBytesTotal sum at %s is %r, capacity %d" % (
                                name, HOURS[h], sum(c[h] for c in tot), cap))
                        for i in range(len(tot)):
                            if not 0.05 <= used[i][h] / tot[i][h] <= 0.90:
                                err("%s: OST %d used %.1f %% at %s" % (
                                    name, i, 100 * used[i][h] / tot[i][h], HOURS[h]))
                if dim == "mdtnum" and "MDTBytesTotal" in per_metric:
                    u, t = per_metric["MDTBytesUsed"][0], per_metric["MDTBytesTotal"][0]
                    if any(a > b for a, b in zip(u, t)):
                        err("%s: MDTBytesUsed above MDTBytesTotal" % name)
    if len(missing) != 1:
        err("expected exactly one data point without average, got %s" % missing)
    for m in missing:
        notes.append("no average: %s %s ostnum %d at %s" % m)
    return {"calls": calls, "series": n_series, "points": n_points}


def main(argv):
    spec_path = DEFAULT_SPEC
    if "--spec" in argv:
        spec_path = argv[argv.index("--spec") + 1]
    spec = Spec(spec_path) if os.path.exists(spec_path) else None
    if spec is None:
        print("WARNING: spec %s not found; spec checks skipped" % spec_path)

    with open(os.path.join(HERE, "manifest.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    if manifest.get("format") != "amlfs-audit-replay/1":
        err("manifest format %r" % manifest.get("format"))
    if not DATE_RE.match(manifest.get("recorded_at", "")):
        err("manifest recorded_at %r" % manifest.get("recorded_at"))
    entries = manifest["entries"]

    by_url = {}
    bodies = {}
    for e in entries:
        url, path = e.get("url"), e.get("body")
        rb = e.get("request_body")
        if e.get("method") == "GET":
            if not isinstance(url, str) or not url.startswith(ARM + "/"):
                err("entry url %r is not an absolute ARM URL" % url)
            if "request_body" in e:
                err("%s: GET entry with a request_body" % url)
        elif e.get("method") == "POST":
            if not isinstance(url, str) or not METRICS_HOST_RE.match(url):
                err("POST entry url %r is not a metrics:getBatch URL" % url)
            if not isinstance(rb, str):
                err("%s: POST entry without a string request_body" % url)
        else:
            err("%s: method %r" % (url, e.get("method")))
        if "api-version=" not in url:
            err("%s: no api-version" % url)
        if not isinstance(e.get("status"), int):
            err("%s: status %r" % (url, e.get("status")))
        h = {k.lower(): v for k, v in e.get("headers", {}).items()}
        for k in ("content-type", "x-ms-request-id", "x-ms-correlation-request-id"):
            if k not in h:
                err("%s: header %s missing" % (url, k))
        key = (e.get("method"), url, rb)
        if key in by_url:
            err("%s: recorded twice" % url)
        by_url[key] = e
        if not isinstance(path, str) or path.startswith("/") or ".." in path:
            err("%s: bad body path %r" % (url, path))
            continue
        if path in bodies:
            err("body %s referenced twice" % path)
        full = os.path.join(HERE, path)
        if not os.path.isfile(full):
            err("body %s missing" % path)
            continue
        raw = open(full, "rb").read()
        try:
            raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError as ex:
            err("body %s: not UTF-8 (%s)" % (path, ex))
        r = subprocess.run([sys.executable, "-m", "json.tool", full],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode:
            err("body %s: json.tool failed: %s" % (path, r.stderr.decode().strip()))
            continue
        bodies[path] = json.loads(raw)

    on_disk = set()
    for root, _, files in os.walk(os.path.join(HERE, "bodies")):
        for f in files:
            on_disk.add(os.path.relpath(os.path.join(root, f), HERE).replace(os.sep, "/"))
    for p in sorted(on_disk - set(bodies)):
        err("file %s is not referenced by any entry" % p)

    used_keys = set()

    def body_for(url, method="GET", request_body=None):
        key = (method, url, request_body)
        e = by_url.get(key)
        if not e:
            err("no entry for %s %s%s" % (method, url,
                                          " body " + request_body if request_body else ""))
            return None
        used_keys.add(key)
        return bodies.get(e["body"])

    # nextLinks anywhere
    for path, b in bodies.items():
        if isinstance(b, dict) and b.get("nextLink"):
            nl = b["nextLink"]
            if ("GET", nl, None) not in by_url:
                err("%s: nextLink %s is not an entry" % (path, nl))
            if "api-version=" not in nl or "$skipToken=" not in nl:
                err("%s: nextLink %s lacks api-version or $skipToken" % (path, nl))

    # walk the estate the way the tool does
    subs_body = body_for(ARM + "/subscriptions?api-version=2022-12-01")
    tenants = set()
    filesystems = []
    pages_per_sub = {}
    visited = set()
    for s in (subs_body or {}).get("value", []):
        tenants.add(s.get("tenantId"))
        if s.get("id") != "/subscriptions/" + s.get("subscriptionId", ""):
            err("subscription id/subscriptionId mismatch: %s" % s.get("id"))
        url = "%s/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems?api-version=%s" % (
            ARM, s["subscriptionId"], API_SC)
        n = 0
        while url:
            if url in visited:
                err("nextLink loop at %s" % url)
                break
            visited.add(url)
            n += 1
            b = body_for(url)
            if b is None:
                break
            for fs in b.get("value", []):
                filesystems.append((s, fs))
            url = b.get("nextLink")
        pages_per_sub[s["displayName"]] = n
    if len(tenants) != 1:
        err("expected one tenant, got %s" % tenants)
    if max(pages_per_sub.values() or [0]) < 3:
        err("no subscription is answered in 3 pages: %s" % pages_per_sub)
    list_urls = {e["url"] for e in entries if "/amlFilesystems?" in e["url"]}
    if list_urls - visited:
        err("list pages never reached: %s" % sorted(list_urls - visited))

    skus = set()
    quirks = 0
    job_states = {"importJobs": set(), "autoExportJobs": set(), "autoImportJobs": set()}
    job_defs = {"importJobs": "ImportJob", "autoExportJobs": "AutoExportJob",
                "autoImportJobs": "AutoImportJob"}
    n_jobs = 0
    for sub, fs in filesystems:
        name = fs.get("name")
        if not fs["id"].startswith("/subscriptions/%s/resourceGroups/" % sub["subscriptionId"]):
            err("%s: id not under its subscription" % name)
        if not fs["id"].endswith("/" + name):
            err("%s: id does not end with name" % name)
        if spec:
            spec.check_resource(fs, "AmlFilesystem")
        else:
            check_tracked(fs, "AmlFilesystem")
        p = fs["properties"]
        sku = fs["sku"]["name"]
        skus.add(sku)
        rate, mn, step, mx = RATE[sku]
        tib = p["storageCapacityTiB"]
        if tib < mn or tib % step or tib > mx:
            err("%s: %s TiB invalid for %s" % (name, tib, sku))
        if p.get("throughputProvisionedMBps") != int(tib * rate):
            quirks += 1
            notes.append("%s: throughput %s reported, %d expected (quirk)" % (
                name, p.get("throughputProvisionedMBps"), int(tib * rate)))
        for seg in job_states:
            url = "%s%s/%s?api-version=%s" % (ARM, fs["id"], seg, API_SC)
            b = body_for(url)
            if b is None:
                continue
            if b.get("nextLink"):
                notes.append("%s has a paged job list" % url)
            for job in b.get("value", []):
                n_jobs += 1
                job_states[seg].add(job["properties"]["status"]["state"])
                if job["location"] != fs["location"]:
                    err("%s/%s: location differs from file system" % (name, job["name"]))
                if not job["id"].lower().startswith(fs["id"].lower() + "/"):
                    err("%s/%s: id not under the file system" % (name, job["name"]))
                if spec:
                    spec.check_resource(job, job_defs[seg])
                else:
                    check_tracked(job, job_defs[seg])
    if quirks != 1:
        err("expected exactly one throughput quirk, found %d" % quirks)
    if skus != set(RATE):
        err("SKUs not all covered: %s" % skus)

    if spec:
        want = {
            "importJobs": spec.defs["ImportJob"]["properties"]["properties"]["properties"]["status"]["properties"]["state"]["enum"],
            "autoExportJobs": spec.defs["AutoExportJob"]["properties"]["properties"]["properties"]["status"]["properties"]["state"]["enum"],
            "autoImportJobs": spec.defs["AutoImportJob"]["properties"]["properties"]["properties"]["status"]["properties"]["state"]["enum"],
        }
        for seg, states in want.items():
            missing = set(states) - job_states[seg]
            if missing:
                err("%s states never used: %s" % (seg, sorted(missing)))

    counts = check_scope_tags(subs_body, filesystems, body_for)
    counts.update(check_access(filesystems, body_for))
    counts.update(check_metrics(filesystems, body_for))
    for key in sorted(set(by_url) - used_keys, key=str):
        err("entry %s %s is not a request the collector makes" % (key[0], key[1]))

    print("entries: %d, bodies: %d, file systems: %d, jobs: %d, pages: %s" % (
        len(entries), len(bodies), len(filesystems), n_jobs, pages_per_sub))
    print("subscriptions: %(subs)d, resource groups: %(rgs)d, role assignments: "
          "%(roles)d, locks: %(locks)d, diagnostic settings: %(diags)d, metrics "
          "calls: %(calls)d, series: %(series)d, points: %(points)d" % counts)
    if spec:
        print("enum values used (all declared in %s):" % os.path.basename(spec_path))
        for path in sorted(spec.used):
            print("  %-60s %s" % (path, ", ".join(sorted(map(str, spec.used[path])))))
    for n in sorted(set(notes)):
        print("note: " + n)
    for e in errors:
        print("ERROR: " + e)
    print("OK" if not errors else "FAILED (%d errors)" % len(errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
