/*
 * The JSON projection (collect/project.c, metrics.c) into an in-memory
 * SQLite history. Input: one byte choosing the list kind (byte % 12:
 * subscriptions, subscription, resource_group, filesystems, graph,
 * import_jobs, auto_export_jobs, auto_import_jobs, role_assignments,
 * locks, diagnostic_settings, metrics), then the response body. Each
 * input runs in a transaction rolled back after it. What must hold:
 *  - a body that parses is stored or refused with -ERR_JSON and a
 *    message naming the JSON path: hostile JSON is never a database
 *    failure (-ERR_SQL);
 *  - every list item stored has its row in `items` for the run (once the
 *    run's end has set aside sightings it did not keep), under
 *    its lower-cased id (none vanishes);
 *  - every view of project_views reads;
 *  - projecting the same page again (verify does) succeeds and changes
 *    nothing.
 */
#include "fuzz.h"

#include <string.h>

#include "collect/project.h"
#include "store/db.h"

#define FS_ID "/subscriptions/00000000-0000-0000-0000-000000000001/" \
	"resourceGroups/rg/providers/Microsoft.StorageCache/" \
	"amlFilesystems/fs1"

static const char *const kinds[] = {
	KIND_SUBSCRIPTIONS, KIND_SUBSCRIPTION, KIND_RESOURCE_GROUP,
	KIND_FILESYSTEMS, KIND_GRAPH, KIND_IMPORT_JOBS, KIND_AUTO_EXPORT_JOBS,
	KIND_AUTO_IMPORT_JOBS, KIND_ROLE_ASSIGNMENTS, KIND_LOCKS,
	KIND_DIAGNOSTIC_SETTINGS, KIND_METRICS,
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static struct store *store;
static struct projector *proj;

static void setup(void)
{
	struct err_detail d;

	FUZZ_ASSERT(store_open(":memory:", 0, &store, &d) == 0);
	FUZZ_ASSERT(store_exec(store,
		"INSERT INTO runs (id, started_at, status, tool_version, "
		"source, scope) VALUES (1, 'x', 'running', 't', 'replay', '{}');"
		"INSERT INTO bodies VALUES (1, 'h', 0, x'');"
		"INSERT INTO requests VALUES (1, 'GET', 'u', 'filesystems', "
		"'s', '');"
		"INSERT INTO evidence VALUES (1, 1, 1, 1, 200, NULL, 'x', 1, 1)",
		&d) == 0);
	proj = projector_new(store_db(store));
}

static sqlite3_int64 scalar(const char *sql, const char *arg1,
			    const char *arg2)
{
	sqlite3_stmt *st;
	sqlite3_int64 v = -1;

	FUZZ_ASSERT(sqlite3_prepare_v2(store_db(store), sql, -1, &st,
				       NULL) == SQLITE_OK);
	if (arg1)
		sqlite3_bind_text(st, 1, arg1, -1, SQLITE_STATIC);
	if (arg2)
		sqlite3_bind_text(st, 2, arg2, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	FUZZ_ASSERT(sqlite3_finalize(st) == SQLITE_OK);
	return v;
}

/* The items code of a kind, as project.c's specs say. */
static const char *item_kind(const char *kind)
{
	static const char *const codes[][2] = {
		{ KIND_SUBSCRIPTIONS, "sub" }, { KIND_SUBSCRIPTION, "sub" },
		{ KIND_RESOURCE_GROUP, "rg" }, { KIND_FILESYSTEMS, "fs" },
		{ KIND_GRAPH, "fs" }, { KIND_IMPORT_JOBS, "import" },
		{ KIND_AUTO_EXPORT_JOBS, "autoexport" },
		{ KIND_AUTO_IMPORT_JOBS, "autoimport" },
		{ KIND_ROLE_ASSIGNMENTS, "role" }, { KIND_LOCKS, "lock" },
		{ KIND_DIAGNOSTIC_SETTINGS, "diag" },
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(codes[i][0], kind))
			return codes[i][1];
	return NULL;
}

static void check_item(const char *kind, json_t *item)
{
	const char *code = item_kind(kind), *id;
	char key[4096], *k;

	if (!strcmp(kind, KIND_SUBSCRIPTIONS) || !strcmp(kind, KIND_SUBSCRIPTION)) {
		snprintf(key, sizeof(key), "/subscriptions/%s", json_string_value(
			 json_object_get(item, "subscriptionId")));
	} else {
		id = json_string_value(json_object_get(item, "id"));
		FUZZ_ASSERT(id);
		snprintf(key, sizeof(key), "%s", id);
	}
	if (strlen(key) >= sizeof(key) - 1)
		return;
	for (k = key; *k; k++)
		if (*k >= 'A' && *k <= 'Z')
			*k = (char)(*k + 32);
	if (scalar("SELECT count(*) FROM items i JOIN resources r ON "
		   "r.id = i.resource WHERE i.run_id = 1 AND i.kind = ? AND "
		   "r.resource_key = ?", code, key) != 1) {
		fprintf(stderr, "no %s item for '%s'\n", code, key);
		FUZZ_ASSERT(!"an item stored without its row");
	}
}

static void check_items(const char *kind, json_t *body)
{
	const char *array = !strcmp(kind, KIND_GRAPH) ? "data" : "value";
	int child = !strcmp(kind, KIND_IMPORT_JOBS) ||
		    !strcmp(kind, KIND_AUTO_EXPORT_JOBS) ||
		    !strcmp(kind, KIND_AUTO_IMPORT_JOBS) ||
		    !strcmp(kind, KIND_ROLE_ASSIGNMENTS) ||
		    !strcmp(kind, KIND_LOCKS) ||
		    !strcmp(kind, KIND_DIAGNOSTIC_SETTINGS);
	json_t *item;
	size_t i;

	if (!strcmp(kind, KIND_METRICS))
		return;
	if (!strcmp(kind, KIND_SUBSCRIPTION) ||
	    !strcmp(kind, KIND_RESOURCE_GROUP)) {
		check_item(kind, body);
		return;
	}
	json_array_foreach(json_object_get(body, array), i, item) {
		/* Bare references of child lists are skipped by design. */
		if (child && !json_object_get(item, "properties"))
			continue;
		check_item(kind, item);
	}
}

static void check_views(void)
{
	const char *const *v;
	char sql[128];

	for (v = project_views; *v; v++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", *v);
		FUZZ_ASSERT(scalar(sql, NULL, NULL) >= 0);
	}
}

static const char *const counted =
	"SELECT (SELECT count(*) FROM items) * 1000003 + "
	"(SELECT count(*) FROM resources) * 1009 + "
	"(SELECT count(*) FROM state_tags)";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_detail d = { { 0 }, { 0 } };
	const char *kind;
	json_t *body;
	sqlite3_int64 before;
	int r;

	if (!store)
		setup();
	if (size < 1)
		return 0;
	kind = kinds[data[0] % NKINDS];
	body = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	if (!body)
		return 0;
	FUZZ_ASSERT(store_exec(store, "BEGIN", &d) == 0);
	r = project_page(proj, 1, 1, kind, FS_ID, body, &d);
	if (r < 0) {
		if (r != -ERR_JSON)
			fprintf(stderr, "%s: %s (%s)\n", kind, d.msg,
				err_str(r));
		FUZZ_ASSERT(r == -ERR_JSON);
		FUZZ_ASSERT(d.msg[0]);
	} else {
		/* A resource twice on the page keeps its last sighting. */
		FUZZ_ASSERT(project_run_end(proj, 1, &d) == 0);
		check_items(kind, body);
		check_views();
		before = scalar(counted, NULL, NULL);
		r = project_page(proj, 1, 1, kind, FS_ID, body, &d);
		if (r < 0)
			fprintf(stderr, "again: %s\n", d.msg);
		FUZZ_ASSERT(r == 0);
		FUZZ_ASSERT(project_run_end(proj, 1, &d) == 0);
		FUZZ_ASSERT(scalar(counted, NULL, NULL) == before);
	}
	FUZZ_ASSERT(store_exec(store, "ROLLBACK", &d) == 0);
	json_decref(body);
	return 0;
}
