/*
 * Drift from a desired state (policy/drift.h): a small history projected
 * by the real projector, judged on a read-only connection. And the round
 * trip: what 'desired capture' writes for the sample estate judges every
 * file system of that run ok.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "collect/project.h"
#include "policy/drift.h"
#include "store/db.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define SUB "00000000-0000-0000-0000-0000000000d1"
#define FS_ID(rg, name) "/subscriptions/" SUB "/resourceGroups/" rg \
	"/providers/Microsoft.StorageCache/amlFilesystems/" name

/* Three file systems: one production, two render farms. */
static const char page[] =
"{\"value\": ["
" {\"id\": \"" FS_ID("rg-prod", "amlfs-prod-1") "\","
"  \"name\": \"amlfs-prod-1\","
"  \"type\": \"Microsoft.StorageCache/amlFilesystems\","
"  \"location\": \"eastus\", \"zones\": [\"1\"],"
"  \"sku\": {\"name\": \"AMLFS-Durable-Premium-125\"},"
"  \"tags\": {\"CostCenter\": \"CC-1\", \"env\": \"prod\"},"
"  \"systemData\": {\"createdAt\": \"2026-01-01T00:00:00Z\"},"
"  \"properties\": {\"storageCapacityTiB\": 128,"
"   \"provisioningState\": \"Succeeded\","
"   \"health\": {\"state\": \"Available\"},"
"   \"maintenanceWindow\": {\"dayOfWeek\": \"Sunday\","
"    \"timeOfDayUTC\": \"22:00\"},"
"   \"rootSquashSettings\": {\"mode\": \"All\", \"squashUID\": 65534}}},"
" {\"id\": \"" FS_ID("rg-render", "amlfs-render-a") "\","
"  \"name\": \"amlfs-render-a\","
"  \"type\": \"Microsoft.StorageCache/amlFilesystems\","
"  \"location\": \"westus2\", \"zones\": [\"2\"],"
"  \"sku\": {\"name\": \"AMLFS-Durable-Premium-250\"},"
"  \"properties\": {\"storageCapacityTiB\": 16.0}},"
" {\"id\": \"" FS_ID("rg-render", "amlfs-render-b") "\","
"  \"name\": \"amlfs-render-b\","
"  \"type\": \"Microsoft.StorageCache/amlFilesystems\","
"  \"location\": \"westus2\", \"zones\": [\"2\"],"
"  \"sku\": {\"name\": \"AMLFS-Durable-Premium-40\"},"
"  \"properties\": {\"storageCapacityTiB\": 48}}"
"]}";

/* ---- a history ----------------------------------------------------------- */

struct history {
	char dir[64];
	char *path;
	struct store *s;	/* read-only */
	sqlite3_int64 run;
	int seq;
};

static sqlite3_int64 exec_id(sqlite3 *db, const char *sql, const char *a,
			     const char *b)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 id = 0;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return id;
}

/* Store text as a page of file systems of run h->run and project it. */
static void add_page(struct history *h, sqlite3 *db, struct projector *p,
		     const char *url, const char *text)
{
	struct err_detail d = { "", "" };
	char sha[SHA256_HEX_LEN + 1];
	sqlite3_int64 bid, req, eid;
	json_error_t je;
	json_t *body = json_loads(text, 0, &je);
	char sql[256];

	if (!body)
		fail_msg("page: %s", je.text);
	assert_int_equal(sha256_hex(text, strlen(text), sha), 0);
	exec_id(db, "INSERT OR IGNORE INTO bodies (sha256, size, content) "
		"VALUES (?1, length(CAST(?2 AS BLOB)), CAST(?2 AS BLOB))",
		sha, text);
	bid = exec_id(db, "SELECT id FROM bodies WHERE sha256 = ?1", sha, NULL);
	exec_id(db, "INSERT OR IGNORE INTO requests (method, url, kind, "
		"subject, body) VALUES ('GET', ?1, 'filesystems', ?2, '')",
		url, SUB);
	req = exec_id(db, "SELECT id FROM requests WHERE url = ?1", url, NULL);
	snprintf(sql, sizeof(sql), "INSERT INTO evidence (run_id, seq, "
		 "request, status, fetched_at, body, projected) VALUES (%lld, "
		 "%d, %lld, 200, 0, %lld, 1) RETURNING id", (long long)h->run,
		 ++h->seq, (long long)req, (long long)bid);
	eid = exec_id(db, sql, NULL, NULL);
	if (project_page(p, h->run, eid, KIND_FILESYSTEMS, SUB, body, &d) < 0)
		fail_msg("projecting %s: %s (%s)", url, d.msg, d.where);
	json_decref(body);
}

/* A history with one replay run holding the pages (n of them). */
static void history_open(struct history *h, const char *const *pages,
			 size_t n)
{
	struct err_detail d = { "", "" };
	struct store *w = NULL;
	struct projector *p;
	char url[160];
	size_t i;

	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "/tmp/amlfs-drift-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	h->path = fs_join(h->dir, "history.db");
	assert_int_equal(store_open(h->path, 0, &w, &d), 0);
	p = projector_new(store_db(w));
	assert_int_equal(store_begin(w, &d), 0);
	h->run = exec_id(store_db(w), "INSERT INTO runs (started_at, "
			 "finished_at, status, tool_version, source, scope) "
			 "VALUES ('2026-11-02T03:00:00Z', "
			 "'2026-11-02T03:00:09Z', 'ok', 't', 'replay', '{}') "
			 "RETURNING id", NULL, NULL);
	for (i = 0; i < n; i++) {
		snprintf(url, sizeof(url), "https://management.azure.com/"
			 "subscriptions/" SUB "/amlFilesystems?page=%zu", i);
		add_page(h, store_db(w), p, url, pages[i]);
	}
	assert_int_equal(store_commit(w, &d), 0);
	projector_free(p);
	store_close(w);
	if (store_open(h->path, STORE_READONLY | STORE_QUERY_ONLY, &h->s,
		       &d) < 0)
		fail_msg("%s (%s)", d.msg, d.where);
}

static void history_close(struct history *h)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char name[160];
	size_t i;

	store_close(h->s);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s%s", h->path, suffixes[i]);
		unlink(name);
	}
	rmdir(h->dir);
	free(h->path);
}

static int setup(void **state)
{
	static const char *const pages[] = { page };
	struct history *h = xmalloc(sizeof(*h));

	history_open(h, pages, 1);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	history_close(*state);
	free(*state);
	return 0;
}

/* ---- judging ------------------------------------------------------------- */

/* drift_eval's callback: each row as an object in the array ctx. */
static int keep_row(void *ctx, const struct drift_row *row)
{
	json_t *o = json_pack("{s:s?,s:s?,s:s,s:s,s:o,s:o?,s:o}",
			      "resource_id", row->resource_id,
			      "name", row->name,
			      "status", rule_status_name(row->status),
			      "reason", row->reason,
			      "detail", json_loads(row->detail, 0, NULL),
			      "evidence", row->evidence ?
			      json_loads(row->evidence, 0, NULL) : NULL,
			      "entries", json_loads(row->entries, 0, NULL));

	assert_non_null(o);
	json_array_append_new(ctx, o);
	return 0;
}

/* The rows desired gives on h's run; the call must succeed. */
static json_t *judge(struct history *h, const char *desired)
{
	struct err_detail d = { "", "" };
	json_t *rows = json_array();

	if (drift_eval(store_db(h->s), h->run, desired, strlen(desired),
		       keep_row, rows, &d) < 0)
		fail_msg("drift_eval: %s (%s)", d.msg, d.where);
	return rows;
}

/* The one row about the file system named name. */
static json_t *row_of(json_t *rows, const char *name)
{
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));

		if (n && !strcmp(n, name))
			return r;
	}
	fail_msg("no row for %s", name);
	return NULL;
}

static void expect_status(json_t *row, const char *status)
{
	const char *s = json_string_value(json_object_get(row, "status"));

	if (strcmp(s, status))
		fail_msg("expected %s, got %s: %s", status, s,
			 json_string_value(json_object_get(row, "reason")));
}

/* row's detail must be exactly want (JSON text). */
static void expect_detail(json_t *row, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	char *got;

	assert_non_null(w);
	if (!json_equal(w, json_object_get(row, "detail"))) {
		got = json_dumps(json_object_get(row, "detail"), JSON_COMPACT);
		fail_msg("detail:\n  got  %s\n  want %s", got, want);
	}
	json_decref(w);
}

static void ok_when_it_matches(void **state)
{
	json_t *rows = judge(*state,
		"{\"filesystems\": [{\"name\": \"amlfs-prod-1\","
		" \"location\": \"eastus\", \"zones\": [\"1\"],"
		" \"sku\": {\"name\": \"AMLFS-Durable-Premium-125\"},"
		" \"properties\": {\"storageCapacityTiB\": 128.0,"
		"  \"maintenanceWindow\": {\"dayOfWeek\": \"Sunday\","
		"   \"timeOfDayUTC\": \"22:00\"}},"
		" \"tags\": {\"CostCenter\": \"CC-1\"}}]}");
	json_t *r;

	assert_int_equal(json_array_size(rows), 1);
	r = json_array_get(rows, 0);
	expect_status(r, "ok");
	expect_detail(r, "[]");
	assert_string_equal(json_string_value(json_object_get(r,
			    "resource_id")), FS_ID("rg-prod", "amlfs-prod-1"));
	assert_string_equal(json_string_value(json_object_get(r, "reason")),
			    "matches the desired state of filesystems[0] "
			    "(7 values checked)");
	assert_int_equal(json_array_size(json_object_get(r, "evidence")), 1);
	assert_true(json_integer_value(json_array_get(
			json_object_get(r, "evidence"), 0)) > 0);
	json_decref(rows);
}

static void alarm_names_path_desired_and_live(void **state)
{
	json_t *rows = judge(*state,
		"{\"filesystems\": [{\"name\": \"amlfs-prod-1\","
		" \"zones\": [\"1\", \"2\"],"
		" \"sku\": {\"name\": \"AMLFS-Durable-Premium-125\"},"
		" \"properties\": {"
		"  \"maintenanceWindow\": {\"dayOfWeek\": \"Saturday\"},"
		"  \"rootSquashSettings\": \"None\","
		"  \"encryptionSettings\": {\"keyEncryptionKey\": {}}},"
		" \"tags\": {\"Owner\": \"ops@contoso.com\","
		"  \"cost-center\": \"CC-1\"}}]}");
	json_t *r = row_of(rows, "amlfs-prod-1");

	expect_status(r, "alarm");
	expect_detail(r, "["
		"{\"path\": \"zones\", \"desired\": [\"1\", \"2\"],"
		" \"live\": [\"1\"]},"
		"{\"path\": \"properties.maintenanceWindow.dayOfWeek\","
		" \"desired\": \"Saturday\", \"live\": \"Sunday\"},"
		"{\"path\": \"properties.rootSquashSettings\","
		" \"desired\": \"None\","
		" \"live\": {\"mode\": \"All\", \"squashUID\": 65534}},"
		"{\"path\": \"properties.encryptionSettings\","
		" \"desired\": {\"keyEncryptionKey\": {}}, \"live\": null},"
		"{\"path\": \"tags.Owner\", \"desired\": \"ops@contoso.com\","
		" \"live\": null},"
		"{\"path\": \"tags.\\\"cost-center\\\"\", \"desired\": \"CC-1\","
		" \"live\": null}]");
	assert_string_equal(json_string_value(json_object_get(r, "reason")),
			    "6 values differ from the desired state of "
			    "filesystems[0]: zones, "
			    "properties.maintenanceWindow.dayOfWeek, "
			    "properties.rootSquashSettings, "
			    "properties.encryptionSettings, tags.Owner and 1 "
			    "more");
	json_decref(rows);
}

static void a_subset_checks_only_what_it_names(void **state)
{
	json_t *rows = judge(*state,
		"{\"filesystems\": ["
		" {\"name\": \"amlfs-prod-1\", \"properties\": {"
		"  \"maintenanceWindow\": {\"timeOfDayUTC\": \"22:00\"},"
		"  \"encryptionSettings\": null, \"hsm\": null}},"
		" {\"name\": \"amlfs-render-a\"},"
		" {\"name\": \"amlfs-render-b\", \"properties\": {},"
		"  \"tags\": {}}]}");
	size_t i;
	json_t *r;

	assert_int_equal(json_array_size(rows), 3);
	json_array_foreach(rows, i, r)
		expect_status(r, "ok");
	json_decref(rows);
	/* null asks for absence: present is drift. */
	rows = judge(*state, "{\"filesystems\": [{\"name\": \"amlfs-prod-1\","
		     " \"properties\": {\"health\": null}}]}");
	r = row_of(rows, "amlfs-prod-1");
	expect_status(r, "alarm");
	expect_detail(r, "[{\"path\": \"properties.health\", \"desired\": null,"
		      " \"live\": {\"state\": \"Available\"}}]");
	json_decref(rows);
}

static void tag_keys_compare_without_case(void **state)
{
	json_t *rows = judge(*state,
		"{\"filesystems\": [{\"name\": \"AMLFS-PROD-1\","
		" \"tags\": {\"costcenter\": \"CC-1\", \"ENV\": \"prod\"}}]}");

	expect_status(row_of(rows, "amlfs-prod-1"), "ok");
	json_decref(rows);
	/* Values do not: and other keys keep their case. */
	rows = judge(*state,
		"{\"filesystems\": [{\"name\": \"amlfs-prod-1\","
		" \"tags\": {\"ENV\": \"Prod\"},"
		" \"SKU\": {\"name\": \"AMLFS-Durable-Premium-125\"}}]}");
	expect_detail(row_of(rows, "amlfs-prod-1"),
		      "[{\"path\": \"tags.ENV\", \"desired\": \"Prod\","
		      " \"live\": \"prod\"},"
		      "{\"path\": \"SKU\","
		      " \"desired\": {\"name\": \"AMLFS-Durable-Premium-125\"},"
		      " \"live\": null}]");
	json_decref(rows);
}

static void a_regex_entry_judges_each_match(void **state)
{
	json_t *rows = judge(*state,
		"{\"filesystems\": ["
		" {\"name_regex\": \"^amlfs-render-\","
		"  \"sku\": {\"name\": \"AMLFS-Durable-Premium-250\"}},"
		" {\"name\": \"amlfs-render-b\","
		"  \"properties\": {\"storageCapacityTiB\": 48}}]}");
	json_t *a, *b, *want;

	assert_int_equal(json_array_size(rows), 2);
	a = json_array_get(rows, 0);
	b = json_array_get(rows, 1);
	assert_string_equal(json_string_value(json_object_get(a, "name")),
			    "amlfs-render-a");
	expect_status(a, "ok");
	expect_status(b, "alarm");
	expect_detail(b, "[{\"path\": \"sku.name\","
		      " \"desired\": \"AMLFS-Durable-Premium-250\","
		      " \"live\": \"AMLFS-Durable-Premium-40\"}]");
	want = json_pack("[s,s]", "filesystems[0]", "filesystems[1]");
	assert_true(json_equal(json_object_get(b, "entries"), want));
	json_decref(want);
	json_decref(rows);
}

static void an_unmatched_entry_is_reported(void **state)
{
	struct history *h = *state;
	json_t *rows = judge(h,
		"{\"filesystems\": ["
		" {\"name\": \"amlfs-prod-1\"},"
		" {\"name\": \"amlfs-gone\"},"
		" {\"name_regex\": \"^amlfs-render-\", \"id\": \"/nope\"}]}");
	char want[160];
	json_t *r;

	assert_int_equal(json_array_size(rows), 3);
	expect_status(json_array_get(rows, 0), "ok");
	r = json_array_get(rows, 1);
	expect_status(r, "error");
	assert_true(json_is_null(json_object_get(r, "resource_id")));
	assert_true(json_is_null(json_object_get(r, "evidence")));
	expect_detail(r, "[]");
	snprintf(want, sizeof(want), "no file system in run %lld matches "
		 "filesystems[1] (name 'amlfs-gone')", (long long)h->run);
	assert_string_equal(json_string_value(json_object_get(r, "reason")),
			    want);
	r = json_array_get(rows, 2);
	expect_status(r, "error");
	snprintf(want, sizeof(want), "no file system in run %lld matches "
		 "filesystems[2] (id '/nope' and name_regex '^amlfs-render-')",
		 (long long)h->run);
	assert_string_equal(json_string_value(json_object_get(r, "reason")),
			    want);
	json_decref(rows);
}

static int count_calls(void *ctx, const struct drift_row *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

/* drift_eval must fail with code, d.where want_where and a message
 * containing want_msg, before calling back at all. */
static void fails(struct history *h, const char *desired, int code,
		  const char *want_where, const char *want_msg)
{
	struct err_detail d = { "", "" };
	int calls = 0;

	assert_int_equal(drift_eval(store_db(h->s), h->run, desired,
				    strlen(desired), count_calls, &calls, &d),
			 code);
	assert_int_equal(calls, 0);
	if (strcmp(d.where, want_where) || !strstr(d.msg, want_msg))
		fail_msg("got '%s' (%s), want '%s' (%s)", d.msg, d.where,
			 want_msg, want_where);
	assert_int_equal(drift_validate(desired, strlen(desired), NULL),
			 code == -ERR_NOT_FOUND ? 0 : code);
}

static void bad_json_names_its_position(void **state)
{
	fails(*state, "{\n  \"filesystems\": [\n    {\"name\": \"x\",}\n  ]\n}",
	      -ERR_CONFIG, "line 3, column 18", "not valid JSON");
	fails(*state, "{\"filesystems\": [{\"name\": \"a\", \"name\": \"b\"}]}",
	      -ERR_CONFIG, "line 1, column 37", "duplicate object key");
	fails(*state, "[]", -ERR_CONFIG, "", "must be a JSON object");
	fails(*state, "{\"filesystem\": []}", -ERR_CONFIG, "filesystem",
	      "unknown key");
	fails(*state, "{\"filesystems\": {}}", -ERR_CONFIG, "filesystems",
	      "an array");
	fails(*state, "{\"filesystems\": [{\"name\": \"a\"}, 3]}", -ERR_CONFIG,
	      "filesystems[1]", "must be a JSON object");
	fails(*state, "{\"filesystems\": [{\"sku\": {}}]}", -ERR_CONFIG,
	      "filesystems[0]", "needs 'name', 'name_regex' or 'id'");
	fails(*state, "{\"filesystems\": [{\"name\": 7}]}", -ERR_CONFIG,
	      "filesystems[0].name", "non-empty string");
}

static void bad_regex_gives_pcre2_message(void **state)
{
	fails(*state, "{\"filesystems\": [{\"name\": \"amlfs-prod-1\"},"
	      " {\"name_regex\": \"^(amlfs-render\"}]}", -ERR_CONFIG,
	      "filesystems[1].name_regex", "missing closing parenthesis");
}

static void a_missing_run_and_a_stop(void **state)
{
	struct history *h = *state;
	struct err_detail d = { "", "" };
	const char *desired = "{\"filesystems\": [{\"name_regex\": \".\"}]}";
	int calls = 0;

	assert_int_equal(drift_eval(store_db(h->s), h->run + 1, desired,
				    strlen(desired), count_calls, &calls, &d),
			 -ERR_NOT_FOUND);
	assert_int_equal(calls, 0);
	assert_non_null(strstr(d.msg, "no run"));
}

static int stop_at_first(void *ctx, const struct drift_row *row)
{
	(void)row;
	(*(int *)ctx)++;
	return -ERR_USAGE;
}

static void a_callback_can_stop(void **state)
{
	struct history *h = *state;
	const char *desired = "{\"filesystems\": [{\"name_regex\": \".\"}]}";
	int calls = 0;

	assert_int_equal(drift_eval(store_db(h->s), h->run, desired,
				    strlen(desired), stop_at_first, &calls,
				    NULL), -ERR_USAGE);
	assert_int_equal(calls, 1);
}

/* ---- round trip ---------------------------------------------------------- */

static char *read_source(const char *rel)
{
	const char *root = getenv("SOURCE_ROOT");
	struct sbuf sb = SBUF_INIT;
	char *path;

	assert_non_null(root);
	path = fs_join(root, rel);
	if (fs_read_file(path, &sb) < 0)
		fail_msg("cannot read %s", path);
	free(path);
	return sbuf_detach(&sb, NULL);
}

/* 'amlfs-audit desired capture ARGS' on h; its stdout (caller frees). */
static char *capture(struct history *h, int argc, char **argv, int want)
{
	struct app app;
	char *out = NULL;
	size_t len = 0;

	memset(&app, 0, sizeof(app));
	app.out = open_memstream(&out, &len);
	app.err = stderr;
	app.store = h->s;
	app.datadir = getenv("SOURCE_ROOT");
	assert_non_null(app.datadir);
	optind = 0;
	assert_int_equal(cmd_desired(argc, argv, &app), want);
	fclose(app.out);
	return out;
}

/* The sample estate: the recorded file-system pages of samples/replay. */
static int setup_samples(void **state)
{
	static const char *const files[] = {
		"samples/replay/bodies/research-hpc/amlfilesystems.page1.json",
		"samples/replay/bodies/research-hpc/amlfilesystems.page2.json",
		"samples/replay/bodies/research-hpc/amlfilesystems.page3.json",
		"samples/replay/bodies/media-rendering/amlfilesystems.page1.json",
	};
	struct history *h = xmalloc(sizeof(*h));
	char *pages[4];
	size_t i;

	for (i = 0; i < 4; i++)
		pages[i] = read_source(files[i]);
	history_open(h, (const char *const *)pages, 4);
	for (i = 0; i < 4; i++)
		free(pages[i]);
	*state = h;
	return 0;
}

static void capture_round_trips(void **state)
{
	static const char *const volatile_keys[] = { "provisioningState",
		"\"health\"", "clientInfo", "mgsAddress", "systemData",
		"archiveStatus", "throughputProvisionedMBps", "principalId",
		"nodemap", NULL };
	char *argv[] = { "desired", "capture", NULL };
	char *text = capture(*state, 2, argv, 0);
	json_t *rows, *r;
	size_t i;

	for (i = 0; volatile_keys[i]; i++)
		if (strstr(text, volatile_keys[i]))
			fail_msg("capture holds %s", volatile_keys[i]);
	rows = judge(*state, text);
	assert_int_equal(json_array_size(rows), 8);
	json_array_foreach(rows, i, r)
		expect_status(r, "ok");
	json_decref(rows);
	free(text);
}

/* samples/desired.json drifts where its description says, and only there. */
static void sample_desired_state_drifts_on_purpose(void **state)
{
	char *text = read_source("samples/desired.json");
	json_t *rows = judge(*state, text), *r;
	size_t i;

	assert_int_equal(json_array_size(rows), 7);	/* not cfd-transient */
	json_array_foreach(rows, i, r) {
		const char *name = json_string_value(json_object_get(r,
								     "name"));

		if (strcmp(name, "amlfs-render-feature-film") &&
		    strcmp(name, "amlfs-genomics-scratch"))
			expect_status(r, "ok");
	}
	expect_detail(row_of(rows, "amlfs-render-feature-film"),
		      "[{\"path\": \"properties.rootSquashSettings.mode\","
		      " \"desired\": \"All\", \"live\": \"None\"}]");
	expect_detail(row_of(rows, "amlfs-genomics-scratch"),
		      "[{\"path\": \"tags.CostCenter\","
		      " \"desired\": \"CC-4410\", \"live\": \"cc-4410\"}]");
	json_decref(rows);
	free(text);
}

static void capture_of_named_file_systems(void **state)
{
	char *argv[] = { "desired", "capture", "--fs", "AMLFS-RENDER-B",
			 "--fs", "amlfs-prod-1", NULL };
	char *bad[] = { "desired", "capture", "--fs", "amlfs-nope", NULL };
	char *text = capture(*state, 6, argv, 0);
	json_t *doc = json_loads(text, 0, NULL), *list;
	char *got;

	assert_non_null(doc);
	list = json_object_get(doc, "filesystems");
	assert_int_equal(json_array_size(list), 2);
	/* Inventory order; name first, then the rest, keys sorted below. */
	got = json_dumps(json_array_get(list, 0), JSON_COMPACT);
	assert_string_equal(got,
		"{\"name\":\"amlfs-prod-1\",\"location\":\"eastus\","
		"\"sku\":{\"name\":\"AMLFS-Durable-Premium-125\"},"
		"\"zones\":[\"1\"],\"properties\":{\"maintenanceWindow\":"
		"{\"dayOfWeek\":\"Sunday\",\"timeOfDayUTC\":\"22:00\"},"
		"\"rootSquashSettings\":{\"mode\":\"All\",\"squashUID\":65534},"
		"\"storageCapacityTiB\":128},"
		"\"tags\":{\"CostCenter\":\"CC-1\",\"env\":\"prod\"}}");
	free(got);
	json_decref(doc);
	free(text);
	text = capture(*state, 4, bad, EXIT_USAGE);
	assert_string_equal(text, "");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ok_when_it_matches),
		cmocka_unit_test(alarm_names_path_desired_and_live),
		cmocka_unit_test(a_subset_checks_only_what_it_names),
		cmocka_unit_test(tag_keys_compare_without_case),
		cmocka_unit_test(a_regex_entry_judges_each_match),
		cmocka_unit_test(an_unmatched_entry_is_reported),
		cmocka_unit_test(bad_json_names_its_position),
		cmocka_unit_test(bad_regex_gives_pcre2_message),
		cmocka_unit_test(a_missing_run_and_a_stop),
		cmocka_unit_test(a_callback_can_stop),
		cmocka_unit_test(capture_of_named_file_systems),
	};
	const struct CMUnitTest samples[] = {
		cmocka_unit_test(capture_round_trips),
		cmocka_unit_test(sample_desired_state_drifts_on_purpose),
	};
	int failed;

	failed = cmocka_run_group_tests_name("drift", tests, setup, teardown);
	return failed + cmocka_run_group_tests_name("samples", samples,
						    setup_samples, teardown);
}
