-- A setup statement of report chargeback (reports/chargeback.json): run
-- once per report before the datasets, it creates a TEMP table they read
-- (queries/chargeback/core.sql.inc).
-- cb_iv: collection runs known at :as_of, and for each file system the
-- days [d_from, d_to) each run that saw it is in force: the newest run
-- started on or before the end of the day, else (days before its first
-- run) the earliest after; newest = 1 for its newest snapshot; and what
-- the reports read of that snapshot (name, SKU, region, capacity, HSM
-- containers; state: its fs_states id, for its tags), so that they need
-- not look it up again. (The view filesystems, spelled out for the state.)
-- Parameters: :as_of
CREATE TEMP TABLE cb_iv AS
WITH
-- Collection runs known at :as_of, and for each file system the days each
-- run that saw it is in force: the newest run started on or before the end
-- of the day, else (days before its first run) the earliest after.
cruns AS (
  SELECT id, started_at, run_hash FROM runs
  WHERE source IN ('live', 'replay') AND status IN ('ok', 'partial')
    AND (:as_of IS NULL OR started_at <= :as_of)
),
seen AS (
  SELECT f.resource_key, i.run_id, c.started_at, s.resource_id, s.name,
         s.sku, s.location, s.capacity_tib, s.hsm_container,
         s.hsm_logging_container, i.state,
         lag(c.started_at) OVER w AS prev_at,
         lead(c.started_at) OVER w AS next_at
  FROM cruns c
  CROSS JOIN items i ON i.run_id = c.id AND i.kind = 'fs'    -- by run
  JOIN resources f ON f.id = i.resource
  JOIN fs_states s ON s.id = i.state
  WINDOW w AS (PARTITION BY f.resource_key ORDER BY c.started_at, c.id)
),
iv AS (
  SELECT resource_key, run_id,
         CASE WHEN prev_at IS NULL THEN '0000-01-01'
              ELSE substr(started_at, 1, 10) END AS d_from,
         CASE WHEN next_at IS NULL THEN '9999-12-31'
              ELSE substr(next_at, 1, 10) END AS d_to,      -- exclusive
         next_at IS NULL AS newest, resource_id, name, sku, location,
         capacity_tib, hsm_container, hsm_logging_container, state
  FROM seen
)
SELECT * FROM iv ORDER BY resource_key, d_from, d_to;
