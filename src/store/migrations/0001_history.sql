-- amlfs-audit history, version 1.
--
-- A run is one collection. Everything it read from Azure is evidence: the
-- request (interned in `requests`), the response metadata (`evidence`) and
-- the body (`bodies`, once per distinct SHA-256). Runs are chained: each
-- run's hash covers its metadata, its evidence and the previous run's hash.
--
-- Typed data is a projection of the evidence bodies. Each distinct list
-- item (by the SHA-256 of its JSON) is stored once, as a row of a *_states
-- table; `items` records which state each run saw for each resource. An
-- unchanged estate so adds only `items` and `evidence` rows per run. The
-- views below (filesystems, tags, import_jobs, ...) give one row per run
-- and resource; queries read those. verify derives all of it again from
-- the evidence and compares the views.

CREATE TABLE runs (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	started_at    TEXT NOT NULL,
	finished_at   TEXT,
	status        TEXT NOT NULL
	              CHECK (status IN ('running', 'ok', 'partial', 'failed')),
	tool_version  TEXT NOT NULL,
	source        TEXT NOT NULL,          -- 'live' or 'replay'
	tenant_id     TEXT,
	principal_id  TEXT,
	scope         TEXT NOT NULL,          -- JSON: subscriptions, resource groups
	error_summary TEXT,
	notes         TEXT,                   -- warnings, e.g. a gap long enough to lose job records
	prev_hash     TEXT,                   -- run_hash of the run before, NULL for the first
	run_hash      TEXT                    -- SHA-256 over this run (src/evidence/chain.c)
);

CREATE TABLE bodies (
	id      INTEGER PRIMARY KEY,
	sha256  TEXT NOT NULL UNIQUE,
	size    INTEGER NOT NULL,
	content BLOB NOT NULL
);

CREATE TABLE requests (
	id      INTEGER PRIMARY KEY,
	method  TEXT NOT NULL,
	url     TEXT NOT NULL,      -- secrets stripped
	kind    TEXT NOT NULL,      -- what the response holds: KIND_* in src/collect/project.h
	subject TEXT NOT NULL,      -- what it belongs to: subscription, file system or scope id
	body    TEXT NOT NULL,      -- the request body (POST queries), or ''
	UNIQUE (url, method, kind, subject, body)
);

CREATE TABLE evidence (
	id         INTEGER PRIMARY KEY,
	run_id     INTEGER NOT NULL REFERENCES runs(id),
	seq        INTEGER NOT NULL,
	request    INTEGER NOT NULL REFERENCES requests(id),
	status     INTEGER NOT NULL,
	request_id TEXT,            -- x-ms-request-id
	fetched_at INTEGER NOT NULL,  -- Unix seconds (evidence_log shows ISO 8601)
	body       INTEGER NOT NULL REFERENCES bodies(id),
	projected  INTEGER NOT NULL,  -- 1: its rows are in the typed tables; 0: an error answer or a body that did not parse
	UNIQUE (run_id, seq)
);

-- Evidence with its request and body hash, as the chain hashes it.
CREATE VIEW evidence_log AS
SELECT e.id, e.run_id, e.seq, q.kind, q.subject, q.method, q.url,
       nullif(q.body, '') AS request_body, e.status, e.request_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.fetched_at, 'unixepoch') AS fetched_at,
       e.projected, b.sha256, b.size, e.body
FROM evidence e
JOIN requests q ON q.id = e.request
JOIN bodies b ON b.id = e.body;

-- What a run could not read (the run is then 'partial').
CREATE TABLE run_errors (
	run_id      INTEGER NOT NULL REFERENCES runs(id),
	seq         INTEGER NOT NULL,
	url         TEXT NOT NULL,
	http_status INTEGER,
	code        TEXT,
	message     TEXT NOT NULL,
	PRIMARY KEY (run_id, seq)
);

-- The completeness ledger: per run, scope (subscription or "tenant") and
-- list, what was read and what was not.
CREATE TABLE run_ledger (
	run_id           INTEGER NOT NULL REFERENCES runs(id),
	scope            TEXT NOT NULL,
	list             TEXT NOT NULL,  -- an evidence kind
	requests         INTEGER NOT NULL,  -- tries sent, retries included
	pages            INTEGER NOT NULL,  -- answers read and stored
	items            INTEGER NOT NULL,
	retries          INTEGER NOT NULL,
	throttled        INTEGER NOT NULL,  -- 429 answers
	throttle_wait_ms INTEGER NOT NULL,
	errors           INTEGER NOT NULL,  -- lists or pages that could not be read
	PRIMARY KEY (run_id, scope, list)
) WITHOUT ROWID;

-- Lower-case ARM ids, interned.
CREATE TABLE resources (
	id           INTEGER PRIMARY KEY,
	resource_key TEXT NOT NULL UNIQUE
);

-- Each *_states row is one distinct list item; digest is the SHA-256 of
-- its JSON as received (compact, members in their order).
CREATE TABLE subscription_states (
	id INTEGER PRIMARY KEY,
	digest TEXT NOT NULL UNIQUE,
	subscription_id TEXT NOT NULL,
	display_name TEXT,
	state TEXT,
	tenant_id TEXT
);

CREATE TABLE fs_states (
	id INTEGER PRIMARY KEY,
	digest TEXT NOT NULL UNIQUE,
	resource_id TEXT NOT NULL,
	name TEXT NOT NULL,
	subscription_id TEXT NOT NULL,
	resource_group TEXT NOT NULL,
	type TEXT,
	location TEXT,
	zones TEXT,
	sku TEXT,
	capacity_tib REAL,
	throughput_mbps INTEGER,
	subnet_id TEXT,
	provisioning_state TEXT,
	health_state TEXT,
	health_status_code TEXT,
	health_status_description TEXT,
	mgs_address TEXT,
	lustre_version TEXT,
	encryption_key_url TEXT,
	encryption_vault_id TEXT,
	maintenance_day TEXT,
	maintenance_time_utc TEXT,
	root_squash_mode TEXT,
	root_squash_uid INTEGER,
	root_squash_gid INTEGER,
	root_squash_nids TEXT,
	hsm_container TEXT,
	hsm_logging_container TEXT,
	hsm_import_prefix TEXT,
	hsm_import_prefixes TEXT,
	hsm_archive_status TEXT,
	identity_type TEXT,
	created_at TEXT,
	created_by TEXT,
	last_modified_at TEXT,
	last_modified_by TEXT
);

CREATE TABLE import_job_states (
	id INTEGER PRIMARY KEY,
	digest TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	provisioning_state TEXT,
	admin_status TEXT,
	conflict_resolution_mode TEXT,
	maximum_errors INTEGER,
	import_prefixes TEXT,
	state TEXT,
	status_message TEXT,
	total_blobs_walked INTEGER,
	blobs_walked_per_second INTEGER,
	total_blobs_imported INTEGER,
	blobs_imported_per_second INTEGER,
	imported_files INTEGER,
	imported_directories INTEGER,
	imported_symlinks INTEGER,
	preexisting_files INTEGER,
	preexisting_directories INTEGER,
	preexisting_symlinks INTEGER,
	total_errors INTEGER,
	total_conflicts INTEGER,
	last_started_time TEXT,
	last_completion_time TEXT
);

CREATE TABLE auto_export_job_states (
	id INTEGER PRIMARY KEY,
	digest TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	provisioning_state TEXT,
	admin_status TEXT,
	auto_export_prefixes TEXT,
	state TEXT,
	status_code TEXT,
	status_message TEXT,
	total_files_exported INTEGER,
	total_mib_exported INTEGER,
	total_files_failed INTEGER,
	export_iteration_count INTEGER,
	last_successful_iteration_completion TEXT,
	current_iteration_files_discovered INTEGER,
	current_iteration_mib_discovered INTEGER,
	current_iteration_files_exported INTEGER,
	current_iteration_mib_exported INTEGER,
	current_iteration_files_failed INTEGER,
	last_started_time TEXT,
	last_completion_time TEXT
);

CREATE TABLE auto_import_job_states (
	id INTEGER PRIMARY KEY,
	digest TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	provisioning_state TEXT,
	admin_status TEXT,
	auto_import_prefixes TEXT,
	conflict_resolution_mode TEXT,
	enable_deletions INTEGER,
	maximum_errors INTEGER,
	state TEXT,
	status_code TEXT,
	status_message TEXT,
	scan_start_time TEXT,
	scan_end_time TEXT,
	total_blobs_walked INTEGER,
	rate_of_blob_walk INTEGER,
	total_blobs_imported INTEGER,
	rate_of_blob_import INTEGER,
	imported_files INTEGER,
	imported_directories INTEGER,
	imported_symlinks INTEGER,
	preexisting_files INTEGER,
	preexisting_directories INTEGER,
	preexisting_symlinks INTEGER,
	total_errors INTEGER,
	total_conflicts INTEGER,
	sync_imported_files INTEGER,
	sync_total_blobs_imported INTEGER,
	sync_total_errors INTEGER,
	sync_total_conflicts INTEGER,
	sync_deletions INTEGER,
	sync_last_change_feed_event TEXT,
	sync_last_fully_synchronized TEXT,
	last_started_time TEXT,
	last_completion_time TEXT
);

CREATE TABLE rg_states (
	id INTEGER PRIMARY KEY,
	digest TEXT NOT NULL UNIQUE,
	resource_id TEXT NOT NULL,
	name TEXT NOT NULL,
	location TEXT,
	provisioning_state TEXT
);

CREATE TABLE role_assignment_states (
	id INTEGER PRIMARY KEY,
	digest TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	role_definition_id TEXT,
	principal_id TEXT,
	principal_type TEXT,
	scope TEXT,
	condition TEXT,
	created_on TEXT
);

CREATE TABLE lock_states (
	id INTEGER PRIMARY KEY,
	digest TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	level TEXT,
	notes TEXT
);

CREATE TABLE diagnostic_setting_states (
	id INTEGER PRIMARY KEY,
	digest TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	workspace_id TEXT,
	storage_account_id TEXT,
	event_hub_rule_id TEXT,
	logs TEXT,
	metrics TEXT
);

-- ARM tag names are case-insensitive: key_norm is the lower-case key,
-- key keeps the case ARM returned. kind says whose state: fs, rg or sub.
CREATE TABLE state_tags (
	kind     TEXT NOT NULL,
	state    INTEGER NOT NULL,
	key_norm TEXT NOT NULL,
	key      TEXT NOT NULL,
	value    TEXT NOT NULL,
	PRIMARY KEY (kind, state, key_norm)
) WITHOUT ROWID;

-- Azure Monitor metrics of each file system: hourly values summed over
-- the OSTs or MDTs, one row per point however many runs read it. run_id
-- is the run that last changed the value.
CREATE TABLE metric_names (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE metric_points (
	resource INTEGER NOT NULL REFERENCES resources(id),
	metric   INTEGER NOT NULL REFERENCES metric_names(id),
	ts       TEXT NOT NULL,
	value    REAL NOT NULL,
	series   INTEGER NOT NULL,      -- OST/MDT series summed
	run_id   INTEGER NOT NULL REFERENCES runs(id),
	PRIMARY KEY (resource, metric, ts)
) WITHOUT ROWID;

-- What each run saw: one row per run and resource.
CREATE TABLE items (
	run_id      INTEGER NOT NULL REFERENCES runs(id),
	kind        TEXT NOT NULL,      -- sub | rg | fs | import | autoexport | autoimport | role | lock | diag
	resource    INTEGER NOT NULL REFERENCES resources(id),
	parent      INTEGER NOT NULL,   -- the file system of a job, role, lock or setting; else 0
	state       INTEGER NOT NULL,   -- id in the kind's *_states table
	evidence_id INTEGER NOT NULL REFERENCES evidence(id),
	item_index  INTEGER NOT NULL,   -- position in the body's list; -1: the body is the item
	PRIMARY KEY (run_id, kind, resource, parent)
) WITHOUT ROWID;

CREATE VIEW subscriptions AS
SELECT i.run_id,
       i.evidence_id,
       i.item_index,
       r.resource_key,
       s.digest,
       s.subscription_id,
       s.display_name,
       s.state,
       s.tenant_id
FROM items i
JOIN resources r ON r.id = i.resource
JOIN subscription_states s ON s.id = i.state
WHERE i.kind = 'sub';

CREATE VIEW filesystems AS
SELECT i.run_id,
       i.evidence_id,
       i.item_index,
       r.resource_key,
       s.digest,
       s.resource_id,
       s.name,
       s.subscription_id,
       s.resource_group,
       s.type,
       s.location,
       s.zones,
       s.sku,
       s.capacity_tib,
       s.throughput_mbps,
       s.subnet_id,
       s.provisioning_state,
       s.health_state,
       s.health_status_code,
       s.health_status_description,
       s.mgs_address,
       s.lustre_version,
       s.encryption_key_url,
       s.encryption_vault_id,
       s.maintenance_day,
       s.maintenance_time_utc,
       s.root_squash_mode,
       s.root_squash_uid,
       s.root_squash_gid,
       s.root_squash_nids,
       s.hsm_container,
       s.hsm_logging_container,
       s.hsm_import_prefix,
       s.hsm_import_prefixes,
       s.hsm_archive_status,
       s.identity_type,
       s.created_at,
       s.created_by,
       s.last_modified_at,
       s.last_modified_by
FROM items i
JOIN resources r ON r.id = i.resource
JOIN fs_states s ON s.id = i.state
WHERE i.kind = 'fs';

CREATE VIEW tags AS
SELECT i.run_id, r.resource_key, t.key_norm, t.key, t.value
FROM items i
JOIN resources r ON r.id = i.resource
JOIN state_tags t ON t.kind = 'fs' AND t.state = i.state
WHERE i.kind = 'fs';

-- Tags of the resource groups and subscriptions (for tag inheritance).
CREATE VIEW scope_tags AS
SELECT i.run_id, i.kind AS scope_kind, r.resource_key AS scope_key,
       t.key_norm, t.key, t.value
FROM items i
JOIN resources r ON r.id = i.resource
JOIN state_tags t ON t.kind = i.kind AND t.state = i.state
WHERE i.kind IN ('rg', 'sub');

CREATE VIEW resource_groups AS
SELECT i.run_id, i.evidence_id, r.resource_key, s.digest, s.resource_id,
       s.name, s.location, s.provisioning_state
FROM items i
JOIN resources r ON r.id = i.resource
JOIN rg_states s ON s.id = i.state
WHERE i.kind = 'rg';

CREATE VIEW role_assignments AS
SELECT i.run_id, i.evidence_id, i.item_index, p.resource_key AS fs_key,
       s.digest, s.name, s.resource_id, s.role_definition_id,
       s.principal_id, s.principal_type, s.scope, s.condition, s.created_on
FROM items i
JOIN resources p ON p.id = i.parent
JOIN role_assignment_states s ON s.id = i.state
WHERE i.kind = 'role';

CREATE VIEW locks AS
SELECT i.run_id, i.evidence_id, i.item_index, p.resource_key AS fs_key,
       s.digest, s.name, s.resource_id, s.level, s.notes
FROM items i
JOIN resources p ON p.id = i.parent
JOIN lock_states s ON s.id = i.state
WHERE i.kind = 'lock';

CREATE VIEW diagnostic_settings AS
SELECT i.run_id, i.evidence_id, i.item_index, p.resource_key AS fs_key,
       s.digest, s.name, s.resource_id, s.workspace_id,
       s.storage_account_id, s.event_hub_rule_id, s.logs, s.metrics
FROM items i
JOIN resources p ON p.id = i.parent
JOIN diagnostic_setting_states s ON s.id = i.state
WHERE i.kind = 'diag';

CREATE VIEW metrics AS
SELECT m.run_id, r.resource_key, n.name AS metric, m.ts, m.value, m.series
FROM metric_points m
JOIN resources r ON r.id = m.resource
JOIN metric_names n ON n.id = m.metric;

CREATE VIEW import_jobs AS
SELECT i.run_id,
       i.evidence_id,
       i.item_index,
       p.resource_key AS fs_key,
       s.digest,
       s.name,
       s.resource_id,
       s.provisioning_state,
       s.admin_status,
       s.conflict_resolution_mode,
       s.maximum_errors,
       s.import_prefixes,
       s.state,
       s.status_message,
       s.total_blobs_walked,
       s.blobs_walked_per_second,
       s.total_blobs_imported,
       s.blobs_imported_per_second,
       s.imported_files,
       s.imported_directories,
       s.imported_symlinks,
       s.preexisting_files,
       s.preexisting_directories,
       s.preexisting_symlinks,
       s.total_errors,
       s.total_conflicts,
       s.last_started_time,
       s.last_completion_time
FROM items i
JOIN resources p ON p.id = i.parent
JOIN import_job_states s ON s.id = i.state
WHERE i.kind = 'import';

CREATE VIEW auto_export_jobs AS
SELECT i.run_id,
       i.evidence_id,
       i.item_index,
       p.resource_key AS fs_key,
       s.digest,
       s.name,
       s.resource_id,
       s.provisioning_state,
       s.admin_status,
       s.auto_export_prefixes,
       s.state,
       s.status_code,
       s.status_message,
       s.total_files_exported,
       s.total_mib_exported,
       s.total_files_failed,
       s.export_iteration_count,
       s.last_successful_iteration_completion,
       s.current_iteration_files_discovered,
       s.current_iteration_mib_discovered,
       s.current_iteration_files_exported,
       s.current_iteration_mib_exported,
       s.current_iteration_files_failed,
       s.last_started_time,
       s.last_completion_time
FROM items i
JOIN resources p ON p.id = i.parent
JOIN auto_export_job_states s ON s.id = i.state
WHERE i.kind = 'autoexport';

CREATE VIEW auto_import_jobs AS
SELECT i.run_id,
       i.evidence_id,
       i.item_index,
       p.resource_key AS fs_key,
       s.digest,
       s.name,
       s.resource_id,
       s.provisioning_state,
       s.admin_status,
       s.auto_import_prefixes,
       s.conflict_resolution_mode,
       s.enable_deletions,
       s.maximum_errors,
       s.state,
       s.status_code,
       s.status_message,
       s.scan_start_time,
       s.scan_end_time,
       s.total_blobs_walked,
       s.rate_of_blob_walk,
       s.total_blobs_imported,
       s.rate_of_blob_import,
       s.imported_files,
       s.imported_directories,
       s.imported_symlinks,
       s.preexisting_files,
       s.preexisting_directories,
       s.preexisting_symlinks,
       s.total_errors,
       s.total_conflicts,
       s.sync_imported_files,
       s.sync_total_blobs_imported,
       s.sync_total_errors,
       s.sync_total_conflicts,
       s.sync_deletions,
       s.sync_last_change_feed_event,
       s.sync_last_fully_synchronized,
       s.last_started_time,
       s.last_completion_time
FROM items i
JOIN resources p ON p.id = i.parent
JOIN auto_import_job_states s ON s.id = i.state
WHERE i.kind = 'autoimport';

-- The raw JSON of every item a run saw, read from the stored evidence body.
CREATE VIEW raw_items AS
SELECT i.run_id, i.kind, r.resource_key, i.evidence_id, i.item_index,
       CASE WHEN i.item_index < 0 THEN CAST(b.content AS TEXT)
            ELSE json_extract(CAST(b.content AS TEXT),
                              (CASE WHEN q.kind = 'graph' THEN '$.data['
                                    ELSE '$.value[' END) || i.item_index || ']')
       END AS raw_json
FROM items i
JOIN resources r ON r.id = i.resource
JOIN evidence e ON e.id = i.evidence_id
JOIN requests q ON q.id = e.request
JOIN bodies b ON b.id = e.body;
