#include "costs/costs.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azure/arm.h"
#include "store/evidence.h"
#include "util/fs.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* The evidence kind of an export's kept lines. */
#define KIND_COST_EXPORT "cost_export"

struct importer {
	struct store *s;
	const struct cost_import_options *o;
	const char *path;
	const char *cost_type;		/* EA, MCA: the file's one type */
	sqlite3_int64 run, source;
	sqlite3_stmt *ins;
	struct cost_import_result *res;
	/* The lines parsed, the evidence: hashed and spooled as they pass. */
	struct evidence_body *kept;
	struct err_detail *d;
	char first[11], last[11];
};

static int insert_one(struct importer *im, const struct cost_row *row,
		      const char *type, double cost, long long micros,
		      struct err_detail *d)
{
	sqlite3_stmt *st = im->ins;
	char *key = lower_dup(row->resource_id);
	int r = 0;

	sqlite3_bind_int64(st, 1, im->source);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, row->resource_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, row->day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, row->meter && *row->meter ? row->meter : NULL,
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, row->currency, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, cost);
	if (row->has_quantity)
		sqlite3_bind_double(st, 9, row->quantity);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_text(st, 10, row->unit && *row->unit ? row->unit : NULL,
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, row->tags, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, micros);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(im->s, "cannot store cost row", d);
	sqlite3_reset(st);
	free(key);
	if (im->res)
		im->res->cost_rows++;
	return r;
}

static int on_row(void *ctx, const struct cost_row *row, struct err_detail *d)
{
	struct importer *im = ctx;
	int r;

	if (!im->first[0] || strcmp(row->day, im->first) < 0)
		memcpy(im->first, row->day, sizeof(im->first));
	if (!im->last[0] || strcmp(row->day, im->last) > 0)
		memcpy(im->last, row->day, sizeof(im->last));
	if (!row->has_amortized)	/* EA, MCA: the file's one type */
		return insert_one(im, row, im->cost_type, row->cost,
				  row->cost_micros, d);
	/* FOCUS: BilledCost is actual, EffectiveCost amortized. */
	r = insert_one(im, row, "ActualCost", row->cost, row->cost_micros, d);
	return r < 0 ? r : insert_one(im, row, "AmortizedCost", row->amortized,
				      row->amortized_micros, d);
}

static void on_progress(void *ctx, long long done, long long total)
{
	struct importer *im = ctx;

	if (im->o->on_progress)
		im->o->on_progress(im->o->ctx, im->path, done, total);
}

static int on_line(void *ctx, const char *line, size_t len)
{
	struct importer *im = ctx;

	return evidence_body_add(im->kept, line, len, im->d);
}

static void on_bad(void *ctx, long line, const char *why)
{
	struct importer *im = ctx;

	if (im->o->on_bad)
		im->o->on_bad(im->o->ctx, im->path, line, why);
}

/*
 * Rows of source that only repeat what is held are not kept twice: a
 * daily query of an unchanged month then adds nothing. A resource, day
 * and cost type repeats when its rows are, row for row and as many times,
 * those held current from other sources in every column kept (id, meter,
 * currency, cost, quantity, unit, tags): exact. Runs from before that rule
 * (their scope without COST_SCOPE_REPEATS) were judged by the first rule,
 * which verify replays for them: as many rows, each with some held row of
 * the same meter, currency and cost, so a changed tag or a second row
 * like the first one was dropped with the newer import.
 */
static int drop_repeats(struct store *s, sqlite3_int64 source, int exact,
			struct err_detail *d)
{
	/* Every lookup of other sources' rows goes through cost_rows_key. */
	static const char first[] =
		"DELETE FROM cost_rows WHERE source = ?1 AND (resource_key, day, "
		"cost_type) IN (SELECT k.resource_key, k.day, k.cost_type FROM "
		"(SELECT resource_key, day, cost_type, count(*) AS n FROM "
		"cost_rows WHERE source = ?1 GROUP BY 1, 2, 3) k "
		"WHERE k.n = (SELECT count(*) FROM cost_rows o WHERE "
		"o.resource_key = k.resource_key AND o.day = k.day AND "
		"o.cost_type = k.cost_type AND o.source <> ?1 AND "
		"o.superseded_by IS NULL) "
		"AND NOT EXISTS (SELECT 1 FROM cost_rows r WHERE r.source = ?1 "
		"AND r.resource_key = k.resource_key AND r.day = k.day AND "
		"r.cost_type = k.cost_type AND NOT EXISTS (SELECT 1 FROM "
		"cost_rows o WHERE o.resource_key = r.resource_key AND "
		"o.day = r.day AND o.cost_type = r.cost_type AND "
		"o.source <> ?1 AND o.superseded_by IS NULL AND "
		"o.meter IS r.meter AND o.currency = r.currency AND "
		"o.cost_micros = r.cost_micros)))";
#define KEPT "resource_id, meter, currency, cost, cost_micros, quantity, " \
	     "unit, tags, count(*)"
#define KEY(t) t ".resource_key = k.resource_key AND " t ".day = k.day " \
	       "AND " t ".cost_type = k.cost_type"
#define NEW "SELECT " KEPT " FROM cost_rows n WHERE n.source = ?1 AND " \
	    KEY("n") " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
#define HELD "SELECT " KEPT " FROM cost_rows o WHERE o.source <> ?1 AND " \
	     "o.superseded_by IS NULL AND " KEY("o") \
	     " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
	/* EXCEPT compares NULLs as equal, as IS does. */
	static const char rows[] =
		"DELETE FROM cost_rows WHERE source = ?1 AND (resource_key, day, "
		"cost_type) IN (SELECT k.resource_key, k.day, k.cost_type FROM "
		"(SELECT DISTINCT resource_key, day, cost_type FROM cost_rows "
		"WHERE source = ?1) k "
		"WHERE EXISTS (SELECT 1 FROM cost_rows o WHERE o.source <> ?1 "
		"AND o.superseded_by IS NULL AND " KEY("o") ") "
		"AND NOT EXISTS (" NEW " EXCEPT " HELD ") "
		"AND NOT EXISTS (" HELD " EXCEPT " NEW "))";
#undef HELD
#undef NEW
#undef KEY
#undef KEPT
	sqlite3_stmt *st = NULL;
	int r;

	r = store_prepare(s, exact ? rows : first, &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, source);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(s, "cannot compare cost rows", d);
	sqlite3_finalize(st);
	return r;
}

/*
 * cost_months (migration 0010) is a cache of cost_rows by month, never an
 * input: the months a source has rows in, of the resources it has rows
 * for, are derived again (cost_months_derived) for it and for every
 * source with rows on its keys (those it superseded, now or before).
 * One source at a time:
 * "source = ?" is pushed into the view's GROUP BY (a subquery would not
 * be), so only that source's rows are read. verify compares the whole
 * table.
 */
static int refresh_source_months(struct store *s, sqlite3_int64 source,
				 sqlite3_int64 other, struct err_detail *d)
{
#define TOUCHED "(SELECT DISTINCT substr(day, 1, 7), resource_key " \
		"FROM cost_rows WHERE source = ?1)"
	static const char *const sql[] = {
		"DELETE FROM cost_months WHERE (month, resource_key) IN "
		TOUCHED " AND source = ?2",
		"INSERT INTO cost_months SELECT * FROM cost_months_derived "
		"WHERE source = ?2 AND (month, resource_key) IN " TOUCHED,
	};
#undef TOUCHED

	return store_exec_ids(s, sql, 2, source, other,
			      "cannot sum cost rows by month", d);
}

int cost_months_refresh(struct store *s, sqlite3_int64 source,
			struct err_detail *d)
{
	static const char sql[] =
		"SELECT ?1 UNION SELECT o.source FROM cost_rows n "
		"JOIN cost_rows o ON o.resource_key = n.resource_key "
		"AND o.day = n.day AND o.cost_type = n.cost_type "
		"WHERE n.source = ?1";
	sqlite3_stmt *st = NULL;
	sqlite3_int64 *ids = NULL;
	size_t n = 0, i;
	int r, rc;

	r = store_prepare(s, sql, &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, source);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot sum cost rows by month", d);
	sqlite3_finalize(st);
	for (i = 0; r == 0 && i < n; i++)
		r = refresh_source_months(s, source, ids[i], d);
	free(ids);
	return r;
}

long cost_supersede(struct store *s, sqlite3_int64 source, int exact,
		    struct err_detail *d)
{
	static const char sql[] =
		"UPDATE cost_rows SET superseded_by = ?1 WHERE id IN ("
		"SELECT o.id FROM cost_rows n JOIN cost_rows o "
		"ON o.resource_key = n.resource_key AND o.day = n.day "
		"AND o.cost_type = n.cost_type "
		"WHERE n.source = ?1 AND o.source <> ?1 "
		"AND o.superseded_by IS NULL)";
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (drop_repeats(s, source, exact, d) < 0)
		return -ERR_SQL;
	if (store_prepare(s, sql, &st, d) < 0)
		return -ERR_SQL;
	sqlite3_bind_int64(st, 1, source);
	if (sqlite3_step(st) == SQLITE_DONE)
		n = sqlite3_changes(store_db(s));
	else
		store_sql_error(s, "cannot supersede older cost rows", d);
	sqlite3_finalize(st);
	return n < 0 ? -ERR_SQL : n;
}

/*
 * Was a file with these bytes imported before? 1 with *ret its source, 0
 * when not, negative when the history could not say (never "new").
 */
static int find_duplicate(struct store *s, const char *sha,
			  sqlite3_int64 self, sqlite3_int64 *ret,
			  struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = store_prepare(s, "SELECT id FROM cost_sources WHERE sha256 = ?1 "
			  "AND kind = 'file' AND id <> ?2 ORDER BY id LIMIT 1",
			  &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, self);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
		r = 1;
	} else if (rc != SQLITE_DONE) {
		r = store_sql_error(s, "cannot look for an earlier import", d);
	}
	sqlite3_finalize(st);
	return r;
}

static int prepare_insert(struct importer *im, struct err_detail *d)
{
	return store_prepare(im->s, "INSERT INTO cost_rows (source, "
			     "resource_key, resource_id, day, cost_type, meter, "
			     "currency, cost, quantity, unit, tags, cost_micros) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
			     "?11, ?12)",
			     &im->ins, d);
}

static int begin_source(struct importer *im, struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	char now[21];
	int r;

	time_now_iso(now);
	r = store_prepare(im->s, "INSERT INTO cost_sources (kind, name, format, "
			  "ingested_at, run_id) VALUES ('file', ?1, 'unknown', "
			  "?2, ?3)", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, im->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, im->run);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(im->s, "cannot record cost source", d);
	else
		im->source = sqlite3_last_insert_rowid(store_db(im->s));
	sqlite3_finalize(st);
	if (r == 0)
		r = prepare_insert(im, d);
	return r;
}

static int finish_source(struct importer *im, struct err_detail *d)
{
	const struct cost_read_result *rr = &im->res->read;
	sqlite3_stmt *st = NULL;
	int r;

	r = store_prepare(im->s, "UPDATE cost_sources SET sha256 = ?2, "
			  "format = ?3, cost_type = ?4, rows_read = ?5, "
			  "rows_kept = ?6, rows_malformed = ?7, first_day = ?8, "
			  "last_day = ?9 WHERE id = ?1", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, im->source);
	sqlite3_bind_text(st, 2, rr->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cost_format_name(rr->format), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rr->format == COST_FORMAT_FOCUS ? NULL :
			  im->cost_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, rr->rows_read);
	sqlite3_bind_int64(st, 6, rr->rows_kept);
	sqlite3_bind_int64(st, 7, rr->rows_malformed);
	sqlite3_bind_text(st, 8, im->first[0] ? im->first : NULL, -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 9, im->last[0] ? im->last : NULL, -1,
			  SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(im->s, "cannot record cost source", d);
	sqlite3_finalize(st);
	return r;
}

/* The import run's scope: what a reader of the chain needs to know. */
static char *import_scope(const char *path, const struct strlist *related)
{
	json_t *j = json_pack("{s:s, s:s}", "file", path, COST_SCOPE_REPEATS,
			      COST_REPEATS_EXACT), *a = json_array();
	size_t i;
	char *text;

	for (i = 0; related && i < related->n; i++)
		json_array_append_new(a, json_string(related->v[i]));
	json_object_set_new(j, "related_resources", a);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return text;
}

int cost_scope_exact(json_t *scope)
{
	const char *v = json_string_value(json_object_get(scope,
							  COST_SCOPE_REPEATS));

	return v && !strcmp(v, COST_REPEATS_EXACT);
}

/* The kept lines as the import run's one piece of evidence. */
static int store_kept(struct importer *im, struct err_detail *d)
{
	struct evidence_writer *w = evidence_writer_new(im->s);
	struct sbuf url = SBUF_INIT;
	struct evidence_item e = {
		.run_id = im->run, .seq = 1, .kind = KIND_COST_EXPORT,
		.subject = im->path, .method = "IMPORT", .status = 0,
		.projected = 0, .stream = im->kept,
	};
	sqlite3_int64 id;
	int r;

	char now[21];
	time_t t = 0;

	sbuf_addf(&url, "file:%s", im->path);
	e.url = url.buf;
	time_now_iso(now);	/* honours AMLFS_AUDIT_NOW, as runs do */
	time_parse_iso(now, &t);
	e.fetched_at = (long long)t;
	r = evidence_add(w, &e, &id, NULL, d);
	evidence_writer_free(w);
	sbuf_release(&url);
	return r;
}

static int seal_import(struct importer *im, struct err_detail *d)
{
	struct sbuf why = SBUF_INIT;
	long bad = im->res->read.rows_malformed;
	int r;

	if (bad)
		sbuf_addf(&why, "%ld malformed row(s) left out", bad);
	r = chain_seal_run(im->s, im->run, bad ? "partial" : "ok",
			   bad ? why.buf : NULL, d);
	sbuf_release(&why);
	return r;
}

int cost_import_file(struct store *s, const char *path,
		     const struct cost_import_options *o,
		     struct cost_import_result *res, struct err_detail *d)
{
	struct importer im = { .s = s, .o = o, .path = path, .res = res,
			       .cost_type = o->cost_type, .d = d,
			       .kept = evidence_body_new() };
	struct cost_reader_options ro = {
		.related = o->related, .on_row = on_row, .on_bad = on_bad,
		.on_progress = on_progress, .on_line = on_line, .ctx = &im,
	};
	char *scope = import_scope(path, o->related);
	long n;
	int r;

	memset(res, 0, sizeof(*res));
	r = fs_name_text(path, "the file", d);	/* JSON holds UTF-8 only */
	if (r == 0 && !scope) {
		err_set(d, "cannot describe the import: a related resource id "
			"is not UTF-8 text ([costs] related_resources)");
		r = -ERR_CONFIG;
	}
	if (r < 0)
		goto out;
	if (!im.kept) {
		err_set(d, "cannot hash: libcrypto failed");
		r = -ERR_CRYPTO;
		goto out;
	}
	/* The index pages of a big import stay in memory: 32 MiB at most. */
	store_exec(s, "PRAGMA cache_size = -32768", NULL);
	r = store_begin(s, d);
	if (r < 0)
		goto out;
	r = chain_begin_run(s, "import", scope, &im.run, d);
	if (r == 0)
		r = begin_source(&im, d);
	if (r == 0)
		r = cost_read_file(path, &ro, &res->read, d);
	sqlite3_finalize(im.ins);
	if (r == 0) {
		r = find_duplicate(s, res->read.sha256, im.source,
				   &res->source, d);
		if (r == 1) {
			res->duplicate = 1;
			store_rollback(s);
			r = 0;
			goto out;
		}
	}
	if (r == 0)
		r = finish_source(&im, d);
	if (r == 0) {
		n = cost_supersede(s, im.source, 1, d);
		r = n < 0 ? (int)n : 0;
		res->superseded = n;
	}
	/* A row left out may be one of the rows it would replace, and the
	 * file cannot be imported again once imported: all or nothing. */
	if (r == 0 && n > 0 && res->read.rows_malformed) {
		err_set(d, "%ld malformed row(s), and its other rows would "
			"replace %ld older cost rows: nothing imported, so that "
			"no cost is lost with the rows left out (fix them and "
			"import the file again)", res->read.rows_malformed, n);
		err_where(d, "%s", path);
		r = -ERR_CONFIG;
	}
	/* The kept lines pass through the page cache a page at a time:
	 * a small cache writes them out (to the WAL) instead of holding them.
	 * The months are summed under it too: they read the rows just
	 * written once (5 MiB more peak memory under the big cache). */
	if (r == 0)
		r = store_exec(s, "PRAGMA cache_size = -2048", d);
	if (r == 0)
		r = cost_months_refresh(s, im.source, d);
	if (r == 0)
		r = store_kept(&im, d);
	if (r == 0)
		r = seal_import(&im, d);
	if (r == 0)
		r = store_commit(s, d);
	if (r < 0) {
		store_rollback(s);
		goto out;
	}
	res->source = im.source;
	res->run = im.run;
out:
	evidence_body_free(im.kept);
	free(scope);
	return r;
}

int cost_import_replay(struct store *s, sqlite3_int64 source,
		       const char *cost_type, const struct strlist *related,
		       int exact, const char *name, const char *body,
		       size_t len, struct err_detail *d)
{
	struct importer im = { .s = s, .source = source, .path = name,
			       .cost_type = cost_type };
	struct cost_reader_options ro = {
		.related = related, .on_row = on_row, .keep_all = 1,
		.ctx = &im,
	};
	struct cost_read_result rr;
	long n;
	int r;

	r = prepare_insert(&im, d);
	if (r == 0)
		r = cost_read_buffer(name, body, len, &ro, &rr, d);
	sqlite3_finalize(im.ins);
	if (r < 0)
		return r;
	n = cost_supersede(s, source, exact, d);
	return n < 0 ? (int)n : 0;
}
