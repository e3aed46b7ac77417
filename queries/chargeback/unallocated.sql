-- Chargeback: the Unallocated lines of chargeback/lines.sql (same
-- rounding), with the reason: cost that has no owner, never dropped.
-- Parameters: :from, :to (YYYY-MM-DD, inclusive; when NULL, the month
--             :month, YYYY-MM), :as_of (ISO time, or NULL for now: cost
--             rows, collection runs and prices known then),
--             :allocate_by (JSON array of tag keys, first found wins, e.g.
--             '["CostCenter","Program"]'), :usage (NULL, or a JSON array of
--             {"resource_id","cost_center","bytes"} splitting those file
--             systems by bytes)
-- Columns: currency, resource_id, name, kind (amlfs or related), reason,
--          allocation_tag, tag_source (where a bad split rule was found),
--          first_day, last_day, days, billed, amortized, billed_text,
--          amortized_text
WITH RECURSIVE
period AS (
  SELECT coalesce(:from, :month || '-01') AS p_from,
         coalesce(:to, date(:month || '-01', '+1 month', '-1 day')) AS p_to
),
-- include: chargeback/core.sql.inc
SELECT l.currency,
       coalesce(i.resource_id, l.resource_id) AS resource_id,
       coalesce(i.name, replace(l.resource_id,
                rtrim(l.resource_id, replace(l.resource_id, '/', '')), ''))
         AS name,
       CASE WHEN l.is_fs THEN 'amlfs' ELSE 'related' END AS kind,
       l.reason, l.alloc_tag AS allocation_tag, l.tag_source,
       l.first_day, l.last_day, l.days,
       l.billed_cents / 100.0 AS billed,
       l.amortized_cents / 100.0 AS amortized,
       CASE WHEN l.billed_cents IS NOT NULL
            THEN (CASE WHEN l.billed_cents < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(l.billed_cents) / 100, abs(l.billed_cents) % 100)
       END AS billed_text,
       CASE WHEN l.amortized_cents IS NOT NULL
            THEN (CASE WHEN l.amortized_cents < 0 THEN '−' ELSE '' END)
                 || printf('%,d.%02d', abs(l.amortized_cents) / 100, abs(l.amortized_cents) % 100)
       END AS amortized_text
FROM lines l
LEFT JOIN inv i ON i.resource_key = l.resource_key
WHERE l.reason IS NOT NULL
ORDER BY l.currency, l.reason, name, l.resource_key, l.first_day,
         l.alloc_tag, l.tag_source;
