#!/usr/bin/env python3
"""Regenerate the sample Azure Cost Management export files (samples/costs).

Usage:  python3 samples/costs/generate.py

Writes, next to this script:
  ea-actual-2026-10.csv          EA actual cost, dataset 2024-08-01 (F.1)
  ea-amortized-2026-10.csv       EA amortized cost, same header
  mca-actual-2026-10.csv         MCA actual cost, dataset 2023-12-01-preview (F.2)
  focus-2026-10.csv.gz           FOCUS 1.0, 96 columns (F.4), gzip
  focus-2026-11-partial.csv      FOCUS 1.0r2 dates, overlapping/revising export
  unknown-format.csv             an AWS CUR file (must be refused)
  retail-prices.json             saved Azure Retail Prices API response
  README.md                      formats, quirks, line numbers, expected totals

The estate (subscriptions, resource groups, file-system ids, SKUs, capacity,
regions, tags, HSM containers) is the one of samples/replay (see its
README.md); section numbers refer to shared/reference/azure-apis.md.

Standard library only and fully deterministic: GUIDs are uuid5 of fixed
labels, there is no randomness and no clock, gzip is written with mtime 0,
so running it twice gives byte-identical output.

Costs are Decimal throughout and rounded to 6 decimal places when written.
After writing, every file is read back with the csv module (gzip for the
.gz) and the README totals are computed from the written strings with
decimal.Decimal; the script fails if the sources disagree where they
should agree (EA/MCA actual = FOCUS BilledCost, EA amortized = FOCUS
EffectiveCost, per resource and day).

AMLFS meter names, units, product and part numbers are ILLUSTRATIVE: the
real Cost Management meters of Azure Managed Lustre are unconfirmed (F.4).
"""

import csv
import datetime
import gzip
import hashlib
import io
import json
import os
import sys
import uuid
from decimal import Decimal as D, ROUND_HALF_EVEN

HERE = os.path.dirname(os.path.abspath(__file__))

NS = uuid.UUID("5d0f8a3e-2c47-4b9a-8e61-7f3a9c2d4b18")


def gid(label):
    return str(uuid.uuid5(NS, "costs:" + label))


def code(label, n, alphabet="0123456789ABCDEFGHJKLMNPQRSTVWXZ"):
    h = int(hashlib.sha256(label.encode()).hexdigest(), 16)
    out = ""
    for _ in range(n):
        h, r = divmod(h, len(alphabet))
        out += alphabet[r]
    return out


Q6 = D("0.000001")
Q10 = D("0.0000000001")


def q6(x):
    return x.quantize(Q6, rounding=ROUND_HALF_EVEN)


def s(x):
    """Decimal to a plain string (no exponent)."""
    return format(x, "f")


def s6(x):
    return s(q6(x))


def exact(x):
    """List prices: the exact decimal (they terminate: rate / 1024 x 0.9215)."""
    t = s(x)
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t


def price_str(x, q=Q10):
    """Derived unit prices (cost / quantity): 10 decimals, trailing zeros removed."""
    t = s(x.quantize(q, rounding=ROUND_HALF_EVEN))
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t


# --------------------------------------------------------------------------
# Estate (samples/replay/README.md)

SUB_R = "6f3c2b1e-8a47-4d9e-b5c2-1e7a9d4f0b63"
SUB_M = "c94e7a15-2f6b-4b8d-9e31-7ad05c8b2e4f"
SUB_NAME = {SUB_R: "Research HPC", SUB_M: "Media Rendering"}
CURRENCY = {SUB_R: "USD", SUB_M: "EUR"}

# region: (display name, meter region, EA ResourceLocation spelling, price multiplier)
REGIONS = {
    "eastus": ("East US", "US East", "EastUS", D("1.00")),
    "westeurope": ("West Europe", "EU West", "WestEurope", D("1.10")),
    "westus3": ("West US 3", "US West 3", "WestUS3", D("1.04")),
    "westus2": ("West US 2", "US West 2", "WestUS2", D("1.00")),
    "northeurope": ("North Europe", "EU North", "NorthEurope", D("1.08")),
}
REGION_ORDER = ["eastus", "westeurope", "westus3", "westus2", "northeurope"]

# USD per TiB-hour (eastus; other regions x multiplier).  Illustrative.
RATE_TIB_HOUR = {
    "Premium-40": D("0.096"),
    "Premium-125": D("0.233"),
    "Premium-250": D("0.377"),
    "Premium-500": D("0.64"),
}
SKU_ORDER = ["Premium-40", "Premium-125", "Premium-250", "Premium-500"]

EUR_PER_USD = D("0.9215")  # MCA exchangeRatePricingToBilling (USD -> EUR)
RESERVATION_DISCOUNT = D("0.8")  # amortized = 80 % of actual (genomics-prod)


def fs_id(sub, rg, name):
    return ("/subscriptions/%s/resourceGroups/%s/providers/"
            "Microsoft.StorageCache/amlFilesystems/%s" % (sub, rg, name))


# Order = the replay list order (page 1, 2, 3; order within a page).
ESTATE = [
    dict(sub=SUB_R, rg="rg-genomics-prod", name="amlfs-genomics-prod",
         region="eastus", zone="1", sku="Premium-125", tib=128,
         tags={"CostCenter": "CC-4410", "Owner": "Hannah Okafor", "env": "prod",
               "project": 'Genomics | WGS, "Cohort-7"'}),
    dict(sub=SUB_R, rg="rg-genomics-prod", name="amlfs-genomics-scratch",
         region="eastus", zone="1", sku="Premium-500", tib=32,
         tags={"costcenter": "cc-4410", "owner": "genomics-pipeline@contoso.com",
               "Environment": "Dev", "RetireAfter": "2026-12-31"}),
    dict(sub=SUB_R, rg="rg-cfd-aero", name="amlfs-cfd-aero-01",
         region="westeurope", zone="2", sku="Premium-250", tib=16,
         tags={"CostCenter": "AERO-17", "Owner": "José Müller", "env": "prod",
               "billing-ref": '=HYPERLINK("https://example.invalid/cfd","CFD")'}),
    dict(sub=SUB_R, rg="rg-cfd-aero", name="amlfs-cfd-transient",
         region="westeurope", zone="2", sku="Premium-40", tib=48,
         tags={"owner": "cfd-team", "env": "test", "retire-after": "2026-10-31",
               "purpose": "mesh-convergence study, run 3"},
         last_day=datetime.date(2026, 10, 20)),
    dict(sub=SUB_R, rg="rg-ai-training", name="amlfs-llm-scratch",
         region="westus3", zone="1", sku="Premium-500", tib=64, tags={}),
    dict(sub=SUB_M, rg="rg-render-farm", name="amlfs-render-feature-film",
         region="westus2", zone="2", sku="Premium-40", tib=480,
         tags={"costcenter": "MR-2001", "Owner": "render-ops@fabrikam.example",
               "Environment": "Production", "show": "Lighthouse; S2 | ep. 5"}),
    dict(sub=SUB_M, rg="rg-render-farm", name="amlfs-render-dailies",
         region="westus2", zone="1", sku="Premium-250", tib=24, tags=None),
    dict(sub=SUB_M, rg="rg-vfx-sim", name="amlfs-vfx-sim",
         region="northeurope", zone="1", sku="Premium-125", tib=32,
         tags={"Owner": "vfx-sim", "env": "staging", "CostCenter": "MR-2040"}),
]
for _i, _f in enumerate(ESTATE):
    _f["index"] = _i
    _f["id"] = fs_id(_f["sub"], _f["rg"], _f["name"])

RESERVED = "amlfs-genomics-prod"

# Related resource: the storage account behind amlfs-genomics-prod's HSM
# container (hsm.settings.container up to "/blobServices").
HSM_CONTAINER = ("/subscriptions/%s/resourceGroups/rg-genomics-prod/providers/"
                 "Microsoft.Storage/storageAccounts/stgenomicsarchive01/"
                 "blobServices/default/containers/genomics-data" % SUB_R)
RELATED_ID = HSM_CONTAINER[:HSM_CONTAINER.index("/blobServices")]
RELATED_TAGS = {"CostCenter": "CC-4410", "purpose": "amlfs-hsm-archive"}

# An unrelated storage account (one EA row, must be ignored).
OTHER_SA_ID = ("/subscriptions/%s/resourceGroups/rg-research-shared/providers/"
               "Microsoft.Storage/storageAccounts/stresearchdiag01" % SUB_R)

OCT = [datetime.date(2026, 10, d) for d in range(1, 32)]
NOV = [datetime.date(2026, 11, 1), datetime.date(2026, 11, 2)]
REVISED_DAY = datetime.date(2026, 10, 31)

# Billing identities (all illustrative).
EA = dict(
    BillingAccountId="81234567", BillingAccountName="Contoso Research Enrollment",
    InvoiceSectionId="412345", InvoiceSectionName='Research, "HPC" Lab',
    AccountId="203456", AccountName="Research Computing",
    AccountOwnerId="hpc-billing@contoso.com", CostCenter="CC-4400",
    OfferId="MS-AZR-0017P",
)
MCA = dict(
    billingAccountId=("b7e3c9a2-5d41-4f8e-9a6c-2e1f0d8b7c53:"
                      "0f4d2a91-8c6e-4b37-a5d2-9e8f1c7b6a40_2019-05-31"),
    billingAccountName="Fabrikam Media Ltd",
    billingProfileId="K7QM-4XRT-BG7-PGB", billingProfileName="Fabrikam Media EU",
    invoiceSectionId="V3NZ-8LKP-PJA-PGB", invoiceSectionName="Media Rendering",
    costCenter="MR-2000", productOrderId=gid("mca:azure-plan"),
    productOrderName="Azure plan",
)

RES_ORDER = gid("reservation-order:genomics-prod")
RES_ID = ("/providers/Microsoft.Capacity/reservationOrders/%s/reservations/%s"
          % (RES_ORDER, gid("reservation:genomics-prod")))
RES_NAME = "amlfs-genomics-prod-premium125-1y"
RES_ORDER_NAME = "Reserved capacity (illustrative), Azure Managed Lustre Premium-125, 1 year"

# Retail catalogue ids (illustrative).
AMLFS_PRODUCT_ID = "DZH318Z0" + code("product:amlfs", 4)
AMLFS_SERVICE_ID = "DZH31" + code("service:amlfs", 7)
SKU_ID = {sku: "%s/%s" % (AMLFS_PRODUCT_ID, "%04X" % (4 + 3 * i))
          for i, sku in enumerate(SKU_ORDER)}


def meter_id(sku, region):
    return gid("meter:%s:%s" % (sku, region))


def list_rate_tib_hour(sku, region):
    return RATE_TIB_HOUR[sku] * REGIONS[region][3]


def list_price_gib_hour(sku, region):
    return list_rate_tib_hour(sku, region) / 1024  # exact (2^10)


def jitter(idx, day):
    """Deterministic factor in [0.992, 1.000] (illustrative daily wobble)."""
    return 1 - D((day.toordinal() * 37 + idx * 11) % 9) / 1000


# --------------------------------------------------------------------------
# Charges: one neutral record per (resource, meter, day); the writers below
# turn them into EA / MCA / FOCUS rows.

def amlfs_charge(fs, day):
    sku, region = fs["sku"], fs["region"]
    gib = fs["tib"] * 1024
    qty = D(gib * 24)
    list_usd = q6(D(fs["tib"]) * 24 * list_rate_tib_hour(sku, region))
    usd = q6(D(fs["tib"]) * 24 * list_rate_tib_hour(sku, region) * jitter(fs["index"], day))
    reserved = fs["name"] == RESERVED
    return dict(
        kind="amlfs", key=fs["name"], sub=fs["sub"], rg=fs["rg"], region=region,
        zone=fs["zone"], rid=fs["id"], name=fs["name"], tags=fs["tags"], date=day,
        arm_type="microsoft.storagecache/amlfilesystems",
        display_type="Azure Managed Lustre File System",
        service_name="Azure Managed Lustre", service_category="Storage",
        meter_category="Azure Managed Lustre", meter_subcategory="Durable",
        meter_name="%s Capacity" % sku, meter_id=meter_id(sku, region),
        unit="1 GiB/Hour", qty=qty, list_price=list_price_gib_hour(sku, region),
        list_usd=list_usd, usd=usd,
        usd_amort=q6(usd * RESERVATION_DISCOUNT) if reserved else usd,
        reserved=reserved, consumed_service="Microsoft.StorageCache",
        product_name="Azure Managed Lustre Durable %s - %s" % (sku, REGIONS[region][1]),
        product_id=AMLFS_PRODUCT_ID, sku_id=SKU_ID[sku],
        part_number="AAM-" + code("part:" + sku, 5),
        service_family="Storage", sku_name="AMLFS-Durable-" + sku, sku_tier="Premium",
        additional_info=json.dumps({"SkuName": "AMLFS-Durable-" + sku,
                                    "StorageCapacityTiB": fs["tib"]},
                                   separators=(",", ":")),
    )


def storage_charges(rid, key, tags, day, rg, which=("stored", "writes"),
                    stored_gb=None):
    n = (day - OCT[0]).days
    out = []
    for m in which:
        if m == "stored":
            gb = stored_gb if stored_gb is not None else D("412003.17") + D("851.29") * n
            ms, me = month_bounds(day)
            qty = q6(gb / (me - ms).days)  # GB-month share of one day
            price, unit, mname = D("0.0184"), "1 GB/Month", "Hot LRS Data Stored"
        else:
            qty = D(40 + (day.toordinal() * 13) % 29)
            price, unit, mname = D("0.065"), "10K", "Hot LRS Write Operations"
        usd = q6(qty * price)
        out.append(dict(
            kind="storage", key=key, sub=SUB_R, rg=rg, region="eastus", zone="",
            rid=rid, name=rid.rsplit("/", 1)[1], tags=tags, date=day,
            arm_type="microsoft.storage/storageaccounts", display_type="Storage account",
            service_name="Storage Accounts", service_category="Storage",
            meter_category="Storage", meter_subcategory="General Block Blob v2",
            meter_name=mname, meter_id=gid("meter:storage:" + mname), unit=unit,
            qty=qty, list_price=price, list_usd=usd, usd=usd, usd_amort=usd,
            reserved=False, consumed_service="Microsoft.Storage",
            product_name="General Block Blob v2 Hot LRS", product_id="DZH318Z0BPH7",
            sku_id="DZH318Z0BPH7/001V", part_number="AAD-" + code("part:" + mname, 5),
            service_family="Storage", sku_name="Hot LRS", sku_tier="Hot",
            additional_info="",
        ))
    return out


def vm_charge(sub, rg, name, region, day, size, price_usd, tags):
    rid = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/"
           "virtualMachines/%s" % (sub, rg, name))
    qty = D(24)
    usd = q6(qty * price_usd)
    return dict(
        kind="vm", key=name, sub=sub, rg=rg, region=region, zone="1", rid=rid,
        name=name, tags=tags, date=day, arm_type="microsoft.compute/virtualmachines",
        display_type="Virtual machine", service_name="Virtual Machines",
        service_category="Compute", meter_category="Virtual Machines",
        meter_subcategory=size.split()[0] + " Series", meter_name=size,
        meter_id=gid("meter:vm:%s:%s" % (size, region)), unit="1 Hour", qty=qty,
        list_price=price_usd, list_usd=usd, usd=usd, usd_amort=usd, reserved=False,
        consumed_service="Microsoft.Compute",
        product_name="Virtual Machines %s - %s" % (size, REGIONS[region][1]),
        product_id="DZH318Z0" + code("vm:" + size, 4),
        sku_id="DZH318Z0%s/00%s" % (code("vm:" + size, 4), code("vmsku:" + size, 2)),
        part_number="AAF-" + code("part:" + size, 5), service_family="Compute",
        sku_name=size, sku_tier="Standard",
        additional_info=json.dumps({"ServiceType": "Standard_" + size.replace(" ", "_"),
                                    "VCPUs": 16}, separators=(",", ":")),
    )


def eur(usd):
    return q6(usd * EUR_PER_USD)


def billed(c):
    """Actual cost in the billing currency of the charge's subscription."""
    return c["usd"] if c["sub"] == SUB_R else eur(c["usd"])


def effective(c):
    return c["usd_amort"] if c["sub"] == SUB_R else eur(c["usd_amort"])


# --------------------------------------------------------------------------
# Column lists (azure-apis.md F.1, F.2, F.4)

EA_COLUMNS = [
    "InvoiceSectionName", "AccountName", "AccountOwnerId", "SubscriptionId",
    "SubscriptionName", "ResourceGroup", "ResourceLocation", "Date", "ProductName",
    "MeterCategory", "MeterSubCategory", "MeterId", "MeterName", "MeterRegion",
    "UnitOfMeasure", "Quantity", "EffectivePrice", "CostInBillingCurrency", "CostCenter",
    "ConsumedService", "ResourceId", "Tags", "OfferId", "AdditionalInfo", "ServiceInfo1",
    "ServiceInfo2", "ResourceName", "ReservationId", "ReservationName", "UnitPrice",
    "ProductOrderId", "ProductOrderName", "Term", "PublisherType", "PublisherName",
    "ChargeType", "Frequency", "PricingModel", "AvailabilityZone", "BillingAccountId",
    "BillingAccountName", "BillingCurrencyCode", "BillingPeriodStartDate",
    "BillingPeriodEndDate", "BillingProfileId", "BillingProfileName",
    "InvoiceSectionId", "IsAzureCreditEligible", "PartNumber", "PayGPrice", "PlanName",
    "ServiceFamily", "CostAllocationRuleName", "benefitId", "benefitName", "AccountId",
    "ResourceLocationNormalized",
]

MCA_COLUMNS = [
    "invoiceId", "previousInvoiceId", "billingAccountId", "billingAccountName",
    "billingProfileId", "billingProfileName", "invoiceSectionId", "invoiceSectionName",
    "resellerName", "resellerMpnId", "costCenter", "billingPeriodEndDate",
    "billingPeriodStartDate", "servicePeriodEndDate", "servicePeriodStartDate", "date",
    "serviceFamily", "productOrderId", "productOrderName", "consumedService", "meterId",
    "meterName", "meterCategory", "meterSubCategory", "meterRegion", "ProductId",
    "ProductName", "SubscriptionId", "subscriptionName", "publisherType", "publisherId",
    "publisherName", "resourceGroupName", "ResourceId", "resourceLocation", "location",
    "effectivePrice", "quantity", "unitOfMeasure", "chargeType", "billingCurrency",
    "pricingCurrency", "costInBillingCurrency", "costInPricingCurrency", "costInUsd",
    "paygCostInBillingCurrency", "paygCostInUsd", "exchangeRatePricingToBilling",
    "exchangeRateDate", "isAzureCreditEligible", "serviceInfo1", "serviceInfo2",
    "additionalInfo", "tags", "PayGPrice", "frequency", "term", "reservationId",
    "reservationName", "pricingModel", "unitPrice", "costAllocationRuleName",
    "benefitId", "benefitName", "provider",
]

FOCUS_COLUMNS = [
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory",
    "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd",
    "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId",
    "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory",
    "ServiceName", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName",
    "SubAccountType", "Tags", "x_AccountId", "x_AccountName", "x_AccountOwnerId",
    "x_BilledCostInUsd", "x_BilledUnitPrice", "x_BillingAccountId",
    "x_BillingAccountName", "x_BillingExchangeRate", "x_BillingExchangeRateDate",
    "x_BillingProfileId", "x_BillingProfileName", "x_ContractedCostInUsd",
    "x_CostAllocationRuleName", "x_CostCenter", "x_CustomerId", "x_CustomerName",
    "x_EffectiveCostInUsd", "x_EffectiveUnitPrice", "x_InvoiceId", "x_InvoiceIssuerId",
    "x_InvoiceSectionId", "x_InvoiceSectionName", "x_ListCostInUsd",
    "x_PartnerCreditApplied", "x_PartnerCreditRate", "x_PricingBlockSize",
    "x_PricingCurrency", "x_PricingSubcategory", "x_PricingUnitDescription",
    "x_PublisherCategory", "x_PublisherId", "x_ResellerId", "x_ResellerName",
    "x_ResourceGroupName", "x_ResourceType", "x_ServicePeriodEnd",
    "x_ServicePeriodStart", "x_SkuDescription", "x_SkuDetails",
    "x_SkuIsCreditEligible", "x_SkuMeterCategory", "x_SkuMeterId", "x_SkuMeterName",
    "x_SkuMeterSubcategory", "x_SkuOfferId", "x_SkuOrderId", "x_SkuOrderName",
    "x_SkuPartNumber", "x_SkuRegion", "x_SkuServiceFamily", "x_SkuTerm", "x_SkuTier",
]

assert len(EA_COLUMNS) == 57 and len(set(EA_COLUMNS)) == 57
assert len(MCA_COLUMNS) == 65 and len(set(MCA_COLUMNS)) == 65
assert len(FOCUS_COLUMNS) == 96 and FOCUS_COLUMNS == sorted(FOCUS_COLUMNS)


# --------------------------------------------------------------------------
# Field formatting

def ea_tags(tags):
    """EA shape (F.3): JSON members without the outer braces."""
    if not tags:
        return ""
    return ",".join("%s: %s" % (json.dumps(k, ensure_ascii=False),
                                json.dumps(v, ensure_ascii=False))
                    for k, v in tags.items())


def mca_tags(tags):
    """MCA here: a full JSON object (with braces); no tags key -> empty."""
    if tags is None:
        return ""
    return json.dumps(tags, ensure_ascii=False)


def focus_tags(tags):
    """FOCUS: a full JSON object, compact; {} stays {}, no tags key -> empty."""
    if tags is None:
        return ""
    return json.dumps(tags, ensure_ascii=False, separators=(",", ":"))


def mdy(d):
    return d.strftime("%m/%d/%Y")


def iso(d):
    return d.isoformat()


def focus_ts(d, seconds):
    return d.strftime("%Y-%m-%dT00:00:00Z" if seconds else "%Y-%m-%dT00:00Z")


def month_bounds(d):
    start = d.replace(day=1)
    nxt = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, nxt  # nxt exclusive


def unit_short(u):
    return u[2:] if u.startswith("1 ") else u


# --------------------------------------------------------------------------
# EA

def ea_row(c, amortized):
    day = c["date"]
    ps, pe = month_bounds(day)
    cost = c["usd_amort"] if amortized else c["usd"]
    res = amortized and c["reserved"]
    disp, meter_region, loc, _m = REGIONS[c["region"]]
    row = dict(
        InvoiceSectionName=EA["InvoiceSectionName"], AccountName=EA["AccountName"],
        AccountOwnerId=EA["AccountOwnerId"], SubscriptionId=c["sub"],
        SubscriptionName=SUB_NAME[c["sub"]], ResourceGroup=c["rg"],
        ResourceLocation=loc, Date=mdy(day), ProductName=c["product_name"],
        MeterCategory=c["meter_category"], MeterSubCategory=c["meter_subcategory"],
        MeterId=c["meter_id"], MeterName=c["meter_name"], MeterRegion=meter_region,
        UnitOfMeasure=c["unit"], Quantity=s(c["qty"]),
        EffectivePrice=price_str(cost / c["qty"]), CostInBillingCurrency=s6(cost),
        CostCenter=EA["CostCenter"], ConsumedService=c["consumed_service"],
        ResourceId=c["rid"], Tags=ea_tags(c["tags"]), OfferId=EA["OfferId"],
        AdditionalInfo=c["additional_info"], ServiceInfo1="", ServiceInfo2="",
        ResourceName=c["name"], ReservationId=RES_ID if res else "",
        ReservationName=RES_NAME if res else "", UnitPrice=exact(c["list_price"]),
        ProductOrderId=RES_ORDER if res else "",
        ProductOrderName=RES_ORDER_NAME if res else "", Term="12" if res else "",
        PublisherType="Azure", PublisherName="Microsoft", ChargeType="Usage",
        Frequency="UsageBased", PricingModel="Reservation" if res else "OnDemand",
        AvailabilityZone=c["zone"], BillingAccountId=EA["BillingAccountId"],
        BillingAccountName=EA["BillingAccountName"], BillingCurrencyCode="USD",
        BillingPeriodStartDate=mdy(ps),
        BillingPeriodEndDate=mdy(pe - datetime.timedelta(days=1)),
        BillingProfileId=EA["BillingAccountId"], BillingProfileName=EA["BillingAccountName"],
        InvoiceSectionId=EA["InvoiceSectionId"], IsAzureCreditEligible="True",
        PartNumber=c["part_number"], PayGPrice=exact(c["list_price"]),
        PlanName="", ServiceFamily=c["service_family"], CostAllocationRuleName="",
        benefitId=RES_ID if res else "", benefitName=RES_NAME if res else "",
        AccountId=EA["AccountId"], ResourceLocationNormalized=c["region"],
    )
    assert list(row) == EA_COLUMNS
    return [row[k] for k in EA_COLUMNS]


def csv_line(fields, terminator):
    buf = io.StringIO()
    csv.writer(buf, lineterminator=terminator).writerow(fields)
    return buf.getvalue()


LOWERCASE_ID_AT = ("amlfs-cfd-aero-01", datetime.date(2026, 10, 7))
OTHER_SA_AFTER = datetime.date(2026, 10, 10)     # after that day's block
MALFORMED_COPY_OF = ("amlfs-genomics-scratch", datetime.date(2026, 10, 15))


def research_day_charges(day, include_related=True):
    out = []
    for fs in ESTATE:
        if fs["sub"] != SUB_R:
            continue
        if "last_day" in fs and day > fs["last_day"]:
            continue
        out.append(amlfs_charge(fs, day))
    if include_related:
        out += storage_charges(RELATED_ID, "stgenomicsarchive01", RELATED_TAGS, day,
                               "rg-genomics-prod")
    return out


def other_sa_charge():
    return storage_charges(OTHER_SA_ID, "stresearchdiag01",
                           {"env": "prod", "purpose": "diagnostics"},
                           OTHER_SA_AFTER, "rg-research-shared", which=("stored",),
                           stored_gb=D("38271.4"))[0]


def write_ea(path, amortized, notes):
    """Returns {line_no: description} of the special lines."""
    out = ["\ufeff" + csv_line(EA_COLUMNS, "\r\n")]
    line = 1
    for day in OCT:
        for c in research_day_charges(day):
            fields = ea_row(c, amortized)
            line += 1
            if (c["key"], day) == LOWERCASE_ID_AT:
                fields[EA_COLUMNS.index("ResourceId")] = c["rid"].lower()
                notes.append((line, "lower-cased ResourceId (%s, %s)" % (c["key"], mdy(day))))
            out.append(csv_line(fields, "\r\n"))
            if not amortized and (c["key"], day) == MALFORMED_COPY_OF:
                # Corrupted copy: InvoiceSectionName written without quoting
                # -> 58 fields instead of 57.  Must be reported and skipped.
                rest = csv_line(fields[1:], "\r\n")
                bad = EA["InvoiceSectionName"] + "," + rest
                line += 1
                notes.append((line, "MALFORMED: 58 fields (unquoted InvoiceSectionName), "
                                    "corrupted duplicate of the %s %s row on line %d"
                                    % (c["key"], mdy(day), line - 1)))
                out.append(bad)
        if day == OTHER_SA_AFTER:
            line += 1
            notes.append((line, "non-AMLFS: storage account stresearchdiag01 (ignore)"))
            out.append(csv_line(ea_row(other_sa_charge(), amortized), "\r\n"))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(out))


# --------------------------------------------------------------------------
# MCA

VM_MCA = (SUB_M, "rg-render-farm", "vm-render-node-042", "westus2",
          datetime.date(2026, 10, 12), "F32s v2", D("1.353"),
          {"costcenter": "MR-2001", "role": "render-node"})


def mca_row(c):
    day = c["date"]
    ps, pe = month_bounds(day)
    disp, meter_region, _loc, _m = REGIONS[c["region"]]
    usd, list_usd = c["usd"], c["list_usd"]
    cost_eur = eur(usd)
    row = dict(
        invoiceId="", previousInvoiceId="",
        billingAccountId=MCA["billingAccountId"], billingAccountName=MCA["billingAccountName"],
        billingProfileId=MCA["billingProfileId"], billingProfileName=MCA["billingProfileName"],
        invoiceSectionId=MCA["invoiceSectionId"], invoiceSectionName=MCA["invoiceSectionName"],
        resellerName="", resellerMpnId="", costCenter=MCA["costCenter"],
        billingPeriodEndDate=iso(pe - datetime.timedelta(days=1)),
        billingPeriodStartDate=iso(ps),
        servicePeriodEndDate=iso(pe - datetime.timedelta(days=1)),
        servicePeriodStartDate=iso(ps), date=iso(day),
        serviceFamily=c["service_family"], productOrderId=MCA["productOrderId"],
        productOrderName=MCA["productOrderName"], consumedService=c["consumed_service"],
        meterId=c["meter_id"], meterName=c["meter_name"], meterCategory=c["meter_category"],
        meterSubCategory=c["meter_subcategory"], meterRegion=meter_region,
        ProductId=c["product_id"], ProductName=c["product_name"], SubscriptionId=c["sub"],
        subscriptionName=SUB_NAME[c["sub"]], publisherType="Microsoft", publisherId="",
        publisherName="Microsoft", resourceGroupName=c["rg"], ResourceId=c["rid"],
        resourceLocation=c["region"], location=meter_region,
        effectivePrice=price_str(cost_eur / c["qty"]), quantity=s(c["qty"]),
        unitOfMeasure=c["unit"], chargeType="Usage", billingCurrency="EUR",
        pricingCurrency="USD", costInBillingCurrency=s6(cost_eur),
        costInPricingCurrency=s6(usd), costInUsd=s6(usd),
        paygCostInBillingCurrency=s6(eur(list_usd)), paygCostInUsd=s6(list_usd),
        exchangeRatePricingToBilling=s(EUR_PER_USD), exchangeRateDate=iso(ps),
        isAzureCreditEligible="True", serviceInfo1="", serviceInfo2="",
        additionalInfo=c["additional_info"], tags=mca_tags(c["tags"]),
        PayGPrice=exact(c["list_price"]), frequency="UsageBased", term="",
        reservationId="", reservationName="", pricingModel="OnDemand",
        unitPrice=exact(c["list_price"]), costAllocationRuleName="",
        benefitId="", benefitName="", provider="Azure",
    )
    assert list(row) == MCA_COLUMNS
    return [row[k] for k in MCA_COLUMNS]


def media_day_charges(day):
    return [amlfs_charge(fs, day) for fs in ESTATE if fs["sub"] == SUB_M]


def write_mca(path, notes):
    out = [csv_line(MCA_COLUMNS, "\n")]
    line = 1
    for day in OCT:
        for c in media_day_charges(day):
            out.append(csv_line(mca_row(c), "\n"))
            line += 1
        if day == VM_MCA[4]:
            line += 1
            notes.append((line, "non-AMLFS: virtual machine vm-render-node-042 (ignore)"))
            out.append(csv_line(mca_row(vm_charge(*VM_MCA)), "\n"))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(out))


# --------------------------------------------------------------------------
# FOCUS

VMS_FOCUS = [
    # (sub, rg, name, region, day, size, USD/hour, tags)
    (SUB_R, "rg-genomics-prod", "vm-amlfs-client-01", "eastus",
     datetime.date(2026, 10, 3), "D16ds v5", D("0.904"),
     {"CostCenter": "CC-4410", "role": "lustre-client"}),
    (SUB_R, "rg-ai-training", "vm-llm-train-07", "westus3",
     datetime.date(2026, 10, 9), "ND96asr v4", D("27.197"), None),
    VM_MCA,
]


def focus_row(c, seconds, override_usd=None):
    day = c["date"]
    ps, pe = month_bounds(day)
    nxt = day + datetime.timedelta(days=1)
    is_r = c["sub"] == SUB_R
    usd = c["usd"] if override_usd is None else override_usd
    usd_amort = (q6(usd * RESERVATION_DISCOUNT) if c["reserved"] else usd) \
        if override_usd is not None else c["usd_amort"]
    conv = (lambda x: x) if is_r else eur
    bill, eff, lst = conv(usd), conv(usd_amort), conv(c["list_usd"])
    rate = D(1) if is_r else EUR_PER_USD
    res = c["reserved"]
    disp, meter_region, _loc, _m = REGIONS[c["region"]]
    if is_r:
        ba_id = "/providers/Microsoft.Billing/billingAccounts/" + EA["BillingAccountId"]
        ba_name, ba_type = EA["BillingAccountName"], "Billing Account"
        x_ba_id, x_ba_name = EA["BillingAccountId"], EA["BillingAccountName"]
        x_bp_id, x_bp_name = EA["BillingAccountId"], EA["BillingAccountName"]
        inv_id, inv_name = EA["InvoiceSectionId"], EA["InvoiceSectionName"]
        acct = (EA["AccountId"], EA["AccountName"], EA["AccountOwnerId"])
        cost_center, offer = EA["CostCenter"], EA["OfferId"]
        order_id, order_name = (RES_ORDER, RES_ORDER_NAME) if res else ("", "")
    else:
        ba_id = ("/providers/Microsoft.Billing/billingAccounts/%s/billingProfiles/%s"
                 % (MCA["billingAccountId"], MCA["billingProfileId"]))
        ba_name, ba_type = MCA["billingProfileName"], "Billing Profile"
        x_ba_id, x_ba_name = MCA["billingAccountId"], MCA["billingAccountName"]
        x_bp_id, x_bp_name = MCA["billingProfileId"], MCA["billingProfileName"]
        inv_id, inv_name = MCA["invoiceSectionId"], MCA["invoiceSectionName"]
        acct = ("", "", "")
        cost_center, offer = MCA["costCenter"], ""
        order_id, order_name = MCA["productOrderId"], MCA["productOrderName"]
    qty = c["qty"]
    row = dict(
        BilledCost=s6(bill), BillingAccountId=ba_id, BillingAccountName=ba_name,
        BillingAccountType=ba_type, BillingCurrency=CURRENCY[c["sub"]],
        BillingPeriodEnd=focus_ts(pe, seconds), BillingPeriodStart=focus_ts(ps, seconds),
        ChargeCategory="Usage", ChargeClass="", ChargeDescription=c["product_name"],
        ChargeFrequency="Usage-Based", ChargePeriodEnd=focus_ts(nxt, seconds),
        ChargePeriodStart=focus_ts(day, seconds),
        CommitmentDiscountCategory="Usage" if res else "",
        CommitmentDiscountId=RES_ID if res else "",
        CommitmentDiscountName=RES_NAME if res else "",
        CommitmentDiscountStatus="Used" if res else "",
        CommitmentDiscountType="Reservation" if res else "",
        ConsumedQuantity=s(qty), ConsumedUnit=unit_short(c["unit"]),
        ContractedCost=s6(bill), ContractedUnitPrice=price_str(bill / qty),
        EffectiveCost=s6(eff), InvoiceIssuerName="Microsoft", ListCost=s6(lst),
        ListUnitPrice=exact(c["list_price"] * rate),
        PricingCategory="Committed" if res else "Standard", PricingQuantity=s(qty),
        PricingUnit=unit_short(c["unit"]), ProviderName="Microsoft",
        PublisherName="Microsoft", RegionId=c["region"], RegionName=disp,
        ResourceId=c["rid"].lower(), ResourceName=c["name"],
        ResourceType=c["display_type"], ServiceCategory=c["service_category"],
        ServiceName=c["service_name"], SkuId=c["sku_id"],
        SkuPriceId="%s/%s" % (c["sku_id"], c["meter_id"]),
        SubAccountId="/subscriptions/" + c["sub"], SubAccountName=SUB_NAME[c["sub"]],
        SubAccountType="Subscription", Tags=focus_tags(c["tags"]),
        x_AccountId=acct[0], x_AccountName=acct[1], x_AccountOwnerId=acct[2],
        x_BilledCostInUsd=s6(usd), x_BilledUnitPrice=price_str(bill / qty),
        x_BillingAccountId=x_ba_id, x_BillingAccountName=x_ba_name,
        x_BillingExchangeRate=s(rate), x_BillingExchangeRateDate=focus_ts(ps, seconds),
        x_BillingProfileId=x_bp_id, x_BillingProfileName=x_bp_name,
        x_ContractedCostInUsd=s6(usd), x_CostAllocationRuleName="",
        x_CostCenter=cost_center, x_CustomerId="", x_CustomerName="",
        x_EffectiveCostInUsd=s6(usd_amort), x_EffectiveUnitPrice=price_str(eff / qty),
        x_InvoiceId="", x_InvoiceIssuerId="", x_InvoiceSectionId=inv_id,
        x_InvoiceSectionName=inv_name, x_ListCostInUsd=s6(c["list_usd"]),
        x_PartnerCreditApplied="", x_PartnerCreditRate="", x_PricingBlockSize="1",
        x_PricingCurrency="USD",
        x_PricingSubcategory="Committed Usage" if res else "Standard",
        x_PricingUnitDescription=c["unit"], x_PublisherCategory="Cloud Provider",
        x_PublisherId="", x_ResellerId="", x_ResellerName="",
        x_ResourceGroupName=c["rg"], x_ResourceType=c["arm_type"],
        x_ServicePeriodEnd=focus_ts(nxt, seconds), x_ServicePeriodStart=focus_ts(day, seconds),
        x_SkuDescription=c["product_name"],
        x_SkuDetails=json.dumps({"SkuName": c["sku_name"]}, separators=(",", ":")),
        x_SkuIsCreditEligible="True", x_SkuMeterCategory=c["meter_category"],
        x_SkuMeterId=c["meter_id"], x_SkuMeterName=c["meter_name"],
        x_SkuMeterSubcategory=c["meter_subcategory"], x_SkuOfferId=offer,
        x_SkuOrderId=order_id, x_SkuOrderName=order_name, x_SkuPartNumber=c["part_number"],
        x_SkuRegion=meter_region, x_SkuServiceFamily=c["service_family"],
        x_SkuTerm="12" if res else "", x_SkuTier=c["sku_tier"],
    )
    assert list(row) == FOCUS_COLUMNS
    return [row[k] for k in FOCUS_COLUMNS]


def write_focus_oct(path, notes):
    out = [csv_line(FOCUS_COLUMNS, "\n")]
    line = 1
    for day in OCT:
        charges = research_day_charges(day) + media_day_charges(day)
        for v in VMS_FOCUS:
            if v[4] == day:
                charges.append(vm_charge(*v))
        for c in charges:
            line += 1
            if c["kind"] == "vm":
                notes.append((line, "non-AMLFS: virtual machine %s, %s (ignore)"
                              % (c["name"], SUB_NAME[c["sub"]])))
            out.append(csv_line(focus_row(c, seconds=False), "\n"))
    data = "".join(out).encode("utf-8")
    with open(path, "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))


REVISION_FACTOR = D("0.95")  # the late correction of genomics-prod on 2026-10-31


def write_focus_nov(path, notes):
    out = [csv_line(FOCUS_COLUMNS, "\n")]
    line = 1
    for day in NOV:
        for c in research_day_charges(day):
            line += 1
            out.append(csv_line(focus_row(c, seconds=True), "\n"))
    # Late-arriving revision for October, appended at the end.
    fs = next(f for f in ESTATE if f["name"] == RESERVED)
    c = amlfs_charge(fs, REVISED_DAY)
    line += 1
    notes.append((line, "REVISION: %s 2026-10-31 BilledCost %s (October file: %s)"
                  % (RESERVED, s6(c["usd"] * REVISION_FACTOR), s6(c["usd"]))))
    out.append(csv_line(focus_row(c, seconds=True, override_usd=q6(c["usd"] * REVISION_FACTOR)), "\n"))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(out))


# --------------------------------------------------------------------------
# Unknown format (AWS CUR, legacy CSV column names): must be refused.

CUR_COLUMNS = [
    "identity/LineItemId", "identity/TimeInterval", "bill/InvoiceId", "bill/BillingEntity",
    "bill/BillType", "bill/PayerAccountId", "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate", "lineItem/UsageAccountId", "lineItem/LineItemType",
    "lineItem/UsageStartDate", "lineItem/UsageEndDate", "lineItem/ProductCode",
    "lineItem/UsageType", "lineItem/Operation", "lineItem/AvailabilityZone",
    "lineItem/ResourceId", "lineItem/UsageAmount", "lineItem/NormalizationFactor",
    "lineItem/CurrencyCode", "lineItem/UnblendedRate", "lineItem/UnblendedCost",
    "lineItem/BlendedRate", "lineItem/BlendedCost", "lineItem/LineItemDescription",
    "product/ProductName", "product/region", "resourceTags/user:CostCenter",
]


def write_unknown(path):
    out = [csv_line(CUR_COLUMNS, "\n")]
    for i, d in enumerate((1, 2)):
        start = "2026-10-%02dT00:00:00Z" % d
        end = "2026-10-%02dT00:00:00Z" % (d + 1)
        qty = D("2400")  # GB-Mo-ish, illustrative
        rate = D("0.000194444")
        out.append(csv_line([
            code("cur:%d" % i, 26, "abcdefghijklmnopqrstuvwxyz234567"),
            "%s/%s" % (start, end), "", "AWS", "Anniversary", "123456789012",
            "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "210987654321", "Usage",
            start, end, "AmazonFSx", "USE1-Lustre-PersistentSSD-125",
            "CreateFileSystem", "us-east-1a",
            "arn:aws:fsx:us-east-1:210987654321:file-system/fs-0a1b2c3d4e5f60718",
            s(qty), "", "USD", s(rate), s6(qty * rate), s(rate), s6(qty * rate),
            "USD 0.000194444 per GB-Hour for Persistent SSD 125 MB/s/TiB storage",
            "Amazon FSx", "us-east-1", "CC-4410",
        ], "\n"))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(out))


# --------------------------------------------------------------------------
# Retail Prices API response

def write_retail(path):
    items = []
    for sku in SKU_ORDER:
        for region in REGION_ORDER:
            p = list_price_gib_hour(sku, region)
            items.append({
                "currencyCode": "USD",
                "tierMinimumUnits": 0.0,
                "retailPrice": "@@%s@@" % s(p),
                "unitPrice": "@@%s@@" % s(p),
                "armRegionName": region,
                "location": REGIONS[region][1],
                "effectiveStartDate": "2024-01-01T00:00:00Z",
                "meterId": meter_id(sku, region),
                "meterName": "%s Capacity" % sku,
                "productId": AMLFS_PRODUCT_ID,
                "skuId": SKU_ID[sku],
                "productName": "Azure Managed Lustre",
                "skuName": sku,
                "serviceName": "Azure Managed Lustre",
                "serviceId": AMLFS_SERVICE_ID,
                "serviceFamily": "Storage",
                "unitOfMeasure": "1 GiB/Hour",
                "type": "Consumption",
                "isPrimaryMeterRegion": True,
                "armSkuName": "AMLFS-Durable-" + sku,
            })
    doc = {
        "BillingCurrency": "USD",
        "CustomerEntityId": "Default",
        "CustomerEntityType": "Retail",
        "Items": items,
        "NextPageLink": None,
        "Count": len(items),
    }
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    # Prices as exact JSON numbers (json would print floats inexactly).
    text = text.replace('"@@', "").replace('@@"', "")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text + "\n")
    return items


# --------------------------------------------------------------------------
# Read back, check, total

def read_csv(path):
    """Returns (header, [(line_no, fields)], info).  Handles BOM, gzip."""
    raw = open(path, "rb").read()
    info = {"gzip": raw[:2] == b"\x1f\x8b"}
    if info["gzip"]:
        raw = gzip.decompress(raw)
    info["bom"] = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    info["crlf"] = "\r\n" in text
    info["bare_lf"] = "\n" in text.replace("\r\n", "")
    info["physical_lines"] = text.count("\n")
    rdr = csv.reader(io.StringIO(text, newline=""))
    header = next(rdr)
    rows = []
    for fields in rdr:
        rows.append((rdr.line_num, fields))
    return header, rows, info


def is_amlfs(rid):
    return "/providers/microsoft.storagecache/amlfilesystems/" in rid.lower()


def parse_day(v):
    v = v.strip()
    if "/" in v:
        m, d, y = v.split("/")
        return datetime.date(int(y), int(m), int(d))
    return datetime.date.fromisoformat(v[:10])


NAME_BY_ID = {f["id"].lower(): f["name"] for f in ESTATE}
NAME_BY_ID[RELATED_ID.lower()] = "stgenomicsarchive01"


def load(path, cols):
    """cols: dict of logical -> header name.  Returns
    {'cells': {(name, day): [billed, effective]}, 'malformed': [...], 'ignored': [...]}"""
    header, rows, info = read_csv(path)
    lower = [h.lower() for h in header]
    ix = {k: lower.index(v.lower()) for k, v in cols.items()}
    cells, malformed, ignored, currencies = {}, [], [], {}
    for line_no, f in rows:
        if len(f) != len(header):
            malformed.append((line_no, len(f)))
            continue
        rid = f[ix["rid"]].lower()
        day = parse_day(f[ix["date"]])
        name = NAME_BY_ID.get(rid)
        if name is None:
            ignored.append((line_no, f[ix["rid"]]))
            continue
        b = D(f[ix["cost"]])
        e = D(f[ix["eff"]]) if "eff" in ix else b
        cell = cells.setdefault((name, day), [D(0), D(0), D(0)])
        cell[0] += b
        cell[1] += e
        cell[2] += D(f[ix["usd"]]) if "usd" in ix else b
        cur = f[ix["cur"]]
        if currencies.setdefault(name, cur) != cur:
            raise SystemExit("%s: mixed currencies for %s" % (path, name))
    return dict(header=header, info=info, cells=cells, malformed=malformed,
                ignored=ignored, currencies=currencies, rows=len(rows))


EA_COLS = dict(rid="ResourceId", date="Date", cost="CostInBillingCurrency",
               cur="BillingCurrencyCode")
MCA_COLS = dict(rid="ResourceId", date="date", cost="costInBillingCurrency",
                cur="billingCurrency", usd="costInUsd")
FOCUS_COLS = dict(rid="ResourceId", date="ChargePeriodStart", cost="BilledCost",
                  eff="EffectiveCost", cur="BillingCurrency", usd="x_BilledCostInUsd")


def total(cells, name, idx=0, days=None):
    return sum((v[idx] for (n, d), v in cells.items()
                if n == name and (days is None or d in days)), D(0))


def ndays(cells, name, days=None):
    return len({d for (n, d) in cells if n == name and (days is None or d in days)})


def check(cond, msg):
    if not cond:
        raise SystemExit("check failed: " + msg)


# --------------------------------------------------------------------------
# README

def fmt(x):
    """Decimal with thousands separators for the README tables (6 dp)."""
    return "{:,}".format(q6(x))


def write_readme(path, notes, res):
    ea_a, ea_m, mca, foc, nov = (res["ea_a"], res["ea_m"], res["mca"], res["foc"], res["nov"])
    L = []
    w = L.append
    w("# Sample Azure Cost Management exports (October 2026)")
    w("")
    w("Generated by `generate.py` (stdlib only, deterministic: uuid5 GUIDs, no clock,")
    w("gzip mtime 0); do not edit the files by hand, edit the generator and rerun it:")
    w("")
    w("```sh")
    w("python3 samples/costs/generate.py     # rewrites every file here, then reads them back and checks totals")
    w("```")
    w("")
    w("The estate is the one of `samples/replay` (2 subscriptions, 8 file systems; ids,")
    w("resource groups, SKUs, capacities, regions, zones and tags exactly as recorded")
    w("there). Formats follow `shared/reference/azure-apis.md` F.1 to F.4; cost")
    w("semantics E.3 and F.4 (BilledCost = actual, EffectiveCost = amortized).")
    w("")
    w("**Illustrative, unconfirmed:** the AMLFS meter and product names (`MeterCategory`")
    w("`Azure Managed Lustre`, `MeterSubCategory` `Durable`, `MeterName` `<SKU> Capacity`,")
    w("`ProductName` `Azure Managed Lustre Durable <SKU> - <meter region>`), the unit")
    w("`1 GiB/Hour`, meter/product/SKU/part ids, the USD per TiB-hour rates, the")
    w("FOCUS display name `Azure Managed Lustre File System` and")
    w("`ConsumedService` `Microsoft.StorageCache`. Real AMLFS cost data may differ")
    w("(F.4): select AMLFS rows by resource type or ResourceId, never by meter text.")
    w("All billing account / profile / invoice-section ids and names are made up.")
    w("")
    w("## Cost model")
    w("")
    w("- Quantity per file system and day = capacity GiB × 24 (`1 GiB/Hour`), constant.")
    w("- List rate, USD per TiB-hour: Premium-40 0.096, Premium-125 0.233, Premium-250 0.377,")
    w("  Premium-500 0.64 in eastus; ×1.00 westus2, ×1.04 westus3, ×1.08 northeurope,")
    w("  ×1.10 westeurope (`retail-prices.json` holds the same prices per GiB-hour = rate / 1024).")
    w("- Daily actual cost (USD) = TiB × 24 × regional rate × jitter, jitter =")
    w("  1 − ((date.toordinal() × 37 + list index × 11) mod 9) / 1000 ∈ [0.992, 1.000],")
    w("  rounded half-even to 6 decimals. So actual ≤ list cost (`PayGPrice`/`ListCost`).")
    w("- `amlfs-cfd-transient` has cost from 2026-10-01 to **2026-10-20 inclusive** (20 days),")
    w("  none after (and none in November); all others every day.")
    w("- `amlfs-genomics-prod` has a reservation-like discount: amortized = round6(actual × 0.8),")
    w("  `PricingModel` `Reservation` (EA amortized only; the EA actual rows say `OnDemand`),")
    w("  `ChargeType` `Usage`, `ReservationId`/`benefitId` set; in FOCUS `PricingCategory`")
    w("  `Committed`, `CommitmentDiscountType` `Reservation`. (A real reservation would show")
    w("  zero-cost usage plus a purchase row in the actual file; simplified here.) All other")
    w("  resources: amortized = actual.")
    w("- Media Rendering is billed in EUR: EUR = round6(USD × %s) (`exchangeRatePricingToBilling`," % s(EUR_PER_USD))
    w("  `pricingCurrency` USD, `costInUsd` / `x_BilledCostInUsd` = the USD value).")
    w("- Related resource: storage account `stgenomicsarchive01` (id = recorded")
    w("  `hsm.settings.container` of `amlfs-genomics-prod` cut at `/blobServices`:")
    w("  `%s`)," % RELATED_ID)
    w("  two meters a day (`Hot LRS Data Stored`, `1 GB/Month`; `Hot LRS Write Operations`,")
    w("  `10K`), USD, Research HPC, amortized = actual. Count it only when configured as a")
    w("  related resource of `amlfs-genomics-prod`.")
    w("")
    w("## Files")
    w("")
    w("Line numbers are physical lines of the (decompressed) file, header = line 1; no")
    w("field contains a newline, so line = CSV record number.")
    w("")

    def notes_for(fname):
        return [n for n in notes if n[0] == fname]

    def special(fname):
        for _f, ln, txt in notes_for(fname):
            w("  - line %d: %s" % (ln, txt))

    i = ea_a["info"]
    w("### `ea-actual-2026-10.csv`")
    w("")
    w("EA actual cost, dataset version 2024-08-01: the 57 columns of F.1 in order.")
    w("Research HPC only (USD), October 2026. %d data records (%d physical lines incl. header)." %
      (ea_a["rows"], i["physical_lines"]))
    w("")
    w("- UTF-8 **BOM** before `InvoiceSectionName`; **CRLF** line endings.")
    w("- `Date`, `BillingPeriodStartDate`, `BillingPeriodEndDate` are `MM/DD/YYYY`")
    w("  (`10/01/2026`, `10/31/2026`: EA end date inclusive).")
    w("- `Tags` in the EA shape (F.3), members without the outer braces, e.g. the raw field")
    w("  `\"\"\"CostCenter\"\": \"\"CC-4410\"\",\"\"Owner\"\": ...` → `\"CostCenter\": \"CC-4410\",\"Owner\": ...`;")
    w("  `amlfs-llm-scratch` (tags `{}`) has an empty field. Values include the replay quirks")
    w("  (`Genomics | WGS, \\\"Cohort-7\\\"`, `José Müller` in UTF-8, `=HYPERLINK(...)`).")
    w("- `InvoiceSectionName` is `Research, \"HPC\" Lab` on every row (comma and quote,")
    w("  CSV field `\"Research, \"\"HPC\"\" Lab\"`). `AdditionalInfo` is a JSON object.")
    w("- Rows per day: one per active file system (5, or 4 after 10/20) + 2 for the")
    w("  related storage account.")
    w("- Special lines:")
    special("ea-actual-2026-10.csv")
    w("  - related storage account `stgenomicsarchive01`: 62 rows, 2 per day right after that")
    w("    day's file-system rows.")
    w("")
    w("### `ea-amortized-2026-10.csv`")
    w("")
    w("Same header, BOM, CRLF, dates and quirks as the actual file, amortized values: only")
    w("`amlfs-genomics-prod` differs (80 % of actual, `PricingModel` `Reservation`). No")
    w("malformed row, so lines after the 10/15 `amlfs-genomics-scratch` row are one lower")
    w("than in the actual file. %d data records." % ea_m["rows"])
    w("")
    w("- Special lines:")
    special("ea-amortized-2026-10.csv")
    w("")
    w("### `mca-actual-2026-10.csv`")
    w("")
    w("MCA actual cost, dataset version 2023-12-01-preview: the 65 columns of F.2 in order.")
    w("Media Rendering only, October 2026, %d data records." % mca["rows"])
    w("")
    w("- No BOM, **LF** line endings; dates ISO `YYYY-MM-DD` (`date`, `billingPeriod*`,")
    w("  `servicePeriod*`, `exchangeRateDate`).")
    w("- `billingCurrency` **EUR**, `pricingCurrency` USD, `costInBillingCurrency` in EUR,")
    w("  `costInPricingCurrency` = `costInUsd` in USD, `exchangeRatePricingToBilling` %s." % s(EUR_PER_USD))
    w("- `tags` **with braces** (a full JSON object, `{\"costcenter\": \"MR-2001\", ...}`);")
    w("  `amlfs-render-dailies` (no `tags` key in ARM) has an empty field. `invoiceId` empty")
    w("  (month not invoiced yet).")
    w("- Special lines:")
    special("mca-actual-2026-10.csv")
    w("")
    i = foc["info"]
    w("### `focus-2026-10.csv.gz`")
    w("")
    w("FOCUS 1.0 cost export: the 96 columns of F.4 (alphabetical), gzip (mtime 0), UTF-8")
    w("without BOM, LF. Both subscriptions, October 2026, %d data records." % foc["rows"])
    w("")
    w("- `ChargePeriodStart` `2026-10-05T00:00Z` (FOCUS 1.0, no seconds), `ChargePeriodEnd`")
    w("  the next day (exclusive); `BillingPeriodStart`/`End` `2026-10-01T00:00Z`/`2026-11-01T00:00Z`.")
    w("- `BillingCurrency` USD (Research HPC) / EUR (Media Rendering); `BilledCost` = EA/MCA")
    w("  actual, `EffectiveCost` = EA amortized (MCA: = actual), `ListCost` = quantity × list")
    w("  price, `x_BilledCostInUsd`/`x_EffectiveCostInUsd` in USD.")
    w("- `ResourceId` **lower-cased** on every row; `ResourceType` display name")
    w("  (`Azure Managed Lustre File System`, `Storage account`, `Virtual machine`),")
    w("  `x_ResourceType` ARM type (`microsoft.storagecache/amlfilesystems`);")
    w("  `SubAccountId` `/subscriptions/<guid>`; `x_ResourceGroupName`.")
    w("- `Tags` a compact JSON object with braces; `amlfs-llm-scratch` `{}`,")
    w("  `amlfs-render-dailies` empty (no tags key).")
    w("- Includes the related storage account rows (same values as EA) but not the EA")
    w("  `stresearchdiag01` row.")
    w("- Special lines (non-AMLFS, to be ignored; `vm-amlfs-client-01` has `amlfs` in its")
    w("  name: select by resource type / id, not by name):")
    special("focus-2026-10.csv.gz")
    w("")
    w("### `focus-2026-11-partial.csv`")
    w("")
    w("Same 96 columns, plain CSV, LF, FOCUS 1.0r2 dates **with seconds**")
    w("(`2026-11-01T00:00:00Z`). Research HPC only: 2026-11-01 and 2026-11-02 for")
    w("`amlfs-genomics-prod`, `amlfs-genomics-scratch`, `amlfs-cfd-aero-01`,")
    w("`amlfs-llm-scratch` and the related storage account (no `amlfs-cfd-transient`),")
    w("plus one late revision of October. %d data records." % nov["rows"])
    w("")
    w("- Special lines:")
    special("focus-2026-11-partial.csv")
    w("  - the revised row's `EffectiveCost` is round6(revised × 0.8); same ResourceId, meter")
    w("    and `ChargePeriodStart` `2026-10-31T00:00:00Z` as the October row (whose")
    w("    `ChargePeriodStart` is written `2026-10-31T00:00Z`: compare parsed timestamps).")
    w("    Whichever source is ingested last wins for (resource, day).")
    w("")
    w("### `unknown-format.csv`")
    w("")
    w("An AWS Cost and Usage Report (legacy CSV names: `identity/LineItemId`, `bill/...`,")
    w("`lineItem/UnblendedCost`, ...; two Amazon FSx for Lustre rows). Header matches none")
    w("of EA, MCA or FOCUS: the tool must refuse it, naming the file.")
    w("")
    w("### `retail-prices.json`")
    w("")
    w("A saved Azure Retail Prices API response for")
    w("`https://prices.azure.com/api/retail/prices?$filter=serviceName eq 'Azure Managed Lustre'`:")
    w("`Count` %d = 4 SKUs × 5 regions (eastus, westeurope, westus3, westus2, northeurope), one" % res["retail_count"])
    w("`Consumption` item each, `unitOfMeasure` `1 GiB/Hour`, `unitPrice` = `retailPrice` =")
    w("USD per TiB-hour / 1024 as an exact JSON number (eastus: 0.096, 0.233, 0.377, 0.64")
    w("per TiB-hour), `skuName` `Premium-125`, `armSkuName` `AMLFS-Durable-Premium-125`,")
    w("`meterName` `Premium-125 Capacity`, `meterId` equal to the `MeterId` of the cost")
    w("files, `NextPageLink` null. Names and units illustrative (unconfirmed).")
    w("")
    w("| SKU | eastus | westeurope | westus3 | westus2 | northeurope |")
    w("|---|---|---|---|---|---|")
    for sku in SKU_ORDER:
        w("| %s | %s |" % (sku, " | ".join(s(list_price_gib_hour(sku, r)) for r in REGION_ORDER)))
    w("")
    w("## Expected totals, October 2026")
    w("")
    w("Sums of the written 6-decimal strings (Decimal), AMLFS rows only unless stated;")
    w("the malformed EA line and non-AMLFS rows excluded. Actual = EA `CostInBillingCurrency`")
    w("(Research HPC) or MCA `costInBillingCurrency` (Media Rendering) = FOCUS `BilledCost`;")
    w("amortized = EA amortized = FOCUS `EffectiveCost` (MCA has no amortized file: = actual).")
    w("The generator checks these equalities per resource and day.")
    w("")
    w("| File system | Subscription | Currency | Days with cost | Actual (EA / MCA = FOCUS BilledCost) | Amortized (EA amortized = FOCUS EffectiveCost) | Actual in USD (MCA costInUsd = FOCUS x_BilledCostInUsd) |")
    w("|---|---|---|---|---|---|---|")
    tot = {}
    for fs in ESTATE:
        n = fs["name"]
        cur = CURRENCY[fs["sub"]]
        a = total(foc["cells"], n, 0, OCT)
        e = total(foc["cells"], n, 1, OCT)
        if fs["sub"] == SUB_M:
            u = total(foc["cells"], n, 2, OCT)
        else:
            u = a
        t = tot.setdefault(cur, [D(0), D(0), D(0)])
        t[0] += a
        t[1] += e
        t[2] += u
        w("| `%s` | %s | %s | %d | %s | %s | %s |" % (
            n, SUB_NAME[fs["sub"]], cur, ndays(foc["cells"], n, OCT), fmt(a), fmt(e), fmt(u)))
    for cur in ("USD", "EUR"):
        t = tot[cur]
        w("| **all AMLFS, %s** | %s | %s | | **%s** | **%s** | %s |" % (
            cur, "Research HPC" if cur == "USD" else "Media Rendering", cur,
            fmt(t[0]), fmt(t[1]), fmt(t[2])))
    n = "stgenomicsarchive01"
    w("| related storage account `%s` (only if configured) | Research HPC | USD | %d | %s | %s | %s |" % (
        n, ndays(foc["cells"], n, OCT), fmt(total(foc["cells"], n, 0, OCT)),
        fmt(total(foc["cells"], n, 1, OCT)), fmt(total(foc["cells"], n, 0, OCT))))
    w("")
    w("Plain values (no separators) for tests:")
    w("")
    w("```")
    for fs in ESTATE:
        nm = fs["name"]
        w("%-26s %s actual=%s amortized=%s days=%d" % (
            nm, CURRENCY[fs["sub"]], s6(total(foc["cells"], nm, 0, OCT)),
            s6(total(foc["cells"], nm, 1, OCT)), ndays(foc["cells"], nm, OCT)))
    w("%-26s %s actual=%s amortized=%s days=%d" % (
        n, "USD", s6(total(foc["cells"], n, 0, OCT)), s6(total(foc["cells"], n, 1, OCT)),
        ndays(foc["cells"], n, OCT)))
    w("```")
    w("")
    w("Ignored rows (for information): EA `stresearchdiag01` %s USD; FOCUS virtual machines" % (
        s6(res["other_sa_usd"])))
    w("%s." % "; ".join("`%s` %s %s" % (nm, s6(v), cur) for nm, v, cur in res["vm_totals"]))
    w("")
    w("## After importing `focus-2026-11-partial.csv` (last ingested wins)")
    w("")
    w("Only `amlfs-genomics-prod` October changes: its 2026-10-31 value is replaced.")
    w("")
    r = res["revision"]
    w("| | 2026-10-31 actual | 2026-10-31 amortized | October actual | October amortized |")
    w("|---|---|---|---|---|")
    w("| before (October files) | %s | %s | %s | %s |" % (
        s6(r["old_b"]), s6(r["old_e"]), s6(r["oct_b_before"]), s6(r["oct_e_before"])))
    w("| after (November file last) | %s | %s | %s | %s |" % (
        s6(r["new_b"]), s6(r["new_e"]), s6(r["oct_b_after"]), s6(r["oct_e_after"])))
    w("")
    w("Research HPC (USD) October AMLFS total after the revision: actual %s, amortized %s." % (
        s6(r["usd_oct_b_after"]), s6(r["usd_oct_e_after"])))
    w("If the October file is ingested again afterwards, it wins again (the values above")
    w("\"before\").")
    w("")
    w("November 2026 (2 days, from the partial file), USD:")
    w("")
    w("| File system | Days | Actual (BilledCost) | Amortized (EffectiveCost) |")
    w("|---|---|---|---|")
    nt = [D(0), D(0)]
    for fs in ESTATE:
        if fs["sub"] != SUB_R:
            continue
        nm = fs["name"]
        b = total(nov["cells"], nm, 0, NOV)
        e = total(nov["cells"], nm, 1, NOV)
        nt[0] += b
        nt[1] += e
        w("| `%s` | %d | %s | %s |" % (nm, ndays(nov["cells"], nm, NOV), s6(b), s6(e)))
    w("| **all AMLFS** | | **%s** | **%s** |" % (s6(nt[0]), s6(nt[1])))
    w("| related `stgenomicsarchive01` | %d | %s | %s |" % (
        ndays(nov["cells"], n, NOV), s6(total(nov["cells"], n, 0, NOV)),
        s6(total(nov["cells"], n, 1, NOV))))
    w("")
    w("Summing the whole November file without splitting by month gives for")
    w("`amlfs-genomics-prod` %s BilledCost / %s EffectiveCost (3 days: the two November" % (
        s6(total(nov["cells"], RESERVED, 0)), s6(total(nov["cells"], RESERVED, 1))))
    w("days plus the revised 2026-10-31 row); all AMLFS rows of the file: %s / %s." % (
        s6(sum((total(nov["cells"], f["name"], 0) for f in ESTATE), D(0))),
        s6(sum((total(nov["cells"], f["name"], 1) for f in ESTATE), D(0)))))
    w("")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(L))


# --------------------------------------------------------------------------

def main():
    notes = []

    def collect(fname):
        lst = []
        return lst, (lambda: notes.extend((fname, ln, t) for ln, t in lst))

    files = {}
    for fname, fn in [
        ("ea-actual-2026-10.csv", lambda p, n: write_ea(p, False, n)),
        ("ea-amortized-2026-10.csv", lambda p, n: write_ea(p, True, n)),
        ("mca-actual-2026-10.csv", write_mca),
        ("focus-2026-10.csv.gz", write_focus_oct),
        ("focus-2026-11-partial.csv", write_focus_nov),
    ]:
        lst, flush = collect(fname)
        fn(os.path.join(HERE, fname), lst)
        flush()
        files[fname] = os.path.join(HERE, fname)
    write_unknown(os.path.join(HERE, "unknown-format.csv"))
    items = write_retail(os.path.join(HERE, "retail-prices.json"))

    # ---- read back and check
    ea_a = load(files["ea-actual-2026-10.csv"], EA_COLS)
    ea_m = load(files["ea-amortized-2026-10.csv"], EA_COLS)
    mca = load(files["mca-actual-2026-10.csv"], MCA_COLS)
    foc = load(files["focus-2026-10.csv.gz"], dict(FOCUS_COLS))
    nov = load(files["focus-2026-11-partial.csv"], dict(FOCUS_COLS))

    check(ea_a["header"] == EA_COLUMNS and ea_m["header"] == EA_COLUMNS, "EA header")
    check(mca["header"] == MCA_COLUMNS, "MCA header")
    check(foc["header"] == FOCUS_COLUMNS and nov["header"] == FOCUS_COLUMNS, "FOCUS header")
    check(ea_a["info"]["bom"] and ea_a["info"]["crlf"] and not ea_a["info"]["bare_lf"], "EA BOM/CRLF")
    check(not mca["info"]["bom"] and not mca["info"]["crlf"], "MCA LF, no BOM")
    check(foc["info"]["gzip"] and not foc["info"]["crlf"], "FOCUS gzip/LF")
    check(len(ea_a["malformed"]) == 1 and ea_a["malformed"][0][1] == 58, "one malformed EA row")
    check(not ea_m["malformed"] and not mca["malformed"] and not foc["malformed"]
          and not nov["malformed"], "no other malformed rows")
    for d in (ea_a, ea_m, mca, foc, nov):
        check(d["info"]["physical_lines"] == d["rows"] + 1, "one record per line")
    mal_line = [ln for f, ln, t in notes if f == "ea-actual-2026-10.csv" and t.startswith("MALFORMED")]
    check([m[0] for m in ea_a["malformed"]] == mal_line, "malformed line number")
    ign = lambda fname: sorted(ln for f, ln, t in notes if f == fname and t.startswith("non-AMLFS"))
    check([x[0] for x in ea_a["ignored"]] == ign("ea-actual-2026-10.csv"), "EA ignored lines")
    check([x[0] for x in ea_m["ignored"]] == ign("ea-amortized-2026-10.csv"), "EA amortized ignored")
    check([x[0] for x in mca["ignored"]] == ign("mca-actual-2026-10.csv"), "MCA ignored lines")
    check([x[0] for x in foc["ignored"]] == ign("focus-2026-10.csv.gz"), "FOCUS ignored lines")
    check(not nov["ignored"], "no ignored rows in November")

    # sources agree per (resource, day)
    for key, v in foc["cells"].items():
        name, day = key
        if name in ("stgenomicsarchive01",) or any(f["name"] == name and f["sub"] == SUB_R
                                                    for f in ESTATE):
            check(ea_a["cells"][key][0] == v[0], "EA actual = FOCUS billed %r" % (key,))
            check(ea_m["cells"][key][0] == v[1], "EA amortized = FOCUS effective %r" % (key,))
        else:
            check(mca["cells"][key][0] == v[0], "MCA = FOCUS billed %r" % (key,))
            check(mca["cells"][key][2] == v[2], "MCA costInUsd = FOCUS x_BilledCostInUsd %r" % (key,))
            check(v[0] == v[1], "MCA effective = billed")
    check(set(ea_a["cells"]) | set(mca["cells"]) == set(foc["cells"]), "same (resource, day) sets")
    check(set(ea_a["cells"]) == set(ea_m["cells"]), "EA actual/amortized same keys")
    for (name, day), v in ea_a["cells"].items():
        if name == RESERVED:
            check(ea_m["cells"][(name, day)][0] == q6(v[0] * RESERVATION_DISCOUNT), "20 % discount")
        else:
            check(ea_m["cells"][(name, day)][0] == v[0], "amortized = actual")
    for fs in ESTATE:
        check(ndays(foc["cells"], fs["name"], OCT) == (20 if fs["name"] == "amlfs-cfd-transient" else 31),
              "days " + fs["name"])

    # retail prices parse and match
    rp = json.load(open(os.path.join(HERE, "retail-prices.json")), parse_float=D)
    check(rp["Count"] == len(rp["Items"]) == 20, "retail count")
    for it in rp["Items"]:
        if it["armRegionName"] == "eastus":
            check(it["unitPrice"] * 1024 == RATE_TIB_HOUR[it["skuName"]], "eastus rates")
    hdr, urows, _ = read_csv(os.path.join(HERE, "unknown-format.csv"))
    check(hdr == CUR_COLUMNS and all(len(r) == len(hdr) for _, r in urows), "unknown-format")

    # revision
    rkey = (RESERVED, REVISED_DAY)
    old_b, old_e = foc["cells"][rkey][0], foc["cells"][rkey][1]
    new_b, new_e = nov["cells"][rkey][0], nov["cells"][rkey][1]
    check(new_b != old_b, "revised value differs")
    merged = dict(foc["cells"])
    merged.update(nov["cells"])  # last ingested wins per (resource, day)
    oct_b_before = total(foc["cells"], RESERVED, 0, OCT)
    oct_e_before = total(foc["cells"], RESERVED, 1, OCT)
    research = [f["name"] for f in ESTATE if f["sub"] == SUB_R]
    revision = dict(
        old_b=old_b, old_e=old_e, new_b=new_b, new_e=new_e,
        oct_b_before=oct_b_before, oct_e_before=oct_e_before,
        oct_b_after=total(merged, RESERVED, 0, OCT), oct_e_after=total(merged, RESERVED, 1, OCT),
        usd_oct_b_after=sum((total(merged, nm, 0, OCT) for nm in research), D(0)),
        usd_oct_e_after=sum((total(merged, nm, 1, OCT) for nm in research), D(0)),
    )
    check(revision["oct_b_after"] == oct_b_before - old_b + new_b, "revision arithmetic")

    # ignored rows' values (information)
    def raw_rows(path):
        h, rows, _ = read_csv(path)
        return [dict(zip(h, r)) for _, r in rows if len(r) == len(h)]
    other = [r for r in raw_rows(files["ea-actual-2026-10.csv"])
             if "stresearchdiag01" in r["ResourceId"]]
    vm_totals = [(r["ResourceName"], D(r["BilledCost"]), r["BillingCurrency"])
                 for r in raw_rows(files["focus-2026-10.csv.gz"])
                 if r["x_ResourceType"] == "microsoft.compute/virtualmachines"]

    res = dict(ea_a=ea_a, ea_m=ea_m, mca=mca, foc=foc, nov=nov, retail_count=len(items),
               revision=revision, other_sa_usd=D(other[0]["CostInBillingCurrency"]),
               vm_totals=vm_totals)
    write_readme(os.path.join(HERE, "README.md"), notes, res)
    print("wrote %s (EA %d, EA amortized %d, MCA %d, FOCUS Oct %d, FOCUS Nov %d records)" % (
        HERE, ea_a["rows"], ea_m["rows"], mca["rows"], foc["rows"], nov["rows"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
