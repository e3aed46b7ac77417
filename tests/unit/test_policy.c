/*
 * Policy rules: the SQL functions and helper views, the rule-file header,
 * evaluation and its refusals, and every built-in rule against fixtures
 * (tests/data/policy/<rule-id>/{pass,fail}.json) projected into a history
 * by the real projector and judged on a read-only connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "collect/project.h"
#include "policy/rules.h"
#include "policy/sqlfuncs.h"
#include "store/db.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SUB "00000000-0000-0000-0000-0000000000a1"
#define RG "rg-policy"

/* ---- small helpers ------------------------------------------------------- */

static sqlite3 *mem_db(void)
{
	sqlite3 *db = NULL;
	struct err_detail d;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(policy_register_functions(db, &d), 0);
	return db;
}

/* The single value of sql as text (NULL for SQL NULL); caller frees. */
static char *sql_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static void expect_text(sqlite3 *db, const char *sql, const char *want)
{
	char *got = sql_text(db, sql);

	if (!want && got)
		fail_msg("%s: expected NULL, got '%s'", sql, got);
	if (want && (!got || strcmp(got, want)))
		fail_msg("%s: expected '%s', got '%s'", sql, want,
			 got ? got : "NULL");
	free(got);
}

/* sql must fail when stepped; its message must contain want. */
static void expect_sql_error(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		fail_msg("%s: expected an error containing '%s'", sql, want);
	if (!strstr(sqlite3_errmsg(db), want))
		fail_msg("%s: error '%s' lacks '%s'", sql, sqlite3_errmsg(db),
			 want);
	sqlite3_finalize(st);
}

static char *source_path(const char *rel)
{
	const char *root = getenv("SOURCE_ROOT");

	assert_non_null(root);
	return fs_join(root, rel);
}

static json_t *load_json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		fail_msg("%s:%d: %s", path, e.line, e.text);
	return j;
}

/* ---- REGEXP -------------------------------------------------------------- */

static void regexp_matches_utf8_and_null(void **state)
{
	sqlite3 *db = mem_db();

	(void)state;
	expect_text(db, "SELECT 'amlfs-prod' REGEXP '^amlfs-'", "1");
	expect_text(db, "SELECT 'scratch' REGEXP '^amlfs-'", "0");
	expect_text(db, "SELECT NULL REGEXP 'a'", NULL);
	expect_text(db, "SELECT 'a' REGEXP NULL", NULL);
	/* UTF-8: one character, not two bytes; \p{L} knows letters. */
	expect_text(db, "SELECT 'José Müller' REGEXP '^Jos. M\\p{L}ller$'", "1");
	expect_text(db, "SELECT 'é' REGEXP '^.$'", "1");
	expect_text(db, "SELECT 'MR-2001' REGEXP '(?i)^mr-\\d+$'", "1");
	/* An invalid UTF-8 subject is no error, it just does not match. */
	expect_text(db, "SELECT CAST(x'C328' AS TEXT) REGEXP '^a'", "0");
	expect_text(db, "SELECT CAST(x'C328' AS TEXT) REGEXP '\\('", "1");
	sqlite3_close(db);
}

static void regexp_cache_survives_many_patterns(void **state)
{
	sqlite3 *db = mem_db();

	(void)state;
	/* More distinct patterns than the cache holds, each used twice, in
	 * one statement (per-row patterns) and across statements. */
	expect_text(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
		    "SELECT i + 1 FROM n WHERE i < 100) "
		    "SELECT sum(('x' || (i % 40)) REGEXP ('^x' || (i % 40) || '$')) "
		    "FROM n", "100");
	expect_text(db, "SELECT count(*) FROM (SELECT 1 UNION ALL SELECT 2) "
		    "WHERE 'abc' REGEXP 'b'", "2");
	expect_text(db, "SELECT 'abc' REGEXP 'b'", "1");
	sqlite3_close(db);
}

static void regexp_bad_pattern_names_pcre2_message(void **state)
{
	sqlite3 *db = mem_db();
	struct err_detail d;

	(void)state;
	expect_sql_error(db, "SELECT 'a' REGEXP '(unclosed'",
			 "missing closing parenthesis at offset 9");
	expect_sql_error(db, "SELECT 'a' REGEXP '(unclosed'", "'(unclosed'");
	assert_int_equal(policy_regex_check("[a-", &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "missing terminating ]"));
	assert_int_equal(policy_regex_check("^ok$", &d), 0);
	sqlite3_close(db);
}

static void regexp_catastrophic_pattern_is_stopped(void **state)
{
	sqlite3 *db = mem_db();
	struct timespec t0, t1;
	double secs;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_sql_error(db, "SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aaaaaaaaaaaaaaaaaa!' REGEXP '^(a+)+$'", "match limit");
	expect_sql_error(db, "SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aaaaaaaaaaaaaaaaaa!' REGEXP '^(a|aa)+$'", "simplify it");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (secs > 5)
		fail_msg("the match limit took %.1f s", secs);
	sqlite3_close(db);
}

/* ---- dates, durations, lists --------------------------------------------- */

static void durations_are_strict(void **state)
{
	sqlite3 *db = mem_db();
	static const char *const junk[] = {
		"''", "'P'", "'PT'", "'30D'", "'P1H'", "'P1DT'", "'P1.5D'",
		"'P1D '", "' P1D'", "'PT1H1H'", "'P1D2W'", "'PT1S1M'", "'p1d'",
		"'P-1D'", "'P99999999999D'",
	};
	char sql[128];
	size_t i;

	(void)state;
	expect_text(db, "SELECT iso_duration_seconds('P30D')", "2592000");
	expect_text(db, "SELECT iso_duration_seconds('PT1H')", "3600");
	expect_text(db, "SELECT iso_duration_seconds('P1DT12H')", "129600");
	expect_text(db, "SELECT iso_duration_seconds('P2W')", "1209600");
	expect_text(db, "SELECT iso_duration_seconds('PT1M30S')", "90");
	expect_text(db, "SELECT iso_duration_seconds('-P1D')", "-86400");
	expect_text(db, "SELECT iso_duration_seconds('P0D')", "0");
	expect_text(db, "SELECT iso_duration_seconds(NULL)", NULL);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT iso_duration_seconds(%s)",
			 junk[i]);
		expect_sql_error(db, sql, "not an ISO 8601 duration");
	}
	expect_sql_error(db, "SELECT iso_duration_seconds('P1M')",
			 "no fixed length");
	expect_sql_error(db, "SELECT iso_add('2026-01-01', 'soon')",
			 "iso_add: not an ISO 8601 duration: 'soon'");
	sqlite3_close(db);
}

static void dates_are_strict_and_add_up(void **state)
{
	sqlite3 *db = mem_db();
	static const char *const junk[] = {
		"'2026-02-29'", "'2100-02-29'", "'2026-13-01'", "'2026-04-31'",
		"'2026-1-01'", "'2026-01-01x'", "'2026-01-01T25:00:00Z'",
		"'2026-01-01T10:00:00'", "'2026-01-01T10:00Z'",
		"'2026-01-01T10:00:60Z'", "'2026-01-01T10:00:00.Z'",
		"'2026-01-01T10:00:00+0100'", "'2026-01-01T10:00:00Zjunk'",
		"'0000-01-01'", "'soon'", "''", "'2026-01-01 '",
		"'2026-01-01t10:00:00z'",
	};
	char sql[160];
	size_t i;

	(void)state;
	expect_text(db, "SELECT iso_add('2026-11-02T03:00:00Z', 'PT1H')",
		    "2026-11-02T04:00:00Z");
	expect_text(db, "SELECT iso_add('2026-11-02', 'P30D')",
		    "2026-12-02T00:00:00Z");
	expect_text(db, "SELECT iso_add('2026-11-02T03:00:00.123+02:00', 'PT1H')",
		    "2026-11-02T02:00:00Z");
	expect_text(db, "SELECT iso_add('2026-01-31', 'P1M')",
		    "2026-02-28T00:00:00Z");
	expect_text(db, "SELECT iso_add('2024-02-29T12:00:00Z', 'P1Y')",
		    "2025-02-28T12:00:00Z");
	expect_text(db, "SELECT iso_add('2026-03-01T00:00:00Z', '-P1D')",
		    "2026-02-28T00:00:00Z");
	expect_text(db, "SELECT iso_add('2026-03-31', '-P1M1D')",
		    "2026-02-27T00:00:00Z");
	expect_text(db, "SELECT iso_add('1969-12-31T23:00:00Z', 'PT2H')",
		    "1970-01-01T01:00:00Z");
	expect_text(db, "SELECT iso_add('9999-12-31', 'P1D')", NULL);
	expect_text(db, "SELECT iso_datetime('2026-11-02 03:00:00')",
		    "2026-11-02T03:00:00Z");
	expect_text(db, "SELECT iso_datetime('2024-02-29')",
		    "2024-02-29T00:00:00Z");
	expect_text(db, "SELECT iso_datetime('2000-02-29T23:59:59-01:00')",
		    "2000-03-01T00:59:59Z");
	expect_text(db, "SELECT days_between('2026-01-01', '2026-01-31')", "30.0");
	expect_text(db, "SELECT days_between('2026-01-01T00:00:00Z', "
		    "'2026-01-01T12:00:00Z')", "0.5");
	expect_text(db, "SELECT days_between('2026-01-02', '2026-01-01')", "-1.0");
	expect_text(db, "SELECT days_between('2026-01-01T00:00:00.5Z', "
		    "'2026-01-01T00:00:01Z') * 86400", "0.5");
	expect_text(db, "SELECT days_between(NULL, '2026-01-01')", NULL);
	expect_text(db, "SELECT iso_add(NULL, 'P1D')", NULL);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT iso_datetime(%s)", junk[i]);
		expect_text(db, sql, NULL);
		snprintf(sql, sizeof(sql), "SELECT days_between(%s, '2026-01-01')",
			 junk[i]);
		expect_text(db, sql, NULL);
		snprintf(sql, sizeof(sql), "SELECT iso_add(%s, 'P1D')", junk[i]);
		expect_text(db, sql, NULL);
	}
	sqlite3_close(db);
}

static void lists_and_key_folding(void **state)
{
	sqlite3 *db = mem_db();

	(void)state;
	expect_text(db, "SELECT split_list(' CostCenter, Owner,,\"x\" ,')",
		    "[\"CostCenter\",\"Owner\",\"\\\"x\\\"\"]");
	expect_text(db, "SELECT split_list('')", "[]");
	expect_text(db, "SELECT split_list(NULL)", NULL);
	expect_text(db, "SELECT key_fold('Cost Center')", "costcenter");
	expect_text(db, "SELECT key_fold('cost_center') = key_fold('Cost-Center')",
		    "1");
	expect_text(db, "SELECT key_fold(NULL)", NULL);
	sqlite3_close(db);
}

/* ---- building a history from fixtures ------------------------------------ */

struct builder {
	sqlite3 *db;
	struct projector *p;
	json_t *tmpl;
	sqlite3_int64 run;
	int seq;
};

/* A copy of j with each {var} in its strings replaced. */
static json_t *subst(json_t *j, const char *const vars[][2], size_t n)
{
	const char *k, *s;
	json_t *v, *out;
	size_t i, m;

	if (json_is_object(j)) {
		out = json_object();
		json_object_foreach(j, k, v)
			json_object_set_new(out, k, subst(v, vars, n));
		return out;
	}
	if (json_is_array(j)) {
		out = json_array();
		json_array_foreach(j, i, v)
			json_array_append_new(out, subst(v, vars, n));
		return out;
	}
	if (!json_is_string(j))
		return json_deep_copy(j);
	{
		struct sbuf sb = SBUF_INIT;

		for (s = json_string_value(j); *s;) {
			for (m = 0; m < n; m++) {
				size_t len = strlen(vars[m][0]);

				if (!strncmp(s, vars[m][0], len)) {
					sbuf_adds(&sb, vars[m][1]);
					s += len;
					break;
				}
			}
			if (m == n)
				sbuf_addch(&sb, *s++);
		}
		out = json_string(sb.buf);
		sbuf_release(&sb);
		return out;
	}
}

/* base with over merged in: objects merge, null removes, tags replace,
 * members starting with '$' are the harness's and are left out. */
static json_t *merge(json_t *base, json_t *over)
{
	json_t *out = json_deep_copy(base), *v, *b;
	const char *k;

	json_object_foreach(over, k, v) {
		if (k[0] == '$')
			continue;
		b = json_object_get(out, k);
		if (json_is_null(v))
			json_object_del(out, k);
		else if (json_is_object(v) && json_is_object(b) &&
			 strcmp(k, "tags"))
			json_object_set_new(out, k, merge(b, v));
		else
			json_object_set(out, k, v);
	}
	return out;
}

static sqlite3_int64 insert_id(sqlite3 *db, const char *sql, const char *a,
			       const char *b, const char *c, const char *e,
			       sqlite3_int64 i)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, i);
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return sqlite3_last_insert_rowid(db);
}

static sqlite3_int64 select_id(sqlite3 *db, const char *sql, const char *a,
			       const char *b, const char *c)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 id;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: no row", sql);
	id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

/* Store body as one response of kind and project it (unless status says
 * the answer was an error). reqbody: a POST's body, or NULL for a GET. */
static void add_post(struct builder *b, const char *kind, const char *subject,
		     const char *url, const char *reqbody, json_t *body)
{
	char *txt = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char sha[SHA256_HEX_LEN + 1], size[24];
	json_t *st = json_object_get(body, "$status");
	int status = st ? (int)json_integer_value(st) : 200;
	sqlite3_int64 req, bid, eid;
	struct err_detail d = { "", "" };
	char ev[160];

	assert_int_equal(sha256_hex(txt, strlen(txt), sha), 0);
	snprintf(size, sizeof(size), "%zu", strlen(txt));
	insert_id(b->db, "INSERT OR IGNORE INTO bodies (sha256, size, content) "
		  "VALUES (?1, ?2, CAST(?3 AS BLOB))", sha, size, txt, NULL, 0);
	bid = select_id(b->db, "SELECT id FROM bodies WHERE sha256 = ?1", sha,
			NULL, NULL);
	insert_id(b->db, "INSERT OR IGNORE INTO requests (method, url, kind, "
		  "subject, body) VALUES (CASE WHEN ?4 = '' THEN 'GET' ELSE "
		  "'POST' END, ?1, ?2, ?3, ?4)", url, kind, subject,
		  reqbody ? reqbody : "", 0);
	req = select_id(b->db, "SELECT id FROM requests WHERE url = ?1 AND "
			"kind = ?2 AND subject = ?3", url, kind, subject);
	snprintf(ev, sizeof(ev), "INSERT INTO evidence (run_id, seq, request, "
		 "status, fetched_at, body, projected) VALUES (%lld, %d, %lld, "
		 "%d, 0, %lld, %d)", (long long)b->run, ++b->seq, (long long)req,
		 status, (long long)bid, status == 200);
	eid = insert_id(b->db, ev, NULL, NULL, NULL, NULL, 0);
	if (status == 200 && project_page(b->p, b->run, eid, kind, subject,
					  body, &d) < 0)
		fail_msg("projecting %s %s: %s", kind, subject, d.msg);
	free(txt);
}

static void add_page(struct builder *b, const char *kind, const char *subject,
		     const char *url, json_t *body)
{
	add_post(b, kind, subject, url, NULL, body);
}

static const char *const list_kinds[] = {
	KIND_IMPORT_JOBS, KIND_AUTO_EXPORT_JOBS, KIND_AUTO_IMPORT_JOBS,
	KIND_ROLE_ASSIGNMENTS, KIND_LOCKS, KIND_DIAGNOSTIC_SETTINGS,
};

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static char *fs_id(const char *sub, const char *rg, const char *name)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "/subscriptions/%s/resourceGroups/%s/providers/"
		  "Microsoft.StorageCache/amlFilesystems/%s", sub, rg, name);
	return sbuf_detach(&sb, NULL);
}

/* One file system of a run: its list item (returned) and its lists. */
static json_t *add_filesystem(struct builder *b, json_t *spec)
{
	const char *name = str_or(spec, "name", "fs1");
	const char *sub = str_or(spec, "$sub", SUB), *rg = str_or(spec, "$rg", RG);
	char *id = fs_id(sub, rg, name);
	const char *vars[][2] = { { "{sub}", sub }, { "{rg}", rg },
				  { "{fs}", id }, { "{name}", name } };
	json_t *lists = json_object_get(spec, "$lists"), *raw, *item, *body;
	struct sbuf url = SBUF_INIT;
	size_t i;

	raw = merge(json_object_get(b->tmpl, "filesystem"), spec);
	item = subst(raw, vars, 4);
	json_decref(raw);
	for (i = 0; i < sizeof(list_kinds) / sizeof(list_kinds[0]); i++) {
		/* A member set to null is a list the run did not read. */
		body = lists ? json_object_get(lists, list_kinds[i]) : NULL;
		if (!body)
			body = json_object_get(json_object_get(b->tmpl, "lists"),
					       list_kinds[i]);
		if (!body || json_is_null(body))
			continue;
		body = subst(body, vars, 4);
		sbuf_reset(&url);
		sbuf_addf(&url, "https://management.azure.com%s/%s", id,
			  list_kinds[i]);
		add_page(b, list_kinds[i], id, url.buf, body);
		json_decref(body);
	}
	sbuf_release(&url);
	free(id);
	return item;
}

/*
 * The metrics of a run: one request per file system, or with batch one
 * getBatch POST for them all (subject "sub/region", the ids in the request
 * body), as collect does.
 */
static void add_metric_pages(struct builder *b, json_t *by_fs, json_t *fss,
			     int batch)
{
	json_t *list, *f, *values = json_array(), *ids = json_array(), *body;
	struct sbuf url = SBUF_INIT;
	const char *k;
	char *id, *req;
	size_t j;

	json_object_foreach(by_fs, k, list) {
		id = NULL;
		json_array_foreach(fss, j, f)
			if (!strcmp(str_or(f, "name", "fs1"), k))
				id = fs_id(str_or(f, "$sub", SUB),
					   str_or(f, "$rg", RG), k);
		if (!id)
			fail_msg("metrics for unknown file system '%s'", k);
		json_array_append_new(values, json_pack("{s:s,s:O}",
					"resourceid", id, "value", list));
		json_array_append_new(ids, json_string(id));
		sbuf_reset(&url);
		sbuf_addf(&url, "https://management.azure.com%s/providers/"
			  "Microsoft.Insights/metrics", id);
		body = json_pack("{s:O}", "value", list);
		if (!batch)
			add_page(b, KIND_METRICS, id, url.buf, body);
		json_decref(body);
		free(id);
	}
	if (batch && json_array_size(ids)) {
		body = json_pack("{s:O}", "resourceids", ids);
		req = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		sbuf_reset(&url);
		sbuf_addf(&url, "https://eastus.metrics.monitor.azure.com/"
			  "subscriptions/%s/metrics:getBatch", SUB);
		body = json_pack("{s:O}", "values", values);
		add_post(b, KIND_METRICS, SUB "/eastus", url.buf, req, body);
		json_decref(body);
		free(req);
	}
	json_decref(values);
	json_decref(ids);
	sbuf_release(&url);
}

/* {"fs", "metric", "from", "hours", "value", "series"}: hourly points. */
static void add_metrics(struct builder *b, json_t *specs, json_t *fss,
			int batch)
{
	json_t *spec, *by_fs = json_object(), *list, *m, *series, *data;
	size_t i;

	json_array_foreach(specs, i, spec) {
		const char *name = str_or(spec, "fs", "fs1");
		int hours = (int)json_integer_value(json_object_get(spec, "hours"));
		int nser = (int)json_integer_value(json_object_get(spec, "series"));
		double v = json_number_value(json_object_get(spec, "value"));
		time_t t;
		char ts[21];
		int h, s;

		if (time_parse_iso(str_or(spec, "from", ""), &t) < 0)
			fail_msg("metrics spec %zu: bad 'from'", i);
		nser = nser > 0 ? nser : 1;
		list = json_object_get(by_fs, name);
		if (!list) {
			list = json_array();
			json_object_set_new(by_fs, name, list);
		}
		series = json_array();
		for (s = 0; s < nser; s++) {
			data = json_array();
			for (h = 0; h < hours; h++) {
				time_iso(t + h * 3600, ts);
				json_array_append_new(data, json_pack("{s:s,s:f}",
					"timeStamp", ts, "average", v / nser));
			}
			json_array_append_new(series, json_pack("{s:o}", "data",
								data));
		}
		m = json_pack("{s:{s:s},s:s,s:o}", "name", "value",
			      str_or(spec, "metric", "?"), "errorCode", "Success",
			      "timeseries", series);
		json_array_append_new(list, m);
	}
	add_metric_pages(b, by_fs, fss, batch);
	json_decref(by_fs);
}

static int has_string(json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (!strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

/* One run of a fixture. */
static void add_run(struct builder *b, json_t *spec)
{
	json_t *fss = json_object_get(spec, "filesystems"), *f, *item;
	json_t *subs = json_array(), *rgs = json_object(), *pages = json_object();
	const char *started = str_or(spec, "started_at", "2026-11-02T03:00:00Z");
	struct sbuf sql = SBUF_INIT;
	const char *k;
	size_t i;
	json_t *v;

	b->seq = 0;
	b->run = insert_id(b->db, "INSERT INTO runs (started_at, finished_at, "
			   "status, tool_version, source, scope, notes) VALUES "
			   "(?1, ?2, ?3, 't', 'replay', '{}', ?4)", started,
			   str_or(spec, "finished_at", started),
			   str_or(spec, "status", "ok"),
			   str_or(spec, "notes", NULL), 0);
	if (json_object_get(spec, "source"))	/* a check or an import run */
		insert_id(b->db, "UPDATE runs SET source = ?1 WHERE id = ?5",
			  str_or(spec, "source", NULL), NULL, NULL, NULL, b->run);
	json_array_foreach(fss, i, f) {
		const char *sub = str_or(f, "$sub", SUB), *rg = str_or(f, "$rg", RG);

		if (!has_string(subs, sub))
			json_array_append_new(subs, json_string(sub));
		sbuf_reset(&sql);
		sbuf_addf(&sql, "/subscriptions/%s/resourceGroups/%s", sub, rg);
		json_object_set_new(rgs, sql.buf, json_pack("[s,s]", sub, rg));
		item = add_filesystem(b, f);
		v = json_object_get(pages, sub);
		if (!v) {
			v = json_pack("{s:[]}", "value");
			json_object_set_new(pages, sub, v);
		}
		json_array_append_new(json_object_get(v, "value"), item);
	}
	json_array_foreach(json_object_get(spec, "subscriptions"), i, v)
		if (!has_string(subs, json_string_value(v)))
			json_array_append(subs, v);
	json_array_foreach(subs, i, v) {
		const char *sub = json_string_value(v);
		const char *vars[][2] = { { "{sub}", sub } };
		json_t *m = merge(json_object_get(b->tmpl, "subscription"),
				  json_object_get(spec, "subscription"));
		json_t *body = subst(m, vars, 1);

		sbuf_reset(&sql);
		sbuf_addf(&sql, "https://management.azure.com/subscriptions/%s",
			  sub);
		add_page(b, KIND_SUBSCRIPTION, sub, sql.buf, body);
		json_decref(body);
		json_decref(m);
	}
	json_object_foreach(rgs, k, v) {
		const char *sub = json_string_value(json_array_get(v, 0));
		const char *vars[][2] = { { "{sub}", sub },
			{ "{rg}", json_string_value(json_array_get(v, 1)) } };
		json_t *m = merge(json_object_get(b->tmpl, "resource_group"),
				  json_object_get(spec, "resource_group"));
		json_t *body = subst(m, vars, 2);

		sbuf_reset(&sql);
		sbuf_addf(&sql, "https://management.azure.com%s", k);
		add_page(b, KIND_RESOURCE_GROUP, sub, sql.buf, body);
		json_decref(body);
		json_decref(m);
	}
	json_object_foreach(pages, k, v) {
		sbuf_reset(&sql);
		sbuf_addf(&sql, "https://management.azure.com/subscriptions/%s/"
			  "providers/Microsoft.StorageCache/amlFilesystems", k);
		add_page(b, KIND_FILESYSTEMS, k, sql.buf, v);
	}
	add_metrics(b, json_object_get(spec, "metrics"), fss,
		    json_is_true(json_object_get(spec, "metrics_batch")));
	k = str_or(spec, "sql", NULL);
	if (k) {
		const char *vars[][2] = { { "{run}", NULL } };
		char run[24];
		json_t *s = json_string(k), *t;
		char *msg = NULL;

		snprintf(run, sizeof(run), "%lld", (long long)b->run);
		vars[0][1] = run;
		t = subst(s, vars, 1);
		if (sqlite3_exec(b->db, json_string_value(t), NULL, NULL, &msg))
			fail_msg("fixture sql: %s", msg);
		json_decref(s);
		json_decref(t);
	}
	sbuf_release(&sql);
	json_decref(subs);
	json_decref(rgs);
	json_decref(pages);
}

/* A history holding the fixture's runs, in a temporary file. */
struct history {
	char dir[64];
	char *path;
	struct store *s;	/* read-only, with the policy functions */
	sqlite3_int64 run;	/* the last run: the one judged */
};

static void history_open(struct history *h, json_t *fixture)
{
	struct builder b = { 0 };
	struct store *w = NULL;
	struct err_detail d = { "", "" };
	char *tpath = source_path("tests/data/policy/template.json");
	json_t *run;
	size_t i;

	snprintf(h->dir, sizeof(h->dir), "/tmp/amlfs-policy-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	h->path = fs_join(h->dir, "history.db");
	assert_int_equal(store_open(h->path, 0, &w, &d), 0);
	b.db = store_db(w);
	b.p = projector_new(b.db);
	b.tmpl = load_json(tpath);
	assert_int_equal(store_begin(w, &d), 0);
	json_array_foreach(json_object_get(fixture, "runs"), i, run)
		add_run(&b, run);
	assert_int_equal(store_commit(w, &d), 0);
	h->run = b.run;
	projector_free(b.p);
	json_decref(b.tmpl);
	store_close(w);
	free(tpath);
	/* Rules run on a read-only connection. */
	if (store_open(h->path, STORE_READONLY, &h->s, &d) < 0 ||
	    policy_register_functions(store_db(h->s), &d) < 0 ||
	    policy_create_helpers(store_db(h->s), &d) < 0)
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

/* rule_eval's callback: keep each row as JSON. */
static int collect_row(void *ctx, const struct rule *r,
		       const struct rule_row *row)
{
	(void)r;
	json_array_append_new(ctx, json_pack("{s:s,s:s,s:s,s:s?,s:s?}",
		"resource_id", row->resource_id,
		"status", rule_status_name(row->status),
		"reason", row->reason, "evidence", row->evidence,
		"detail", row->detail));
	return 0;
}

static json_t *eval_rows(struct history *h, const struct rule *r,
			 const struct rule_param *ov, size_t n, int *ret)
{
	struct err_detail d = { "", "" };
	json_t *rows = json_array();

	*ret = rule_eval(store_db(h->s), r, h->run, ov, n, collect_row, rows,
			 &d);
	if (*ret < 0)
		print_message("rule_eval: %s (%s)\n", d.msg, d.where);
	return rows;
}

/* ---- the header ---------------------------------------------------------- */

#define HDR "-- id: t\n-- title: T\n-- severity: low\n"

static void parse_fails(const char *text, const char *want, int line)
{
	struct rule r;
	struct err_detail d = { "", "" };
	char where[32];

	if (rule_parse("t.sql", text, strlen(text), &r, &d) != -ERR_CONFIG)
		fail_msg("parsed, but expected '%s':\n%s", want, text);
	if (!strstr(d.msg, want))
		fail_msg("message '%s' lacks '%s'", d.msg, want);
	snprintf(where, sizeof(where), "t.sql:%d", line);
	if (strcmp(d.where, where))
		fail_msg("'%s': where is '%s', expected '%s'", d.msg, d.where,
			 where);
}

static void header_parses(void **state)
{
	static const char text[] =
		"-- id: required-tags\n"
		"-- title: Required tags\n"
		"--   are present\n"
		"-- severity: high            (comment after two spaces)\n"
		"-- rationale: Because\n"
		"--   chargeback.\n"
		"-- param: required = CostCenter,Owner   Comma-separated keys\n"
		"-- param: pattern = '^a  b$'  quoted, with two spaces\n"
		"-- param: empty = ''\n"
		"-- param: q = 'it''s'\n"
		"-- reads: filesystems, effective_tags,\n"
		"--   tags\n"
		"--\n"
		"-- prose after a bare -- is free: anything: goes\n"
		"SELECT 1";
	struct rule r;
	struct err_detail d;

	(void)state;
	assert_int_equal(rule_parse("x.sql", text, sizeof(text) - 1, &r, &d), 0);
	assert_string_equal(r.id, "required-tags");
	assert_string_equal(r.title, "Required tags are present");
	assert_int_equal(r.severity, SEVERITY_HIGH);
	assert_string_equal(r.rationale, "Because chargeback.");
	assert_null(r.remediation);
	assert_int_equal(r.n_params, 4);
	assert_string_equal(r.params[0].name, "required");
	assert_string_equal(r.params[0].value, "CostCenter,Owner");
	assert_string_equal(r.params[0].description, "Comma-separated keys");
	assert_int_equal(r.params[0].line, 7);
	assert_string_equal(r.params[1].value, "^a  b$");
	assert_string_equal(r.params[2].value, "");
	assert_string_equal(r.params[3].value, "it's");
	assert_int_equal(r.n_reads, 3);
	assert_string_equal(r.reads[2], "tags");
	assert_int_equal(r.per_filesystem, 0);	/* no scope: estate */
	assert_int_equal(r.body_line, 14);
	assert_string_equal(r.path, "x.sql");
	assert_memory_equal(r.sql, text, sizeof(text));
	rule_release(&r);
	assert_string_equal(rule_severity_name(SEVERITY_CRITICAL), "critical");
	assert_string_equal(rule_status_name(RULE_SKIP), "skip");
}

static void header_scope(void **state)
{
	static const char fs[] = HDR "-- scope: filesystem  a comment\nSELECT 1";
	static const char estate[] = HDR "-- scope: estate\nSELECT 1";
	struct rule r;
	struct err_detail d;

	(void)state;
	assert_int_equal(rule_parse("x.sql", fs, sizeof(fs) - 1, &r, &d), 0);
	assert_int_equal(r.per_filesystem, 1);
	rule_release(&r);
	assert_int_equal(rule_parse("x.sql", estate, sizeof(estate) - 1, &r,
				    &d), 0);
	assert_int_equal(r.per_filesystem, 0);
	rule_release(&r);
}

static void header_errors_name_file_and_line(void **state)
{
	(void)state;
	parse_fails(HDR "-- owner: me\nSELECT 1", "unknown key 'owner'", 4);
	parse_fails("-- title: T\n-- severity: low\nSELECT 1",
		    "rule header has no 'id'", 1);
	parse_fails("-- id: t\n-- severity: low\nSELECT 1", "no 'title'", 1);
	parse_fails("-- id: t\n-- title: T\nSELECT 1", "no 'severity'", 1);
	parse_fails("-- id: t\n-- title:  \n", "empty 'title'", 2);
	parse_fails("-- id: t\n-- title: T\n-- severity: severe\n",
		    "bad severity 'severe'", 3);
	parse_fails("-- id: t\n-- title: T\n-- severity: high critical\n",
		    "bad severity 'high critical'", 3);
	parse_fails("-- id: Bad_Id\n", "bad rule id 'Bad_Id'", 1);
	parse_fails(HDR "-- id: u\n", "duplicate 'id'", 4);
	parse_fails(HDR "-- scope: fs\n", "bad scope 'fs' (expected filesystem "
		    "or estate)", 4);
	parse_fails(HDR "-- scope: estate\n-- scope: filesystem\n",
		    "duplicate 'scope'", 5);
	parse_fails(HDR "-- param: a = 1\n-- param: a = 2\n",
		    "duplicate parameter 'a'", 5);
	parse_fails(HDR "-- param: run = 1\n", "'run' is reserved", 4);
	parse_fails(HDR "-- param: a 1\n", "expected '=' after parameter 'a'", 4);
	parse_fails(HDR "-- param: = 1\n", "expected 'param: NAME", 4);
	parse_fails(HDR "-- param: a = 'open\n", "unterminated quote", 4);
	parse_fails("--   floating\n" HDR, "continuation line", 1);
	parse_fails(HDR "-- just prose\n", "expected '-- key: value'", 4);
	parse_fails(HDR "--- dashes\n", "expected '-- key: value'", 4);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = fs_join(dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void remove_dir(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;

	while (dh && (de = readdir(dh))) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = fs_join(dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (dh)
		closedir(dh);
	rmdir(dir);
}

static void load_dir_orders_and_refuses_duplicates(void **state)
{
	char dir[] = "/tmp/amlfs-rules-XXXXXX";
	struct rule_set *set = NULL;
	struct err_detail d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "b.sql", "-- id: b\n-- title: B\n-- severity: info\n"
		   "SELECT 1");
	write_file(dir, "a.sql", "-- id: a\n-- title: A\n-- severity: info\n"
		   "SELECT 1");
	write_file(dir, "notes.txt", "not a rule");
	assert_int_equal(rules_load_dir(dir, &set, &d), 0);
	assert_int_equal(set->n, 2);
	assert_string_equal(set->v[0].id, "a");
	assert_string_equal(set->v[1].id, "b");
	assert_non_null(rule_set_find(set, "b"));
	assert_null(rule_set_find(set, "c"));
	rule_set_free(set);
	write_file(dir, "c.sql", "-- title: C\n-- severity: info\n"
		   "-- id: a\nSELECT 1");
	assert_int_equal(rules_load_dir(dir, &set, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "duplicate rule id 'a'"));
	assert_non_null(strstr(d.where, "/c.sql:3"));
	write_file(dir, "c.sql", "-- id: c\n-- title: C\n-- severity: info\n"
		   "-- oops: x\nSELECT 1");
	assert_int_equal(rules_load_dir(dir, &set, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.where, "/c.sql:4"));
	remove_dir(dir);
	assert_int_equal(rules_load_dir("/nonexistent-rules", &set, &d), -ENOENT);
	assert_string_equal(d.where, "/nonexistent-rules");
}

/* ---- evaluation ---------------------------------------------------------- */

static json_t *one_fs_fixture(void)
{
	return json_pack("{s:[{s:[{s:s},{s:s,s:{s:{s:s}}}]}]}", "runs",
			 "filesystems", "name", "fs-a", "name", "bad",
			 "properties", "health", "state", "Degraded");
}

/* Parse text as a rule and evaluate it on h; returns rule_eval's result. */
static int eval_text(struct history *h, const char *text,
		     const struct rule_param *ov, size_t n, json_t **ret_rows,
		     struct err_detail *d)
{
	struct rule r;
	json_t *rows = json_array();
	int ret;

	assert_int_equal(rule_parse("t.sql", text, strlen(text), &r, d), 0);
	ret = rule_eval(store_db(h->s), &r, h->run, ov, n, collect_row, rows, d);
	rule_release(&r);
	if (ret_rows)
		*ret_rows = rows;
	else
		json_decref(rows);
	return ret;
}

#define GOOD_SELECT \
	"SELECT resource_id, 'ok' AS status, 'fine' AS reason, " \
	"json_array(evidence_id) AS evidence FROM filesystems WHERE run_id = :run"

static void evaluation_refuses_bad_rules(void **state)
{
	struct history h;
	struct err_detail d;
	json_t *fx = one_fs_fixture(), *rows;
	const struct rule_param bogus = { "nope", "1" };

	(void)state;
	history_open(&h, fx);
	assert_int_equal(eval_text(&h, HDR GOOD_SELECT, NULL, 0, &rows, &d), 0);
	assert_int_equal(json_array_size(rows), 2);
	json_decref(rows);

	assert_int_equal(eval_text(&h, HDR "DELETE FROM runs", NULL, 0, NULL,
				   &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "rule 't': refused: the statement is not "
			       "read-only"));
	assert_string_equal(d.where, "t.sql:4");
	assert_int_equal(eval_text(&h, HDR "ATTACH ':memory:' AS x", NULL, 0,
				   NULL, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "no column 'resource_id'"));
	assert_int_equal(eval_text(&h, HDR GOOD_SELECT ";\nDELETE FROM runs;",
				   NULL, 0, NULL, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "more than one statement"));
	assert_string_equal(d.where, "t.sql:5");
	assert_int_equal(eval_text(&h, HDR GOOD_SELECT ";\n-- trailing\n/* ok */",
				   NULL, 0, NULL, &d), 0);
	assert_int_equal(eval_text(&h, HDR "--\n-- nothing\n", NULL, 0, NULL, &d),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "no SQL statement"));

	/* Parameters: unknown in the SQL, unknown override, anonymous. */
	assert_int_equal(eval_text(&h, HDR GOOD_SELECT "\n AND name = :nope",
				   NULL, 0, NULL, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "unknown parameter ':nope'"));
	assert_string_equal(d.where, "t.sql:5");
	assert_int_equal(eval_text(&h, HDR GOOD_SELECT, &bogus, 1, NULL, &d),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "has no parameter 'nope'"));
	assert_int_equal(eval_text(&h, HDR GOOD_SELECT " AND ?", NULL, 0, NULL,
				   &d), -ERR_CONFIG);
	assert_int_equal(eval_text(&h, HDR GOOD_SELECT " AND @x", NULL, 0, NULL,
				   &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "'@x' is not of the form :name"));

	/* SQLite errors name the file and line. */
	assert_int_equal(eval_text(&h, HDR "SELECT\n  nosuchcolumn FROM runs",
				   NULL, 0, NULL, &d), -ERR_SQL);
	assert_non_null(strstr(d.msg, "no such column: nosuchcolumn"));
	assert_string_equal(d.where, "t.sql:5");
	assert_int_equal(eval_text(&h, HDR "SELECT resource_id, 'ok' AS status, "
				   "'x' AS reason, NULL AS evidence FROM "
				   "filesystems WHERE name REGEXP '(('", NULL, 0,
				   NULL, &d), -ERR_SQL);
	assert_non_null(strstr(d.msg, "missing closing parenthesis"));

	/* Rows that break the contract. */
	assert_int_equal(eval_text(&h, HDR "SELECT resource_id, 'fail' AS status, "
				   "'x' AS reason, NULL AS evidence FROM "
				   "filesystems", NULL, 0, NULL, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "rule 't': returned status 'fail'"));
	assert_int_equal(eval_text(&h, HDR "SELECT resource_id, 'ok' AS status, "
				   "'' AS reason, NULL AS evidence FROM "
				   "filesystems", NULL, 0, NULL, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "no reason"));
	assert_int_equal(eval_text(&h, HDR "SELECT resource_id, 'ok' AS status, "
				   "'x' AS reason, '[\"a\"]' AS evidence FROM "
				   "filesystems", NULL, 0, NULL, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "not a JSON array of evidence ids"));
	assert_int_equal(eval_text(&h, HDR "SELECT resource_id, 'ok' AS status, "
				   "'x' AS reason, NULL AS evidence, '{' AS "
				   "detail FROM filesystems", NULL, 0, NULL, &d),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "detail"));
	assert_int_equal(eval_text(&h, HDR "SELECT NULL AS resource_id, 'ok' AS "
				   "status, 'x' AS reason, NULL AS evidence",
				   NULL, 0, NULL, &d), -ERR_CONFIG);
	history_close(&h);
	json_decref(fx);
}

static void parameters_bind_as_numbers_or_text(void **state)
{
	static const char text[] = HDR
		"-- param: n = 7  a number\n"
		"-- param: x = 0.5\n"
		"-- param: z = 007  leading zeros stay text\n"
		"-- param: s = a,b\n"
		"SELECT resource_id, 'ok' AS status, typeof(:n) || typeof(:x) || "
		"typeof(:z) || typeof(:s) || ' ' || (:n + 1) || ' ' || :x AS "
		"reason, NULL AS evidence FROM filesystems WHERE run_id = :run "
		"AND name = 'fs-a'";
	const struct rule_param ov[] = { { "n", "-2" }, { "s", "" } };
	struct history h;
	struct err_detail d;
	json_t *fx = one_fs_fixture(), *rows;

	(void)state;
	history_open(&h, fx);
	assert_int_equal(eval_text(&h, text, NULL, 0, &rows, &d), 0);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(rows, 0), "reason")), "integerrealtexttext 8 0.5");
	json_decref(rows);
	assert_int_equal(eval_text(&h, text, ov, 2, &rows, &d), 0);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(rows, 0), "reason")), "integerrealtexttext -1 0.5");
	json_decref(rows);
	history_close(&h);
	json_decref(fx);
}

/* A rule dropped into a directory runs without rebuilding anything. */
static void new_rule_file_runs_without_rebuild(void **state)
{
	char dir[] = "/tmp/amlfs-newrule-XXXXXX";
	struct rule_set *set = NULL;
	struct err_detail d;
	struct history h;
	json_t *fx = one_fs_fixture(), *rows;
	const struct rule_param ov = { "pattern", "." };
	int r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "50-fs-naming.sql",
		   "-- id: fs-naming\n"
		   "-- title: File system names follow the convention\n"
		   "-- severity: info\n"
		   "-- param: pattern = ^fs-[a-z]+$  Names must match this\n"
		   "-- reads: filesystems\n"
		   "SELECT resource_id,\n"
		   "       CASE WHEN name REGEXP :pattern THEN 'ok' ELSE 'alarm' "
		   "END AS status,\n"
		   "       'name ' || name AS reason,\n"
		   "       json_array(evidence_id) AS evidence\n"
		   "FROM filesystems WHERE run_id = :run ORDER BY name\n");
	assert_int_equal(rules_load_dir(dir, &set, &d), 0);
	assert_int_equal(set->n, 1);
	history_open(&h, fx);
	rows = eval_rows(&h, &set->v[0], NULL, 0, &r);
	assert_int_equal(r, 0);
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(rows, 0), "status")), "alarm");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(rows, 1), "status")), "ok");
	json_decref(rows);
	rows = eval_rows(&h, &set->v[0], &ov, 1, &r);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(rows, 0), "status")), "ok");
	json_decref(rows);
	history_close(&h);
	rule_set_free(set);
	remove_dir(dir);
	json_decref(fx);
}

static void effective_tags_inherit_and_say_from_where(void **state)
{
	struct history h;
	json_t *fx = json_pack(
		"{s:[{s:{s:{s:s,s:s}},s:{s:{s:s,s:s}},"
		"s:[{s:s,s:{s:s,s:s}}]}]}", "runs",
		"subscription", "tags", "costcenter", "SUB-1", "Dept", "Research",
		"resource_group", "tags", "Owner", "rg@x.example",
		"CostCenter", "RG-1",
		"filesystems", "name", "fs1", "tags", "OWNER", "fs@x.example",
		"Cost Center", "typo");

	(void)state;
	history_open(&h, fx);
	expect_text(store_db(h.s), "SELECT group_concat(key || '=' || value || "
		    "'@' || source, ' ') FROM (SELECT * FROM effective_tags "
		    "ORDER BY key_norm)",
		    "Cost Center=typo@resource CostCenter=RG-1@resource_group "
		    "Dept=Research@subscription OWNER=fs@x.example@resource");
	expect_text(store_db(h.s), "SELECT count(*) FROM effective_tags e "
		    "JOIN evidence v ON v.id = e.evidence_id", "4");
	expect_text(store_db(h.s), "SELECT count(DISTINCT kind) FROM list_reads "
		    "WHERE run_id = 1", "9");
	history_close(&h);
	json_decref(fx);
}

/* ---- the built-in rules against their fixtures --------------------------- */

static int ends_with_ci(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcasecmp(s + n - m, tail);
}

static void dump_rows(json_t *rows)
{
	char *s = json_dumps(rows, JSON_INDENT(1));

	print_message("rows: %s\n", s);
	free(s);
}

/* Each expectation matches exactly one row, and each row one of them. */
static void check_evidence_kinds(struct history *h, const char *label,
				 json_t *row, json_t *kinds);

static void check_expectations(struct history *h, const char *label,
			       json_t *rows, json_t *expect)
{
	json_t *e, *row, *sub;
	size_t i, j, k;

	if (json_array_size(rows) != json_array_size(expect)) {
		dump_rows(rows);
		fail_msg("%s: %zu rows, %zu expected", label,
			 json_array_size(rows), json_array_size(expect));
	}
	json_array_foreach(expect, i, e) {
		const char *fs = json_string_value(json_object_get(e, "fs"));
		const char *res = json_string_value(json_object_get(e, "resource"));
		struct sbuf tail = SBUF_INIT;
		json_t *hit = NULL;
		int hits = 0;

		if (fs)
			sbuf_addf(&tail, "/amlFilesystems/%s", fs);
		else
			sbuf_adds(&tail, res ? res : "?");
		json_array_foreach(rows, j, row) {
			if (ends_with_ci(json_string_value(json_object_get(row,
					"resource_id")), tail.buf)) {
				hit = row;
				hits++;
			}
		}
		if (hits != 1) {
			dump_rows(rows);
			fail_msg("%s: %d rows for '%s'", label, hits, tail.buf);
		}
		if (strcmp(json_string_value(json_object_get(hit, "status")),
			   str_or(e, "status", "?"))) {
			dump_rows(rows);
			fail_msg("%s: '%s' is %s, expected %s", label, tail.buf,
				 json_string_value(json_object_get(hit, "status")),
				 str_or(e, "status", "?"));
		}
		sub = json_object_get(e, "reason");
		for (k = 0; k < (json_is_array(sub) ? json_array_size(sub) : 1);
		     k++) {
			const char *want = json_string_value(json_is_array(sub) ?
				json_array_get(sub, k) : sub);
			const char *got = json_string_value(json_object_get(hit,
								"reason"));

			if (want && !strstr(got, want))
				fail_msg("%s: reason for '%s' is \"%s\", lacking "
					 "\"%s\"", label, tail.buf, got, want);
		}
		if (json_object_get(e, "evidence_kinds"))
			check_evidence_kinds(h, label, hit, json_object_get(e,
					     "evidence_kinds"));
		sbuf_release(&tail);
	}
}

/* The row's evidence holds responses of each kind in kinds. */
static void check_evidence_kinds(struct history *h, const char *label,
				 json_t *row, json_t *kinds)
{
	char *want = json_dumps(kinds, JSON_COMPACT);
	sqlite3_stmt *st = NULL;

	sqlite3_prepare_v2(store_db(h->s), "SELECT count(DISTINCT q.kind) = "
			   "json_array_length(?2) FROM evidence e JOIN requests q "
			   "ON q.id = e.request WHERE e.id IN (SELECT value FROM "
			   "json_each(?1)) AND q.kind IN (SELECT value FROM "
			   "json_each(?2))", -1, &st, NULL);
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(row,
			  "evidence")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, want, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	if (!sqlite3_column_int(st, 0))
		fail_msg("%s: evidence %s of '%s' lacks one of %s", label,
			 json_string_value(json_object_get(row, "evidence")),
			 json_string_value(json_object_get(row, "resource_id")),
			 want);
	sqlite3_finalize(st);
	free(want);
}

/* Every evidence id a row names is evidence held. */
static void check_evidence(struct history *h, const char *label, json_t *rows)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		const char *ev = json_string_value(json_object_get(row, "evidence"));
		sqlite3_stmt *st = NULL;

		if (!ev)
			continue;
		sqlite3_prepare_v2(store_db(h->s), "SELECT count(*) = "
				   "json_array_length(?1) FROM evidence WHERE id "
				   "IN (SELECT value FROM json_each(?1))", -1, &st,
				   NULL);
		sqlite3_bind_text(st, 1, ev, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		if (!sqlite3_column_int(st, 0))
			fail_msg("%s: evidence %s names ids not held", label, ev);
		sqlite3_finalize(st);
	}
}

static int count_status(json_t *rows, const char *status)
{
	json_t *row;
	size_t i;
	int n = 0;

	json_array_foreach(rows, i, row)
		n += !strcmp(json_string_value(json_object_get(row, "status")),
			     status);
	return n;
}

/* Run one fixture file; returns the rows (caller decrefs). */
static json_t *run_case(const struct rule *r, const char *path)
{
	json_t *fx = load_json(path), *params, *v, *rows;
	struct rule_param ov[16];
	struct history h;
	const char *k;
	size_t n = 0;
	int ret;

	params = json_object_get(fx, "params");
	json_object_foreach(params, k, v) {
		assert_true(n < 16);
		ov[n].name = k;
		ov[n++].value = json_string_value(v);
	}
	history_open(&h, fx);
	rows = eval_rows(&h, r, ov, n, &ret);
	if (ret < 0)
		fail_msg("%s: rule '%s' failed", path, r->id);
	if (getenv("POLICY_TEST_VERBOSE"))	/* to see every reason */
		dump_rows(rows);
	check_expectations(&h, path, rows, json_object_get(fx, "expect"));
	check_evidence(&h, path, rows);
	history_close(&h);
	json_decref(fx);
	return rows;
}

static void builtin_rule(const struct rule *r)
{
	struct sbuf dir = SBUF_INIT;
	char *base, *path;
	json_t *rows;

	sbuf_addf(&dir, "tests/data/policy/%s", r->id);
	base = source_path(dir.buf);
	path = fs_join(base, "pass.json");
	if (!fs_exists(path))
		fail_msg("rule '%s' has no %s", r->id, path);
	rows = run_case(r, path);
	if (count_status(rows, "ok") < 1 || count_status(rows, "alarm") ||
	    count_status(rows, "error"))
		fail_msg("%s: a passing fixture needs ok rows and no alarm", path);
	json_decref(rows);
	free(path);
	path = fs_join(base, "fail.json");
	if (!fs_exists(path))
		fail_msg("rule '%s' has no %s", r->id, path);
	rows = run_case(r, path);
	if (count_status(rows, "alarm") < 1)
		fail_msg("%s: a failing fixture needs an alarm row", path);
	json_decref(rows);
	free(path);
	free(base);
	sbuf_release(&dir);
}

static struct rule_set *builtin_rules(void)
{
	struct rule_set *set = NULL;
	struct err_detail d;
	char *dir = source_path("queries/rules");

	if (rules_load_dir(dir, &set, &d) < 0)
		fail_msg("%s (%s)", d.msg, d.where);
	free(dir);
	return set;
}

static void builtin_rules_pass_and_fail_their_fixtures(void **state)
{
	struct rule_set *set = builtin_rules();
	size_t i;

	(void)state;
	assert_true(set->n >= 20);
	for (i = 0; i < set->n; i++) {
		print_message("rule %s\n", set->v[i].id);
		builtin_rule(&set->v[i]);
	}
	rule_set_free(set);
}

/* Each view or table a rule says it reads exists. */
static void builtin_rules_read_what_they_declare(void **state)
{
	struct rule_set *set = builtin_rules();
	struct store *s = NULL;
	struct err_detail d;
	sqlite3_stmt *st = NULL;
	size_t i, j;

	(void)state;
	assert_int_equal(store_open(":memory:", 0, &s, &d), 0);
	assert_int_equal(policy_register_functions(store_db(s), &d), 0);
	assert_int_equal(policy_create_helpers(store_db(s), &d), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "SELECT count(*) FROM "
		"(SELECT name FROM sqlite_schema UNION ALL SELECT name FROM "
		"sqlite_temp_schema) WHERE name = ?", -1, &st, NULL), 0);
	for (i = 0; i < set->n; i++) {
		const struct rule *r = &set->v[i];

		assert_true(r->n_reads > 0);
		assert_non_null(r->rationale);
		assert_non_null(r->remediation);
		for (j = 0; j < r->n_reads; j++) {
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, r->reads[j], -1, SQLITE_STATIC);
			assert_int_equal(sqlite3_step(st), SQLITE_ROW);
			if (sqlite3_column_int(st, 0) != 1)
				fail_msg("%s: reads '%s', which does not exist",
					 r->path, r->reads[j]);
		}
	}
	sqlite3_finalize(st);
	store_close(s);
	rule_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(regexp_matches_utf8_and_null),
		cmocka_unit_test(regexp_cache_survives_many_patterns),
		cmocka_unit_test(regexp_bad_pattern_names_pcre2_message),
		cmocka_unit_test(regexp_catastrophic_pattern_is_stopped),
		cmocka_unit_test(durations_are_strict),
		cmocka_unit_test(dates_are_strict_and_add_up),
		cmocka_unit_test(lists_and_key_folding),
		cmocka_unit_test(header_parses),
		cmocka_unit_test(header_errors_name_file_and_line),
		cmocka_unit_test(load_dir_orders_and_refuses_duplicates),
		cmocka_unit_test(header_scope),
		cmocka_unit_test(evaluation_refuses_bad_rules),
		cmocka_unit_test(parameters_bind_as_numbers_or_text),
		cmocka_unit_test(new_rule_file_runs_without_rebuild),
		cmocka_unit_test(effective_tags_inherit_and_say_from_where),
		cmocka_unit_test(builtin_rules_read_what_they_declare),
		cmocka_unit_test(builtin_rules_pass_and_fail_their_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
