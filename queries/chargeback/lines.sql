-- Chargeback lines: one per cost center, resource, currency and way of
-- allocation over the period; the CSV and JSON export, with FOCUS column
-- names where one applies (ChargePeriodEnd exclusive) and x_ columns for
-- the allocation. The lines of a currency add up to its billed total to
-- the cent (chargeback/reconciliation.sql).
-- How cost is allocated (the core below, shared by every chargeback query):
-- each resource's cost per day (ActualCost, and AmortizedCost beside it)
-- goes to the value of the first allocation tag found, keys compared
-- case-insensitively, looking in turn at the tags the billing row carries,
-- the resource's tags in the collection snapshot in force that day (the
-- newest collection run started by the end of the day, else the earliest
-- after), its resource group's and its subscription's tags (then marked
-- inherited); every key in :allocate_by order in one place before the
-- next place. A tag changed mid-month so splits the month by days. An
-- empty value is passed over. On the resource itself, a tag
-- `chargeback-split = a:60,b:40` (percent shares summing to 100) splits
-- the cost; a usage file (:usage) splits the file systems it names by
-- bytes, before any tag. A related resource (not an AMLFS file system)
-- that a file system names as its HSM storage account that day follows the
-- file system's allocation; otherwise its own billing tags decide. Cost
-- without an owner goes to 'Unallocated' with the reason: 'no allocation
-- tag', 'empty tag value', 'tag value Unallocated (reserved)' (that
-- name is this line's: a tag, a split rule or a usage file naming it as a
-- cost center is passed over), 'resource not in the inventory', 'related
-- resource with no allocation tag', 'bad chargeback-split', 'bad usage
-- file'. Money is summed in integer micro-units and each line rounded to
-- the cent once, largest remainder per currency, so the lines add up to
-- the billed total to the cent; currencies are never summed together.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes)
-- Columns: BillingCurrency, BilledCost (actual, to the cent), EffectiveCost
--          (amortized, to the cent; NULL without amortized data),
--          ChargePeriodStart, ChargePeriodEnd (first billed day, the day
--          after the last), ResourceId, ResourceName, x_ResourceKind (amlfs
--          or related), x_CostCenter ('Unallocated' when no owner),
--          x_AllocationTag (the key as spelled where found,
--          'chargeback-split' or 'usage'), x_TagSource (billing, snapshot
--          or usage), x_Inherited (resource_group, subscription or NULL),
--          x_SplitShare (percent, split lines only), x_Days (days with
--          cost), x_UnallocatedReason, x_FollowsResourceId (the file system
--          a related resource follows), x_BilledCostExact and
--          x_EffectiveCostExact (unrounded, 6 decimals, as text)
WITH RECURSIVE
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/core.sql.inc
SELECT l.currency AS BillingCurrency,
       l.billed_cents / 100.0 AS BilledCost,
       l.amortized_cents / 100.0 AS EffectiveCost,
       l.first_day || 'T00:00:00Z' AS ChargePeriodStart,
       date(l.last_day, '+1 day') || 'T00:00:00Z' AS ChargePeriodEnd,
       coalesce(i.resource_id, l.resource_id) AS ResourceId,
       coalesce(i.name, replace(l.resource_id,
                rtrim(l.resource_id, replace(l.resource_id, '/', '')), ''))
         AS ResourceName,
       CASE WHEN l.is_fs THEN 'amlfs' ELSE 'related' END AS x_ResourceKind,
       l.cost_center AS x_CostCenter,
       l.alloc_tag AS x_AllocationTag,
       l.tag_source AS x_TagSource,
       l.inherited AS x_Inherited,
       l.share AS x_SplitShare,
       l.days AS x_Days,
       l.reason AS x_UnallocatedReason,
       coalesce(fi.resource_id, l.fs_key) AS x_FollowsResourceId,
       CASE WHEN l.actual IS NOT NULL
            THEN (CASE WHEN l.actual < 0 THEN '-' ELSE '' END)
                 || printf('%d.%06d', abs(l.actual) / 1000000,
                           abs(l.actual) % 1000000)
       END AS x_BilledCostExact,
       CASE WHEN l.amortized IS NOT NULL
            THEN (CASE WHEN l.amortized < 0 THEN '-' ELSE '' END)
                 || printf('%d.%06d', abs(l.amortized) / 1000000,
                           abs(l.amortized) % 1000000)
       END AS x_EffectiveCostExact
FROM lines l
LEFT JOIN inv i ON i.resource_key = l.resource_key
LEFT JOIN inv fi ON fi.resource_key = l.fs_key
ORDER BY l.currency, l.reason IS NOT NULL, l.cost_center, l.resource_key,
         l.first_day, l.fs_key, l.alloc_tag, l.tag_source, l.inherited,
         l.share, l.reason;
