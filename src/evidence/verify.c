#include "evidence/verify.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "collect/project.h"
#include "costs/costs.h"
#include "costs/prices.h"
#include "costs/query.h"
#include "evidence/tally.h"
#include "store/evidence.h"
#include "store/finding_runs.h"

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
		"SELECT b.sha256, b.content, b.size, b.id FROM bodies b";
	/* Only for a body that fails: no index leads from a body to its
	 * runs, and asking for every body was half of the chain check. */
	static const char first_run[] =
		"SELECT min(run_id) FROM evidence WHERE body = ?1";
	sqlite3_stmt *st = NULL, *one = NULL;
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
			sqlite3_int64 run = 0;

			r = store_prepare(s, first_run, &one, d);
			if (r < 0)
				break;
			sqlite3_bind_int64(one, 1, sqlite3_column_int64(st, 3));
			rc = sqlite3_step(one);
			if (rc == SQLITE_ROW)
				run = sqlite3_column_int64(one, 0);
			else if (rc != SQLITE_DONE) {
				r = store_sql_error(s, "cannot find the run of an "
						    "edited body", d);
				break;
			}
			fail(res, run ? run : -1, "evidence body %s was edited "
			     "(its content hashes to %s)", want, sha);
			break;
		}
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read bodies", d);
	sqlite3_finalize(one);
	sqlite3_finalize(st);
	return r;
}

/*
 * Projecting each run's evidence again, page by page. A page (request,
 * body) always projects to the same sightings (kind and subject are the
 * request's, the body is hashed by check_bodies), so a page this verify
 * has already projected adds nothing when a later run reads it again,
 * and its body is not parsed again. A metrics page sets points to its
 * values (a point records the run that last changed it): projecting it
 * again changes nothing when no point anywhere changed since it was
 * last projected, which `gen` (bumped by every metrics page that changed
 * something) tells; else it is projected again.
 */
struct reproj {
	struct projector *proj;
	sqlite3_stmt *find, *note;
	long long gen;
};

static int reproj_init(struct reproj *rp, struct store *scratch,
		       struct err_detail *d)
{
	int r;

	memset(rp, 0, sizeof(*rp));
	rp->proj = projector_new(store_db(scratch));
	r = store_exec(scratch, "CREATE TEMP TABLE projected_pages ("
		       "request INTEGER, body INTEGER, gen INTEGER, "
		       "PRIMARY KEY (request, body)) WITHOUT ROWID", d);
	if (r == 0)
		r = store_prepare(scratch, "SELECT gen FROM temp.projected_pages"
				  " WHERE request = ?1 AND body = ?2",
				  &rp->find, d);
	if (r == 0)
		r = store_prepare(scratch, "INSERT OR REPLACE INTO "
				  "temp.projected_pages VALUES (?1, ?2, ?3)",
				  &rp->note, d);
	return r;
}

static void reproj_release(struct reproj *rp)
{
	projector_free(rp->proj);
	sqlite3_finalize(rp->find);
	sqlite3_finalize(rp->note);
}

/* Whether the page needs no projecting (see struct reproj). */
static int page_done(struct store *scratch, struct reproj *rp,
		     sqlite3_int64 request, sqlite3_int64 body, int metrics,
		     int *ret, struct err_detail *d)
{
	int rc;

	sqlite3_bind_int64(rp->find, 1, request);
	sqlite3_bind_int64(rp->find, 2, body);
	rc = sqlite3_step(rp->find);
	*ret = rc == SQLITE_ROW &&
	       (!metrics || sqlite3_column_int64(rp->find, 0) == rp->gen);
	sqlite3_reset(rp->find);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_error(scratch, "cannot look up a projected "
				       "page", d);
	return 0;
}

static int page_note(struct store *scratch, struct reproj *rp,
		     sqlite3_int64 request, sqlite3_int64 body,
		     struct err_detail *d)
{
	int r = 0;

	sqlite3_bind_int64(rp->note, 1, request);
	sqlite3_bind_int64(rp->note, 2, body);
	sqlite3_bind_int64(rp->note, 3, rp->gen);
	if (sqlite3_step(rp->note) != SQLITE_DONE)
		r = store_sql_error(scratch, "cannot note a projected page", d);
	sqlite3_reset(rp->note);
	return r;
}

static int reproject_run(struct store *s, struct store *scratch,
			 struct reproj *rp, sqlite3_int64 run,
			 struct verify_result *res, struct err_detail *d)
{
	static const char sql[] =
		"SELECT e.id, q.kind, q.subject, q.url, e.request, e.body "
		"FROM evidence e JOIN requests q ON q.id = e.request "
		"WHERE e.run_id = ?1 AND e.projected = 1 ORDER BY e.seq, e.id";
	/* The run's evidence rows: the pages its items are seen through. */
	static const char copy[] =
		"INSERT INTO main.evidence SELECT * FROM h.evidence "
		"WHERE run_id = ?1";
	sqlite3 *sdb = store_db(scratch);
	sqlite3_stmt *st = NULL, *content = NULL;
	int r, rc;

	r = store_prepare(scratch, copy, &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(scratch, "cannot copy evidence", d);
	sqlite3_finalize(st);
	st = NULL;
	if (r == 0)
		r = store_prepare(s, sql, &st, d);
	if (r == 0)
		r = store_prepare(s, "SELECT content FROM bodies WHERE id = ?1",
				  &content, d);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *subject = (const char *)sqlite3_column_text(st, 2);
		const char *url = (const char *)sqlite3_column_text(st, 3);
		sqlite3_int64 request = sqlite3_column_int64(st, 4);
		sqlite3_int64 body_id = sqlite3_column_int64(st, 5);
		int metrics = !strcmp(kind, KIND_METRICS), done = 0;
		const char *body;
		struct err_detail pd;
		json_error_t je;
		json_t *j;
		size_t len;
		int before;

		if (!project_kind_known(kind)) {
			fail(res, run, "evidence of unknown kind '%s'", kind);
			break;
		}
		r = page_done(scratch, rp, request, body_id, metrics, &done, d);
		if (r < 0)
			break;
		if (done)
			continue;
		sqlite3_bind_int64(content, 1, body_id);
		if (sqlite3_step(content) != SQLITE_ROW) {
			r = store_sql_error(s, "cannot read an evidence body", d);
			break;
		}
		body = sqlite3_column_blob(content, 0);
		len = (size_t)sqlite3_column_bytes(content, 0);
		j = json_loadb(body ? body : "", len, 0, &je);
		sqlite3_reset(content);
		if (!j) {
			fail(res, run, "stored evidence body for %s no longer "
			     "parses", url);
			break;
		}
		before = sqlite3_total_changes(sdb);
		r = project_page(rp->proj, run, sqlite3_column_int64(st, 0),
				 kind, subject, j, &pd);
		json_decref(j);
		if (r < 0) {
			fail(res, run, "its evidence no longer projects: %s",
			     pd.msg);
			r = 0;
			break;
		}
		if (metrics && sqlite3_total_changes(sdb) != before)
			rp->gen++;
		r = page_note(scratch, rp, request, body_id, d);
		if (r < 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read evidence", d);
	if (r == 0 && (!res->bad_run || res->bad_run > run))
		r = project_run_end(rp->proj, run, d);
out:
	sqlite3_finalize(st);
	sqlite3_finalize(content);
	return r;
}

/*
 * Rows of a view for run that are in the history ("h") and not in the
 * scratch projection ("main"), and the other way round. The views hold
 * no internal ids, so the two compare row by row; each side is computed
 * once. Identifiers come from project_views[] only.
 */
static int count_diff(struct store *scratch, const char *view,
		      sqlite3_int64 run, int *ret_extra, int *ret_missing,
		      struct err_detail *d)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	int r;

	snprintf(sql, sizeof(sql),
		 "WITH a AS MATERIALIZED (SELECT * FROM h.%s WHERE run_id = ?1),"
		 " b AS MATERIALIZED (SELECT * FROM main.%s WHERE run_id = ?1) "
		 "SELECT (SELECT count(*) FROM (SELECT * FROM a EXCEPT "
		 "SELECT * FROM b)), (SELECT count(*) FROM (SELECT * FROM b "
		 "EXCEPT SELECT * FROM a))", view, view);
	r = store_prepare(scratch, sql, &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ret_extra = sqlite3_column_int(st, 0);
		*ret_missing = sqlite3_column_int(st, 1);
	} else {
		r = store_sql_error(scratch, "cannot compare projections", d);
	}
	sqlite3_finalize(st);
	return r;
}

static int compare_run(struct store *scratch, sqlite3_int64 run,
		       struct verify_result *res, struct err_detail *d)
{
	const char *const *v;
	int r = 0, extra = 0, missing = 0;

	for (v = project_views; *v; v++) {
		r = count_diff(scratch, *v, run, &extra, &missing, d);
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
		r = store_exec(scratch, "PRAGMA foreign_keys = OFF; "
			       "PRAGMA temp_store = MEMORY", d);
	if (r == 0)
		r = store_prepare(scratch, "ATTACH DATABASE ?1 AS h", &st, d);
	if (r == 0) {
		sqlite3_bind_text(st, 1, store_attach_uri(s), -1, SQLITE_STATIC);
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

/* ---- cost data ---------------------------------------------------------- */

/*
 * What a run's scope says of its cost rows: the related resources it kept
 * rows for, and whether it judged repeats by the exact rule (*exact).
 */
static void run_related(struct store *s, sqlite3_int64 run, struct strlist *out,
			int *exact)
{
	sqlite3_stmt *st = NULL;
	json_t *j = NULL, *v;
	size_t i;

	if (store_prepare(s, "SELECT scope FROM runs WHERE id = ?1", &st,
			  NULL) < 0)
		return;
	sqlite3_bind_int64(st, 1, run);
	*exact = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *scope = (const char *)sqlite3_column_text(st, 0);

		j = scope ? json_loads(scope, 0, NULL) : NULL;
		*exact = cost_scope_exact(j);
	}
	sqlite3_finalize(st);
	json_array_foreach(json_object_get(j, "related_resources"), i, v)
		if (json_is_string(v))
			strlist_add(out, json_string_value(v));
	json_decref(j);
}

/* One Cost Management answer page of a source, into the scratch copy. */
static int replay_query_page(struct store *scratch, sqlite3_int64 source,
			     const char *type, const struct strlist *related,
			     sqlite3_stmt *ev)
{
	const char *body = sqlite3_column_blob(ev, 2);
	size_t len = (size_t)sqlite3_column_bytes(ev, 2);
	struct err_detail pd;
	json_t *page = NULL;
	long rows;
	int r;

	if (sqlite3_column_int(ev, 3) != 204 && len) {
		page = json_loadb(body, len, 0, NULL);
		if (!page)
			return -ERR_JSON;
	}
	r = cost_query_page(scratch, source, type, page, related, &rows, &pd);
	json_decref(page);
	return r;
}

/*
 * Read source's rows again from its run's evidence into the scratch
 * database: the pages of its query (api), or the kept lines of its file.
 */
static int replay_source(struct store *s, struct store *scratch,
			 sqlite3_stmt *src, struct verify_result *res,
			 struct err_detail *d)
{
	static const char copy[] =
		"INSERT INTO main.cost_sources SELECT * FROM h.cost_sources "
		"WHERE id = ?1";
	static const char pages[] =
		"SELECT e.url, e.request_body, b.content, e.status, e.kind "
		"FROM evidence_log e JOIN bodies b ON b.id = e.body "
		"WHERE e.run_id = ?1 AND e.kind IN ('cost_query', "
		"'cost_export') ORDER BY e.seq, e.id";
	sqlite3_int64 id = sqlite3_column_int64(src, 0);
	const char *kind = (const char *)sqlite3_column_text(src, 1);
	const char *name = (const char *)sqlite3_column_text(src, 2);
	const char *type = (const char *)sqlite3_column_text(src, 3);
	sqlite3_int64 run = sqlite3_column_int64(src, 4);
	sqlite3_stmt *st = NULL, *ev = NULL;
	struct err_detail pd = { "", "" };
	struct strlist related = { NULL, 0 };
	int r, rc, found = 0, exact = 0;

	r = store_prepare(scratch, copy, &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(scratch, "cannot copy cost source", d);
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	r = store_prepare(s, pages, &ev, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(ev, 1, run);
	run_related(s, run, &related, &exact);
	while (r == 0 && (rc = sqlite3_step(ev)) == SQLITE_ROW) {
		const char *ekind = (const char *)sqlite3_column_text(ev, 4);
		long status = sqlite3_column_int(ev, 3);

		if (!strcmp(kind, "file")) {
			if (strcmp(ekind, "cost_export"))
				continue;
			found++;
			r = cost_import_replay(scratch, id, type, &related,
					       exact, name,
					       sqlite3_column_blob(ev, 2),
					       (size_t)sqlite3_column_bytes(ev, 2),
					       &pd);
		} else {
			char *q = cost_query_name_of(
				(const char *)sqlite3_column_text(ev, 0),
				(const char *)sqlite3_column_text(ev, 1));
			int mine = q && !strcmp(q, name) && status >= 200 &&
				   status <= 299;

			free(q);
			if (!mine)
				continue;
			found++;
			r = replay_query_page(scratch, id, type, &related, ev);
		}
	}
	sqlite3_finalize(ev);
	strlist_release(&related);
	if (r == 0 && !found)
		fail(res, run, "cost source %lld ('%s') has no evidence in its "
		     "run", (long long)id, name);
	else if (r == -ERR_JSON || r == -ERR_CONFIG)
		fail(res, run, "the evidence of cost source %lld no longer "
		     "reads: %s", (long long)id, pd.msg);
	else if (r == 0 && !strcmp(kind, "api"))
		r = cost_query_end(scratch, id, exact, d);
	return r == -ERR_JSON || r == -ERR_CONFIG ? 0 : r;
}

/*
 * Sources outside the chain: imported before imports were runs (no run,
 * or a run of hash encoding 1). Their rows are taken as they are, and
 * counted for the report.
 */
static int copy_uncovered(struct store *scratch, sqlite3_int64 id,
			  struct err_detail *d)
{
	static const char *const sql[] = {
		"INSERT INTO main.cost_sources SELECT * FROM h.cost_sources "
		"WHERE id = ?1",
		"INSERT INTO main.cost_rows SELECT * FROM h.cost_rows "
		"WHERE source = ?1",
	};

	return store_exec_ids(scratch, sql, 2, id, 0, "cannot copy cost rows",
			      d);
}

/*
 * Two tables of cost data as multisets, a (the history's) and b (what the
 * evidence gives), both ways: the counts of rows only in a, only in b, and
 * the run of the first cost source concerned. The SQL, from a and b.
 */
#define MULTISET_DIFF(a, b) \
	"WITH a AS (" a "), b AS (" b "), " \
	"x AS (SELECT * FROM a EXCEPT SELECT * FROM b), " \
	"y AS (SELECT * FROM b EXCEPT SELECT * FROM a) " \
	"SELECT (SELECT count(*) FROM x), (SELECT count(*) FROM y), " \
	"(SELECT min(s.run_id) FROM h.cost_sources s WHERE s.id IN " \
	"(SELECT source FROM x UNION SELECT source FROM y))"

/* Runs a MULTISET_DIFF; a difference fails the run found, named so:
 * "table 'TABLE' differs from AGAINST: N row(s) EXTRA, M missing". */
static int compare_multisets(struct store *scratch, const char *sql,
			     const char *table, const char *against,
			     const char *extra, struct verify_result *res,
			     struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = store_prepare(scratch, sql, &st, d);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = store_sql_error(scratch, "cannot compare cost data", d);
	} else if (sqlite3_column_int(st, 0) || sqlite3_column_int(st, 1)) {
		sqlite3_int64 run = sqlite3_column_int64(st, 2);

		fail(res, run ? run : -1, "table '%s' differs from %s: %d "
		     "row(s) %s, %d missing", table, against,
		     sqlite3_column_int(st, 0), extra,
		     sqlite3_column_int(st, 1));
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * cost_rows as a multiset (row ids are not meaningful: a query dropped
 * part-way leaves a gap), history against scratch, both ways. The run of
 * the first differing source is blamed.
 */
static int compare_costs(struct store *scratch, struct verify_result *res,
			 struct err_detail *d)
{
#define COST_COLS "source, resource_key, resource_id, day, cost_type, " \
		  "meter, currency, cost, cost_micros, quantity, unit, tags, " \
		  "superseded_by"
	static const char sql[] = MULTISET_DIFF(
		"SELECT " COST_COLS ", count(*) FROM h.cost_rows GROUP BY "
		COST_COLS,
		"SELECT " COST_COLS ", count(*) FROM main.cost_rows GROUP BY "
		COST_COLS);
#undef COST_COLS

	return compare_multisets(scratch, sql, "cost_rows", "its evidence",
				 "not in the evidence", res, d);
}

/*
 * cost_months is a cache of cost_rows (migration 0010): the history's
 * table must be what cost_months_derived makes of the cost rows read again
 * from the evidence (scratch), row for row. The run of the first differing
 * source is blamed.
 */
static int compare_months(struct store *scratch, struct verify_result *res,
			  struct err_detail *d)
{
#define MONTH_COLS "source, superseded_by, resource_key, currency, tags, " \
		   "month, totals"
	static const char sql[] = MULTISET_DIFF(
		"SELECT " MONTH_COLS ", count(*) FROM h.cost_months GROUP BY "
		MONTH_COLS,
		"SELECT " MONTH_COLS ", 1 FROM main.cost_months_derived");
#undef MONTH_COLS

	return compare_multisets(scratch, sql, "cost_months", "the cost rows",
				 "not derived from them", res, d);
}
#undef MULTISET_DIFF

static int legacy_history(struct store *s);

/*
 * Retail prices: every answer an import run kept, read again in run and
 * answer order into the scratch database; the tables must be equal (ids
 * aside). A price row no run's evidence gives is caught as well.
 */
static int check_prices(struct store *s, struct store *scratch,
			struct verify_result *res, struct err_detail *d)
{
#define PRICE_COLS "sku, region, currency, price_tib_hour, unit_price, " \
		   "unit, meter_id, effective_from, source, ingested_at, run_id"
	static const char pages[] =
		"SELECT e.run_id, r.started_at, e.url, b.content "
		"FROM evidence_log e JOIN bodies b ON b.id = e.body "
		"JOIN runs r ON r.id = e.run_id WHERE e.kind = '"
		KIND_RETAIL_PRICES "' ORDER BY e.run_id, e.seq";
	static const char diff[] =
		"WITH x AS (SELECT " PRICE_COLS " FROM h.retail_prices EXCEPT "
		"SELECT " PRICE_COLS " FROM main.retail_prices), "
		"y AS (SELECT " PRICE_COLS " FROM main.retail_prices EXCEPT "
		"SELECT " PRICE_COLS " FROM h.retail_prices) "
		"SELECT (SELECT count(*) FROM x), (SELECT count(*) FROM y), "
		"(SELECT min(run_id) FROM (SELECT run_id FROM x UNION ALL "
		"SELECT run_id FROM y)), (SELECT count(*) FROM h.retail_prices) "
		"- (SELECT count(*) FROM main.retail_prices)";
#undef PRICE_COLS
	sqlite3_stmt *st = NULL;
	struct err_detail pd = { "", "" };
	int r, rc;

	/* Prices imported before imports joined the chain: as they are. */
	if (legacy_history(s)) {
		r = store_exec(scratch, "INSERT INTO main.retail_prices SELECT "
			       "* FROM h.retail_prices WHERE run_id IS NULL", d);
		if (r < 0)
			return r;
		res->uncovered_sources += sqlite3_changes(store_db(scratch)) > 0;
	}
	r = store_prepare(s, pages, &st, d);
	if (r < 0)
		return r;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 run = sqlite3_column_int64(st, 0);

		r = prices_replay(scratch, run,
				  (const char *)sqlite3_column_text(st, 1),
				  (const char *)sqlite3_column_text(st, 2),
				  sqlite3_column_blob(st, 3),
				  (size_t)sqlite3_column_bytes(st, 3), &pd);
		if (r == -ERR_JSON) {
			fail(res, run, "a stored prices answer no longer reads: "
			     "%s", pd.msg);
			r = 0;
			break;
		}
	}
	sqlite3_finalize(st);
	if (r < 0 || res->bad_run)
		return r;
	r = store_prepare(scratch, diff, &st, d);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = store_sql_error(scratch, "cannot compare prices", d);
	} else if (sqlite3_column_int(st, 0) || sqlite3_column_int(st, 1) ||
		   sqlite3_column_int(st, 3)) {
		sqlite3_int64 run = sqlite3_column_int64(st, 2);

		fail(res, run ? run : -1, "table 'retail_prices' differs from "
		     "its evidence: %d row(s) not in the evidence, %d missing",
		     sqlite3_column_int(st, 0), sqlite3_column_int(st, 1));
	}
	sqlite3_finalize(st);
	return r;
}

/* Does the history hold runs of hash encoding 1 (from before imports
 * joined the chain)? Only then may a cost source lack a run of its own. */
static int legacy_history(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	if (store_prepare(s, "SELECT count(*) FROM runs WHERE hash_version < 2",
			  &st, NULL) == 0 && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n > 0;
}

/*
 * Every cost source is covered by its run's hash (encoding 2); its rows
 * are read again from that run's evidence, in source order (so that
 * supersession happens as it did), and must equal the history's, and so
 * must cost_months, derived from them. A source
 * with no such run is a failure, except in a history that began before
 * imports joined the chain: there it is counted as uncovered, if it comes
 * before every source in the chain (ids in order of import, from 1) and
 * was ingested no later than the first run of encoding 2 began (times to
 * the second). A source added later
 * with no run (a forgery beside a head the auditor pinned) fails.
 */
static int check_costs(struct store *s, struct store *scratch,
		       struct verify_result *res, struct err_detail *d)
{
	static const char sql[] =
		"SELECT c.id, c.kind, c.name, c.cost_type, c.run_id, "
		"r.hash_version, c.ingested_at <= coalesce((SELECT min("
		"started_at) FROM runs WHERE hash_version >= 2), '9') "
		"FROM cost_sources c LEFT JOIN runs r ON r.id = c.run_id "
		"ORDER BY c.id";
	sqlite3_stmt *st = NULL;
	sqlite3_int64 covered = 0;	/* the first source in the chain */
	int r, rc, legacy = legacy_history(s);

	r = store_prepare(s, sql, &st, d);
	if (r < 0)
		return r;
	while (r == 0 && !res->bad_run && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 4) != SQLITE_NULL &&
		    sqlite3_column_type(st, 5) == SQLITE_NULL) {
			fail(res, sqlite3_column_int64(st, 4), "cost source "
			     "%lld names run %lld, which does not exist",
			     (long long)sqlite3_column_int64(st, 0),
			     (long long)sqlite3_column_int64(st, 4));
		} else if (sqlite3_column_int(st, 5) < 2 && !legacy) {
			fail(res, -1, "cost source %lld is outside the evidence "
			     "chain (no run of its own)",
			     (long long)sqlite3_column_int64(st, 0));
		} else if (sqlite3_column_int(st, 5) < 2 &&
			   (covered || sqlite3_column_int64(st, 0) < 1 ||
			    !sqlite3_column_int(st, 6))) {
			fail(res, -1, "cost source %lld is outside the evidence "
			     "chain (no run of its own) and %s", (long long)
			     sqlite3_column_int64(st, 0), covered ?
			     "comes after a source in it" : "was not imported "
			     "before the chain took in imports");
		} else if (sqlite3_column_int(st, 5) < 2) {
			res->uncovered_sources++;
			r = copy_uncovered(scratch, sqlite3_column_int64(st, 0),
					   d);
		} else {
			if (!covered)
				covered = sqlite3_column_int64(st, 0);
			r = replay_source(s, scratch, st, res, d);
		}
	}
	sqlite3_finalize(st);
	if (r == 0 && !res->bad_run)
		r = compare_costs(scratch, res, d);
	if (r == 0 && !res->bad_run)
		r = compare_months(scratch, res, d);
	return r;
}

/* Ids are contiguous (AUTOINCREMENT, never reused): a gap is a deletion. */
static int check_run(struct store *s, struct store *scratch,
		     struct reproj *rp, struct finding_tally *tally,
		     sqlite3_stmt *st,
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
	r = chain_run_hash_each(s, id, hash, tally ? finding_tally_row : NULL,
				tally, d);
	if (r < 0)
		return r;
	if (stored && strcmp(hash, stored))
		fail(res, id, "its metadata, evidence list, cost sources or "
		     "findings were edited "
		     "(hash %s, recorded %s)", hash, stored);
	if (rp && (!res->bad_run || res->bad_run > id)) {
		r = reproject_run(s, scratch, rp, id, res, d);
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
	int r, rc;

	r = store_prepare(s, "SELECT seq FROM sqlite_sequence WHERE name = "
			  "'runs'", &st, d);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > last)
		fail(res, last + 1, "run %lld, the newest, is missing "
		     "(deleted)", (long long)sqlite3_column_int64(st, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read the run sequence", d);
	sqlite3_finalize(st);
	return r;
}

/*
 * The findings summary held to the findings: derived again check by
 * check (tally NULL: the full verify) or against what the chain check
 * counted of them (tally.h).
 */
static int check_summary(struct store *s, struct finding_tally *tally,
			 struct verify_result *res, struct err_detail *d)
{
	sqlite3_int64 check = 0;
	char why[512];
	int r = tally ? finding_tally_compare(tally, s, &check, why,
					      sizeof(why), d) :
		finding_runs_compare(s, &check, why, sizeof(why), d);

	if (r == 0 && check)
		fail(res, check, "the findings summary (finding_runs) does not "
		     "match the findings: %s", why);
	return r;
}

/* The whole check (full) or the chain alone (see verify.h). */
static int verify(struct store *s, int full, struct verify_result *res,
		  struct err_detail *d)
{
	struct store *scratch = NULL;
	struct reproj reproj, *rp = NULL;
	struct finding_tally *tally = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 prev_id = 0;
	char prev_hash[SHA256_HEX_LEN + 1] = "";
	int r = 0, rc;

	memset(res, 0, sizeof(*res));
	if (full) {
		r = open_scratch(s, &scratch, d);
		if (r < 0)
			goto out;
		rp = &reproj;
		r = reproj_init(rp, scratch, d);
		if (r < 0)
			goto out;
	} else if (!(tally = finding_tally_new())) {
		err_set(d, "cannot key SipHash (libcrypto)");
		r = -ERR_CRYPTO;
		goto out;
	}
	r = check_bodies(s, res, d);
	if (r < 0)
		goto out;
	r = store_prepare(s, "SELECT id, status, prev_hash, run_hash FROM runs "
			  "ORDER BY id", &st, d);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = check_run(s, scratch, rp, tally, st, &prev_id, prev_hash,
			      res, d);
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
	if (!full) {
		if (r == 0 && !res->bad_run)
			r = check_summary(s, tally, res, d);
		goto out;
	}
	if (r == 0 && !res->bad_run)
		r = compare_metrics(scratch, res, d);
	if (r == 0 && !res->bad_run)
		r = check_costs(s, scratch, res, d);
	if (r == 0 && !res->bad_run)
		r = check_prices(s, scratch, res, d);
	if (r == 0 && !res->bad_run)
		r = check_summary(s, NULL, res, d);
out:
	sqlite3_finalize(st);
	if (rp)
		reproj_release(rp);
	finding_tally_free(tally);
	store_close(scratch);
	return r;
}

int verify_history(struct store *s, struct verify_result *res,
		   struct err_detail *d)
{
	return verify(s, 1, res, d);
}

int verify_chain(struct store *s, struct verify_result *res,
		 struct err_detail *d)
{
	return verify(s, 0, res, d);
}
