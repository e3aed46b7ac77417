#!/usr/bin/env python3
"""Regenerate the amlfs-audit replay directory (recorded Azure responses).

Usage:  python3 samples/replay/generate.py

Writes, next to this script:
  manifest.json   the "amlfs-audit-replay/1" manifest (method, url, status,
                  headers, body path) read by src/azure/replay.c
  bodies/...      one raw response body per manifest entry
  README.md       the estate table and the list of quirks, for test authors

Standard library only and fully deterministic: every GUID is a uuid5 of a
fixed label, there is no randomness and no clock, so running it twice gives
byte-identical output.  The bodies/ tree is deleted and rebuilt on each run.

Shapes follow shared/reference/azure-apis.md (sections A, B, C, G, J) and the
2025-07-01 StorageCache OpenAPI file (definitions AmlFilesystem, ImportJob,
AutoExportJob, AutoImportJob and their x-ms-examples).  validate.py checks
the result against that spec.

Besides the inventory (subscriptions, file-system pages, job lists) it
records what the collector reads for scope tags (GET subscription, GET
resource group), access (role assignments at scope, locks, diagnostic
settings per file system) and Azure Monitor metrics (POST metrics:getBatch
per subscription and region, OST and MDT groups, with the exact request
body).  Those entries are appended after the original 29 so that the
original entries and bodies stay byte-identical.
"""

import base64
import json
import os
import shutil
import uuid
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))

FORMAT = "amlfs-audit-replay/1"
RECORDED_AT = "2026-11-02T03:00:00Z"
ARM = "https://management.azure.com"
API_SUBS = "2022-12-01"
API_SC = "2025-07-01"

TENANT = "3e9a6c41-7d2b-4f58-9c0e-b1a4d6f82c75"
SUB_RESEARCH = "6f3c2b1e-8a47-4d9e-b5c2-1e7a9d4f0b63"
SUB_MEDIA = "c94e7a15-2f6b-4b8d-9e31-7ad05c8b2e4f"

# Namespace for every derived GUID (request ids, principal ids, ...).
NS = uuid.UUID("0b7c3f52-6a1e-4d8b-9f20-5e4c7a1d3b96")

RATE = {  # MB/s per TiB, min TiB, step TiB, default max TiB (A.4)
    "AMLFS-Durable-Premium-40": (40, 48, 48, 768),
    "AMLFS-Durable-Premium-125": (125, 16, 16, 128),
    "AMLFS-Durable-Premium-250": (250, 8, 8, 128),
    "AMLFS-Durable-Premium-500": (500, 4, 4, 128),
}


def gid(label):
    return str(uuid.uuid5(NS, label))


def hexid(label, n=32):
    return uuid.uuid5(NS, label).hex[:n]


# ---------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------

SUBSCRIPTIONS = [
    {"id": SUB_RESEARCH, "displayName": "Research HPC", "slug": "research-hpc",
     "quotaId": "EnterpriseAgreement_2014-09-01"},
    {"id": SUB_MEDIA, "displayName": "Media Rendering", "slug": "media-rendering",
     "quotaId": "EnterpriseAgreement_2014-09-01"},
]


def subscriptions_body():
    value = []
    for s in SUBSCRIPTIONS:
        value.append({
            "id": "/subscriptions/" + s["id"],
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "subscriptionId": s["id"],
            "tenantId": TENANT,
            "displayName": s["displayName"],
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": s["quotaId"],
                "spendingLimit": "Off",
            },
        })
    return {"value": value, "count": {"type": "Total", "value": len(value)}}


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------

def fs_id(sub, rg, name):
    return ("/subscriptions/%s/resourceGroups/%s/providers/"
            "Microsoft.StorageCache/amlFilesystems/%s" % (sub, rg, name))


def subnet_id(sub, rg, vnet, subnet):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
            "virtualNetworks/%s/subnets/%s" % (sub, rg, vnet, subnet))


def container_id(sub, rg, account, container):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/"
            "storageAccounts/%s/blobServices/default/containers/%s"
            % (sub, rg, account, container))


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def csi(name, mgs, tib):
    sc = "sc-" + name
    storage_class = (
        "apiVersion: storage.k8s.io/v1\n"
        "kind: StorageClass\n"
        "metadata:\n"
        "  name: %s\n"
        "provisioner: azurelustre.csi.azure.com\n"
        "parameters:\n"
        "  mgs-ip-address: %s\n"
        "  fs-name: lustrefs\n"
        "reclaimPolicy: Retain\n"
        "volumeBindingMode: Immediate\n"
        "mountOptions:\n"
        "  - noatime\n"
        "  - flock\n" % (sc, mgs))
    pv = (
        "apiVersion: v1\n"
        "kind: PersistentVolume\n"
        "metadata:\n"
        "  name: pv-%s\n"
        "spec:\n"
        "  capacity:\n"
        "    storage: %dTi\n"
        "  csi:\n"
        "    driver: azurelustre.csi.azure.com\n"
        "    volumeHandle: %s#lustrefs\n"
        "    volumeAttributes:\n"
        "      mgs-ip-address: %s\n"
        "      fs-name: lustrefs\n"
        "  accessModes:\n"
        "    - ReadWriteMany\n"
        "  persistentVolumeReclaimPolicy: Retain\n"
        "  storageClassName: %s\n" % (name, tib, name, mgs, sc))
    pvc = (
        "apiVersion: v1\n"
        "kind: PersistentVolumeClaim\n"
        "metadata:\n"
        "  name: pvc-%s\n"
        "spec:\n"
        "  accessModes:\n"
        "    - ReadWriteMany\n"
        "  storageClassName: %s\n"
        "  resources:\n"
        "    requests:\n"
        "      storage: %dTi\n" % (name, sc, tib))
    return {"persistentVolumeClaim": b64(pvc),
            "persistentVolume": b64(pv),
            "storageClass": b64(storage_class)}


def client_info(name, mgs, tib, lustre="2.15.7"):
    return {
        "mgsAddress": mgs,
        "mountCommand": "mount -t lustre %s@tcp:/lustrefs /lustre/lustrefs" % mgs,
        "lustreVersion": lustre,
        "containerStorageInterface": csi(name, mgs, int(tib)),
    }


def system_data(created_by, created_type, created_at,
                modified_by=None, modified_type=None, modified_at=None):
    return {
        "createdBy": created_by,
        "createdByType": created_type,
        "createdAt": created_at,
        "lastModifiedBy": modified_by or created_by,
        "lastModifiedByType": modified_type or created_type,
        "lastModifiedAt": modified_at or created_at,
    }


def throughput(sku, tib):
    return int(round(RATE[sku][0] * tib))


# ---------------------------------------------------------------------------
# The estate: 8 file systems in 2 subscriptions
# ---------------------------------------------------------------------------
#
# Each entry: "doc" holds the ARM list item; the other keys drive the job
# lists, the README and the page layout.

def build_estate():
    R, M = SUB_RESEARCH, SUB_MEDIA
    estate = []

    # -- 1. Research HPC / rg-genomics-prod / amlfs-genomics-prod ----------
    # Premium-125, 128 TiB, CMK + user-assigned identity, HSM with both
    # importPrefix and importPrefixesInitial, rootSquash All, 3 import jobs.
    name, rg, loc = "amlfs-genomics-prod", "rg-genomics-prod", "eastus"
    sku, tib, mgs = "AMLFS-Durable-Premium-125", 128, "10.20.1.4"
    uai = ("/subscriptions/%s/resourceGroups/rg-genomics-security/providers/"
           "Microsoft.ManagedIdentity/userAssignedIdentities/id-amlfs-genomics-cmk" % R)
    estate.append({
        "sub": R, "rg": rg, "page": 1, "lower_child_ids": True, "singular_job_types": True,
        "doc": {
            "id": fs_id(R, rg, name),
            "name": name,
            "type": "Microsoft.StorageCache/amlFilesystems",
            "location": loc,
            "tags": {
                "CostCenter": "CC-4410",
                "Owner": "Hannah Okafor",
                "env": "prod",
                "project": "Genomics | WGS, \"Cohort-7\"",
            },
            "zones": ["1"],
            "sku": {"name": sku},
            "identity": {
                "type": "UserAssigned",
                "userAssignedIdentities": {
                    uai: {
                        "principalId": gid("principal:" + uai),
                        "clientId": gid("client:" + uai),
                    }
                },
            },
            "systemData": system_data(
                "hannah.okafor@contoso.com", "User", "2026-02-11T14:22:37.4188913Z",
                "a3f1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b", "Application",
                "2026-09-30T08:05:11.0290155Z"),
            "properties": {
                "storageCapacityTiB": tib,
                "throughputProvisionedMBps": throughput(sku, tib),
                "health": {"state": "Available", "statusDescription": "amlFilesystem is ok."},
                "provisioningState": "Succeeded",
                "filesystemSubnet": subnet_id(R, "rg-genomics-network", "vnet-genomics-eastus", "snet-amlfs"),
                "clientInfo": client_info(name, mgs, tib),
                "encryptionSettings": {
                    "keyEncryptionKey": {
                        "keyUrl": "https://kv-genomics-cmk.vault.azure.net/keys/amlfs-kek/%s" % hexid("kek-genomics"),
                        "sourceVault": {
                            "id": "/subscriptions/%s/resourceGroups/rg-genomics-security/providers/"
                                  "Microsoft.KeyVault/vaults/kv-genomics-cmk" % R,
                        },
                    }
                },
                "maintenanceWindow": {"dayOfWeek": "Sunday", "timeOfDayUTC": "22:00"},
                "hsm": {
                    "settings": {
                        "container": container_id(R, rg, "stgenomicsarchive01", "genomics-data"),
                        "loggingContainer": container_id(R, rg, "stgenomicsarchive01", "genomics-logs"),
                        "importPrefix": "/",
                        "importPrefixesInitial": ["/refgenomes", "/cohorts/2026"],
                    },
                    "archiveStatus": [{
                        "filesystemPath": "/",
                        "status": {
                            "state": "Completed",
                            "lastStartedTime": "2026-10-30T01:00:12.511Z",
                            "lastCompletionTime": "2026-10-30T04:47:55.102Z",
                            "percentComplete": 100,
                        },
                    }],
                },
                "rootSquashSettings": {
                    "mode": "All",
                    "noSquashNidLists": "10.20.1.[10-20]@tcp;10.20.2.5@tcp",
                    "squashUID": 65534,
                    "squashGID": 65534,
                    "status": "nodemap.active=1",
                },
            },
        },
        "import": [
            dict(name="import-refgenomes-grch38", state="Completed", admin="Active",
                 prefixes=["/refgenomes"], mode="Skip", max_errors=0,
                 started="2026-10-05T02:14:07.483Z", completed="2026-10-05T03:02:51.917Z",
                 files=1612004, dirs=41880, links=1210,
                 pre_files=188902, pre_dirs=1224, pre_links=0, errors=0, conflicts=0,
                 message="Import job completed successfully",
                 tags={"requested-by": "hannah.okafor"}),
            dict(name="import-cohort7-batch2", state="CompletedPartial", admin="Active",
                 prefixes=["/cohorts/2026/cohort-7"], mode="OverwriteIfDirty", max_errors=-1,
                 started="2026-10-21T19:40:00.000Z", completed="2026-10-22T06:12:33.000Z",
                 files=9650000, dirs=150000, links=1220,
                 pre_files=75000, pre_dirs=0, pre_links=0, errors=311, conflicts=12,
                 message="Import job completed with 311 errors and 12 conflicts; see the logging container for details"),
            dict(name="import-cohort8-nightly", state="InProgress", admin="Active",
                 prefixes=["/cohorts/2026/cohort-8"], mode="Fail", max_errors=50,
                 started="2026-11-02T01:30:00.000Z", completed=None, elapsed=5400,
                 files=1950112, dirs=47080, links=812,
                 pre_files=104377, pre_dirs=1994, pre_links=0, errors=2, conflicts=0,
                 message="Import job is in progress"),
        ],
        "autoexport": [
            dict(name="autoexport-results",
                 created="2026-03-02T10:00:00.000Z",
                 state="InProgress", admin="Enable",
                 prefixes=["/results"], total_files=48211977, total_mib=91884412,
                 total_failed=17, iterations=2211,
                 last_ok="2026-11-02T02:41:09.330Z",
                 cur_disc=1840, cur_disc_mib=52210, cur_files=912, cur_mib=26088, cur_failed=0,
                 started="2026-11-02T02:41:10.004Z", completed=None,
                 message="Auto Export is in progress"),
        ],
        "autoimport": [
            dict(name="autoimport-cohorts", state="InProgress", admin="Enable",
                 prefixes=["/cohorts"], mode="Skip", deletions=False,
                 max_errors="0",  # quirk: string, as in autoImportJobs_ListByAmlFilesystem
                 scan_start="2026-10-06T09:00:04.118Z", scan_end="2026-10-06T13:27:51.640Z",
                 walked=14802331, walk_rate=923, files=14011208, dirs=402117, links=3006,
                 pre_files=385000, pre_dirs=1000, pre_links=0, errors=0, conflicts=0,
                 sync=dict(files=188422, dirs=3110, links=14, pre_files=902, pre_dirs=31,
                           pre_links=0, rate=4, errors=0, conflicts=0, deletions=0,
                           consumed="2026-11-02T02:58:40.512Z",
                           synced="2026-11-02T02:55:00.000Z"),
                 started="2026-10-06T09:00:02.871Z", completed=None,
                 tags={"Dept": "Genomics"}),
        ],
    })

    # -- 2. Research HPC / rg-genomics-prod / amlfs-genomics-scratch -------
    # Premium-500, 32 TiB, no HSM, lower-case tag keys, RetireAfter in future.
    name, rg, loc = "amlfs-genomics-scratch", "rg-genomics-prod", "eastus"
    sku, tib, mgs = "AMLFS-Durable-Premium-500", 32, "10.20.3.4"
    estate.append({
        "sub": R, "rg": rg, "page": 1,
        "doc": {
            "id": fs_id(R, rg, name),
            "name": name,
            "type": "Microsoft.StorageCache/amlFilesystems",
            "location": loc,
            "tags": {
                "costcenter": "cc-4410",
                "owner": "genomics-pipeline@contoso.com",
                "Environment": "Dev",
                "RetireAfter": "2026-12-31",
            },
            "zones": ["1"],
            "sku": {"name": sku},
            "systemData": system_data(
                "genomics-pipeline@contoso.com", "User", "2026-08-19T10:02:44.9103317Z"),
            "properties": {
                "storageCapacityTiB": tib,
                "throughputProvisionedMBps": throughput(sku, tib),
                "health": {"state": "Available", "statusDescription": "amlFilesystem is ok."},
                "provisioningState": "Succeeded",
                "filesystemSubnet": subnet_id(R, "rg-genomics-network", "vnet-genomics-eastus", "snet-amlfs-scratch"),
                "clientInfo": client_info(name, mgs, tib),
                "maintenanceWindow": {"dayOfWeek": "Sunday", "timeOfDayUTC": "23:30"},
                "rootSquashSettings": {
                    "mode": "RootOnly",
                    "noSquashNidLists": "10.20.3.[8-9]@tcp",
                    "squashUID": 99,
                    "squashGID": 99,
                    "status": "nodemap.active=1",
                },
            },
        },
        "import": [], "autoexport": [], "autoimport": [],
    })

    # -- 3. Research HPC / rg-cfd-aero / amlfs-cfd-aero-01 -----------------
    # The amlFilesystems_Get quirk: 16 TiB Premium-250 reporting 500 MB/s.
    # Singular list-item type, HSM with the old single importPrefix only,
    # failing jobs, formula-injection tag value, single-digit maintenance hour.
    name, rg, loc = "amlfs-cfd-aero-01", "rg-cfd-aero", "westeurope"
    sku, tib, mgs = "AMLFS-Durable-Premium-250", 16, "10.40.0.4"
    estate.append({
        "sub": R, "rg": rg, "page": 2, "lower_child_ids": True, "singular_job_types": True,
        "throughput_quirk": True,
        "doc": {
            "id": fs_id(R, rg, name),
            "name": name,
            "type": "Microsoft.StorageCache/amlFilesystem",
            "location": loc,
            "tags": {
                "CostCenter": "AERO-17",
                "Owner": "Jos\u00e9 M\u00fcller",
                "env": "prod",
                "billing-ref": "=HYPERLINK(\"https://example.invalid/cfd\",\"CFD\")",
            },
            "zones": ["2"],
            "sku": {"name": sku},
            "systemData": system_data(
                "jose.muller@contoso.com", "User", "2025-11-03T09:41:18.2231904Z",
                "jose.muller@contoso.com", "User", "2026-06-14T16:10:02.5518273Z"),
            "properties": {
                "storageCapacityTiB": tib,
                "throughputProvisionedMBps": 500,  # quirk (formula gives 4000)
                "health": {"state": "Available", "statusDescription": "amlFilesystem is ok."},
                "provisioningState": "Succeeded",
                "filesystemSubnet": subnet_id(R, "rg-cfd-aero", "vnet-cfd-weu", "snet-lustre"),
                "clientInfo": client_info(name, mgs, tib, "2.15.5"),
                "maintenanceWindow": {"dayOfWeek": "Saturday", "timeOfDayUTC": "3:00"},
                "hsm": {
                    "settings": {
                        "container": container_id(R, rg, "stcfdaeroweu", "cfd-archive"),
                        "loggingContainer": container_id(R, rg, "stcfdaeroweu", "cfd-hsm-logs"),
                        "importPrefix": "/cases",
                    },
                    "archiveStatus": [{
                        "filesystemPath": "/",
                        "status": {
                            "state": "Failed",
                            "lastStartedTime": "2026-10-18T21:00:00.000Z",
                            "lastCompletionTime": "2026-10-18T23:14:09.771Z",
                            "percentComplete": 37,
                            "errorCode": "ArchiveContainerAccessDenied",
                            "errorMessage": "The storage account denied the SAS request for container 'cfd-archive' (403 AuthorizationPermissionMismatch).",
                        },
                    }],
                },
                "rootSquashSettings": {
                    "mode": "RootOnly",
                    "noSquashNidLists": "10.40.0.[20-27]@tcp",
                    "squashUID": 99,
                    "squashGID": 99,
                    "status": "nodemap.active=1",
                },
            },
        },
        "import": [
            dict(name="import-meshes-v12", state="Failed", admin="Active",
                 prefixes=["/cases/meshes/v12"], mode="Fail", max_errors=0,
                 started="2026-10-12T07:03:55.210Z", completed="2026-10-12T07:09:41.006Z",
                 files=40211, dirs=902, links=0, pre_files=0, pre_dirs=0, pre_links=0,
                 errors=1, conflicts=0,
                 message="Import job failed: maximum error count (0) exceeded. First error: blob 'cases/meshes/v12/wing_refined.cgns' could not be read (403 AuthorizationPermissionMismatch)."),
            dict(name="import-les-cases-q3",
                 modified="2026-10-13T12:41:02.000Z",
                 state="Canceled", admin="Cancel",
                 prefixes=["/cases/les/2026q3"], mode="OverwriteAlways", max_errors=10,
                 started="2026-10-13T12:00:00.000Z", completed="2026-10-13T12:48:20.000Z",
                 files=622190, dirs=8110, links=0, pre_files=0, pre_dirs=0, pre_links=0,
                 errors=0, conflicts=0,
                 message="Import job was canceled by user request"),
        ],
        "autoexport": [
            dict(name="autoexport-solutions",
                 created="2026-08-01T09:12:40.000Z",
                 state="Failed", admin="Enable",
                 prefixes=["/cases/solutions"], total_files=310442, total_mib=8812034,
                 total_failed=4410, iterations=96,
                 last_ok="2026-10-18T20:55:12.000Z",
                 cur_disc=4410, cur_disc_mib=120551, cur_files=0, cur_mib=0, cur_failed=4410,
                 started="2026-10-18T21:00:03.118Z", completed="2026-10-18T21:04:47.902Z",
                 code="AuthorizationPermissionMismatch",
                 message="Auto export failed: the storage account denied write access to container 'cfd-archive'"),
            dict(name="autoexport-postproc",
                 created="2026-09-10T15:02:11.000Z", modified="2026-10-20T11:45:19.000Z",
                 state="DisableFailed", admin="Disable",
                 prefixes=["/postproc"], total_files=88120, total_mib=402211,
                 total_failed=0, iterations=41,
                 last_ok="2026-10-20T11:30:00.000Z",
                 cur_disc=12, cur_disc_mib=380, cur_files=3, cur_mib=95, cur_failed=0,
                 started="2026-10-20T11:30:02.000Z", completed=None,
                 code="DisableTimedOut",
                 message="Auto export job could not be disabled: timed out waiting for the current iteration to drain"),
        ],
        "autoimport": [
            dict(name="autoimport-cases", state="Failed", admin="Enable",
                 prefixes=["/cases/incoming"], mode="Fail", deletions=False, max_errors=100,
                 scan_start="2026-10-14T06:00:00.000Z", scan_end="2026-10-14T06:41:17.332Z",
                 walked=210334, walk_rate=84, files=198001, dirs=2210, links=0,
                 pre_files=9921, pre_dirs=101, pre_links=0, errors=101, conflicts=0,
                 sync=dict(files=0, dirs=0, links=0, pre_files=0, pre_dirs=0,
                           pre_links=0, rate=0, errors=0, conflicts=0, deletions=0,
                           consumed=None, synced=None),
                 started="2026-10-14T05:59:58.410Z", completed="2026-10-14T06:41:17.332Z"),
        ],
    })

    # -- 4. Research HPC / rg-cfd-aero / amlfs-cfd-transient ---------------
    # Provisioning Failed / health Unavailable; retire-after already past;
    # capacity reported as a float (48.0); no clientInfo, no rootSquash.
    name, rg, loc = "amlfs-cfd-transient", "rg-cfd-aero", "westeurope"
    sku, tib = "AMLFS-Durable-Premium-40", 48.0
    estate.append({
        "sub": R, "rg": rg, "page": 2,
        "doc": {
            "id": fs_id(R, rg, name),
            "name": name,
            "type": "Microsoft.StorageCache/amlFilesystem",
            "location": loc,
            "tags": {
                "owner": "cfd-team",
                "env": "test",
                "retire-after": "2026-10-31",
                "purpose": "mesh-convergence study, run 3",
            },
            "zones": ["2"],
            "sku": {"name": sku},
            "systemData": system_data(
                "cfd-automation", "Application", "2026-10-28T18:30:12.0042671Z"),
            "properties": {
                "storageCapacityTiB": tib,
                "throughputProvisionedMBps": throughput(sku, tib),
                "health": {
                    "state": "Unavailable",
                    "statusCode": "SubnetTooSmall",
                    "statusDescription": "Provisioning failed: subnet 'snet-lustre-tmp' does not have enough free IP addresses for a 48 TiB file system.",
                },
                "provisioningState": "Failed",
                "filesystemSubnet": subnet_id(R, "rg-cfd-aero", "vnet-cfd-weu", "snet-lustre-tmp"),
                "maintenanceWindow": {"dayOfWeek": "Wednesday", "timeOfDayUTC": "01:00"},
            },
        },
        "import": [], "autoexport": [], "autoimport": [],
    })

    # -- 5. Research HPC / rg-ai-training / amlfs-llm-scratch --------------
    # Premium-500, 64 TiB, health Degraded, "tags": {}, no systemData,
    # rootSquash None, jobs being cancelled/disabled.
    name, rg, loc = "amlfs-llm-scratch", "rg-ai-training", "westus3"
    sku, tib, mgs = "AMLFS-Durable-Premium-500", 64, "172.16.8.4"
    estate.append({
        "sub": R, "rg": rg, "page": 3, "lower_child_ids": True, "singular_job_types": True,
        "doc": {
            "id": fs_id(R, rg, name),
            "name": name,
            "type": "Microsoft.StorageCache/amlFilesystems",
            "location": loc,
            "tags": {},
            "zones": ["1"],
            "sku": {"name": sku},
            "properties": {
                "storageCapacityTiB": tib,
                "throughputProvisionedMBps": throughput(sku, tib),
                "health": {
                    "state": "Degraded",
                    "statusCode": "OstUnavailable",
                    "statusDescription": "2 of 16 OSTs are unreachable; I/O to files striped on them may stall.",
                },
                "provisioningState": "Succeeded",
                "filesystemSubnet": subnet_id(R, "rg-ai-training", "vnet-ai-wus3", "snet-amlfs"),
                "clientInfo": client_info(name, mgs, tib),
                "maintenanceWindow": {"dayOfWeek": "Friday", "timeOfDayUTC": "22:00"},
                "hsm": {
                    "settings": {
                        "container": container_id(R, rg, "staitrainingwus3", "datasets"),
                        "loggingContainer": container_id(R, rg, "staitrainingwus3", "amlfs-logs"),
                        "importPrefixesInitial": ["/"],
                    },
                    "archiveStatus": [
                        {"filesystemPath": "/checkpoints",
                         "status": {"state": "InProgress",
                                    "lastStartedTime": "2026-11-02T00:00:05.000Z",
                                    "percentComplete": 62}},
                        {"filesystemPath": "/datasets",
                         "status": {"state": "Idle",
                                    "lastStartedTime": "2026-10-25T00:00:04.000Z",
                                    "lastCompletionTime": "2026-10-25T02:11:38.000Z",
                                    "percentComplete": 100}},
                    ],
                },
                "rootSquashSettings": {
                    "mode": "None",
                    "noSquashNidLists": "",
                    "squashUID": 0,
                    "squashGID": 0,
                    "status": "nodemap.active=0",
                },
            },
        },
        "import": [
            dict(name="import-pretrain-shards",
                 modified="2026-11-02T02:55:37.000Z",
                 state="Cancelling", admin="Cancel",
                 provisioning="Updating",
                 prefixes=["/datasets/pretrain/shards-v4"], mode="Skip", max_errors=1000,
                 started="2026-11-01T20:00:00.000Z", completed=None, elapsed=25200,
                 files=3310442, dirs=1024, links=0, pre_files=880000, pre_dirs=0, pre_links=0,
                 errors=4, conflicts=0,
                 message="Cancel requested; waiting for in-flight imports to finish"),
        ],
        "autoexport": [
            dict(name="autoexport-checkpoints",
                 created="2026-09-01T00:00:00.000Z", modified="2026-11-02T02:52:03.000Z",
                 state="Disabling", admin="Disable",
                 prefixes=["/checkpoints"], total_files=6120, total_mib=52114001,
                 total_failed=0, iterations=388,
                 last_ok="2026-11-02T02:30:00.000Z",
                 cur_disc=40, cur_disc_mib=655360, cur_files=22, cur_mib=360448, cur_failed=0,
                 started="2026-11-02T02:30:01.000Z", completed=None,
                 message="Auto export job is being disabled"),
        ],
        "autoimport": [
            dict(name="autoimport-datasets",
                 modified="2026-11-02T02:50:12.000Z",
                 state="Disabling", admin="Disable",
                 prefixes=["/datasets/curated", "/datasets/eval"], mode="OverwriteIfDirty",
                 deletions=True, max_errors=-1,
                 scan_start="2026-10-20T00:00:00.000Z", scan_end="2026-10-20T09:12:44.000Z",
                 walked=88123004, walk_rate=2661, files=87000000, dirs=1100000, links=0,
                 pre_files=23004, pre_dirs=0, pre_links=0, errors=0, conflicts=0,
                 sync=dict(files=400112, dirs=1200, links=0, pre_files=0, pre_dirs=0,
                           pre_links=0, rate=0, errors=0, conflicts=3, deletions=51220,
                           consumed="2026-11-02T02:48:00.000Z",
                           synced="2026-11-02T02:40:00.000Z"),
                 started="2026-10-20T00:00:00.000Z", completed=None),
        ],
    })

    # -- 6. Media Rendering / rg-render-farm / amlfs-render-feature-film --
    # Premium-40, 480 TiB, big counters (12345678901), disabled auto jobs.
    name, rg, loc = "amlfs-render-feature-film", "rg-render-farm", "westus2"
    sku, tib, mgs = "AMLFS-Durable-Premium-40", 480, "10.8.16.4"
    estate.append({
        "sub": M, "rg": rg, "page": 1, "lower_child_ids": True, "singular_job_types": True,
        "doc": {
            "id": fs_id(M, rg, name),
            "name": name,
            "type": "Microsoft.StorageCache/amlFilesystem",
            "location": loc,
            "tags": {
                "costcenter": "MR-2001",
                "Owner": "render-ops@fabrikam.example",
                "Environment": "Production",
                "show": "Lighthouse; S2 | ep. 5",
            },
            "zones": ["2"],
            "sku": {"name": sku},
            "systemData": system_data(
                "render-ops@fabrikam.example", "User", "2026-01-07T17:00:41.1903318Z",
                "render-ops@fabrikam.example", "User", "2026-07-22T09:15:00.8821034Z"),
            "properties": {
                "storageCapacityTiB": tib,
                "throughputProvisionedMBps": throughput(sku, tib),
                "health": {"state": "Available", "statusDescription": "amlFilesystem is ok."},
                "provisioningState": "Succeeded",
                "filesystemSubnet": subnet_id(M, "rg-render-network", "vnet-render-wus2", "snet-amlfs"),
                "clientInfo": client_info(name, mgs, tib),
                "maintenanceWindow": {"dayOfWeek": "Tuesday", "timeOfDayUTC": "04:30"},
                "hsm": {
                    "settings": {
                        "container": container_id(M, rg, "strenderassetswus2", "assets"),
                        "loggingContainer": container_id(M, rg, "strenderassetswus2", "assets-hsm-logs"),
                        "importPrefix": "/assets",
                        "importPrefixesInitial": ["/assets", "/shots"],
                    },
                    "archiveStatus": [{
                        "filesystemPath": "/",
                        "status": {
                            "state": "Idle",
                            "lastStartedTime": "2026-09-01T04:00:00.000Z",
                            "lastCompletionTime": "2026-09-01T09:48:12.000Z",
                            "percentComplete": 100,
                        },
                    }],
                },
                "rootSquashSettings": {
                    "mode": "None",
                    "noSquashNidLists": "",
                    "squashUID": 0,
                    "squashGID": 0,
                    "status": "nodemap.active=0",
                },
            },
        },
        "import": [
            dict(name="import-asset-library", state="Completed", admin="Active",
                 prefixes=["/assets", "/shots"], mode="Skip", max_errors=-1,
                 started="2026-10-01T00:00:00.000Z", completed="2026-10-09T14:37:12.000Z",
                 files=12212004551, dirs=133000000, links=650,
                 pre_files=0, pre_dirs=0, pre_links=0, errors=350, conflicts=0,
                 walked_override=12345678901,
                 message="Import job completed successfully"),
        ],
        "autoexport": [
            dict(name="autoexport-renders",
                 created="2026-02-01T08:30:00.000Z", modified="2026-10-28T07:58:44.000Z",
                 state="Disabled", admin="Disable",
                 prefixes=["/renders/final"], total_files=12345678901, total_mib=4402201337,
                 total_failed=1201, iterations=1873,
                 last_ok="2026-10-27T22:10:45.000Z",
                 cur_disc=0, cur_disc_mib=0, cur_files=0, cur_mib=0, cur_failed=0,
                 started="2026-10-27T22:00:00.000Z", completed="2026-10-28T08:00:31.000Z",
                 message="Auto Export job is disabled"),
        ],
        "autoimport": [
            dict(name="autoimport-assets",
                 modified="2026-10-28T07:58:40.000Z",
                 state="Disabled", admin="Disable",
                 prefixes=["/assets"], mode="Skip", deletions=False, max_errors=0,
                 scan_start="2026-10-10T00:00:00.000Z", scan_end="2026-10-10T19:22:07.000Z",
                 walked=12345678901, walk_rate=0, files=40221, dirs=310, links=0,
                 pre_files=12345600000, pre_dirs=38370, pre_links=0, errors=0, conflicts=0,
                 sync=dict(files=90211, dirs=420, links=3, pre_files=11, pre_dirs=2,
                           pre_links=0, rate=0, errors=0, conflicts=0, deletions=0,
                           consumed="2026-10-27T22:00:00.000Z",
                           synced="2026-10-27T21:45:00.000Z"),
                 started="2026-10-10T00:00:00.000Z", completed="2026-10-28T08:00:30.000Z"),
        ],
    })

    # -- 7. Media Rendering / rg-render-farm / amlfs-render-dailies --------
    # Premium-250, 24 TiB, no "tags" key, Updating / Transitioning, no HSM.
    name, rg, loc = "amlfs-render-dailies", "rg-render-farm", "westus2"
    sku, tib, mgs = "AMLFS-Durable-Premium-250", 24, "10.8.18.4"
    estate.append({
        "sub": M, "rg": rg, "page": 1,
        "doc": {
            "id": fs_id(M, rg, name),
            "name": name,
            "type": "Microsoft.StorageCache/amlFilesystems",
            "location": loc,
            "zones": ["1"],
            "sku": {"name": sku},
            "systemData": system_data(
                "render-ops@fabrikam.example", "User", "2026-04-02T11:11:11.1111111Z",
                "render-ops@fabrikam.example", "User", "2026-11-02T02:51:10.6403117Z"),
            "properties": {
                "storageCapacityTiB": tib,
                "throughputProvisionedMBps": throughput(sku, tib),
                "health": {
                    "state": "Transitioning",
                    "statusCode": "UpdateInProgress",
                    "statusDescription": "Applying root squash settings update.",
                },
                "provisioningState": "Updating",
                "filesystemSubnet": subnet_id(M, "rg-render-network", "vnet-render-wus2", "snet-amlfs-dailies"),
                "clientInfo": client_info(name, mgs, tib, "2.16.1"),
                "maintenanceWindow": {"dayOfWeek": "Thursday", "timeOfDayUTC": "06:00"},
                "rootSquashSettings": {
                    "mode": "All",
                    "noSquashNidLists": "10.8.18.[10-12]@tcp",
                    "squashUID": 4001,
                    "squashGID": 4001,
                    "status": "nodemap.active=1",
                },
            },
        },
        "import": [], "autoexport": [], "autoimport": [],
    })

    # -- 8. Media Rendering / rg-vfx-sim / amlfs-vfx-sim -------------------
    # Premium-125, 32 TiB, health Maintenance, identity type None, archiveStatus
    # empty; its jobs use canonical-case ids and plural types (the "real
    # service" form) instead of the example quirks.
    name, rg, loc = "amlfs-vfx-sim", "rg-vfx-sim", "northeurope"
    sku, tib, mgs = "AMLFS-Durable-Premium-125", 32, "10.60.4.4"
    estate.append({
        "sub": M, "rg": rg, "page": 1, "lower_child_ids": False, "singular_job_types": False,
        "doc": {
            "id": fs_id(M, rg, name),
            "name": name,
            "type": "Microsoft.StorageCache/amlFilesystems",
            "location": loc,
            "tags": {"Owner": "vfx-sim", "env": "staging", "CostCenter": "MR-2040"},
            "zones": ["1"],
            "sku": {"name": sku},
            "identity": {"type": "None"},
            "systemData": system_data(
                "5c0e8d7a-91f2-4b36-8e4d-2a7f1c9b0e63", "ManagedIdentity",
                "2026-05-19T07:45:03.3300012Z"),
            "properties": {
                "storageCapacityTiB": tib,
                "throughputProvisionedMBps": throughput(sku, tib),
                "health": {
                    "state": "Maintenance",
                    "statusCode": "ScheduledMaintenance",
                    "statusDescription": "Scheduled maintenance in progress (window Monday 02:45 UTC).",
                },
                "provisioningState": "Succeeded",
                "filesystemSubnet": subnet_id(M, "rg-vfx-sim", "vnet-vfx-neu", "snet-amlfs"),
                "clientInfo": client_info(name, mgs, tib),
                "maintenanceWindow": {"dayOfWeek": "Monday", "timeOfDayUTC": "02:45"},
                "hsm": {
                    "settings": {
                        "container": container_id(M, rg, "stvfxsimneu", "sim-data"),
                        "loggingContainer": container_id(M, rg, "stvfxsimneu", "sim-hsm-logs"),
                        "importPrefix": "/",
                    },
                    "archiveStatus": [],
                },
                "rootSquashSettings": {
                    "mode": "RootOnly",
                    "noSquashNidLists": "10.60.4.[30-39]@tcp;10.60.5.0@tcp",
                    "squashUID": 99,
                    "squashGID": 99,
                    "status": "nodemap.active=1",
                },
            },
        },
        "import": [
            dict(name="import_sim_caches_sq040", state="InProgress", admin="Active",
                 prefixes=["/caches/sq040"], mode="OverwriteAlways", max_errors=0,
                 started="2026-11-02T00:15:00.000Z", completed=None, elapsed=9900,
                 files=822014, dirs=1310, links=0, pre_files=0, pre_dirs=0, pre_links=0,
                 errors=0, conflicts=0,
                 message="Import job is in progress"),
        ],
        "autoexport": [
            dict(name="autoexport-sim-output",
                 created="2026-06-01T12:00:00.000Z",
                 state="InProgress", admin="Enable",
                 prefixes=["/output"], total_files=2211004, total_mib=190332118,
                 total_failed=0, iterations=512,
                 last_ok="2026-11-02T02:20:00.000Z",
                 cur_disc=310, cur_disc_mib=98304, cur_files=0, cur_mib=0, cur_failed=0,
                 started="2026-11-02T02:20:01.000Z", completed=None,
                 message="Auto Export is in progress"),
        ],
        "autoimport": [
            dict(name="autoimport-sim-input", state="InProgress", admin="Enable",
                 prefixes=["/input"], mode="OverwriteIfDirty", deletions=True, max_errors=-1,
                 scan_start="2026-10-15T12:00:00.000Z", scan_end="2026-10-15T12:40:00.000Z",
                 walked=1204411, walk_rate=501, files=1180002, dirs=24409, links=0,
                 pre_files=0, pre_dirs=0, pre_links=0, errors=0, conflicts=0,
                 sync=dict(files=3011, dirs=12, links=0, pre_files=0, pre_dirs=0,
                           pre_links=0, rate=1, errors=0, conflicts=0, deletions=204,
                           consumed="2026-11-02T02:44:10.000Z",
                           synced="2026-11-02T02:44:00.000Z"),
                 started="2026-10-15T12:00:00.000Z", completed=None),
        ],
    })
    return estate


# ---------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------

def _secs(start, end):
    from datetime import datetime
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return int((datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).total_seconds())


def child_base(fs):
    """Parent part of a child id: lower-case 'amlfilesystems' when quirky."""
    base = fs["doc"]["id"]
    if fs.get("lower_child_ids", True):
        base = base.replace("/amlFilesystems/", "/amlfilesystems/")
    return base


def job_type(fs, kind):
    if fs.get("singular_job_types", True):
        return "Microsoft.StorageCache/amlFilesystem/" + kind
    return "Microsoft.StorageCache/amlFilesystems/" + kind + "s"


def job_envelope(fs, kind, segment, j):
    doc = {}
    if "tags" in j:
        doc["tags"] = j["tags"]
    doc["name"] = j["name"]
    doc["location"] = fs["doc"]["location"]
    doc["id"] = "%s/%s/%s" % (child_base(fs), segment, j["name"])
    doc["type"] = job_type(fs, kind)
    created = j.get("created", j["started"])
    modified = j.get("modified", created)
    doc["systemData"] = system_data(
        fs["doc"].get("systemData", {}).get("createdBy", "amlfs-automation"),
        fs["doc"].get("systemData", {}).get("createdByType", "Application"),
        created[:-1] + "0000Z",  # 7 fractional digits, like ARM
        None, None, modified[:-1] + "0000Z")
    return doc


def import_job(fs, j):
    doc = job_envelope(fs, "importJob", "importJobs", j)
    imported = j["files"] + j["dirs"] + j["links"]
    pre = j["pre_files"] + j["pre_dirs"] + j["pre_links"]
    walked = j.get("walked_override") or (imported + pre + j["errors"] + j["conflicts"])
    secs = _secs(j["started"], j["completed"]) if j["completed"] else j["elapsed"]
    status = {
        "state": j["state"],
        "statusMessage": j["message"],
        "totalBlobsWalked": walked,
        "blobsWalkedPerSecond": walked // max(secs, 1),
        "totalBlobsImported": imported,
        "importedFiles": j["files"],
        "importedDirectories": j["dirs"],
        "importedSymlinks": j["links"],
        "preexistingFiles": j["pre_files"],
        "preexistingDirectories": j["pre_dirs"],
        "preexistingSymlinks": j["pre_links"],
        "blobsImportedPerSecond": imported // max(secs, 1),
        "totalErrors": j["errors"],
        "totalConflicts": j["conflicts"],
    }
    if j["completed"]:
        status["lastCompletionTime"] = j["completed"]
    status["lastStartedTime"] = j["started"]
    doc["properties"] = {
        "adminStatus": j["admin"],
        "provisioningState": j.get("provisioning", "Succeeded"),
        "importPrefixes": j["prefixes"],
        "conflictResolutionMode": j["mode"],
        "maximumErrors": j["max_errors"],
        "status": status,
    }
    return doc


def autoexport_job(fs, j):
    # Example quirk: the id uses the singular segment "/autoExportJob/";
    # file systems with canonical child ids use "/autoExportJobs/".
    seg = "autoExportJob" if fs.get("lower_child_ids", True) else "autoExportJobs"
    doc = job_envelope(fs, "autoExportJob", seg, j)
    status = {"state": j["state"]}
    if "code" in j:
        status["statusCode"] = j["code"]
    status.update({
        "statusMessage": j["message"],
        "totalFilesExported": j["total_files"],
        "totalMiBExported": j["total_mib"],
        "totalFilesFailed": j["total_failed"],
        "exportIterationCount": j["iterations"],
        "lastSuccessfulIterationCompletionTimeUTC": j["last_ok"],
        "currentIterationFilesDiscovered": j["cur_disc"],
        "currentIterationMiBDiscovered": j["cur_disc_mib"],
        "currentIterationFilesExported": j["cur_files"],
        "currentIterationMiBExported": j["cur_mib"],
        "currentIterationFilesFailed": j["cur_failed"],
        "lastStartedTimeUTC": j["started"],
    })
    if j["completed"]:
        status["lastCompletionTimeUTC"] = j["completed"]
    doc["properties"] = {
        "adminStatus": j["admin"],
        "provisioningState": j.get("provisioning", "Succeeded"),
        "autoExportPrefixes": j["prefixes"],
        "status": status,
    }
    return doc


def autoimport_job(fs, j):
    doc = job_envelope(fs, "autoImportJob", "autoImportJobs", j)
    imported = j["files"] + j["dirs"] + j["links"]
    secs = _secs(j["scan_start"], j["scan_end"])
    s = j["sync"]
    sync = {
        "importedFiles": s["files"],
        "importedDirectories": s["dirs"],
        "importedSymlinks": s["links"],
        "preexistingFiles": s["pre_files"],
        "preexistingDirectories": s["pre_dirs"],
        "preexistingSymlinks": s["pre_links"],
        "totalBlobsImported": s["files"] + s["dirs"] + s["links"],
        "rateOfBlobImport": s["rate"],
        "totalErrors": s["errors"],
        "totalConflicts": s["conflicts"],
        "deletions": s["deletions"],
    }
    if s["consumed"]:
        sync["lastChangeFeedEventConsumedTime"] = s["consumed"]
    if s["synced"]:
        sync["lastTimeFullySynchronized"] = s["synced"]
    running = j["state"] == "InProgress"
    status = {
        "state": j["state"],
        "scanStartTime": j["scan_start"],
        "scanEndTime": j["scan_end"],
        "totalBlobsWalked": j["walked"],
        "rateOfBlobWalk": j["walk_rate"],
        "totalBlobsImported": imported,
        "rateOfBlobImport": (imported // max(secs, 1)) if running else 0,
        "importedFiles": j["files"],
        "importedDirectories": j["dirs"],
        "importedSymlinks": j["links"],
        "preexistingFiles": j["pre_files"],
        "preexistingDirectories": j["pre_dirs"],
        "preexistingSymlinks": j["pre_links"],
        "totalErrors": j["errors"],
        "totalConflicts": j["conflicts"],
        "blobSyncEvents": sync,
        "lastStartedTimeUTC": j["started"],
    }
    if j["completed"]:
        status["lastCompletionTimeUTC"] = j["completed"]
    doc["properties"] = {
        "adminStatus": j["admin"],
        "provisioningState": j.get("provisioning", "Succeeded"),
        "autoImportPrefixes": j["prefixes"],
        "conflictResolutionMode": j["mode"],
        "enableDeletions": j["deletions"],
        "maximumErrors": j["max_errors"],
        "status": status,
    }
    return doc


# ---------------------------------------------------------------------------
# Scope tags, access (role assignments, locks, diagnostic settings)
# ---------------------------------------------------------------------------

API_RG = "2021-04-01"
API_ROLES = "2022-04-01"
API_LOCKS = "2016-09-01"
API_DIAG = "2021-05-01-preview"

SUB_TAGS = {
    SUB_RESEARCH: {"CostCenter": "CC-4400", "Department": "Research"},
    SUB_MEDIA: {"costcenter": "MR-2000", "BusinessUnit": "Media"},
}

# (subscription, resource group) -> (location, tags or None for no key)
RESOURCE_GROUPS = [
    (SUB_RESEARCH, "rg-genomics-prod", "eastus",
     {"CostCenter": "CC-4410", "Owner": "Hannah Okafor", "env": "prod"}),
    (SUB_RESEARCH, "rg-cfd-aero", "westeurope",
     {"costcenter": "AERO-17", "owner": "cfd-team", "Env": "prod"}),
    (SUB_RESEARCH, "rg-ai-training", "westus3", None),
    (SUB_MEDIA, "rg-render-farm", "westus2",
     {"CostCenter": "MR-2001", "OWNER": "render-ops@fabrikam.example",
      "environment": "production"}),
    (SUB_MEDIA, "rg-vfx-sim", "northeurope",
     {"costCenter": "MR-2040", "env": "staging"}),
]

ROLES = {  # built-in role definition GUIDs (the same in every tenant)
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382a24c7",
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Monitoring Reader": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    "Cost Management Reader": "72fafb9e-0641-4937-9268-a91bfd8191a3",
}

# label -> principalType; principalId = gid("principal:" + label)
PRINCIPALS = {
    "grp-research-cloud-admins": "Group",
    "sp-finops-chargeback": "ServicePrincipal",
    "sp-amlfs-audit": "ServicePrincipal",
    "mr-subscription-owner": "User",
    "grp-media-auditors": "Group",
    "grp-genomics-engineers": "Group",
    "hannah.okafor": "User",
    "jose.muller": "User",
    "sp-ai-training-pipeline": "ServicePrincipal",
    "grp-ai-oncall": "Group",
    "grp-render-ops": "Group",
    "ext-auditor-q4": "User",
    "sp-render-scheduler": "ServicePrincipal",
}

# scope key -> [(role, principal label, createdOn, description or None)]
# scope key: subscription id, (sub, rg) or file-system name.
ROLE_ASSIGNMENTS = {
    SUB_RESEARCH: [
        ("Owner", "grp-research-cloud-admins", "2024-01-15T10:04:51.3310472Z", None),
        ("Cost Management Reader", "sp-finops-chargeback", "2025-02-03T08:30:12.0047719Z",
         "FinOps monthly chargeback export"),
        ("Monitoring Reader", "sp-amlfs-audit", "2026-09-01T12:00:41.8825106Z", None),
    ],
    SUB_MEDIA: [
        ("Owner", "mr-subscription-owner", "2023-06-20T15:42:09.7711348Z", None),
        ("Cost Management Reader", "sp-finops-chargeback", "2025-02-03T08:31:40.5512230Z",
         "FinOps monthly chargeback export"),
        ("Monitoring Reader", "sp-amlfs-audit", "2026-09-01T12:02:03.1040096Z", None),
        ("Reader", "grp-media-auditors", "2025-11-12T09:15:00.2209981Z", None),
    ],
    (SUB_RESEARCH, "rg-genomics-prod"): [
        ("Contributor", "grp-genomics-engineers", "2026-02-10T09:00:03.6621195Z", None),
        ("Owner", "hannah.okafor", "2026-02-10T09:01:27.9403318Z", None),
    ],
    (SUB_RESEARCH, "rg-cfd-aero"): [
        ("Contributor", "jose.muller", "2025-10-28T13:37:45.1029384Z", None),
    ],
    (SUB_RESEARCH, "rg-ai-training"): [
        ("Contributor", "sp-ai-training-pipeline", "2026-04-02T06:44:10.5009127Z", None),
        ("Monitoring Reader", "grp-ai-oncall", "2026-04-02T06:45:55.0387712Z", None),
    ],
    (SUB_MEDIA, "rg-render-farm"): [
        ("Contributor", "grp-render-ops", "2025-01-08T17:20:33.4471690Z", None),
    ],
    (SUB_MEDIA, "rg-vfx-sim"): [],
    "amlfs-genomics-prod": [
        ("Reader", "ext-auditor-q4", "2026-10-01T08:00:00.0000000Z",
         "Q4 storage audit, read-only, expires 2026-12-31"),
    ],
    "amlfs-render-feature-film": [
        ("Contributor", "sp-render-scheduler", "2026-03-17T21:12:08.7730044Z", None),
    ],
}

LOCKS = {  # fs name -> [(lock name, level, notes)]
    "amlfs-genomics-prod": [
        ("lock-genomics-prod-nodelete", "CanNotDelete",
         "Production genomics file system: do not delete (CHG-20417)"),
    ],
    "amlfs-render-feature-film": [
        ("DoNotDelete", "CanNotDelete",
         "Feature film in production; contact render-ops before removal"),
    ],
    "amlfs-vfx-sim": [
        ("freeze-sim-sq040", "ReadOnly",
         "Frozen for sequence 040 review; blocks configuration changes"),
    ],
}

DIAGNOSTICS = {  # fs name -> [(setting name, Log Analytics workspace id)]
    "amlfs-genomics-prod": [
        ("diag-amlfs-to-law",
         "/subscriptions/%s/resourceGroups/rg-monitoring/providers/"
         "Microsoft.OperationalInsights/workspaces/law-research-hpc" % SUB_RESEARCH),
    ],
    "amlfs-cfd-aero-01": [
        ("send-to-law-weu",
         "/subscriptions/%s/resourceGroups/rg-monitoring/providers/"
         "Microsoft.OperationalInsights/workspaces/law-research-weu" % SUB_RESEARCH),
    ],
    # Lower-cased workspace id, as the service often returns it.
    "amlfs-render-feature-film": [
        ("render-diagnostics",
         "/subscriptions/%s/resourcegroups/rg-media-monitoring/providers/"
         "microsoft.operationalinsights/workspaces/law-media-ops" % SUB_MEDIA),
    ],
}


def subscription_body(s):
    return {
        "id": "/subscriptions/" + s["id"],
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": SUB_TAGS[s["id"]],
        "subscriptionId": s["id"],
        "tenantId": TENANT,
        "displayName": s["displayName"],
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": s["quotaId"],
            "spendingLimit": "Off",
        },
    }


def rg_url(sub, rg):
    # The collector spells the segment in lower case ("resourcegroups").
    return "%s/subscriptions/%s/resourcegroups/%s?api-version=%s" % (ARM, sub, rg, API_RG)


def rg_body(sub, rg, loc, tags):
    doc = {
        "id": "/subscriptions/%s/resourceGroups/%s" % (sub, rg),
        "name": rg,
        "type": "Microsoft.Resources/resourceGroups",
        "location": loc,
    }
    if tags is not None:
        doc["tags"] = tags
    doc["properties"] = {"provisioningState": "Succeeded"}
    return doc


def role_assignment(sub, scope, role, principal, created, description):
    guid = gid("roleassignment:%s:%s:%s" % (scope.lower(), principal, role))
    return {
        "id": "%s/providers/Microsoft.Authorization/roleAssignments/%s" % (scope, guid),
        "name": guid,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": "/subscriptions/%s/providers/Microsoft.Authorization/"
                                "roleDefinitions/%s" % (sub, ROLES[role]),
            "principalId": gid("principal:" + principal),
            "principalType": PRINCIPALS[principal],
            "scope": scope,
            "condition": None,
            "conditionVersion": None,
            "createdOn": created,
            "updatedOn": created,
            "createdBy": gid("principal:grp-research-cloud-admins:member")
            if sub == SUB_RESEARCH else gid("principal:mr-subscription-owner"),
            "updatedBy": gid("principal:grp-research-cloud-admins:member")
            if sub == SUB_RESEARCH else gid("principal:mr-subscription-owner"),
            "delegatedManagedIdentityResourceId": None,
            "description": description,
        },
    }


def role_scopes(f):
    """(scope key, scope string) pairs that apply to a file system, from the
    subscription down to the file system itself."""
    sub, rg, d = f["sub"], f["rg"], f["doc"]
    return [(sub, "/subscriptions/" + sub),
            ((sub, rg), "/subscriptions/%s/resourceGroups/%s" % (sub, rg)),
            (d["name"], d["id"])]


def roles_body(f):
    value = []
    for key, scope in role_scopes(f):
        for role, principal, created, desc in ROLE_ASSIGNMENTS.get(key, []):
            value.append(role_assignment(f["sub"], scope, role, principal, created, desc))
    return {"value": value}


def locks_body(f):
    d = f["doc"]
    return {"value": [{
        "id": "%s/providers/Microsoft.Authorization/locks/%s" % (d["id"], name),
        "name": name,
        "type": "Microsoft.Authorization/locks",
        "properties": {"level": level, "notes": notes, "owners": []},
    } for name, level, notes in LOCKS.get(d["name"], [])]}


def diagnostics_body(f):
    d = f["doc"]
    return {"value": [{
        "id": "%s/providers/microsoft.insights/diagnosticSettings/%s" % (d["id"], name),
        "name": name,
        "type": "Microsoft.Insights/diagnosticSettings",
        "location": None,
        "properties": {
            "storageAccountId": None,
            "serviceBusRuleId": None,
            "workspaceId": ws,
            "eventHubAuthorizationRuleId": None,
            "eventHubName": None,
            "metrics": [],
            "logs": [{"categoryGroup": "allLogs", "enabled": True}],
            "logAnalyticsDestinationType": None,
        },
    } for name, ws in DIAGNOSTICS.get(d["name"], [])]}


def access_urls(fs_id_):
    return [
        ("roles", "%s%s/providers/Microsoft.Authorization/roleAssignments"
                  "?$filter=atScope()&api-version=%s" % (ARM, fs_id_, API_ROLES)),
        ("locks", "%s%s/providers/Microsoft.Authorization/locks?api-version=%s"
                  % (ARM, fs_id_, API_LOCKS)),
        ("diagnostics", "%s%s/providers/Microsoft.Insights/diagnosticSettings?api-version=%s"
                        % (ARM, fs_id_, API_DIAG)),
    ]


# ---------------------------------------------------------------------------
# Azure Monitor metrics (metrics:getBatch, one OST and one MDT call per
# subscription and region)
# ---------------------------------------------------------------------------

API_METRICS_BATCH = "2023-10-01"
METRIC_NS = "Microsoft.StorageCache/amlFilesystems"
METRIC_START = "2026-11-01T03:00:00Z"   # recorded_at truncated to the hour - 24 h
METRIC_END = "2026-11-02T03:00:00Z"
HOURS = ["2026-11-%02dT%02d:00:00Z" % (1 + (3 + h) // 24, (3 + h) % 24) for h in range(24)]
LAST_TS = HOURS[-1]

METRIC_INFO = {  # name -> (localizedValue, unit, displayDescription)
    "ClientReadThroughput": ("Client Read Throughput", "BytesPerSecond",
                             "Client read data transfer rate, in bytes per second."),
    "ClientWriteThroughput": ("Client Write Throughput", "BytesPerSecond",
                              "Client write data transfer rate, in bytes per second."),
    "ClientReadOps": ("Client Read Ops", "Count", "Number of client read operations."),
    "ClientWriteOps": ("Client Write Ops", "Count", "Number of client write operations."),
    "OSTBytesUsed": ("OST Bytes Used", "Bytes",
                     "Total number of bytes used on the OST (total minus free)."),
    "OSTBytesTotal": ("OST Bytes Total", "Bytes", "Total capacity of the OST in bytes."),
    "MDTBytesUsed": ("MDT Bytes Used", "Bytes",
                     "Total number of bytes used on the MDT (total minus free)."),
    "MDTBytesTotal": ("MDT Bytes Total", "Bytes", "Total capacity of the MDT in bytes."),
    "MDTFilesUsed": ("MDT Files Used", "Count", "Number of inodes (files) used on the MDT."),
}

METRIC_GROUPS = [  # (suffix, dimension, names) exactly as the collector asks
    ("ost", "ostnum", ["ClientReadThroughput", "ClientWriteThroughput", "ClientReadOps",
                       "ClientWriteOps", "OSTBytesUsed", "OSTBytesTotal"]),
    ("mdt", "mdtnum", ["MDTBytesUsed", "MDTBytesTotal", "MDTFilesUsed"]),
]

# Per file system: OST fill in 1/10000 (base, +- per-OST spread, growth per
# hour), peak read/write bytes/s per OST, IO size (bytes) for the op counts,
# load profile, MDT fill (1/10000), MDT files used (start, growth per hour).
METRIC_PROFILE = {
    "amlfs-genomics-prod": dict(used=6200, spread=180, growth=3, read=1100000000,
                                write=450000000, io=1048576, load="night",
                                mdt_used=3100, files=27400000, files_growth=3100),
    "amlfs-genomics-scratch": dict(used=520, spread=15, growth=0, read=2000, write=800,
                                   io=65536, load="idle",
                                   mdt_used=200, files=41200, files_growth=0),
    "amlfs-cfd-aero-01": dict(used=4100, spread=300, growth=2, read=600000000,
                              write=300000000, io=1048576, load="day",
                              mdt_used=1200, files=3100000, files_growth=400),
    "amlfs-cfd-transient": None,  # Failed: no data at all
    "amlfs-llm-scratch": dict(used=8500, spread=250, growth=4, read=3200000000,
                              write=600000000, io=4194304, load="busy",
                              mdt_used=4400, files=9800000, files_growth=1200),
    "amlfs-render-feature-film": dict(used=7300, spread=200, growth=2, read=1800000000,
                                      write=500000000, io=262144, load="night",
                                      mdt_used=5800, files=88000000, files_growth=45000),
    "amlfs-render-dailies": dict(used=2800, spread=120, growth=5, read=700000000,
                                 write=200000000, io=262144, load="day",
                                 mdt_used=900, files=640000, files_growth=5200),
    "amlfs-vfx-sim": dict(used=5500, spread=220, growth=1, read=250000000,
                          write=400000000, io=1048576, load="day",
                          mdt_used=2100, files=1210000, files_growth=150),
}

# Percent of peak by UTC hour 0..23.
LOAD = {
    "night": [92, 95, 97, 100, 98, 90, 76, 60, 45, 38, 35, 34,
              36, 38, 40, 42, 45, 50, 58, 66, 74, 80, 85, 88],
    "day":   [20, 16, 12, 10, 9, 10, 14, 22, 40, 62, 80, 92,
              98, 100, 97, 94, 90, 84, 72, 58, 44, 34, 28, 24],
    "busy":  [88, 91, 94, 96, 95, 97, 99, 100, 96, 93, 90, 92,
              95, 97, 98, 96, 94, 92, 90, 89, 87, 86, 88, 90],
    "idle":  [0, 0, 0, 10, 0, 0, 25, 0, 0, 0, 40, 0,
              0, 15, 0, 0, 0, 60, 0, 0, 0, 0, 5, 0],
}

# The one data point without "average" (no data for that hour).
MISSING_POINT = ("amlfs-llm-scratch", "ClientReadThroughput", 5, "2026-11-01T17:00:00Z")


def ost_count(tib):
    return 8 if tib >= 50 else 4


def capacity_bytes(tib):
    return int(tib) * 2 ** 40


def jitter(label, lo, hi):
    """Deterministic integer in [lo, hi] from a label."""
    return lo + uuid.uuid5(NS, "jitter:" + label).int % (hi - lo + 1)


def ost_series_values(f, metric, ost):
    """24 hourly averages (floats) of one OST metric of one file system."""
    d = f["doc"]
    name = d["name"]
    prof = METRIC_PROFILE[name]
    n = ost_count(d["properties"]["storageCapacityTiB"])
    per_ost = capacity_bytes(d["properties"]["storageCapacityTiB"]) // n
    out = []
    skew = jitter("%s/ost%d/skew" % (name, ost), -prof["spread"], prof["spread"])
    for h, ts in enumerate(HOURS):
        hour = (3 + h) % 24
        if metric == "OSTBytesTotal":
            out.append(float(per_ost))
            continue
        if metric == "OSTBytesUsed":
            frac = prof["used"] + skew + prof["growth"] * h
            out.append(float(per_ost * frac // 10000))
            continue
        w = LOAD[prof["load"]][hour]
        j = jitter("%s/ost%d/%s/%d" % (name, ost, metric, h), 85, 115)
        if metric in ("ClientReadThroughput", "ClientReadOps"):
            tenths = prof["read"] * 10 * w * j // 10000
        else:
            tenths = prof["write"] * 10 * w * j // 10000
        if metric.endswith("Ops"):
            # operations per minute (PT1M counts averaged over the hour)
            tenths = tenths * 60 // prof["io"]
        out.append(tenths / 10)
    return out


def mdt_series_values(f, metric):
    d = f["doc"]
    prof = METRIC_PROFILE[d["name"]]
    total = capacity_bytes(d["properties"]["storageCapacityTiB"]) // 64
    out = []
    for h in range(24):
        if metric == "MDTBytesTotal":
            out.append(float(total))
        elif metric == "MDTBytesUsed":
            out.append(float(total * (prof["mdt_used"] + h // 4) // 10000))
        else:
            out.append(float(prof["files"] + prof["files_growth"] * h))
    return out


def metric_object(f, metric, dim):
    d = f["doc"]
    loc_name, unit, desc = METRIC_INFO[metric]
    doc = {
        "id": "%s/providers/Microsoft.Insights/metrics/%s" % (d["id"], metric),
        "type": "Microsoft.Insights/metrics",
        "name": {"value": metric, "localizedValue": loc_name},
        "displayDescription": desc,
        "unit": unit,
        "errorCode": "Success",
        "timeseries": [],
    }
    if METRIC_PROFILE[d["name"]] is None:
        return doc  # no data: Success with no series
    if dim == "ostnum":
        n = ost_count(d["properties"]["storageCapacityTiB"])
        series = [(str(i), ost_series_values(f, metric, i)) for i in range(n)]
    else:
        series = [("0", mdt_series_values(f, metric))]
    for num, values in series:
        data = []
        for ts, v in zip(HOURS, values):
            if (d["name"], metric, int(num), ts) == MISSING_POINT and dim == "ostnum":
                data.append({"timeStamp": ts})
            else:
                data.append({"timeStamp": ts, "average": v})
        doc["timeseries"].append({
            "metadatavalues": [{"name": {"value": dim, "localizedValue": dim}, "value": num}],
            "data": data,
        })
    return doc


def metrics_url(sub, region, dim, names):
    q = lambda v: quote(v, safe="")  # like curl_easy_escape: only A-Za-z0-9-._~ kept
    return ("https://%s.metrics.monitor.azure.com/subscriptions/%s/metrics:getBatch"
            "?metricnamespace=%s&metricnames=%s&starttime=%s&endtime=%s&interval=PT1H"
            "&aggregation=average&filter=%s&top=1000&api-version=%s" % (
                region, sub, q(METRIC_NS), q(",".join(names)), q(METRIC_START),
                q(METRIC_END), q("%s eq '*'" % dim), API_METRICS_BATCH))


def metrics_request_body(fss):
    return json.dumps({"resourceids": [f["doc"]["id"] for f in fss]}, separators=(",", ":"))


def metrics_body(region, fss, dim, names):
    return {"values": [{
        "starttime": METRIC_START,
        "endtime": METRIC_END,
        "interval": "PT1H",
        "namespace": METRIC_NS.lower(),
        "resourceregion": region,
        "resourceid": f["doc"]["id"],
        "value": [metric_object(f, m, dim) for m in names],
    } for f in fss]}


def list_order(estate, sub):
    """File systems of one subscription in list order (page, then position)."""
    fss = [f for f in estate if f["sub"] == sub]
    return sorted(fss, key=lambda f: f["page"])  # stable: keeps order within a page


def region_groups(estate, sub):
    groups = {}
    for f in list_order(estate, sub):
        groups.setdefault(f["doc"]["location"].lower(), []).append(f)
    return list(groups.items())  # regions in order of first appearance


def metric_facts(f):
    """Numbers for the README: sums over OSTs at the last hour."""
    d = f["doc"]
    if METRIC_PROFILE[d["name"]] is None:
        return None
    n = ost_count(d["properties"]["storageCapacityTiB"])
    out = {"osts": n}
    for m in ("OSTBytesTotal", "OSTBytesUsed", "ClientReadThroughput",
              "ClientWriteThroughput"):
        out[m] = sum(ost_series_values(f, m, i)[-1] for i in range(n))
    for m in ("MDTBytesUsed", "MDTBytesTotal", "MDTFilesUsed"):
        out[m] = mdt_series_values(f, m)[-1]
    return out


def add_new_entries(rec, estate):
    """Entries added for the collector's scope-tag, access and metrics reads.
    Appended after the original 29 so their headers stay unchanged."""
    for s in SUBSCRIPTIONS:
        sub = s["id"]
        rec.add("%s/subscriptions/%s?api-version=%s" % (ARM, sub, API_SUBS),
                "bodies/%s/subscription.json" % s["slug"], subscription_body(s), sub)
        for rsub, rg, loc, tags in RESOURCE_GROUPS:
            if rsub == sub:
                rec.add(rg_url(sub, rg), "bodies/%s/%s.json" % (s["slug"], rg),
                        rg_body(sub, rg, loc, tags), sub)
        for f in list_order(estate, sub):
            name = f["doc"]["name"]
            bodies = {"roles": roles_body(f), "locks": locks_body(f),
                      "diagnostics": diagnostics_body(f)}
            for kind, url in access_urls(f["doc"]["id"]):
                rec.add(url, "bodies/%s/%s/%s.json" % (s["slug"], name, kind),
                        bodies[kind], sub)
    for s in SUBSCRIPTIONS:
        for region, fss in region_groups(estate, s["id"]):
            for suffix, dim, names in METRIC_GROUPS:
                rec.add(metrics_url(s["id"], region, dim, names),
                        "bodies/%s/metrics-%s-%s.json" % (s["slug"], region, suffix),
                        metrics_body(region, fss, dim, names), s["id"],
                        method="POST", request_body=metrics_request_body(fss))


# ---------------------------------------------------------------------------
# Manifest, bodies, README
# ---------------------------------------------------------------------------

def skip_token(page):
    return quote(base64.b64encode(json.dumps({"next": page}, separators=(",", ":")).encode()).decode(),
                 safe="")


def list_url(sub, page):
    url = "%s/subscriptions/%s/providers/Microsoft.StorageCache/amlFilesystems?api-version=%s" % (
        ARM, sub, API_SC)
    if page > 1:
        url += "&$skipToken=" + skip_token(page)
    return url


class Recorder:
    def __init__(self):
        self.entries = []
        self.bodies = {}
        self.n = 0
        self.reads = {}

    def add(self, url, path, body, sub=None, method="GET", request_body=None):
        """Record one answer.  ARM entries get the ARM header set (routing
        id, remaining-reads counter); Azure Monitor data-plane entries
        (metrics:getBatch, POST with a request body) only the content type
        and the request/correlation ids, as that host sends no ARM headers."""
        self.n += 1
        label = "%d %s" % (self.n, url)
        if request_body is not None:
            label += " " + request_body
        secs = self.n  # seconds after 03:00:00; entries 1-59 keep "0300%02d"
        ts = "20261102T%02d%02d%02dZ" % (3 + secs // 3600, secs // 60 % 60, secs % 60)
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-ms-request-id": gid("request:" + label),
            "x-ms-correlation-request-id": gid("correlation:" + label),
        }
        if url.startswith(ARM + "/"):
            headers["x-ms-routing-request-id"] = "EASTUS:%s:%s" % (ts, gid("routing:" + label))
            scope = sub or "tenant"
            left = self.reads.get(scope, 250) - 1
            self.reads[scope] = left
            key = "x-ms-ratelimit-remaining-subscription-reads" if sub else \
                "x-ms-ratelimit-remaining-tenant-reads"
            headers[key] = str(left)
        assert path not in self.bodies
        self.bodies[path] = body
        entry = {"method": method, "url": url}
        if request_body is not None:
            entry["request_body"] = request_body
        entry.update({"status": 200, "headers": headers, "body": path})
        self.entries.append(entry)


def dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def main():
    estate = build_estate()
    rec = Recorder()

    rec.add("%s/subscriptions?api-version=%s" % (ARM, API_SUBS),
            "bodies/subscriptions.json", subscriptions_body())

    for s in SUBSCRIPTIONS:
        fss = [f for f in estate if f["sub"] == s["id"]]
        pages = max(f["page"] for f in fss)
        for p in range(1, pages + 1):
            body = {"value": [f["doc"] for f in fss if f["page"] == p]}
            if p < pages:
                body["nextLink"] = list_url(s["id"], p + 1)
            elif s["id"] == SUB_MEDIA:
                body["nextLink"] = None  # explicit null on the last page
            rec.add(list_url(s["id"], p),
                    "bodies/%s/amlfilesystems.page%d.json" % (s["slug"], p), body, s["id"])
        for f in fss:
            name = f["doc"]["name"]
            for seg, key, fn in (("importJobs", "import", import_job),
                                 ("autoExportJobs", "autoexport", autoexport_job),
                                 ("autoImportJobs", "autoimport", autoimport_job)):
                body = {"value": [fn(f, j) for j in f[key]]}
                rec.add("%s%s/%s?api-version=%s" % (ARM, f["doc"]["id"], seg, API_SC),
                        "bodies/%s/%s/%s.json" % (s["slug"], name, seg), body, s["id"])

    add_new_entries(rec, estate)

    bodies_dir = os.path.join(HERE, "bodies")
    if os.path.isdir(bodies_dir):
        shutil.rmtree(bodies_dir)
    for path, body in rec.bodies.items():
        full = os.path.join(HERE, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(dump(body))

    manifest = {"format": FORMAT, "recorded_at": RECORDED_AT, "entries": rec.entries}
    with open(os.path.join(HERE, "manifest.json"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(dump(manifest))

    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(readme(estate, rec))
    print("wrote %d entries, %d bodies, README.md" % (len(rec.entries), len(rec.bodies)))


# ---------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------

def md(text):
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def fmt_tags(doc):
    if "tags" not in doc:
        return "*(no `tags` key)*"
    if not doc["tags"]:
        return "`{}` (empty)"
    return "<br>".join("`%s`=`%s`" % (k, v) for k, v in doc["tags"].items())


def fmt_jobs(jobs, extra=None):
    if not jobs:
        return "—"
    out = []
    for j in jobs:
        s = "`%s` %s (%s)" % (j["name"], j["state"], j["admin"])
        if extra:
            s += extra(j)
        out.append(s)
    return "<br>".join(out)


def fmt_bytes(v):
    return "{:,}".format(int(v))


def readme_access(w, estate):
    w("## Scope tags")
    w("")
    w("| Scope | Location | Tags |")
    w("|---|---|---|")
    for sd in SUBSCRIPTIONS:
        w("| subscription %s | — | %s |" % (sd["displayName"], md("<br>".join(
            "`%s`=`%s`" % kv for kv in SUB_TAGS[sd["id"]].items()))))
    for sub, rg, loc, tags in RESOURCE_GROUPS:
        w("| `%s` | %s | %s |" % (rg, loc, md(fmt_tags({"tags": tags} if tags is not None else {}))))
    w("")
    w("## Access: role assignments, locks, diagnostic settings")
    w("")
    w("Principals (principalId = uuid5 of a label):")
    w("")
    w("| Principal | principalType | principalId |")
    w("|---|---|---|")
    for label, ptype in PRINCIPALS.items():
        w("| `%s` | %s | `%s` |" % (label, ptype, gid("principal:" + label)))
    w("")
    w("Role GUIDs: " + ", ".join("%s `%s`" % kv for kv in ROLES.items()) + ".")
    w("")
    w("Assignments by scope (`roles.json` of a file system lists its subscription's, then")
    w("its resource group's, then its own):")
    w("")
    w("| Scope | Role | Principal | createdOn |")
    w("|---|---|---|---|")
    for key, items in ROLE_ASSIGNMENTS.items():
        if isinstance(key, tuple):
            scope = "rg `%s`" % key[1]
        elif key in (SUB_RESEARCH, SUB_MEDIA):
            scope = "subscription %s" % {s["id"]: s["displayName"] for s in SUBSCRIPTIONS}[key]
        else:
            scope = "file system `%s`" % key
        if not items:
            w("| %s | *(none)* | | |" % scope)
        for role, principal, created, desc in items:
            w("| %s | %s | `%s` (%s) | %s |" % (scope, role, principal, PRINCIPALS[principal], created))
    w("")
    w("| File system | Role assignments (sub + rg + fs = total) | Locks | Diagnostic settings |")
    w("|---|---|---|---|")
    for f in estate:
        d = f["doc"]
        counts = [len(ROLE_ASSIGNMENTS.get(k, [])) for k, _ in role_scopes(f)]
        locks = "<br>".join("`%s` %s" % (n, lv) for n, lv, _ in LOCKS.get(d["name"], [])) or "none (`{\"value\": []}`)"
        diags = "<br>".join("`%s` → `%s`" % (n, ws.rsplit("/", 1)[1])
                            for n, ws in DIAGNOSTICS.get(d["name"], [])) or "none (`{\"value\": []}`)"
        w("| `%s` | %d + %d + %d = **%d** | %s | %s |" % (
            d["name"], counts[0], counts[1], counts[2], sum(counts), locks, diags))
    w("")
    w("Lock notes: " + "; ".join("`%s`: \"%s\"" % (n, notes) for v in LOCKS.values()
                                 for n, _, notes in v) + ".")
    w("Diagnostic settings all send `[{\"categoryGroup\": \"allLogs\", \"enabled\": true}]`")
    w("logs and no metrics to a Log Analytics workspace; storageAccountId and")
    w("eventHubAuthorizationRuleId are null.")
    w("")


def readme_metrics(w, estate):
    w("## Metrics (24 hourly points, %s … %s, `average` only)" % (HOURS[0], LAST_TS))
    w("")
    w("OSTs: 4 below 50 TiB, 8 from 50 TiB. OSTBytesTotal per OST = TiB × 2^40 / OSTs")
    w("(constant), so its sum over OSTs equals the capacity at every hour. Sums below are")
    w("over all series at `%s` (the last point); bytes are exact, throughput" % LAST_TS)
    w("(bytes/s) is rounded to 0.1. MDT: one series, mdtnum `0`.")
    w("")
    w("| File system | OSTs | Σ OSTBytesTotal | Σ OSTBytesUsed @last | used % | Σ read B/s @last | Σ write B/s @last | MDTBytesTotal | MDTBytesUsed @last | MDTFilesUsed @last |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for f in estate:
        d = f["doc"]
        fx = metric_facts(f)
        if fx is None:
            w("| `%s` | — | *no data: errorCode `Success`, `timeseries` `[]` for every metric* ||||||||" % d["name"])
            continue
        w("| `%s` | %d | %s | %s | %.2f | %s | %s | %s | %s | %s |" % (
            d["name"], fx["osts"], fmt_bytes(fx["OSTBytesTotal"]), fmt_bytes(fx["OSTBytesUsed"]),
            100 * fx["OSTBytesUsed"] / fx["OSTBytesTotal"],
            "{:,.1f}".format(fx["ClientReadThroughput"]), "{:,.1f}".format(fx["ClientWriteThroughput"]),
            fmt_bytes(fx["MDTBytesTotal"]), fmt_bytes(fx["MDTBytesUsed"]), fmt_bytes(fx["MDTFilesUsed"])))
    w("")
    name, metric, ost, ts = MISSING_POINT
    f = [x for x in estate if x["doc"]["name"] == name][0]
    n = ost_count(f["doc"]["properties"]["storageCapacityTiB"])
    h = HOURS.index(ts)
    part = sum(ost_series_values(f, metric, i)[h] for i in range(n) if i != ost)
    w("- The only point without `average`: `%s` `%s` ostnum `%d` at `%s`;" % MISSING_POINT)
    w("  the sum at that hour over the other %d series is %s B/s (series count %d, not %d)." % (
        n - 1, "{:,.1f}".format(part), n - 1, n))
    def peak(name):
        f = [x for x in estate if x["doc"]["name"] == name][0]
        n = ost_count(f["doc"]["properties"]["storageCapacityTiB"])
        return max(sum(ost_series_values(f, m, i)[h] for i in range(n)
                       for m in ("ClientReadThroughput", "ClientWriteThroughput"))
                   for h in range(24))

    scratch = [x for x in estate if x["doc"]["name"] == "amlfs-genomics-scratch"][0]
    idle_max = max(v for i in range(4) for m in ("ClientReadThroughput", "ClientWriteThroughput")
                   for v in ost_series_values(scratch, m, i))
    idle_zero = sum(1 for h in range(24) if all(
        ost_series_values(scratch, m, i)[h] == 0 for i in range(4)
        for m in ("ClientReadThroughput", "ClientWriteThroughput")))
    w("- `amlfs-genomics-scratch` is nearly idle: ≈5 % used, every throughput point")
    w("  ≤ %s B/s per OST, read and write 0.0 on all OSTs in %d of 24 hours." % (
        "{:,.1f}".format(idle_max), idle_zero))
    w("- `amlfs-llm-scratch` is ≈85 %% used and busy: peak read + write %s B/s over all" % (
        "{:,.1f}".format(peak("amlfs-llm-scratch"))))
    w("  OSTs (32000 MB/s provisioned). `amlfs-cfd-aero-01` peaks at %s B/s although it" % (
        "{:,.1f}".format(peak("amlfs-cfd-aero-01"))))
    w("  reports `throughputProvisionedMBps` 500 (the A.7 quirk; formula 4000).")
    w("- ClientReadOps / ClientWriteOps are operations per minute (throughput × 60 / IO size).")
    w("- OSTBytesUsed stays within 5–90 % of each OST at every hour; MDTBytesTotal =")
    w("  capacity / 64; MDTBytesUsed and MDTFilesUsed never decrease.")
    w("")


def readme(estate, rec):
    sub_name = {s["id"]: s["displayName"] for s in SUBSCRIPTIONS}
    L = []
    w = L.append
    w("# Replay directory: recorded Azure responses")
    w("")
    w("Generated by `generate.py` (stdlib only, deterministic); do not edit the")
    w("bodies by hand, edit the generator and rerun it:")
    w("")
    w("```sh")
    w("python3 samples/replay/generate.py            # rewrites manifest.json, bodies/, README.md")
    w("python3 samples/replay/validate.py            # checks it (spec path optional: --spec FILE)")
    w("```")
    w("")
    n_post = sum(1 for e in rec.entries if e["method"] == "POST")
    w("Format `%s`, `recorded_at` %s. %d manifest entries (%d `GET` on ARM, %d `POST`" % (
        FORMAT, RECORDED_AT, len(rec.entries), len(rec.entries) - n_post, n_post))
    w("metrics:getBatch on the regional Azure Monitor hosts), all status 200, one body")
    w("file each. Matching is by method, exact URL and, for entries with")
    w("`\"request_body\"`, the exact request body string (`src/azure/replay.c`).")
    w("Shapes follow `shared/reference/azure-apis.md` (A, B, C, G, J) and the")
    w("StorageCache 2025-07-01 OpenAPI file. The clock of a replay is `recorded_at`,")
    w("so the metrics window is fixed: %s to %s (end = recorded_at truncated to" % (
        METRIC_START, METRIC_END))
    w("the hour, start = 24 h before).")
    w("")
    w("## Identities")
    w("")
    w("| What | Value |")
    w("|---|---|")
    w("| Tenant (`tenantId` of both subscriptions) | `%s` |" % TENANT)
    for s in SUBSCRIPTIONS:
        w("| Subscription \"%s\" | `%s` |" % (s["displayName"], s["id"]))
    w("")
    w("## Requests recorded")
    w("")
    w("- `GET %s/subscriptions?api-version=%s` (both subscriptions, state `Enabled`)." % (ARM, API_SUBS))
    w("- Research HPC file-system list in **3 pages**:")
    for p in (1, 2, 3):
        w("  - `%s`" % list_url(SUB_RESEARCH, p))
    w("  Pages 1 and 2 carry `nextLink` = the next URL verbatim; page 3 has no `nextLink` key.")
    w("- Media Rendering file-system list in 1 page: `%s`, with `\"nextLink\": null`." % list_url(SUB_MEDIA, 1))
    w("- For every file system (all 8, even without HSM): `GET %s{fs id}/importJobs?api-version=%s`," % (ARM, API_SC))
    w("  `/autoExportJobs` and `/autoImportJobs` (built by appending to the listed id;")
    w("  job lists are single pages, empty ones are `{\"value\": []}`).")
    w("- Scope tags: `GET %s/subscriptions/{sub}?api-version=%s` for both subscriptions" % (ARM, API_SUBS))
    w("  (`bodies/<slug>/subscription.json`, the list item plus `tags`) and")
    w("  `GET %s/subscriptions/{sub}/resourcegroups/{rg}?api-version=%s` (lower-case" % (ARM, API_RG))
    w("  `resourcegroups` in the URL, `resourceGroups` in the returned id) for the 5 resource")
    w("  groups that hold a file system (`bodies/<slug>/<rg>.json`).")
    w("- Access, for every file system (`bodies/<slug>/<fs>/roles.json`, `locks.json`, `diagnostics.json`):")
    w("  - `GET %s{fs id}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()&api-version=%s`" % (ARM, API_ROLES))
    w("    (`$filter=atScope()` literal, before api-version);")
    w("  - `GET %s{fs id}/providers/Microsoft.Authorization/locks?api-version=%s`;" % (ARM, API_LOCKS))
    w("  - `GET %s{fs id}/providers/Microsoft.Insights/diagnosticSettings?api-version=%s`." % (ARM, API_DIAG))
    w("- Metrics: per (subscription, region) group two `POST` getBatch calls, OST and MDT")
    w("  (`bodies/<slug>/metrics-<region>-ost.json` / `-mdt.json`), e.g.:")
    g_sub, g_fss = SUB_RESEARCH, region_groups(estate, SUB_RESEARCH)[0][1]
    for suffix, dim, names in METRIC_GROUPS:
        w("  - `%s`" % metrics_url(g_sub, g_fss[0]["doc"]["location"].lower(), dim, names))
    w("  with `request_body` `%s`." % metrics_request_body(g_fss))
    w("  Groups (ids in list order: page 1, 2, 3, order within a page):")
    for sd in SUBSCRIPTIONS:
        for region, fss in region_groups(estate, sd["id"]):
            w("  - %s / `%s`: %s" % (sd["displayName"], region,
                                      ", ".join("`%s`" % f["doc"]["name"] for f in fss)))
    w("")
    w("## Estate")
    w("")
    w("MB/s = `throughputProvisionedMBps` as reported; expected = TiB × SKU rate (A.4).")
    w("")
    w("| # | Subscription | Resource group | Name | Location / zone | SKU | TiB | MB/s reported | MB/s expected | health.state | provisioningState | HSM | rootSquash | Tags | Import jobs (state, adminStatus) | Auto-export jobs | Auto-import jobs |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, f in enumerate(estate, 1):
        d = f["doc"]
        p = d["properties"]
        sku = d["sku"]["name"]
        tib = p["storageCapacityTiB"]
        exp = throughput(sku, tib)
        rep = p["throughputProvisionedMBps"]
        mbps = str(rep) + (" **(quirk)**" if rep != exp else "")
        rs = p.get("rootSquashSettings", {}).get("mode", "—(absent)")
        hsm = "yes" if "hsm" in p else "no"
        w("| %d | %s | %s | %s | %s / %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            i, md(sub_name[f["sub"]]), md(f["rg"]), "`%s`" % d["name"],
            d["location"], ",".join(d.get("zones", [])), sku.replace("AMLFS-Durable-", ""),
            json.dumps(tib), mbps, exp, p["health"]["state"], p["provisioningState"],
            hsm, rs, md(fmt_tags(d)),
            md(fmt_jobs(f["import"])),
            md(fmt_jobs(f["autoexport"])),
            md(fmt_jobs(f["autoimport"], lambda j: (" maximumErrors=`\"0\"` (string)"
                                                    if j["max_errors"] == "0" else "")))))
    w("")
    w("Per-file-system details worth asserting:")
    w("")
    for i, f in enumerate(estate, 1):
        d = f["doc"]
        p = d["properties"]
        bits = ["list item `type` `%s`" % d["type"],
                "list page %d" % f["page"]]
        h = p["health"]
        if "statusCode" in h:
            bits.append("health statusCode `%s`" % h["statusCode"])
        if "identity" in d:
            bits.append("identity `%s`" % d["identity"]["type"])
        if "encryptionSettings" in p:
            bits.append("CMK keyUrl `%s`" % p["encryptionSettings"]["keyEncryptionKey"]["keyUrl"])
        if "hsm" in p:
            st = p["hsm"]["settings"]
            hs = []
            if "importPrefix" in st:
                hs.append("importPrefix `%s`" % st["importPrefix"])
            if "importPrefixesInitial" in st:
                hs.append("importPrefixesInitial `%s`" % json.dumps(st["importPrefixesInitial"]))
            arch = p["hsm"]["archiveStatus"]
            hs.append("archiveStatus " + (", ".join(
                "`%s` %s" % (a["filesystemPath"], a["status"]["state"]) for a in arch) or "`[]`"))
            bits.append("; ".join(hs))
        if "systemData" not in d:
            bits.append("no `systemData`")
        if "clientInfo" not in p:
            bits.append("no `clientInfo`")
        mw = p["maintenanceWindow"]
        bits.append("maintenance %s %s" % (mw["dayOfWeek"], mw["timeOfDayUTC"]))
        if f["import"] or f["autoexport"] or f["autoimport"]:
            bits.append("child ids `%s`, job type `%s`" % (
                "amlfilesystems" if f.get("lower_child_ids", True) else "amlFilesystems",
                job_type(f, "importJob")))
        w("%d. `%s`: %s." % (i, d["name"], "; ".join(bits)))
    w("")
    w("Coverage: import job states %s; auto-export states %s; auto-import states %s." % (
        ", ".join(sorted({j["state"] for f in estate for j in f["import"]})),
        ", ".join(sorted({j["state"] for f in estate for j in f["autoexport"]})),
        ", ".join(sorted({j["state"] for f in estate for j in f["autoimport"]}))))
    w("SKUs: all four (40 ×2, 125 ×2, 250 ×2, 500 ×2). rootSquash modes: All, RootOnly, None (+ one absent).")
    w("")
    readme_access(w, estate)
    readme_metrics(w, estate)
    w("## Quirks and edge cases included")
    w("")
    w("1. **Throughput quirk** (A.7, `amlFilesystems_Get`): `amlfs-cfd-aero-01` is 16 TiB")
    w("   Premium-250 but reports `throughputProvisionedMBps` 500 (formula: 4000).")
    w("   Every other file system reports exactly TiB × rate.")
    w("2. **Singular `type`**: list items of `amlfs-cfd-aero-01`, `amlfs-cfd-transient`,")
    w("   `amlfs-render-feature-film` use `Microsoft.StorageCache/amlFilesystem`; the other")
    w("   five use `Microsoft.StorageCache/amlFilesystems`. Jobs use")
    w("   `Microsoft.StorageCache/amlFilesystem/importJob` (`/autoExportJob`, `/autoImportJob`)")
    w("   everywhere except `amlfs-vfx-sim`, whose jobs use the plural form")
    w("   `Microsoft.StorageCache/amlFilesystems/importJobs` etc.")
    w("3. **Child id casing**: job ids use lower-case `.../amlfilesystems/{fs}/...` while the")
    w("   file system id (and so the request URL) uses `amlFilesystems`; auto-export ids use")
    w("   the singular segment `/autoExportJob/{job}`. Exception: `amlfs-vfx-sim` jobs use")
    w("   canonical `amlFilesystems` and `/autoExportJobs/`. Compare ids case-insensitively.")
    w("4. **`\"maximumErrors\": \"0\"` (string)** on auto-import job `autoimport-cohorts`")
    w("   (`amlfs-genomics-prod`); all other `maximumErrors` are JSON numbers (0, -1, 10, 50, 100, 1000).")
    w("5. **Field-name differences**: import jobs use `blobsWalkedPerSecond`,")
    w("   `blobsImportedPerSecond`, `lastStartedTime`, `lastCompletionTime`; auto-import jobs")
    w("   use `rateOfBlobWalk`, `rateOfBlobImport`, `lastStartedTimeUTC`, `lastCompletionTimeUTC`;")
    w("   auto-export jobs use `lastStartedTimeUTC`, `lastCompletionTimeUTC`,")
    w("   `lastSuccessfulIterationCompletionTimeUTC`. Note: `lastStartedTimeUTC`/")
    w("   `lastCompletionTimeUTC` on **auto-import** status come from azure-apis.md C.2 (and")
    w("   appear in real service output and the Go SDK); the stored 2025-07-01 swagger copy")
    w("   does not declare them for AutoImportJob. Running jobs have no completion time key.")
    w("6. **Large int64 counters**: `amlfs-render-feature-film` import job walked")
    w("   12345678901 blobs (imported 12345005201); its auto-export job exported 12345678901")
    w("   files / 4402201337 MiB; its auto-import job walked 12345678901 blobs.")
    w("7. **Float capacity**: `amlfs-cfd-transient` reports `\"storageCapacityTiB\": 48.0`.")
    w("8. **Tags**: key case differs across resources (`CostCenter`/`costcenter`,")
    w("   `Owner`/`owner`, `env`/`Environment`); `amlfs-genomics-prod` tag `project` =")
    w("   `Genomics | WGS, \"Cohort-7\"` (pipe, comma, double quote); `amlfs-render-feature-film`")
    w("   tag `show` = `Lighthouse; S2 | ep. 5`; `amlfs-cfd-aero-01` tag `billing-ref` starts")
    w("   with `=` (`=HYPERLINK(\"https://example.invalid/cfd\",\"CFD\")`, formula injection) and")
    w("   tag `Owner` = `José Müller` (non-ASCII UTF-8); `amlfs-cfd-transient` has")
    w("   `retire-after` = `2026-10-31` (already past at recording time) and")
    w("   `amlfs-genomics-scratch` `RetireAfter` = `2026-12-31`; `amlfs-render-dailies` has")
    w("   **no `tags` key**; `amlfs-llm-scratch` has `\"tags\": {}`.")
    w("9. **Health / state**: `amlfs-cfd-transient` provisioningState `Failed` + health")
    w("   `Unavailable` (statusCode `SubnetTooSmall`, no clientInfo, no rootSquashSettings);")
    w("   `amlfs-llm-scratch` `Degraded` (`OstUnavailable`); `amlfs-render-dailies` `Updating`")
    w("   + `Transitioning`; `amlfs-vfx-sim` `Maintenance`; the rest `Succeeded`/`Available`.")
    w("10. **Security settings**: `amlfs-genomics-prod` has customer-managed key")
    w("    `encryptionSettings.keyEncryptionKey` (keyUrl + sourceVault.id) and identity")
    w("    `UserAssigned` (with principalId/clientId); `amlfs-vfx-sim` has identity `None`;")
    w("    the others have no `identity` / `encryptionSettings` keys.")
    w("11. **Paging**: `nextLink` URLs are absolute, contain `api-version` first and then")
    w("    `$skipToken=` with a URL-encoded base64 token (`%3D%3D`); they must be requested")
    w("    verbatim. Last page: key absent (Research HPC) or `null` (Media Rendering).")
    w("12. **Timestamps**: systemData uses 7 fractional digits (`...41.1903318Z`), job and")
    w("    archive times 3 digits (`...07.483Z`); all UTC with `Z`.")
    w("13. **maintenanceWindow** `timeOfDayUTC` `3:00` (single-digit hour, allowed by the")
    w("    pattern) on `amlfs-cfd-aero-01`.")
    w("14. Auto-export `statusCode` present only on the Failed/DisableFailed jobs; auto-import")
    w("    status has no `statusCode`/`statusMessage` (those are 2026-01-01+).")
    w("15. `clientInfo.containerStorageInterface` values are real base64-encoded YAML.")
    w("16. Import job `import-pretrain-shards` (Cancelling) has provisioningState `Updating`;")
    w("    all other jobs `Succeeded`. Import job `import_sim_caches_sq040` has underscores in its name.")
    w("17. Headers: every entry has `content-type`, `x-ms-request-id`,")
    w("    `x-ms-correlation-request-id`, `x-ms-routing-request-id` and an")
    w("    `x-ms-ratelimit-remaining-{subscription|tenant}-reads` counter (all uuid5-derived).")
    w("    The metrics entries (Azure Monitor data plane, not ARM) carry only `content-type`,")
    w("    `x-ms-request-id` and `x-ms-correlation-request-id`.")
    w("18. **Missing aggregation**: `%s` `%s` ostnum `%d` at `%s` is" % MISSING_POINT)
    w("    `{\"timeStamp\": ...}` with no `average` key (no data, not 0): that hour's")
    w("    file-system sum covers 7 of 8 series.")
    w("19. **No data, no error**: `amlfs-cfd-transient` (provisioningState Failed) is in the")
    w("    westeurope batch request; each of its metrics has `errorCode` `Success` and")
    w("    `\"timeseries\": []`.")
    w("20. Metric values are JSON reals (`17592186044416.0`); byte and count values are whole")
    w("    numbers, throughput and ops have at most one decimal. Capacity sums are exact in")
    w("    double precision (all < 2^53). `namespace` comes back lower-cased.")
    w("21. **Scope tag key case**: subscription tags `CostCenter` (Research HPC) vs")
    w("    `costcenter` (Media Rendering); resource-group keys `CostCenter`, `costcenter`,")
    w("    `costCenter`, `Owner`/`owner`/`OWNER`, `env`/`Env`/`environment`; `rg-ai-training`")
    w("    has **no `tags` key** (and its file system `amlfs-llm-scratch` has `{}`).")
    w("22. **Diagnostic setting ids** use lower-case `/providers/microsoft.insights/` after the")
    w("    file-system id; `render-diagnostics` has a fully lower-cased `workspaceId`")
    w("    (`.../resourcegroups/.../microsoft.operationalinsights/...`).")
    w("23. Role assignments: the same subscription-scope assignments (same ids) appear under")
    w("    every file system of the subscription; `sp-finops-chargeback` and `sp-amlfs-audit`")
    w("    have the same principalId in both subscriptions; `condition` and")
    w("    `conditionVersion` are null everywhere; `description` is a string only on the two")
    w("    `sp-finops-chargeback` Cost Management Reader assignments (one per subscription) and")
    w("    the `ext-auditor-q4` Reader assignment on `amlfs-genomics-prod`.")
    w("")
    w("Not included (on purpose): error responses, throttling (429), paged job lists,")
    w("paged role-assignment lists, single-resource GETs, per-resource metrics calls")
    w("(`metrics = per-resource`) and cost calls.")
    w("")
    return "\n".join(L)


if __name__ == "__main__":
    main()
