-- Sightings by page: what a run saw is no longer one `items` row per item
-- and run, but follows from its evidence. A page (a list read: a request
-- and the body it answered) always projects to the same items, so each
-- distinct page's items are stored once, in `sightings`, and a run's
-- items are the sightings of the pages of its projected evidence. An
-- unchanged run so adds no sighting rows at all, only its evidence.
--
-- Where one run saw a resource more than once (a subscription in the list
-- and again on its own; a resource on two pages), the last sighting (by
-- evidence seq, then position in the body) is the one it keeps, as
-- before: the others are listed in `shadowed`, a handful of rows a run.
--
-- `items` becomes a view with the columns it had, so every view and query
-- that reads it gives the same rows. verify projects each run's evidence
-- again into a scratch database and compares the views, as before.
CREATE TABLE sightings (
	request    INTEGER NOT NULL,   -- the page: evidence.request ...
	body       INTEGER NOT NULL,   -- ... and evidence.body
	item_index INTEGER NOT NULL,   -- position in the body's list; -1: the body is the item
	kind       TEXT NOT NULL,      -- sub | rg | fs | import | autoexport | autoimport | role | lock | diag
	resource   INTEGER NOT NULL,   -- resources.id
	parent     INTEGER NOT NULL,   -- the file system of a job, role, lock or setting; else 0
	state      INTEGER NOT NULL,   -- id in the kind's *_states table
	PRIMARY KEY (request, body, item_index)
) WITHOUT ROWID;

-- Sightings a run did not keep: the same resource seen again later in
-- the run (or, for runs from before this layout, not kept then).
CREATE TABLE shadowed (
	evidence_id INTEGER NOT NULL,
	item_index  INTEGER NOT NULL,
	PRIMARY KEY (evidence_id, item_index)
) WITHOUT ROWID;

CREATE INDEX items_by_evidence ON items (evidence_id, item_index);

-- The existing sightings, page by page (the earliest run's row first).
INSERT OR IGNORE INTO sightings (request, body, item_index, kind, resource,
                                 parent, state)
SELECT e.request, e.body, i.item_index, i.kind, i.resource, i.parent, i.state
FROM items i
JOIN evidence e ON e.id = i.evidence_id
ORDER BY i.evidence_id, i.item_index;

-- What each earlier run did not keep of its pages: every position of a
-- page (its list's entries, or the body itself) that has no row of that
-- run in `items`. A page is stored above only with the sightings that
-- some run kept; a later run that reads the same page adds the rest,
-- which these rows keep out of the earlier runs. Each distinct page is
-- read once.
INSERT OR IGNORE INTO shadowed (evidence_id, item_index)
WITH pages AS MATERIALIZED (
	SELECT DISTINCT e.request, e.body, q.kind
	FROM evidence e
	JOIN requests q ON q.id = e.request
	WHERE e.projected = 1
	  AND q.kind IN ('subscriptions', 'subscription', 'resource_group',
	                 'filesystems', 'graph', 'import_jobs',
	                 'auto_export_jobs', 'auto_import_jobs',
	                 'role_assignments', 'locks', 'diagnostic_settings')
),
positions AS MATERIALIZED (
	SELECT p.request, p.body, -1 AS item_index
	FROM pages p
	WHERE p.kind IN ('subscription', 'resource_group')
	UNION ALL
	SELECT p.request, p.body, j.key
	FROM pages p
	JOIN bodies b ON b.id = p.body,
	     json_each(b.content, CASE WHEN p.kind = 'graph' THEN '$.data'
	                               ELSE '$.value' END) j
	WHERE p.kind NOT IN ('subscription', 'resource_group')
	  AND json_valid(b.content)
	  AND json_type(b.content, CASE WHEN p.kind = 'graph' THEN '$.data'
	                                ELSE '$.value' END) = 'array'
)
SELECT e.id, x.item_index
FROM positions x
JOIN evidence e ON e.request = x.request AND e.body = x.body
WHERE e.projected = 1
  AND NOT EXISTS (SELECT 1 FROM items i
                  WHERE i.evidence_id = e.id AND i.item_index = x.item_index);

-- A run whose row differs from its page's (an edit of `items` before
-- this migration) does not see the page's row: verify then still finds
-- that run broken, as it did before.
INSERT OR IGNORE INTO shadowed (evidence_id, item_index)
SELECT i.evidence_id, i.item_index
FROM items i
JOIN evidence e ON e.id = i.evidence_id
JOIN sightings s ON s.request = e.request AND s.body = e.body
                AND s.item_index = i.item_index
WHERE s.kind <> i.kind OR s.resource <> i.resource OR s.parent <> i.parent
   OR s.state <> i.state;

DROP TABLE items;

-- The evidence of a run is found by its request (a page's sightings lead
-- to the run's evidence row through it): the index on (run_id, request)
-- replaces the one on (run_id, seq), at the same size, so an unchanged
-- run adds one index entry a response, as before. The table is rebuilt
-- for that (SQLite cannot drop a UNIQUE constraint); ids are kept.
CREATE TABLE evidence_copy AS SELECT * FROM evidence;
DROP TABLE evidence;
CREATE TABLE evidence (
	id         INTEGER PRIMARY KEY,
	run_id     INTEGER NOT NULL REFERENCES runs(id),
	seq        INTEGER NOT NULL,   -- order within the run, from 1
	request    INTEGER NOT NULL REFERENCES requests(id),
	status     INTEGER NOT NULL,
	request_id TEXT,               -- x-ms-request-id: 16 bytes when a lower-case GUID
	fetched_at INTEGER NOT NULL,   -- seconds from runs.time_base, or Unix seconds when that is NULL
	body       INTEGER NOT NULL REFERENCES bodies(id),
	projected  INTEGER NOT NULL    -- 1: its rows are in the typed tables; 0: an error answer or a body that did not parse
);
INSERT INTO evidence SELECT * FROM evidence_copy ORDER BY id;
DROP TABLE evidence_copy;
CREATE INDEX evidence_run_request ON evidence (run_id, request);

-- A resource's sightings, and those of the file system they belong to.
CREATE INDEX sightings_resource ON sightings (resource);
CREATE INDEX sightings_parent ON sightings (parent);

-- What the query planner is told of evidence (never measured, so the same
-- on every history): thousands of rows a run, one a run and request. With
-- SQLite's guess (ten rows a run) it read the items of one file system by
-- walking all of a run's evidence: the inventory of 1,000 file systems
-- took 26 s instead of 0.3.
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl = 'evidence';
INSERT INTO sqlite_stat1 (tbl, idx, stat)
VALUES ('evidence', 'evidence_run_request', '1000000 5000 1');

-- What each run saw: one row per run and resource, as the table was.
CREATE VIEW items AS
SELECT e.run_id, s.kind, s.resource, s.parent, s.state,
       e.id AS evidence_id, s.item_index
FROM evidence e
JOIN sightings s ON s.request = e.request AND s.body = e.body
WHERE e.projected = 1
  AND NOT EXISTS (SELECT 1 FROM shadowed x
                  WHERE x.evidence_id = e.id AND x.item_index = s.item_index);

-- Response times relative to the run: evidence.fetched_at of a run with a
-- time_base is seconds from it (one byte for most rows instead of four),
-- else (runs from before) Unix seconds as they were. evidence_log shows
-- the same time either way, so the run hash covers the same values, and
-- an edited time_base shows as an edit of every time of its run.
ALTER TABLE runs ADD COLUMN time_base INTEGER;

DROP VIEW evidence_log;
CREATE VIEW evidence_log AS
SELECT e.id, e.run_id, e.seq, q.kind, q.subject, q.method, q.url,
       nullif(q.body, '') AS request_body, e.status,
       CASE WHEN typeof(e.request_id) = 'blob' THEN
         lower(substr(hex(e.request_id), 1, 8) || '-' ||
               substr(hex(e.request_id), 9, 4) || '-' ||
               substr(hex(e.request_id), 13, 4) || '-' ||
               substr(hex(e.request_id), 17, 4) || '-' ||
               substr(hex(e.request_id), 21, 12))
       ELSE e.request_id END AS request_id,
       strftime('%Y-%m-%dT%H:%M:%SZ',
                e.fetched_at + coalesce((SELECT r.time_base FROM runs r
                                         WHERE r.id = e.run_id), 0),
                'unixepoch') AS fetched_at,
       e.projected, b.sha256, b.size, e.body
FROM evidence e
JOIN requests q ON q.id = e.request
JOIN bodies b ON b.id = e.body;
