-- amlfs-audit history, version 2: cost data.
--
-- Every cost row keeps where it came from (cost_sources: an export file
-- and its SHA-256, or a Cost Management query and the run that made it)
-- and when it was ingested. For one resource, day and cost type the source
-- ingested last wins: older rows are not deleted but marked superseded_by
-- the source that replaced them, so a month's chargeback can be reproduced
-- as it stood on any date. Sources that cover other resources or days never
-- touch each other's rows.

CREATE TABLE cost_sources (
	id             INTEGER PRIMARY KEY,
	kind           TEXT NOT NULL CHECK (kind IN ('file', 'api')),
	name           TEXT NOT NULL,     -- file path as given, or the query's scope and period
	sha256         TEXT,              -- of the file's bytes (as stored, compressed or not)
	format         TEXT NOT NULL,     -- ea | mca | focus-1.0 | query
	cost_type      TEXT,              -- ActualCost | AmortizedCost; NULL: both (FOCUS)
	run_id         INTEGER REFERENCES runs(id),   -- api
	ingested_at    TEXT NOT NULL,
	rows_read      INTEGER NOT NULL DEFAULT 0,
	rows_kept      INTEGER NOT NULL DEFAULT 0,
	rows_malformed INTEGER NOT NULL DEFAULT 0,
	first_day      TEXT,
	last_day       TEXT
);
CREATE INDEX cost_sources_sha256 ON cost_sources(sha256);

CREATE TABLE cost_rows (
	id            INTEGER PRIMARY KEY,
	source        INTEGER NOT NULL REFERENCES cost_sources(id),
	resource_key  TEXT NOT NULL,     -- lower-case resource id
	resource_id   TEXT NOT NULL,     -- as the source spelled it
	day           TEXT NOT NULL,     -- YYYY-MM-DD (UTC)
	cost_type     TEXT NOT NULL CHECK (cost_type IN ('ActualCost', 'AmortizedCost')),
	meter         TEXT,
	currency      TEXT NOT NULL,
	cost          REAL NOT NULL,
	quantity      REAL,
	unit          TEXT,
	tags          TEXT,              -- JSON object, keys as the source spelled them
	superseded_by INTEGER REFERENCES cost_sources(id)
);
CREATE INDEX cost_rows_key ON cost_rows(resource_key, day, cost_type);
CREATE INDEX cost_rows_source ON cost_rows(source);

-- Unit prices, from the Azure Retail Prices API or a saved answer.
CREATE TABLE retail_prices (
	id              INTEGER PRIMARY KEY,
	sku             TEXT NOT NULL,   -- e.g. AMLFS-Durable-Premium-125
	region          TEXT NOT NULL,   -- armRegionName, lower case
	currency        TEXT NOT NULL,
	price_tib_hour  REAL NOT NULL,   -- converted from the API's unit
	unit_price      REAL NOT NULL,   -- as the API gave it
	unit            TEXT NOT NULL,
	meter_id        TEXT,
	effective_from  TEXT NOT NULL,
	source          TEXT NOT NULL,   -- URL or file
	ingested_at     TEXT NOT NULL,
	UNIQUE (sku, region, currency, effective_from, meter_id)
);

-- The cost rows in force now.
CREATE VIEW costs_current AS
SELECT r.*, s.kind AS source_kind, s.name AS source_name,
       s.sha256 AS source_sha256, s.run_id AS source_run,
       s.ingested_at
FROM cost_rows r
JOIN cost_sources s ON s.id = r.source
WHERE r.superseded_by IS NULL;
