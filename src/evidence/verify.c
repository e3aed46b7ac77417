#include "evidence/verify.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "collect/project.h"
#include "store/evidence.h"

static void fail(struct verify_result *res, sqlite3_int64 run,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct verify_result *res, sqlite3_int64 run,
		 const char *fmt, ...)
{
	va_list ap;

	/* Keep the earliest broken run. */
	if (res->bad_run && res->bad_run <= run)
		return;
	res->bad_run = run;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* Bodies whose content no longer has their hash; blame the first run. */
static int check_bodies(struct store *s, struct verify_result *res,
			struct err_detail *d)
{
	static const char sql[] =
		"SELECT b.sha256, b.content, b.size, "
		"(SELECT min(run_id) FROM evidence e WHERE e.body = b.id) "
		"FROM bodies b";
	sqlite3_stmt *st = NULL;
	char sha[SHA256_HEX_LEN + 1];
	int r, rc;

	r = store_prepare(s, sql, &st, d);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *want = (const char *)sqlite3_column_text(st, 0);
		const void *body = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);

		r = sha256_hex(body ? body : "", (size_t)len, sha);
		if (r < 0)
			break;
		if (strcmp(sha, want) || sqlite3_column_int64(st, 2) != len) {
			sqlite3_int64 run = sqlite3_column_int64(st, 3);

			fail(res, run ? run : -1, "evidence body %s was edited "
			     "(its content hashes to %s)", want, sha);
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read bodies", d);
	sqlite3_finalize(st);
	return r;
}

static int reproject_run(struct store *s, struct projector *proj,
			 sqlite3_int64 run, struct verify_result *res,
			 struct err_detail *d)
{
	static const char sql[] =
		"SELECT e.id, e.kind, e.subject, b.content, e.url "
		"FROM evidence_log e JOIN bodies b ON b.id = e.body "
		"WHERE e.run_id = ?1 AND e.projected = 1 ORDER BY e.seq";
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = store_prepare(s, sql, &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *subject = (const char *)sqlite3_column_text(st, 2);
		const char *body = sqlite3_column_blob(st, 3);
		size_t len = (size_t)sqlite3_column_bytes(st, 3);
		struct err_detail pd;
		json_error_t je;
		json_t *j;

		if (!project_kind_known(kind)) {
			fail(res, run, "evidence of unknown kind '%s'", kind);
			break;
		}
		j = json_loadb(body ? body : "", len, 0, &je);
		if (!j) {
			fail(res, run, "stored evidence body for %s no longer "
			     "parses", (const char *)sqlite3_column_text(st, 4));
			break;
		}
		r = project_page(proj, run,
				 sqlite3_column_int64(st, 0), kind, subject, j,
				 &pd);
		json_decref(j);
		if (r < 0) {
			fail(res, run, "its evidence no longer projects: %s",
			     pd.msg);
			r = 0;
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read evidence", d);
	sqlite3_finalize(st);
	return r;
}

/*
 * Rows of view a.table for run that are not in b.table. The views hold no
 * internal ids, so the history ("h") and the scratch projection ("main")
 * compare row by row. Identifiers come from project_views[] only.
 */
static int count_diff(struct store *scratch, const char *a, const char *b,
		      const char *view, sqlite3_int64 run, int *ret,
		      struct err_detail *d)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	int r;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (SELECT * FROM %s.%s "
		 "WHERE run_id = ?1 EXCEPT SELECT * FROM %s.%s WHERE run_id = ?1)",
		 a, view, b, view);
	r = store_prepare(scratch, sql, &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW)
		*ret = sqlite3_column_int(st, 0);
	else
		r = store_sql_error(scratch, "cannot compare projections", d);
	sqlite3_finalize(st);
	return r;
}

static int compare_run(struct store *scratch, sqlite3_int64 run,
		       struct verify_result *res, struct err_detail *d)
{
	const char *const *v;
	int r = 0, extra = 0, missing = 0;

	for (v = project_views; *v; v++) {
		r = count_diff(scratch, "h", "main", *v, run, &extra, d);
		if (r < 0)
			return r;
		r = count_diff(scratch, "main", "h", *v, run, &missing, d);
		if (r < 0)
			return r;
		if (extra || missing) {
			fail(res, run, "table '%s' differs from its evidence: "
			     "%d row(s) not in the evidence, %d missing", *v,
			     extra, missing);
			break;
		}
	}
	return r;
}

/*
 * Metric points are shared by runs (run_id is the run that last changed
 * one), so they are compared once, after every run was projected again.
 */
static int compare_metrics(struct store *scratch, struct verify_result *res,
			   struct err_detail *d)
{
	static const char sql[] =
		"SELECT min(run_id), count(*) FROM (SELECT * FROM h.metrics "
		"EXCEPT SELECT * FROM main.metrics UNION ALL SELECT * FROM ("
		"SELECT * FROM main.metrics EXCEPT SELECT * FROM h.metrics))";
	sqlite3_stmt *st = NULL;
	int r;

	r = store_prepare(scratch, sql, &st, d);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		r = store_sql_error(scratch, "cannot compare metrics", d);
	else if (sqlite3_column_int(st, 1)) {
		fail(res, sqlite3_column_int64(st, 0), "table 'metrics' "
		     "differs from its evidence: %d point(s)",
		     sqlite3_column_int(st, 1));
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * A fresh, migrated in-memory database to project the evidence into, with
 * the history attached as "h" for the comparison.
 */
static int open_scratch(struct store *s, struct store **ret,
			struct err_detail *d)
{
	struct store *scratch = NULL;
	sqlite3_stmt *st = NULL;
	int r;

	r = store_open(":memory:", 0, &scratch, d);
	if (r == 0)
		r = store_exec(scratch, "PRAGMA foreign_keys = OFF", d);
	if (r == 0)
		r = store_prepare(scratch, "ATTACH DATABASE ?1 AS h", &st, d);
	if (r == 0) {
		sqlite3_bind_text(st, 1, store_path(s), -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = store_sql_error(scratch, "cannot attach history", d);
	}
	sqlite3_finalize(st);
	if (r < 0) {
		store_close(scratch);
		return r;
	}
	*ret = scratch;
	return 0;
}

/* Ids are contiguous (AUTOINCREMENT, never reused): a gap is a deletion. */
static int check_run(struct store *s, struct store *scratch,
		     struct projector *proj, sqlite3_stmt *st,
		     sqlite3_int64 *prev_id, char *prev_hash,
		     struct verify_result *res, struct err_detail *d)
{
	sqlite3_int64 id = sqlite3_column_int64(st, 0);
	const char *status = (const char *)sqlite3_column_text(st, 1);
	const char *link = (const char *)sqlite3_column_text(st, 2);
	const char *stored = (const char *)sqlite3_column_text(st, 3);
	char hash[SHA256_HEX_LEN + 1];
	int r;

	res->runs++;
	if (id != *prev_id + 1) {
		fail(res, id, "run %lld before it is missing (deleted)",
		     (long long)*prev_id + 1);
	} else if (!strcmp(status, "running") || !stored) {
		fail(res, id, "run was never sealed (status '%s')", status);
	} else if ((link || prev_hash[0]) &&
		   (!link || strcmp(link, prev_hash))) {
		fail(res, id, "its link to the previous run does not match "
		     "(a run before it was edited or deleted)");
	}
	r = chain_run_hash(s, id, hash, d);
	if (r < 0)
		return r;
	if (stored && strcmp(hash, stored))
		fail(res, id, "its metadata or evidence list was edited "
		     "(hash %s, recorded %s)", hash, stored);
	if (!res->bad_run || res->bad_run > id) {
		r = reproject_run(s, proj, id, res, d);
		if (r == 0 && (!res->bad_run || res->bad_run > id))
			r = compare_run(scratch, id, res, d);
	}
	*prev_id = id;
	snprintf(prev_hash, SHA256_HEX_LEN + 1, "%s", stored ? stored : "");
	res->head_run = id;
	memcpy(res->head, prev_hash, SHA256_HEX_LEN + 1);
	return r;
}

static int check_sequence(struct store *s, sqlite3_int64 last,
			  struct verify_result *res, struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = store_prepare(s, "SELECT seq FROM sqlite_sequence WHERE name = "
			  "'runs'", &st, d);
	if (r < 0)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) > last) {
		fail(res, last + 1, "run %lld, the newest, is missing "
		     "(deleted)", (long long)sqlite3_column_int64(st, 0));
	}
	sqlite3_finalize(st);
	return 0;
}

int verify_history(struct store *s, struct verify_result *res,
		   struct err_detail *d)
{
	struct store *scratch = NULL;
	struct projector *proj = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 prev_id = 0;
	char prev_hash[SHA256_HEX_LEN + 1] = "";
	int r, rc;

	memset(res, 0, sizeof(*res));
	r = open_scratch(s, &scratch, d);
	if (r < 0)
		goto out;
	proj = projector_new(store_db(scratch));
	r = check_bodies(s, res, d);
	if (r < 0)
		goto out;
	r = store_prepare(s, "SELECT id, status, prev_hash, run_hash FROM runs "
			  "ORDER BY id", &st, d);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = check_run(s, scratch, proj, st, &prev_id, prev_hash, res, d);
		if (r < 0)
			goto out;
		if (res->bad_run && res->bad_run <= prev_id)
			break;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		r = store_sql_error(s, "cannot read runs", d);
		goto out;
	}
	r = check_sequence(s, prev_id, res, d);
	if (r == 0 && !res->bad_run)
		r = compare_metrics(scratch, res, d);
out:
	sqlite3_finalize(st);
	projector_free(proj);
	store_close(scratch);
	return r;
}
