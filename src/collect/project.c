#include "collect/project.h"
#include "collect/projector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/arm.h"
#include "util/hash.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

enum ftype { F_TEXT, F_INT, F_REAL, F_BOOL, F_JSON };

struct field {
	const char *column;
	const char *path;	/* dotted path inside the list item */
	enum ftype type;
};

/*
 * A list kind: where its distinct items go (a *_states table: digest, the
 * leading columns the code fills, then fields) and its code in `items`.
 */
enum lead {
	LEAD_SUB,	/* subscription_id */
	LEAD_FS,	/* resource_id, name, subscription_id, resource_group */
	LEAD_RG,	/* resource_id, name */
	LEAD_CHILD,	/* name, resource_id; the subject is the parent */
};

struct table_spec {
	const char *kind;	/* evidence kind */
	const char *table;	/* states table */
	const char *item_kind;	/* items.kind, and state_tags.kind */
	enum lead lead;
	const char *array;	/* "value", "data", or NULL: the body is one item */
	int tags;		/* keep the item's tags */
	const struct field *fields;
};

static const char *const lead_columns[] = {
	[LEAD_SUB] = "subscription_id",
	[LEAD_FS] = "resource_id, name, subscription_id, resource_group",
	[LEAD_RG] = "resource_id, name",
	[LEAD_CHILD] = "name, resource_id",
};

#define END { NULL, NULL, F_TEXT }

static const struct field fs_fields[] = {
	{ "type", "type", F_TEXT },
	{ "location", "location", F_TEXT },
	{ "zones", "zones", F_JSON },
	{ "sku", "sku.name", F_TEXT },
	{ "capacity_tib", "properties.storageCapacityTiB", F_REAL },
	{ "throughput_mbps", "properties.throughputProvisionedMBps", F_INT },
	{ "subnet_id", "properties.filesystemSubnet", F_TEXT },
	{ "provisioning_state", "properties.provisioningState", F_TEXT },
	{ "health_state", "properties.health.state", F_TEXT },
	{ "health_status_code", "properties.health.statusCode", F_TEXT },
	{ "health_status_description", "properties.health.statusDescription", F_TEXT },
	{ "mgs_address", "properties.clientInfo.mgsAddress", F_TEXT },
	{ "lustre_version", "properties.clientInfo.lustreVersion", F_TEXT },
	{ "encryption_key_url", "properties.encryptionSettings.keyEncryptionKey.keyUrl", F_TEXT },
	{ "encryption_vault_id", "properties.encryptionSettings.keyEncryptionKey.sourceVault.id", F_TEXT },
	{ "maintenance_day", "properties.maintenanceWindow.dayOfWeek", F_TEXT },
	{ "maintenance_time_utc", "properties.maintenanceWindow.timeOfDayUTC", F_TEXT },
	{ "root_squash_mode", "properties.rootSquashSettings.mode", F_TEXT },
	{ "root_squash_uid", "properties.rootSquashSettings.squashUID", F_INT },
	{ "root_squash_gid", "properties.rootSquashSettings.squashGID", F_INT },
	{ "root_squash_nids", "properties.rootSquashSettings.noSquashNidLists", F_TEXT },
	{ "hsm_container", "properties.hsm.settings.container", F_TEXT },
	{ "hsm_logging_container", "properties.hsm.settings.loggingContainer", F_TEXT },
	{ "hsm_import_prefix", "properties.hsm.settings.importPrefix", F_TEXT },
	{ "hsm_import_prefixes", "properties.hsm.settings.importPrefixesInitial", F_JSON },
	{ "hsm_archive_status", "properties.hsm.archiveStatus", F_JSON },
	{ "identity_type", "identity.type", F_TEXT },
	{ "created_at", "systemData.createdAt", F_TEXT },
	{ "created_by", "systemData.createdBy", F_TEXT },
	{ "last_modified_at", "systemData.lastModifiedAt", F_TEXT },
	{ "last_modified_by", "systemData.lastModifiedBy", F_TEXT },
	END
};

static const struct field import_fields[] = {
	{ "provisioning_state", "properties.provisioningState", F_TEXT },
	{ "admin_status", "properties.adminStatus", F_TEXT },
	{ "conflict_resolution_mode", "properties.conflictResolutionMode", F_TEXT },
	{ "maximum_errors", "properties.maximumErrors", F_INT },
	{ "import_prefixes", "properties.importPrefixes", F_JSON },
	{ "state", "properties.status.state", F_TEXT },
	{ "status_message", "properties.status.statusMessage", F_TEXT },
	{ "total_blobs_walked", "properties.status.totalBlobsWalked", F_INT },
	{ "blobs_walked_per_second", "properties.status.blobsWalkedPerSecond", F_INT },
	{ "total_blobs_imported", "properties.status.totalBlobsImported", F_INT },
	{ "blobs_imported_per_second", "properties.status.blobsImportedPerSecond", F_INT },
	{ "imported_files", "properties.status.importedFiles", F_INT },
	{ "imported_directories", "properties.status.importedDirectories", F_INT },
	{ "imported_symlinks", "properties.status.importedSymlinks", F_INT },
	{ "preexisting_files", "properties.status.preexistingFiles", F_INT },
	{ "preexisting_directories", "properties.status.preexistingDirectories", F_INT },
	{ "preexisting_symlinks", "properties.status.preexistingSymlinks", F_INT },
	{ "total_errors", "properties.status.totalErrors", F_INT },
	{ "total_conflicts", "properties.status.totalConflicts", F_INT },
	{ "last_started_time", "properties.status.lastStartedTime", F_TEXT },
	{ "last_completion_time", "properties.status.lastCompletionTime", F_TEXT },
	END
};

static const struct field auto_export_fields[] = {
	{ "provisioning_state", "properties.provisioningState", F_TEXT },
	{ "admin_status", "properties.adminStatus", F_TEXT },
	{ "auto_export_prefixes", "properties.autoExportPrefixes", F_JSON },
	{ "state", "properties.status.state", F_TEXT },
	{ "status_code", "properties.status.statusCode", F_TEXT },
	{ "status_message", "properties.status.statusMessage", F_TEXT },
	{ "total_files_exported", "properties.status.totalFilesExported", F_INT },
	{ "total_mib_exported", "properties.status.totalMiBExported", F_INT },
	{ "total_files_failed", "properties.status.totalFilesFailed", F_INT },
	{ "export_iteration_count", "properties.status.exportIterationCount", F_INT },
	{ "last_successful_iteration_completion", "properties.status.lastSuccessfulIterationCompletionTimeUTC", F_TEXT },
	{ "current_iteration_files_discovered", "properties.status.currentIterationFilesDiscovered", F_INT },
	{ "current_iteration_mib_discovered", "properties.status.currentIterationMiBDiscovered", F_INT },
	{ "current_iteration_files_exported", "properties.status.currentIterationFilesExported", F_INT },
	{ "current_iteration_mib_exported", "properties.status.currentIterationMiBExported", F_INT },
	{ "current_iteration_files_failed", "properties.status.currentIterationFilesFailed", F_INT },
	{ "last_started_time", "properties.status.lastStartedTimeUTC", F_TEXT },
	{ "last_completion_time", "properties.status.lastCompletionTimeUTC", F_TEXT },
	END
};

static const struct field auto_import_fields[] = {
	{ "provisioning_state", "properties.provisioningState", F_TEXT },
	{ "admin_status", "properties.adminStatus", F_TEXT },
	{ "auto_import_prefixes", "properties.autoImportPrefixes", F_JSON },
	{ "conflict_resolution_mode", "properties.conflictResolutionMode", F_TEXT },
	{ "enable_deletions", "properties.enableDeletions", F_BOOL },
	{ "maximum_errors", "properties.maximumErrors", F_INT },
	{ "state", "properties.status.state", F_TEXT },
	{ "status_code", "properties.status.statusCode", F_TEXT },
	{ "status_message", "properties.status.statusMessage", F_TEXT },
	{ "scan_start_time", "properties.status.scanStartTime", F_TEXT },
	{ "scan_end_time", "properties.status.scanEndTime", F_TEXT },
	{ "total_blobs_walked", "properties.status.totalBlobsWalked", F_INT },
	{ "rate_of_blob_walk", "properties.status.rateOfBlobWalk", F_INT },
	{ "total_blobs_imported", "properties.status.totalBlobsImported", F_INT },
	{ "rate_of_blob_import", "properties.status.rateOfBlobImport", F_INT },
	{ "imported_files", "properties.status.importedFiles", F_INT },
	{ "imported_directories", "properties.status.importedDirectories", F_INT },
	{ "imported_symlinks", "properties.status.importedSymlinks", F_INT },
	{ "preexisting_files", "properties.status.preexistingFiles", F_INT },
	{ "preexisting_directories", "properties.status.preexistingDirectories", F_INT },
	{ "preexisting_symlinks", "properties.status.preexistingSymlinks", F_INT },
	{ "total_errors", "properties.status.totalErrors", F_INT },
	{ "total_conflicts", "properties.status.totalConflicts", F_INT },
	{ "sync_imported_files", "properties.status.blobSyncEvents.importedFiles", F_INT },
	{ "sync_total_blobs_imported", "properties.status.blobSyncEvents.totalBlobsImported", F_INT },
	{ "sync_total_errors", "properties.status.blobSyncEvents.totalErrors", F_INT },
	{ "sync_total_conflicts", "properties.status.blobSyncEvents.totalConflicts", F_INT },
	{ "sync_deletions", "properties.status.blobSyncEvents.deletions", F_INT },
	{ "sync_last_change_feed_event", "properties.status.blobSyncEvents.lastChangeFeedEventConsumedTime", F_TEXT },
	{ "sync_last_fully_synchronized", "properties.status.blobSyncEvents.lastTimeFullySynchronized", F_TEXT },
	{ "last_started_time", "properties.status.lastStartedTimeUTC", F_TEXT },
	{ "last_completion_time", "properties.status.lastCompletionTimeUTC", F_TEXT },
	END
};

static const struct field sub_fields[] = {
	{ "display_name", "displayName", F_TEXT },
	{ "state", "state", F_TEXT },
	{ "tenant_id", "tenantId", F_TEXT },
	END
};

#define JOB_LEAD "name, resource_id"

static const struct field rg_fields[] = {
	{ "location", "location", F_TEXT },
	{ "provisioning_state", "properties.provisioningState", F_TEXT },
	END
};

static const struct field role_fields[] = {
	{ "role_definition_id", "properties.roleDefinitionId", F_TEXT },
	{ "principal_id", "properties.principalId", F_TEXT },
	{ "principal_type", "properties.principalType", F_TEXT },
	{ "scope", "properties.scope", F_TEXT },
	{ "condition", "properties.condition", F_TEXT },
	{ "created_on", "properties.createdOn", F_TEXT },
	END
};

static const struct field lock_fields[] = {
	{ "level", "properties.level", F_TEXT },
	{ "notes", "properties.notes", F_TEXT },
	END
};

static const struct field diag_fields[] = {
	{ "workspace_id", "properties.workspaceId", F_TEXT },
	{ "storage_account_id", "properties.storageAccountId", F_TEXT },
	{ "event_hub_rule_id", "properties.eventHubAuthorizationRuleId", F_TEXT },
	{ "logs", "properties.logs", F_JSON },
	{ "metrics", "properties.metrics", F_JSON },
	END
};

static const struct table_spec specs[] = {
	{ KIND_SUBSCRIPTIONS, "subscription_states", "sub", LEAD_SUB, "value",
	  1, sub_fields },
	{ KIND_SUBSCRIPTION, "subscription_states", "sub", LEAD_SUB, NULL, 1,
	  sub_fields },
	{ KIND_RESOURCE_GROUP, "rg_states", "rg", LEAD_RG, NULL, 1, rg_fields },
	{ KIND_FILESYSTEMS, "fs_states", "fs", LEAD_FS, "value", 1, fs_fields },
	{ KIND_GRAPH, "fs_states", "fs", LEAD_FS, "data", 1, fs_fields },
	{ KIND_IMPORT_JOBS, "import_job_states", "import", LEAD_CHILD, "value",
	  0, import_fields },
	{ KIND_AUTO_EXPORT_JOBS, "auto_export_job_states", "autoexport",
	  LEAD_CHILD, "value", 0, auto_export_fields },
	{ KIND_AUTO_IMPORT_JOBS, "auto_import_job_states", "autoimport",
	  LEAD_CHILD, "value", 0, auto_import_fields },
	{ KIND_ROLE_ASSIGNMENTS, "role_assignment_states", "role", LEAD_CHILD,
	  "value", 0, role_fields },
	{ KIND_LOCKS, "lock_states", "lock", LEAD_CHILD, "value", 0,
	  lock_fields },
	{ KIND_DIAGNOSTIC_SETTINGS, "diagnostic_setting_states", "diag",
	  LEAD_CHILD, "value", 0, diag_fields },
};

_Static_assert(sizeof(specs) / sizeof(specs[0]) == NSPECS,
	       "NSPECS in collect/projector.h");

const char *const project_views[] = {
	"subscriptions", "resource_groups", "scope_tags", "filesystems",
	"tags", "import_jobs", "auto_export_jobs", "auto_import_jobs",
	"role_assignments", "locks", "diagnostic_settings", NULL
};

int project_kind_known(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (!strcmp(specs[i].kind, kind))
			return 1;
	return !strcmp(kind, KIND_METRICS);
}

/* Walk a dotted path; NULL when any step is missing or null. */
static json_t *walk(json_t *item, const char *path)
{
	char key[128];
	const char *p = path;

	while (item && *p) {
		size_t n = strcspn(p, ".");

		if (n >= sizeof(key) || !json_is_object(item))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		item = json_object_get(item, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return json_is_null(item) ? NULL : item;
}

/* at: where the item is, "$.value[3]" or "$". */
static int type_error(struct err_detail *d, const char *want, const char *at,
		      const char *path)
{
	err_set(d, "expected %s at %s%s%s", want, at, *path ? "." : "", path);
	return -ERR_JSON;
}

/* Numbers may arrive as strings (azure-apis.md A.7, K.2). */
static int bind_field(sqlite3_stmt *st, int col, const struct field *f,
		      json_t *v, const char *idx, struct err_detail *d)
{
	const char *s;
	char *end;
	double x;

	if (!v)
		return sqlite3_bind_null(st, col) ? -ERR_SQL : 0;
	switch (f->type) {
	case F_TEXT:
		if (!json_is_string(v))
			return type_error(d, "a string", idx, f->path);
		return sqlite3_bind_text(st, col, json_string_value(v), -1,
					 SQLITE_TRANSIENT) ? -ERR_SQL : 0;
	case F_INT:
		if (json_is_integer(v))
			return sqlite3_bind_int64(st, col, json_integer_value(v))
				       ? -ERR_SQL : 0;
		/* A whole real in range (1e300 would overflow the cast). */
		x = json_real_value(v);
		if (json_is_real(v) && x >= -9223372036854775808.0 &&
		    x < 9223372036854775808.0 && x == (double)(sqlite3_int64)x)
			return sqlite3_bind_int64(st, col, (sqlite3_int64)x)
				       ? -ERR_SQL : 0;
		s = json_string_value(v);
		/* Digits only: strtoll alone takes " 12" and "+12", and
		 * clamps 99999999999999999999 to LLONG_MAX without a word. */
		if (s && s[s[0] == '-'] >= '0' && s[s[0] == '-'] <= '9') {
			long long n;

			errno = 0;
			n = strtoll(s, &end, 10);
			if (!*end && errno == 0)
				return sqlite3_bind_int64(st, col, n) ? -ERR_SQL : 0;
		}
		return type_error(d, "an integer", idx, f->path);
	case F_REAL:
		if (json_is_number(v))
			return sqlite3_bind_double(st, col, json_number_value(v))
				       ? -ERR_SQL : 0;
		/* A finite decimal: strtod would take "nan", "inf", hex. */
		s = json_string_value(v);
		if (s && num_parse_decimal(s, &x) == 0)
			return sqlite3_bind_double(st, col, x) ? -ERR_SQL : 0;
		return type_error(d, "a number", idx, f->path);
	case F_BOOL:
		if (json_is_boolean(v))
			return sqlite3_bind_int(st, col, json_is_true(v)) ? -ERR_SQL : 0;
		s = json_string_value(v);
		if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "false")))
			return sqlite3_bind_int(st, col, !strcasecmp(s, "true"))
				       ? -ERR_SQL : 0;
		return type_error(d, "a boolean", idx, f->path);
	case F_JSON: {
		char *txt = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
					  JSON_ENCODE_ANY);
		int r;

		if (!txt)
			return type_error(d, "JSON", idx, f->path);
		r = sqlite3_bind_text(st, col, txt, -1, free) ? -ERR_SQL : 0;
		return r;
	}
	}
	return -ERR_JSON;
}

static void page_stmts_release(struct page_stmts *ps)
{
	sqlite3_finalize(ps->state_find);
	sqlite3_finalize(ps->state_add);
	sqlite3_finalize(ps->res_add);
	sqlite3_finalize(ps->res_find);
	sqlite3_finalize(ps->item);
	sqlite3_finalize(ps->tag);
}

static int prepare(sqlite3 *db, struct sbuf *sql, sqlite3_stmt **ret,
		   struct err_detail *d)
{
	int r = 0;

	if (sqlite3_prepare_v2(db, sql->buf, -1, ret, NULL) != SQLITE_OK) {
		err_set(d, "cannot prepare '%.60s': %s", sql->buf,
			sqlite3_errmsg(db));
		r = -ERR_SQL;
	}
	sbuf_reset(sql);
	return r;
}

/* Identifiers below come from specs[], never from input. */
static int page_stmts_prepare(sqlite3 *db, const struct table_spec *ts,
			      struct page_stmts *ps, struct err_detail *d)
{
	struct sbuf sql = SBUF_INIT;
	const struct field *f;
	const char *p, *lead = lead_columns[ts->lead];
	int n = 1, r;

	memset(ps, 0, sizeof(*ps));
	sbuf_addf(&sql, "SELECT id FROM %s WHERE digest = ?", ts->table);
	r = prepare(db, &sql, &ps->state_find, d);
	sbuf_addf(&sql, "INSERT INTO %s (digest, %s", ts->table, lead);
	for (p = lead, n++; *p; p++)
		n += *p == ',';
	for (f = ts->fields; f->column; f++, n++)
		sbuf_addf(&sql, ", %s", f->column);
	sbuf_adds(&sql, ") VALUES (?");
	while (--n)
		sbuf_adds(&sql, ", ?");
	sbuf_adds(&sql, ")");
	if (!r)
		r = prepare(db, &sql, &ps->state_add, d);
	sbuf_adds(&sql, "INSERT OR IGNORE INTO resources (resource_key) "
		  "VALUES (?)");
	if (!r)
		r = prepare(db, &sql, &ps->res_add, d);
	sbuf_adds(&sql, "SELECT id FROM resources WHERE resource_key = ?");
	if (!r)
		r = prepare(db, &sql, &ps->res_find, d);
	/* Once per page: a page read again finds its rows there. */
	sbuf_adds(&sql, "INSERT OR IGNORE INTO sightings (request, body, "
		  "item_index, kind, resource, parent, state) "
		  "VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!r)
		r = prepare(db, &sql, &ps->item, d);
	sbuf_adds(&sql, "INSERT INTO state_tags (kind, state, key_norm, "
		  "key, value) VALUES (?, ?, ?, ?, ?)");
	if (!r)
		r = prepare(db, &sql, &ps->tag, d);
	sbuf_release(&sql);
	return r;
}

static int bind_text(sqlite3_stmt *st, int col, const char *s)
{
	return sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT) ? -ERR_SQL : 0;
}

/* Step a statement that returns at most one integer. */
static int step_id(sqlite3_stmt *st, sqlite3_int64 *ret)
{
	int rc = sqlite3_step(st);

	*ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -ERR_SQL;
}

/* The id of a lower-cased ARM id in resources, adding it when new. */
static int intern(sqlite3 *db, struct page_stmts *ps, const char *id,
		  sqlite3_int64 *ret, struct err_detail *d)
{
	char *key = lower_dup(id);
	int r = 0;

	bind_text(ps->res_add, 1, key);
	if (sqlite3_step(ps->res_add) != SQLITE_DONE)
		r = -ERR_SQL;
	sqlite3_reset(ps->res_add);
	bind_text(ps->res_find, 1, key);
	if (!r)
		r = step_id(ps->res_find, ret);
	if (r < 0)
		err_set(d, "cannot store resource '%s': %s", id,
			sqlite3_errmsg(db));
	free(key);
	return r;
}

static int insert_tags(sqlite3 *db, struct page_stmts *ps,
		       const struct table_spec *ts, sqlite3_int64 state,
		       json_t *item, const char *at, struct err_detail *d)
{
	json_t *tags = json_object_get(item, "tags"), *v;
	const char *k;

	if (!tags || json_is_null(tags))
		return 0;
	if (!json_is_object(tags))
		return type_error(d, "an object", at, "tags");
	json_object_foreach(tags, k, v) {
		char *norm;
		int rc;

		if (!json_is_string(v)) {
			err_set(d, "expected a string at %s.tags.%s", at, k);
			return -ERR_JSON;
		}
		norm = lower_dup(k);
		bind_text(ps->tag, 1, ts->item_kind);
		sqlite3_bind_int64(ps->tag, 2, state);
		bind_text(ps->tag, 3, norm);
		bind_text(ps->tag, 4, k);
		bind_text(ps->tag, 5, json_string_value(v));
		free(norm);
		rc = sqlite3_step(ps->tag);
		sqlite3_reset(ps->tag);
		if (rc != SQLITE_DONE) {
			err_set(d, "cannot store tag '%s' of %s (a second key "
				"differing only in case?): %s", k, at,
				sqlite3_errmsg(db));
			return sqlite3_extended_errcode(db) ==
				SQLITE_CONSTRAINT_PRIMARYKEY ? -ERR_JSON : -ERR_SQL;
		}
	}
	return 0;
}

/* Bind the item's leading state columns; *ret_id is its ARM id. */
static int bind_lead(sqlite3_stmt *st, const struct table_spec *ts,
		     json_t *item, const char *at, char **ret_id,
		     struct err_detail *d)
{
	const char *id = json_string_value(json_object_get(item, "id"));
	const char *name = json_string_value(json_object_get(item, "name"));
	char *sub = NULL, *rg = NULL;
	struct sbuf sb = SBUF_INIT;

	if (ts->lead == LEAD_SUB) {
		const char *sid = json_string_value(
			json_object_get(item, "subscriptionId"));

		if (!sid)
			return type_error(d, "a string", at, "subscriptionId");
		bind_text(st, 2, sid);
		sbuf_addf(&sb, "/subscriptions/%s", sid);
		*ret_id = sbuf_detach(&sb, NULL);
		return 3;
	}
	if (!id)
		return type_error(d, "a string", at, "id");
	if (!name)
		return type_error(d, "a string", at, "name");
	if (ts->lead == LEAD_CHILD) {
		bind_text(st, 2, name);
		bind_text(st, 3, id);
		*ret_id = xstrdup(id);
		return 4;
	}
	bind_text(st, 2, id);
	bind_text(st, 3, name);
	*ret_id = xstrdup(id);
	if (ts->lead == LEAD_RG)
		return 4;
	if (arm_id_parse(id, &sub, &rg) < 0) {
		err_set(d, "not an ARM resource id at %s.id: '%s'", at, id);
		free(*ret_id);
		*ret_id = NULL;
		return -ERR_JSON;
	}
	bind_text(st, 4, sub);
	bind_text(st, 5, rg);
	free(sub);
	free(rg);
	return 6;
}

/* The state id of item, adding the state (and its tags) when new. */
static int find_or_add_state(sqlite3 *db, struct page_stmts *ps,
			     const struct table_spec *ts, json_t *item,
			     const char *at, char **ret_id, sqlite3_int64 *ret,
			     struct err_detail *d)
{
	char *raw = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char digest[SHA256_HEX_LEN + 1];
	const struct field *f;
	int col, r;

	r = raw ? sha256_hex(raw, strlen(raw), digest) : -ERR_JSON;
	free(raw);
	if (r < 0) {
		err_set(d, "cannot hash %s", at);
		return r;
	}
	sqlite3_clear_bindings(ps->state_add);
	col = bind_lead(ps->state_add, ts, item, at, ret_id, d);
	if (col < 0)
		return col;
	bind_text(ps->state_find, 1, digest);
	r = step_id(ps->state_find, ret);
	if (r < 0 || *ret)
		goto out;
	bind_text(ps->state_add, 1, digest);
	for (f = ts->fields; f->column; f++, col++) {
		r = bind_field(ps->state_add, col, f, walk(item, f->path), at, d);
		if (r < 0)
			return r;
	}
	if (sqlite3_step(ps->state_add) != SQLITE_DONE)
		r = -ERR_SQL;
	sqlite3_reset(ps->state_add);
	*ret = sqlite3_last_insert_rowid(db);
	if (r == 0 && ts->tags)
		return insert_tags(db, ps, ts, *ret, item, at, d);
out:
	if (r < 0)
		err_set(d, "cannot store %s in %s: %s", at, ts->table,
			sqlite3_errmsg(db));
	return r;
}

static int insert_item(sqlite3 *db, struct page_stmts *ps,
		       const struct table_spec *ts, const struct page *pg,
		       const char *subject, json_t *item, long idx,
		       const char *at, struct err_detail *d)
{
	sqlite3_int64 state = 0, res = 0, parent = 0;
	char *id = NULL;
	int r;

	r = find_or_add_state(db, ps, ts, item, at, &id, &state, d);
	if (r == 0)
		r = intern(db, ps, id, &res, d);
	if (r == 0 && ts->lead == LEAD_CHILD)
		r = intern(db, ps, subject, &parent, d);
	free(id);
	if (r < 0)
		return r;
	sqlite3_bind_int64(ps->item, 1, pg->request);
	sqlite3_bind_int64(ps->item, 2, pg->body);
	sqlite3_bind_int64(ps->item, 3, idx);
	sqlite3_bind_text(ps->item, 4, ts->item_kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ps->item, 5, res);
	sqlite3_bind_int64(ps->item, 6, parent);
	sqlite3_bind_int64(ps->item, 7, state);
	if (sqlite3_step(ps->item) != SQLITE_DONE) {
		err_set(d, "cannot store %s: %s", at, sqlite3_errmsg(db));
		r = -ERR_SQL;
	}
	sqlite3_reset(ps->item);
	return r;
}

static const struct table_spec *spec_of(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (!strcmp(specs[i].kind, kind))
			return &specs[i];
	return NULL;
}

/* The page an evidence row is: its request and body. */
static int page_of(struct projector *p, sqlite3_int64 evidence_id,
		   struct page *ret, struct err_detail *d)
{
	int rc;

	if (!p->page_find &&
	    sqlite3_prepare_v2(p->db, "SELECT request, body FROM evidence "
			       "WHERE id = ?", -1, &p->page_find, NULL)) {
		err_set(d, "cannot prepare the page lookup: %s",
			sqlite3_errmsg(p->db));
		return -ERR_SQL;
	}
	sqlite3_bind_int64(p->page_find, 1, evidence_id);
	rc = sqlite3_step(p->page_find);
	if (rc == SQLITE_ROW) {
		ret->request = sqlite3_column_int64(p->page_find, 0);
		ret->body = sqlite3_column_int64(p->page_find, 1);
	} else if (rc == SQLITE_DONE) {
		err_set(d, "evidence %lld is not stored", (long long)evidence_id);
	} else {
		err_set(d, "cannot read evidence %lld: %s",
			(long long)evidence_id, sqlite3_errmsg(p->db));
	}
	sqlite3_reset(p->page_find);
	return rc == SQLITE_ROW ? 0 : -ERR_SQL;
}

static int project_items(struct projector *p, const struct table_spec *ts,
			 sqlite3_int64 evidence_id, const char *subject,
			 json_t *body, struct err_detail *d)
{
	size_t slot = (size_t)(ts - specs);
	struct page_stmts *ps = &p->ps[slot];
	sqlite3 *db = p->db;
	json_t *list, *item;
	struct page pg;
	char at[64];
	size_t i;
	int r = 0;

	list = ts->array ? json_object_get(body, ts->array) : NULL;
	if (ts->array && !json_is_array(list)) {
		err_set(d, "expected an array at $.%s", ts->array);
		return -ERR_JSON;
	}
	if (!ts->array && !json_is_object(body)) {
		err_set(d, "expected an object at $");
		return -ERR_JSON;
	}
	r = page_of(p, evidence_id, &pg, d);
	if (r == 0 && !p->ready[slot]) {
		r = page_stmts_prepare(db, ts, ps, d);
		p->ready[slot] = r == 0;
	}
	if (r == 0 && !ts->array)
		r = insert_item(db, ps, ts, &pg, subject, body, -1, "$", d);
	json_array_foreach(list, i, item) {
		if (r < 0)
			break;
		snprintf(at, sizeof(at), "$.%s[%zu]", ts->array, i);
		if (!json_is_object(item)) {
			r = type_error(d, "an object", at, "");
			break;
		}
		/* Child lists "might" hold bare references (azure-apis.md A.1). */
		if (ts->lead == LEAD_CHILD && !json_object_get(item, "properties"))
			continue;
		r = insert_item(db, ps, ts, &pg, subject, item, (long)i, at,
				d);
	}
	return r;
}

struct projector *projector_new(sqlite3 *db)
{
	struct projector *p = xcalloc(1, sizeof(*p));

	p->db = db;
	return p;
}

void projector_collecting(struct projector *p)
{
	p->collecting = 1;
}

void projector_free(struct projector *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < NSPECS; i++)
		if (p->ready[i])
			page_stmts_release(&p->ps[i]);
	sqlite3_finalize(p->metric_up);
	sqlite3_finalize(p->metric_add);
	sqlite3_finalize(p->metric_find);
	sqlite3_finalize(p->page_find);
	sqlite3_finalize(p->shadow_add);
	free(p);
}

int project_intern(struct projector *p, const char *id, sqlite3_int64 *ret,
		   struct err_detail *d)
{
	/* Any ready slot has the resource statements; else prepare one. */
	size_t i;
	int r;

	for (i = 0; i < NSPECS; i++)
		if (p->ready[i])
			return intern(p->db, &p->ps[i], id, ret, d);
	r = page_stmts_prepare(p->db, &specs[0], &p->ps[0], d);
	if (r < 0)
		return r;
	p->ready[0] = 1;
	return intern(p->db, &p->ps[0], id, ret, d);
}

int project_page(struct projector *p, sqlite3_int64 run_id,
		 sqlite3_int64 evidence_id, const char *kind,
		 const char *subject, json_t *body, struct err_detail *d)
{
	const struct table_spec *ts = spec_of(kind);

	if (!strcmp(kind, KIND_METRICS))
		return project_metrics(p, run_id, subject, body, d);
	if (!ts) {
		err_set(d, "unknown evidence kind '%s'", kind);
		return -ERR_JSON;
	}
	return project_items(p, ts, evidence_id, subject, body, d);
}

/*
 * Of the sightings of one resource in a run, the last one (by evidence
 * seq, then position in the body) is kept: the order they were projected
 * in. The others are listed in `shadowed`.
 */
int project_run_end(struct projector *p, sqlite3_int64 run_id,
		    struct err_detail *d)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO shadowed (evidence_id, item_index) "
		"SELECT id, item_index FROM (SELECT e.id, s.item_index, "
		"row_number() OVER (PARTITION BY s.kind, s.resource, s.parent "
		"ORDER BY e.seq DESC, e.id DESC, s.item_index DESC) AS n "
		"FROM evidence e JOIN sightings s ON s.request = e.request "
		"AND s.body = e.body WHERE e.run_id = ?1 AND e.projected = 1) "
		"WHERE n > 1";
	int r = 0;

	if (!p->shadow_add &&
	    sqlite3_prepare_v2(p->db, sql, -1, &p->shadow_add, NULL)) {
		err_set(d, "cannot prepare the run's sightings: %s",
			sqlite3_errmsg(p->db));
		return -ERR_SQL;
	}
	sqlite3_bind_int64(p->shadow_add, 1, run_id);
	if (sqlite3_step(p->shadow_add) != SQLITE_DONE) {
		err_set(d, "cannot store the run's sightings: %s",
			sqlite3_errmsg(p->db));
		r = -ERR_SQL;
	}
	sqlite3_reset(p->shadow_add);
	return r;
}
