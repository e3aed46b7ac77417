#!/usr/bin/env python3
"""Check the replay directory written by generate.py.

Usage:  python3 samples/replay/validate.py [--spec PATH/amlfilesystem.json]

Checks (exit status 1 on any error):
  - manifest shape; every entry GET, absolute ARM URL, status, headers;
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
    documented quirk; resource-name pattern; every job state is covered.
"""

import json
import os
import re
import subprocess
import sys

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
        if e.get("method") != "GET":
            err("%s: method %r" % (url, e.get("method")))
        if not isinstance(url, str) or not url.startswith(ARM + "/"):
            err("entry url %r is not an absolute ARM URL" % url)
        if "api-version=" not in url:
            err("%s: no api-version" % url)
        if not isinstance(e.get("status"), int):
            err("%s: status %r" % (url, e.get("status")))
        h = {k.lower(): v for k, v in e.get("headers", {}).items()}
        for k in ("content-type", "x-ms-request-id", "x-ms-correlation-request-id"):
            if k not in h:
                err("%s: header %s missing" % (url, k))
        if (e.get("method"), url) in by_url:
            err("%s: recorded twice" % url)
        by_url[(e.get("method"), url)] = e
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

    def body_for(url):
        e = by_url.get(("GET", url))
        if not e:
            err("no entry for %s" % url)
            return None
        return bodies.get(e["body"])

    # nextLinks anywhere
    for path, b in bodies.items():
        if isinstance(b, dict) and b.get("nextLink"):
            nl = b["nextLink"]
            if ("GET", nl) not in by_url:
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

    print("entries: %d, bodies: %d, file systems: %d, jobs: %d, pages: %s" % (
        len(entries), len(bodies), len(filesystems), n_jobs, pages_per_sub))
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
