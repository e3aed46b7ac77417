-- amlfs-audit history, version 1.
-- A run is one collection. Everything a run read from Azure is kept in
-- evidence (metadata) and bodies (content, once per distinct SHA-256).
-- The typed tables below are a projection of the evidence bodies: verify
-- derives them again and compares. Their raw JSON is not copied per run:
-- (evidence_id, item_index) points at it inside the stored body, and the
-- view raw_items shows it.

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
	prev_hash     TEXT,                   -- run_hash of the run before, NULL for the first
	run_hash      TEXT                    -- SHA-256 over this run (see src/evidence/chain.c)
);

CREATE TABLE bodies (
	sha256  TEXT PRIMARY KEY,
	size    INTEGER NOT NULL,
	content BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE evidence (
	id         INTEGER PRIMARY KEY,
	run_id     INTEGER NOT NULL REFERENCES runs(id),
	seq        INTEGER NOT NULL,
	kind       TEXT NOT NULL,   -- subscriptions | filesystems | import_jobs | auto_export_jobs | auto_import_jobs
	subject    TEXT NOT NULL,   -- subscription id or file system resource id the list belongs to
	method     TEXT NOT NULL,
	url        TEXT NOT NULL,   -- secrets stripped
	status     INTEGER NOT NULL,
	request_id TEXT,
	fetched_at TEXT NOT NULL,
	sha256     TEXT NOT NULL REFERENCES bodies(sha256),
	UNIQUE (run_id, seq)
);
CREATE INDEX evidence_sha256 ON evidence(sha256);

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

CREATE TABLE subscriptions (
	run_id          INTEGER NOT NULL REFERENCES runs(id),
	evidence_id     INTEGER NOT NULL REFERENCES evidence(id),
	subscription_id TEXT NOT NULL,
	display_name    TEXT,
	state           TEXT,
	tenant_id       TEXT,
	item_index      INTEGER NOT NULL,
	PRIMARY KEY (run_id, subscription_id)
);

CREATE TABLE filesystems (
	run_id                    INTEGER NOT NULL REFERENCES runs(id),
	evidence_id               INTEGER NOT NULL REFERENCES evidence(id),
	resource_key              TEXT NOT NULL,  -- lower-case resource id, for joins
	resource_id               TEXT NOT NULL,  -- as ARM returned it
	name                      TEXT NOT NULL,
	subscription_id           TEXT NOT NULL,
	resource_group            TEXT NOT NULL,
	type                      TEXT,
	location                  TEXT,
	zones                     TEXT,           -- JSON array
	sku                       TEXT,
	capacity_tib              REAL,
	throughput_mbps           INTEGER,
	subnet_id                 TEXT,
	provisioning_state        TEXT,
	health_state              TEXT,
	health_status_code        TEXT,
	health_status_description TEXT,
	mgs_address               TEXT,
	lustre_version            TEXT,
	encryption_key_url        TEXT,
	encryption_vault_id       TEXT,
	maintenance_day           TEXT,
	maintenance_time_utc      TEXT,
	root_squash_mode          TEXT,
	root_squash_uid           INTEGER,
	root_squash_gid           INTEGER,
	root_squash_nids          TEXT,
	hsm_container             TEXT,
	hsm_logging_container     TEXT,
	hsm_import_prefix         TEXT,
	hsm_import_prefixes       TEXT,           -- JSON array
	hsm_archive_status        TEXT,           -- JSON array
	identity_type             TEXT,
	created_at                TEXT,
	created_by                TEXT,
	last_modified_at          TEXT,
	last_modified_by          TEXT,
	item_index                INTEGER NOT NULL, -- position in the page's $.value: the raw JSON
	PRIMARY KEY (run_id, resource_key)
);

-- ARM tag names are case-insensitive: key_norm is the lower-case key,
-- key keeps the case ARM returned.
CREATE TABLE tags (
	run_id       INTEGER NOT NULL REFERENCES runs(id),
	resource_key TEXT NOT NULL,
	key_norm     TEXT NOT NULL,
	key          TEXT NOT NULL,
	value        TEXT NOT NULL,
	PRIMARY KEY (run_id, resource_key, key_norm)
);

CREATE TABLE import_jobs (
	run_id                    INTEGER NOT NULL REFERENCES runs(id),
	evidence_id               INTEGER NOT NULL REFERENCES evidence(id),
	fs_key                    TEXT NOT NULL,
	name                      TEXT NOT NULL,
	resource_id               TEXT NOT NULL,
	provisioning_state        TEXT,
	admin_status              TEXT,
	conflict_resolution_mode  TEXT,
	maximum_errors            INTEGER,
	import_prefixes           TEXT,
	state                     TEXT,
	status_message            TEXT,
	total_blobs_walked        INTEGER,
	blobs_walked_per_second   INTEGER,
	total_blobs_imported      INTEGER,
	blobs_imported_per_second INTEGER,
	imported_files            INTEGER,
	imported_directories      INTEGER,
	imported_symlinks         INTEGER,
	preexisting_files         INTEGER,
	preexisting_directories   INTEGER,
	preexisting_symlinks      INTEGER,
	total_errors              INTEGER,
	total_conflicts           INTEGER,
	last_started_time         TEXT,
	last_completion_time      TEXT,
	item_index                INTEGER NOT NULL, -- position in the page's $.value: the raw JSON
	PRIMARY KEY (run_id, fs_key, name)
);

CREATE TABLE auto_export_jobs (
	run_id                               INTEGER NOT NULL REFERENCES runs(id),
	evidence_id                          INTEGER NOT NULL REFERENCES evidence(id),
	fs_key                               TEXT NOT NULL,
	name                                 TEXT NOT NULL,
	resource_id                          TEXT NOT NULL,
	provisioning_state                   TEXT,
	admin_status                         TEXT,
	auto_export_prefixes                 TEXT,
	state                                TEXT,
	status_code                          TEXT,
	status_message                       TEXT,
	total_files_exported                 INTEGER,
	total_mib_exported                   INTEGER,
	total_files_failed                   INTEGER,
	export_iteration_count               INTEGER,
	last_successful_iteration_completion TEXT,
	current_iteration_files_discovered   INTEGER,
	current_iteration_mib_discovered     INTEGER,
	current_iteration_files_exported     INTEGER,
	current_iteration_mib_exported       INTEGER,
	current_iteration_files_failed       INTEGER,
	last_started_time                    TEXT,
	last_completion_time                 TEXT,
	item_index                           INTEGER NOT NULL,
	PRIMARY KEY (run_id, fs_key, name)
);

CREATE TABLE auto_import_jobs (
	run_id                          INTEGER NOT NULL REFERENCES runs(id),
	evidence_id                     INTEGER NOT NULL REFERENCES evidence(id),
	fs_key                          TEXT NOT NULL,
	name                            TEXT NOT NULL,
	resource_id                     TEXT NOT NULL,
	provisioning_state              TEXT,
	admin_status                    TEXT,
	auto_import_prefixes            TEXT,
	conflict_resolution_mode        TEXT,
	enable_deletions                INTEGER,
	maximum_errors                  INTEGER,
	state                           TEXT,
	status_code                     TEXT,
	status_message                  TEXT,
	scan_start_time                 TEXT,
	scan_end_time                   TEXT,
	total_blobs_walked              INTEGER,
	rate_of_blob_walk               INTEGER,
	total_blobs_imported            INTEGER,
	rate_of_blob_import             INTEGER,
	imported_files                  INTEGER,
	imported_directories            INTEGER,
	imported_symlinks               INTEGER,
	preexisting_files               INTEGER,
	preexisting_directories         INTEGER,
	preexisting_symlinks            INTEGER,
	total_errors                    INTEGER,
	total_conflicts                 INTEGER,
	sync_imported_files             INTEGER,
	sync_total_blobs_imported       INTEGER,
	sync_total_errors               INTEGER,
	sync_total_conflicts            INTEGER,
	sync_deletions                  INTEGER,
	sync_last_change_feed_event     TEXT,
	sync_last_fully_synchronized    TEXT,
	last_started_time               TEXT,
	last_completion_time            TEXT,
	item_index                      INTEGER NOT NULL,
	PRIMARY KEY (run_id, fs_key, name)
);

-- The raw JSON of every typed row, read from the stored evidence body.
CREATE VIEW raw_items AS
SELECT e.run_id, e.id AS evidence_id, e.kind, j.key AS item_index,
       j.value AS raw_json
FROM evidence e
JOIN bodies b ON b.sha256 = e.sha256
JOIN json_each(CAST(b.content AS TEXT), '$.value') j
WHERE e.status BETWEEN 200 AND 299 AND json_valid(CAST(b.content AS TEXT));
