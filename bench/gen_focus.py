#!/usr/bin/python3
"""Write a large synthetic FOCUS 1.0 cost export (CSV) for benchmarks.

Usage:
  /usr/bin/python3 bench/gen_focus.py [--size-mb N] [--out PATH]
                                      [--amlfs-share F] [--seed S]
                                      [--month YYYY-MM]

  --size-mb N       target size in MiB (default 1024); the file stops at
                    the first row that reaches it, so it is at most a few
                    KB larger
  --out PATH        output file (default focus-<N>mb.csv; '-' = stdout)
  --amlfs-share F   fraction of charge lines that are AMLFS (default 0.01)
  --seed S          random seed (default 1); same seed, same rows: a
                    smaller file is a prefix of a larger one
  --month YYYY-MM   the billing month (default 2026-10)

The header is the 96 FOCUS 1.0 columns of shared/reference/azure-apis.md
F.4, in that (alphabetical) order. Each row is one day of one charge line
(one meter of one resource) in 50 subscriptions of one EA billing account:
virtual machines (some on reservations: BilledCost 0, EffectiveCost > 0),
their bandwidth, managed disks, storage accounts (several meters each),
public IPs, load balancers, SQL databases, Log Analytics workspaces, key
vaults, and about --amlfs-share of the lines Azure Managed Lustre
(x_ResourceType microsoft.storagecache/amlfilesystems). A few lines start
or stop mid-month. Tags and x_SkuDetails are JSON objects in quoted fields
(doubled quotes, commas); some ChargeDescription values contain a comma.

Costs are exact decimals (at most 10 places, no exponent). At the end it
prints, on stdout (stderr when --out -), lines 'key: value':

  rows, amlfs_rows, amlfs_billed_cost, amlfs_effective_cost, bytes, seconds

The AMLFS sums are exact (computed on integers), for tests to compare with
what an importer kept.

Speed: every charge line is turned once into a few row templates that
only miss the two ChargePeriod dates; rows are those templates % the day,
joined and written one day of a 400-line batch (about 0.6 MB) at a
time. Standard library only; run it with /usr/bin/python3.
"""

import argparse
import calendar
import os
import random
import sys
import time
import uuid

COLUMNS = (
    "BilledCost", "BillingAccountId", "BillingAccountName",
    "BillingAccountType", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd",
    "ChargePeriodStart", "CommitmentDiscountCategory",
    "CommitmentDiscountId", "CommitmentDiscountName",
    "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost",
    "ContractedUnitPrice", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId",
    "ResourceName", "ResourceType", "ServiceCategory", "ServiceName",
    "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName",
    "SubAccountType", "Tags", "x_AccountId", "x_AccountName",
    "x_AccountOwnerId", "x_BilledCostInUsd", "x_BilledUnitPrice",
    "x_BillingAccountId", "x_BillingAccountName", "x_BillingExchangeRate",
    "x_BillingExchangeRateDate", "x_BillingProfileId",
    "x_BillingProfileName", "x_ContractedCostInUsd",
    "x_CostAllocationRuleName", "x_CostCenter", "x_CustomerId",
    "x_CustomerName", "x_EffectiveCostInUsd", "x_EffectiveUnitPrice",
    "x_InvoiceId", "x_InvoiceIssuerId", "x_InvoiceSectionId",
    "x_InvoiceSectionName", "x_ListCostInUsd", "x_PartnerCreditApplied",
    "x_PartnerCreditRate", "x_PricingBlockSize", "x_PricingCurrency",
    "x_PricingSubcategory", "x_PricingUnitDescription",
    "x_PublisherCategory", "x_PublisherId", "x_ResellerId",
    "x_ResellerName", "x_ResourceGroupName", "x_ResourceType",
    "x_ServicePeriodEnd", "x_ServicePeriodStart", "x_SkuDescription",
    "x_SkuDetails", "x_SkuIsCreditEligible", "x_SkuMeterCategory",
    "x_SkuMeterId", "x_SkuMeterName", "x_SkuMeterSubcategory",
    "x_SkuOfferId", "x_SkuOrderId", "x_SkuOrderName", "x_SkuPartNumber",
    "x_SkuRegion", "x_SkuServiceFamily", "x_SkuTerm", "x_SkuTier",
)
assert len(COLUMNS) == 96 and list(COLUMNS) == sorted(COLUMNS, key=str.lower)

# Columns that change per row: the day. Everything else is fixed per
# template (the cost columns per cost variant of a line).
DAY_COLUMNS = ("ChargePeriodEnd", "ChargePeriodStart")
COST_COLUMNS = (
    "BilledCost", "ConsumedQuantity", "ContractedCost", "EffectiveCost",
    "ListCost", "PricingQuantity", "x_BilledCostInUsd",
    "x_ContractedCostInUsd", "x_EffectiveCostInUsd", "x_ListCostInUsd",
)
SLOT_COLUMNS = tuple(c for c in COLUMNS
                     if c in DAY_COLUMNS or c in COST_COLUMNS)

REGIONS = (
    ("eastus", "East US", "US East"),
    ("eastus2", "East US 2", "US East 2"),
    ("westus3", "West US 3", "US West 3"),
    ("westeurope", "West Europe", "EU West"),
    ("northeurope", "North Europe", "EU North"),
    ("southcentralus", "South Central US", "US South Central"),
    ("uksouth", "UK South", "UK South"),
    ("japaneast", "Japan East", "JA East"),
)

BATCH_LINES = 400          # charge lines made at a time
SCALE = 10 ** 10            # costs are integers in 1e-10 USD

# A charge line kind: how a resource looks and what one day of it costs.
#   key, provider path, x_ResourceType, ResourceType (display), name prefix,
#   ServiceCategory, ServiceName, service family, meter category,
#   meter subcategory, [(meter name, unit, unit description, block size,
#   list price in 1e-10 USD per unit, daily quantity (min, max) in 1e-4
#   units, charge description, sku tier)], weight
KINDS = (
    ("vm", "microsoft.compute/virtualmachines", "Virtual machine", "vm",
     "Compute", "Virtual Machines", "Compute", "Virtual Machines",
     [("Dsv5 Series", "D4s v5", "Hours", "1 Hour", 1, 1920000000,
       (120000, 240000), "D4s v5 - Dsv5 Series", "Standard"),
      ("Ddsv5 Series", "D16ds v5", "Hours", "1 Hour", 1, 9040000000,
       (160000, 240000), "D16ds v5 - Ddsv5 Series", "Standard"),
      ("HBv4 Series", "HB176rs v4", "Hours", "1 Hour", 1, 72000000000,
       (40000, 240000), "HB176rs v4 - HBv4 Series", "Standard"),
      ("Esv5 Series", "E8s v5", "Hours", "1 Hour", 1, 5040000000,
       (240000, 240000), "E8s v5 - Esv5 Series", "Standard")], 30),
    ("bw", "microsoft.compute/virtualmachines", "Virtual machine", "vm",
     "Networking", "Bandwidth", "Networking", "Bandwidth",
     [("Rtn Preference: MGN", "Standard Data Transfer Out", "GB", "1 GB", 1,
       870000000, (1000, 9000000),
       "Standard Data Transfer Out, Routing Preference: Microsoft Global "
       "Network", "Standard"),
      ("Inter-Region", "Inter-Region Data Transfer Out", "GB", "1 GB", 1,
       200000000, (1000, 5000000), "Inter-Region Data Transfer Out, "
       "Zone 1", "Standard")], 8),
    ("disk", "microsoft.compute/disks", "Disk", "disk",
     "Storage", "Storage", "Storage", "Storage",
     [("Premium SSD Managed Disks", "P30 LRS Disk", "Disk/Month",
       "1/Month", 1, 1352800000000, (322, 323), "P30 LRS Disk - Premium SSD "
       "Managed Disks", "Premium"),
      ("Standard SSD Managed Disks", "E10 LRS Disk", "Disk/Month",
       "1/Month", 1, 96000000000, (322, 323), "E10 LRS Disk - Standard SSD "
       "Managed Disks", "Standard"),
      ("Premium SSD v2", "Premium LRS Provisioned Capacity", "GiB/Hour",
       "1 GiB/Hour", 1, 1100000, (245760000, 491520000),
       "Premium LRS Provisioned Capacity - Premium SSD v2", "Premium")], 20),
    ("st", "microsoft.storage/storageaccounts", "Storage account", "st",
     "Storage", "Storage", "Storage", "Storage",
     [("Tiered Block Blob", "Hot LRS Data Stored", "GB/Month", "1 GB/Month",
       1, 208000000, (30000, 2000000000), "Hot LRS Data Stored - Tiered "
       "Block Blob", "Standard"),
      ("Tiered Block Blob", "Hot LRS Write Operations", "10K", "10K", 10000,
       650000000, (1000, 4000000), "Hot LRS Write Operations - Tiered Block "
       "Blob", "Standard"),
      ("Tiered Block Blob", "All Other Operations", "10K", "10K", 10000,
       40000000, (1000, 9000000), "All Other Operations - Tiered Block Blob",
       "Standard"),
      ("Files v2", "LRS Data Stored", "GB/Month", "1 GB/Month", 1,
       600000000, (30000, 400000000), "LRS Data Stored - Files v2",
       "Standard")], 20),
    ("pip", "microsoft.network/publicipaddresses", "Public IP address",
     "pip", "Networking", "Virtual Network", "Networking", "Virtual Network",
     [("IP Addresses", "Standard IPv4 Static Public IP", "Hours", "1 Hour",
       1, 50000000, (240000, 240000), "Standard IPv4 Static Public IP - IP "
       "Addresses", "Standard")], 6),
    ("lb", "microsoft.network/loadbalancers", "Load balancer", "lb",
     "Networking", "Load Balancer", "Networking", "Load Balancer",
     [("Standard", "Standard Overage LB Rule", "Hours", "1 Hour", 1,
       100000000, (240000, 240000), "Standard Overage LB Rule", "Standard"),
      ("Standard", "Standard Data Processed", "GB", "1 GB", 1, 50000000,
       (1000, 20000000), "Standard Data Processed", "Standard")], 3),
    ("sql", "microsoft.sql/servers/databases", "SQL database", "sqldb",
     "Databases", "SQL Database", "Databases", "SQL Database",
     [("General Purpose - Compute Gen5", "vCore", "Hours", "1 Hour", 1,
       2522000000, (960000, 960000), "vCore - General Purpose - Compute "
       "Gen5", "General Purpose")], 4),
    ("log", "microsoft.operationalinsights/workspaces",
     "Log Analytics workspace", "log", "Management and Governance",
     "Log Analytics", "Management and Governance", "Log Analytics",
     [("Analytics Logs", "Analytics Logs Data Ingestion", "GB", "1 GB", 1,
       27600000000, (1000, 3000000), "Analytics Logs Data Ingestion",
       "Standard")], 4),
    ("kv", "microsoft.keyvault/vaults", "Key vault", "kv",
     "Security", "Key Vault", "Security", "Key Vault",
     [("Standard", "Standard Operations", "10K", "10K", 10000, 300000000,
       (1, 500000), "Standard Operations - Key Vault", "Standard")], 5),
)

# AMLFS: (sku, meter, list price in 1e-10 USD per GiB-hour, capacity steps)
AMLFS_SKUS = (
    ("AMLFS-Durable-Premium-40", "Premium 40 Capacity", 1210000, 48, 768),
    ("AMLFS-Durable-Premium-125", "Premium 125 Capacity", 2330000, 16, 128),
    ("AMLFS-Durable-Premium-250", "Premium 250 Capacity", 4030000, 8, 128),
    ("AMLFS-Durable-Premium-500", "Premium 500 Capacity", 6850000, 4, 128),
)

TEAMS = ("climate", "genomics", "cfd", "ml-platform", "render", "finance",
         "web", "data-eng", "chem", "physics")
ENVS = ("prod", "dev", "test", "staging")


def csvq(s):
    """One CSV field (RFC 4180)."""
    if '"' in s or "," in s or "\n" in s or "\r" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def dec(n):
    """Integer in 1e-10 units -> exact decimal text, no exponent."""
    sign = "-" if n < 0 else ""
    q, r = divmod(abs(n), SCALE)
    if r == 0:
        return "%s%d" % (sign, q)
    return ("%s%d.%010d" % (sign, q, r)).rstrip("0")


def qty(n):
    """Integer in 1e-4 units -> decimal text."""
    q, r = divmod(n, 10000)
    if r == 0:
        return str(q)
    return ("%d.%04d" % (q, r)).rstrip("0")


class Estate:
    def __init__(self, rng, month):
        self.rng = rng
        g = self.guid
        y, m = month
        self.days = calendar.monthrange(y, m)[1]
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        self.period_start = "%04d-%02d-01T00:00Z" % (y, m)
        self.period_end = "%04d-%02d-01T00:00Z" % (ny, nm)
        stamps = ["%04d-%02d-%02dT00:00Z" % (y, m, d + 1)
                  for d in range(self.days)] + [self.period_end]
        # per day: the values of DAY_COLUMNS, in column order
        self.day_args = [(stamps[d + 1].encode(), stamps[d].encode())
                         for d in range(self.days)]
        self.enrollment = "8%07d" % rng.randrange(10 ** 7)
        self.account_name = "Contoso Research Computing"
        self.invoice = "G%09d" % rng.randrange(10 ** 9)
        self.reseller = "%d" % rng.randrange(1000000, 9999999)
        self.customer = g()
        depts = [("%06d" % rng.randrange(10 ** 6), n) for n in
                 ("HPC", "Engineering", "Research", "Digital", "Platform")]
        accounts = [("%06d" % rng.randrange(10 ** 6),
                     "%s Azure" % n, "%s-owner@contoso.com" % n.lower())
                    for n in ("Climate", "Genomics", "Web", "Data", "Render",
                              "Core")]
        self.subs = []
        for i in range(50):
            dept = depts[i % len(depts)]
            acct = accounts[i % len(accounts)]
            region = REGIONS[rng.randrange(len(REGIONS))]
            rgs = [(TEAMS[(i + j) % len(TEAMS)], ENVS[j % len(ENVS)], j)
                   for j in range(rng.randrange(3, 9))]
            rgs = [("rg-%s-%s-%02d" % t, t[0], t[1]) for t in rgs]
            self.subs.append({
                "id": g(), "name": "%s-%s-%02d" % (
                    TEAMS[i % len(TEAMS)], ENVS[i % len(ENVS)], i),
                "dept": dept, "acct": acct, "region": region, "rgs": rgs,
                "costcenter": "CC-%04d" % rng.randrange(1000, 10000),
                "offer": "MS-AZR-0017P" if i % 7 else "MS-AZR-0148P",
            })
        self.reservations = [(g(), g(), "RI-%s-%d" % (s, k))
                             for k, s in enumerate(("D4sv5", "D16dsv5",
                                                    "HB176", "E8sv5") * 3)]
        # meter ids are per (meter, region)
        self.meter_ids = {}
        self.serial = 0
        # variant patterns: which cost variant each day of a line uses
        self.patterns = [[rng.randrange(3) if rng.random() < 0.5 else 0
                          for _ in range(self.days)] for _ in range(64)]
        kinds = []
        for kind in KINDS:
            kinds += [kind] * kind[-1]
        self.kinds = kinds

    def guid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def meter_id(self, key):
        m = self.meter_ids.get(key)
        if m is None:
            m = self.meter_ids[key] = self.guid()
        return m

    def sku_code(self):
        r = self.rng
        a = "".join(r.choice("BCDFGHJKLMNPQRSTVWXZ0123456789")
                    for _ in range(8))
        return "DZH3%s" % a, "%04X" % r.randrange(0x10000)

    def tags(self, sub, team, env, amlfs):
        r = self.rng
        if r.random() < 0.08:
            return "{}"
        t = ['"env":"%s"' % env, '"team":"%s"' % team,
             '"costcenter":"%s"' % sub["costcenter"]]
        if r.random() < 0.6:
            t.append('"owner":"%s@contoso.com"' % r.choice(
                ("alice", "bob", "chen", "dana", "eve", "farid")))
        if amlfs or r.random() < 0.3:
            t.append('"project":"%s-%d"' % (team, r.randrange(1, 40)))
        if r.random() < 0.15:
            t.append('"description":"scratch, shared by %s"' % team)
        return "{" + ",".join(t) + "}"

    def line(self, amlfs):
        """One charge line: (list of row templates, its day pattern,
        first day, end day, billed per variant, effective per variant)."""
        r = self.rng
        self.serial += 1
        sub = self.subs[r.randrange(len(self.subs))]
        rg, team, env = sub["rgs"][r.randrange(len(sub["rgs"]))]
        region = sub["region"] if r.random() < 0.8 else \
            REGIONS[r.randrange(len(REGIONS))]
        committed = False
        if amlfs:
            sku, meter, price, step, maxtib = \
                AMLFS_SKUS[r.randrange(len(AMLFS_SKUS))]
            tib = step * r.randrange(1, maxtib // step + 1)
            name = "amlfs-%s-%d" % (team, self.serial)
            arm_type = "microsoft.storagecache/amlfilesystems"
            display = "Azure Managed Lustre File System"
            rid = "/subscriptions/%s/resourcegroups/%s/providers/%s/%s" % (
                sub["id"], rg, arm_type, name)
            svc_cat, svc_name, family = "Storage", "Azure Managed Lustre", \
                "Storage"
            mcat, msub = "Azure Managed Lustre", sku.replace("AMLFS-", "") \
                .replace("-", " ")
            unit, unitdesc, block = "GiB/Hour", "1 GiB/Hour", 1
            q = tib * 1024 * 24 * 10000
            qrange = (q, q)
            desc = "%s - %s" % (meter, msub)
            tier = "Premium"
            skudetails = '{"SkuName":"%s","StorageCapacityTiB":%d}' % (
                sku, tib)
        else:
            (key, arm_type, display, prefix, svc_cat, svc_name, family,
             mcat, meters, _) = self.kinds[r.randrange(len(self.kinds))]
            (msub, meter, unit, unitdesc, block, price, qrange, desc,
             tier) = meters[r.randrange(len(meters))]
            name = "%s-%s-%s%d" % (prefix, team, env, self.serial)
            if key == "sql":
                server = "sql-%s-%s" % (team, env)
                rid = ("/subscriptions/%s/resourcegroups/%s/providers/"
                       "microsoft.sql/servers/%s/databases/%s") % (
                           sub["id"], rg, server, name)
                name = "%s/%s" % (server, name)
            else:
                rid = "/subscriptions/%s/resourcegroups/%s/providers/%s/%s" \
                    % (sub["id"], rg, arm_type, name)
            if key == "vm":
                size = meter.replace(" ", "_").replace("_v", "_v")
                skudetails = ('{"ServiceType":"Standard_%s","VCPUs":%d,'
                              '"UsageType":"ComputeHR","ImageType":null}') % (
                                  size, r.choice((4, 8, 16, 176)))
                committed = r.random() < 0.2
            else:
                skudetails = '{"ServiceType":"%s","Tier":"%s"}' % (msub, tier)
        meter_id = self.meter_id((meter, msub, region[0]))
        sku_id, price_part = self.sku_code()
        reservation = self.reservations[r.randrange(len(self.reservations))] \
            if committed else None

        # Prices (1e-10 USD per unit): contracted = list less an EA
        # discount; effective = contracted, or the amortized reservation
        # rate on committed lines.
        list_price = price
        contracted_price = price * r.choice((100, 100, 95, 90, 85)) // 100
        eff_price = contracted_price * 60 // 100 if committed \
            else contracted_price
        billed_price = 0 if committed else contracted_price

        v = {
            "BillingAccountId":
                "/providers/Microsoft.Billing/billingAccounts/%s"
                % self.enrollment,
            "BillingAccountName": self.account_name,
            "BillingAccountType": "Billing Account",
            "BillingCurrency": "USD",
            "BillingPeriodEnd": self.period_end,
            "BillingPeriodStart": self.period_start,
            "ChargeCategory": "Usage",
            "ChargeClass": "",
            "ChargeDescription": desc,
            "ChargeFrequency": "Usage-Based",
            "CommitmentDiscountCategory": "Usage" if committed else "",
            "CommitmentDiscountId":
                ("/providers/Microsoft.Capacity/reservationOrders/%s/"
                 "reservations/%s" % reservation[:2]) if committed else "",
            "CommitmentDiscountName": reservation[2] if committed else "",
            "CommitmentDiscountStatus": "Used" if committed else "",
            "CommitmentDiscountType": "Reservation" if committed else "",
            "ConsumedUnit": unit,
            "ContractedUnitPrice": dec(contracted_price),
            "InvoiceIssuerName": "Microsoft",
            "ListUnitPrice": dec(list_price),
            "PricingCategory": "Committed" if committed else "Standard",
            "PricingUnit": unitdesc,
            "ProviderName": "Microsoft",
            "PublisherName": "Microsoft",
            "RegionId": region[0],
            "RegionName": region[1],
            "ResourceId": rid,
            "ResourceName": name,
            "ResourceType": display,
            "ServiceCategory": svc_cat,
            "ServiceName": svc_name,
            "SkuId": "%s/%s" % (sku_id, price_part),
            "SkuPriceId": "%s/%s/%03X" % (sku_id, price_part,
                                          r.randrange(0x1000)),
            "SubAccountId": "/subscriptions/%s" % sub["id"],
            "SubAccountName": sub["name"],
            "SubAccountType": "Subscription",
            "Tags": self.tags(sub, team, env, amlfs),
            "x_AccountId": sub["acct"][0],
            "x_AccountName": sub["acct"][1],
            "x_AccountOwnerId": sub["acct"][2],
            "x_BilledUnitPrice": dec(billed_price),
            "x_BillingAccountId": self.enrollment,
            "x_BillingAccountName": self.account_name,
            "x_BillingExchangeRate": "1",
            "x_BillingExchangeRateDate": self.period_start,
            "x_BillingProfileId": self.enrollment,
            "x_BillingProfileName": self.account_name,
            "x_CostAllocationRuleName":
                "shared-network-split" if r.random() < 0.03 else "",
            "x_CostCenter": sub["costcenter"],
            "x_CustomerId": self.customer,
            "x_CustomerName": "Contoso Ltd",
            "x_EffectiveUnitPrice": dec(eff_price),
            "x_InvoiceId": self.invoice,
            "x_InvoiceIssuerId": "/providers/Microsoft.Billing/"
                                 "billingAccounts/%s" % self.enrollment,
            "x_InvoiceSectionId": sub["dept"][0],
            "x_InvoiceSectionName": sub["dept"][1],
            "x_PartnerCreditApplied": "false",
            "x_PartnerCreditRate": "0",
            "x_PricingBlockSize": str(block),
            "x_PricingCurrency": "USD",
            "x_PricingSubcategory":
                "Committed Usage" if committed else "Standard",
            "x_PricingUnitDescription": unitdesc,
            "x_PublisherCategory": "Cloud Provider",
            "x_PublisherId": "Microsoft",
            "x_ResellerId": self.reseller,
            "x_ResellerName": "Fabrikam Cloud Partners",
            "x_ResourceGroupName": rg,
            "x_ResourceType": arm_type,
            "x_ServicePeriodEnd": self.period_end,
            "x_ServicePeriodStart": self.period_start,
            "x_SkuDescription": "%s - %s" % (meter, msub),
            "x_SkuDetails": skudetails,
            "x_SkuIsCreditEligible": "false" if committed else "true",
            "x_SkuMeterCategory": mcat,
            "x_SkuMeterId": meter_id,
            "x_SkuMeterName": meter,
            "x_SkuMeterSubcategory": msub,
            "x_SkuOfferId": sub["offer"],
            "x_SkuOrderId": reservation[0] if committed else sub["id"],
            "x_SkuOrderName": reservation[2] if committed else sub["name"],
            "x_SkuPartNumber": "%s-%05d" % (
                "".join(w[0] for w in meter.split()).upper(),
                int(meter_id[:4], 16) % 100000),
            "x_SkuRegion": region[2],
            "x_SkuServiceFamily": family,
            "x_SkuTerm": "12" if committed else "",
            "x_SkuTier": tier,
        }
        # One template with a %s for each cost and day column, then up to
        # 3 cost variants (daily quantities) of it, as bytes with only the
        # day columns left open.
        fields = []
        for c in COLUMNS:
            if c in SLOT_COLUMNS:
                fields.append("%s")
            else:
                assert "%" not in v[c], (c, v[c])
                fields.append(csvq(v[c]))
        template = ",".join(fields) + "\n"
        lo, hi = qrange
        variants = []
        billed_v, eff_v = [], []
        for k in range(3):
            qn = lo if lo == hi else r.randrange(lo, hi + 1)
            # unit prices are per `block` units; quantities in 1e-4 units
            billed = billed_price * qn // (10000 * block)
            eff = eff_price * qn // (10000 * block)
            contracted = contracted_price * qn // (10000 * block)
            lst = list_price * qn // (10000 * block)
            if block == 1:
                pq = qty(qn)
            else:
                pq = ("%.10f" % (qn / 10000 / block)).rstrip("0").rstrip(".")
            costs = {
                "BilledCost": dec(billed), "EffectiveCost": dec(eff),
                "ContractedCost": dec(contracted), "ListCost": dec(lst),
                "x_BilledCostInUsd": dec(billed),
                "x_EffectiveCostInUsd": dec(eff),
                "x_ContractedCostInUsd": dec(contracted),
                "x_ListCostInUsd": dec(lst),
                "ConsumedQuantity": qty(qn),
                "PricingQuantity": pq,
            }
            args = tuple("%s" if c in DAY_COLUMNS else costs[c]
                         for c in SLOT_COLUMNS)
            variants.append((template % args).encode())
            billed_v.append(billed)
            eff_v.append(eff)
        pattern = self.patterns[r.randrange(len(self.patterns))]
        first, end = 0, self.days
        if not amlfs and r.random() < 0.1:
            if r.random() < 0.5:
                first = r.randrange(1, self.days)
            else:
                end = r.randrange(1, self.days)
        return variants, pattern, first, end, billed_v, eff_v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=1024)
    ap.add_argument("--out")
    ap.add_argument("--amlfs-share", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--month", default="2026-10")
    a = ap.parse_args()
    if not 0 <= a.amlfs_share <= 1:
        ap.error("--amlfs-share must be between 0 and 1")
    try:
        y, m = (int(x) for x in a.month.split("-"))
        assert 1 <= m <= 12
    except Exception:
        ap.error("--month must be YYYY-MM")
    target = int(a.size_mb * 1024 * 1024)
    out_path = a.out or "focus-%gmb.csv" % a.size_mb
    t0 = time.monotonic()

    rng = random.Random(a.seed)
    est = Estate(rng, (y, m))
    day_args = est.day_args
    ndays = est.days

    if out_path == "-":
        out, report = sys.stdout.buffer, sys.stderr
    else:
        out, report = open(out_path, "wb"), sys.stdout
    header = (",".join(COLUMNS) + "\n").encode()
    out.write(header)
    written = len(header)
    rows = amlfs_rows = 0
    amlfs_billed = amlfs_eff = 0
    acc = 1.0 - min(a.amlfs_share * 50, 0.5)   # first AMLFS line early
    while written < target:
        # A fixed batch of lines (so a smaller file is a prefix of a larger
        # one with the same seed), written day by day across the batch so
        # that AMLFS rows are spread through the file; stop at the first
        # row that reaches the target.
        lines = []
        for _ in range(BATCH_LINES):
            acc += a.amlfs_share
            amlfs = acc >= 1.0 and a.amlfs_share > 0
            if amlfs:
                acc -= 1.0
            lines.append((amlfs,) + est.line(amlfs))
        for d in range(ndays):
            args = day_args[d]
            chunk = []
            size = 0
            for amlfs, variants, pattern, first, end, bv, ev in lines:
                if first <= d < end:
                    k = pattern[d]
                    row = variants[k] % args
                    chunk.append(row)
                    size += len(row)
                    if amlfs:
                        amlfs_rows += 1
                        amlfs_billed += bv[k]
                        amlfs_eff += ev[k]
                    if written + size >= target:
                        break
            rows += len(chunk)
            out.write(b"".join(chunk))
            written += size
            if written >= target:
                break
    if out is not sys.stdout.buffer:
        out.close()
    else:
        out.flush()
    secs = time.monotonic() - t0
    print("rows: %d" % rows, file=report)
    print("amlfs_rows: %d" % amlfs_rows, file=report)
    print("amlfs_billed_cost: %s" % dec(amlfs_billed), file=report)
    print("amlfs_effective_cost: %s" % dec(amlfs_eff), file=report)
    print("bytes: %d" % written, file=report)
    print("seconds: %.2f" % secs, file=report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
