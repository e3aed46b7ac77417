#include "store/chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "store/evidence.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/*
 * What a run's hash covers, by version (runs.hash_version). Old runs keep
 * theirs. Version 1 hashed each field as NUL-terminated text: NULL and
 * "\x01" hashed alike, a type was lost and anything after an embedded NUL
 * was invisible. Version 2 writes each field typed (chain.h).
 */
#define CHAIN_V1 "amlfs-audit-run/1"
#define CHAIN_V2 "amlfs-audit-run/2"

static const char *const run_cols_v1[] = {
	"id", "started_at", "finished_at", "status", "tool_version", "source",
	"tenant_id", "principal_id", "scope", "error_summary", "notes",
	"prev_hash", NULL
};
static const char *const run_cols_v2[] = {
	"id", "started_at", "finished_at", "status", "tool_version", "source",
	"tenant_id", "principal_id", "scope", "error_summary", "notes",
	"prev_hash", "hash_version", NULL
};
static const char *const evidence_cols[] = {
	"seq", "kind", "subject", "method", "url", "request_body", "status",
	"request_id", "fetched_at", "projected", "sha256", NULL
};
static const char *const error_cols[] = {
	"seq", "url", "http_status", "code", "message", NULL
};
static const char *const ledger_cols[] = {
	"scope", "list", "requests", "pages", "items", "retries", "throttled",
	"throttle_wait_ms", "errors", NULL
};
/* Version 2: the cost sources the run made (their rows are re-derived
 * from its evidence by verify), and the findings of a check. */
static const char *const source_cols[] = {
	"id", "kind", "name", "sha256", "format", "cost_type", "ingested_at",
	"rows_read", "rows_kept", "rows_malformed", "first_day", "last_day",
	NULL
};
static const char *const finding_cols[] = {
	"judged_run", "rule", "resource_id", "status", "severity", "reason",
	"evidence", "detail", "exemption", "first_seen", NULL
};

#define NCOLS(a) (sizeof(a) / sizeof(a[0]) - 1)
#define GROUP(name, cols) { name, cols, NCOLS(cols) }

static const struct chain_group_def groups_v1[] = {
	GROUP("run", run_cols_v1), GROUP("evidence", evidence_cols),
	GROUP("errors", error_cols), GROUP("ledger", ledger_cols),
};
static const struct chain_group_def groups_v2[] = {
	GROUP("run", run_cols_v2), GROUP("evidence", evidence_cols),
	GROUP("errors", error_cols), GROUP("ledger", ledger_cols),
	GROUP("cost_sources", source_cols), GROUP("findings", finding_cols),
};

/* The most columns a group has (chain_run_hash reads a row into this). */
#define CHAIN_MAX_COLS 16
_Static_assert(NCOLS(run_cols_v2) <= CHAIN_MAX_COLS &&
	       NCOLS(evidence_cols) <= CHAIN_MAX_COLS &&
	       NCOLS(error_cols) <= CHAIN_MAX_COLS &&
	       NCOLS(ledger_cols) <= CHAIN_MAX_COLS &&
	       NCOLS(source_cols) <= CHAIN_MAX_COLS &&
	       NCOLS(finding_cols) <= CHAIN_MAX_COLS, "a group's columns");

/* Where each group's rows come from, in hashing order (by group). */
static const char *const group_from[] = {
	"FROM runs WHERE id = ?1",
	"FROM evidence_log WHERE run_id = ?1 ORDER BY seq, id",
	"FROM run_errors WHERE run_id = ?1 ORDER BY seq",
	"FROM run_ledger WHERE run_id = ?1 ORDER BY scope, list",
	"FROM cost_sources WHERE run_id = ?1 ORDER BY id",
	"FROM findings WHERE check_run = ?1 ORDER BY id",
};

size_t chain_groups(int version, const struct chain_group_def **ret)
{
	if (version == 1) {
		*ret = groups_v1;
		return sizeof(groups_v1) / sizeof(groups_v1[0]);
	}
	if (version == 2) {
		*ret = groups_v2;
		return sizeof(groups_v2) / sizeof(groups_v2[0]);
	}
	return 0;
}

int chain_run_init(struct chain_run *run, int version)
{
	const struct chain_group_def *g;
	size_t i;

	memset(run, 0, sizeof(*run));
	run->ngroups = chain_groups(version, &g);
	if (!run->ngroups)
		return -EINVAL;
	run->version = version;
	for (i = 0; i < run->ngroups; i++)
		run->g[i].ncols = g[i].ncols;
	return 0;
}

void chain_run_release(struct chain_run *run)
{
	size_t g, i;

	for (g = 0; g < run->ngroups; g++) {
		struct chain_table *t = &run->g[g];

		for (i = 0; i < t->nrows * t->ncols; i++)
			free(t->v[i].p);
		free(t->v);
	}
	memset(run, 0, sizeof(*run));
}

struct chain_value *chain_run_add_row(struct chain_run *run, size_t g)
{
	struct chain_table *t = &run->g[g];
	struct chain_value *row;

	if (t->nrows == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 16;
		t->v = xrealloc(t->v, t->alloc * t->ncols * sizeof(*t->v));
	}
	row = t->v + t->nrows++ * t->ncols;
	memset(row, 0, t->ncols * sizeof(*row));
	return row;
}

static void set_bytes(struct chain_value *v, enum chain_type type,
		      const void *p, size_t n)
{
	v->type = type;
	v->n = n;
	v->p = xmalloc(n + 1);
	if (n)
		memcpy(v->p, p, n);
	v->p[n] = '\0';
}

/* (chain.h) */
int chain_view_column(struct chain_value *v, sqlite3_stmt *st, int i,
		       int version)
{
	int type = sqlite3_column_type(st, i);

	memset(v, 0, sizeof(*v));
	if (type == SQLITE_NULL) {
		v->type = CHAIN_NULL;
		return 0;
	}
	if (type == SQLITE_INTEGER && version != 1) {
		v->type = CHAIN_INT;
		v->i = sqlite3_column_int64(st, i);
		return 0;
	}
	if (type == SQLITE_FLOAT && version != 1) {
		v->type = CHAIN_REAL;
		v->r = sqlite3_column_double(st, i);
		return 0;
	}
	if (version == 1 || type == SQLITE_TEXT) {
		v->type = CHAIN_TEXT;
		v->p = (char *)sqlite3_column_text(st, i);
	} else {
		v->type = CHAIN_BLOB;
		v->p = (char *)sqlite3_column_blob(st, i);
	}
	v->n = (size_t)sqlite3_column_bytes(st, i);
	/* (an empty blob is a NULL pointer too; SQLite's error tells) */
	if (!v->p && (v->n ||
		      sqlite3_errcode(sqlite3_db_handle(st)) == SQLITE_NOMEM))
		return -ENOMEM;
	return 0;
}

/* Column i of st's current row into v, text and blobs copied (owned). */
static int load_column(struct chain_value *v, sqlite3_stmt *st, int i,
		       int version)
{
	struct chain_value view;
	int r = chain_view_column(&view, st, i, version);

	*v = view;
	if (view.type == CHAIN_TEXT || view.type == CHAIN_BLOB)
		set_bytes(v, view.type, view.p ? view.p : "", view.n);
	return r;
}

/* The statement reading group g of a run (?1: the run id). */
static int prepare_group(struct store *s, const struct chain_group_def *def,
			 size_t g, sqlite3_int64 run_id, sqlite3_stmt **ret,
			 struct err_detail *d)
{
	struct sbuf sql = SBUF_INIT;
	size_t i;
	int r;

	sbuf_adds(&sql, "SELECT ");
	for (i = 0; i < def->ncols; i++)
		sbuf_addf(&sql, "%s%s", i ? ", " : "", def->columns[i]);
	sbuf_addf(&sql, " %s", group_from[g]);
	r = store_prepare(s, sql.buf, ret, d);
	sbuf_release(&sql);
	if (r == 0)
		sqlite3_bind_int64(*ret, 1, run_id);
	return r;
}

static int load_group(struct store *s, sqlite3_int64 run_id,
		      const struct chain_group_def *def, size_t g,
		      struct chain_run *run, struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int r, rc;

	r = prepare_group(s, def, g, run_id, &st, d);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct chain_value *row = chain_run_add_row(run, g);

		for (i = 0; i < def->ncols && r == 0; i++)
			r = load_column(&row[i], st, (int)i, run->version);
		if (r < 0)
			break;
	}
	if (r < 0)
		err_set(d, "cannot read run %lld for hashing: %s",
			(long long)run_id, err_str(r));
	else if (rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read run for hashing", d);
	sqlite3_finalize(st);
	return r;
}

static int run_version(struct store *s, sqlite3_int64 run_id, int *ret,
		       struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r = store_prepare(s, "SELECT hash_version FROM runs WHERE id = ?1",
			      &st, d);

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*ret = sqlite3_column_int(st, 0);
		r = *ret == 1 || *ret == 2 ? 0 : -ERR_VERIFY;
		if (r < 0)
			err_set(d, "run %lld has unknown hash version %d",
				(long long)run_id, *ret);
	} else {
		r = r == SQLITE_DONE ? -ERR_NOT_FOUND :
		    store_sql_error(s, "cannot read run", d);
		if (r == -ERR_NOT_FOUND)
			err_set(d, "no run %lld", (long long)run_id);
	}
	sqlite3_finalize(st);
	return r;
}

int chain_run_load(struct store *s, sqlite3_int64 run_id,
		   struct chain_run *ret, struct err_detail *d)
{
	const struct chain_group_def *defs;
	struct chain_run run;
	size_t g;
	int r, version = 0;

	r = run_version(s, run_id, &version, d);
	if (r < 0)
		return r;
	chain_run_init(&run, version);
	chain_groups(version, &defs);
	for (g = 0; g < run.ngroups && r == 0; g++)
		r = load_group(s, run_id, &defs[g], g, &run, d);
	if (r < 0)
		chain_run_release(&run);
	else
		*ret = run;
	return r;
}

static void put_u64(struct hash_ctx *h, char type, unsigned long long v)
{
	unsigned char b[9];
	int i;

	b[0] = (unsigned char)type;
	for (i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(v >> (56 - 8 * i));
	hash_update(h, b, sizeof(b));
}

static void put_bytes(struct hash_ctx *h, char type, const void *p, size_t n)
{
	put_u64(h, type, (unsigned long long)n);
	if (n)
		hash_update(h, p, n);
}

/* One value, typed (version 2). */
static void put_value(struct hash_ctx *h, const struct chain_value *v)
{
	unsigned long long bits;

	switch (v->type) {
	case CHAIN_NULL:
		hash_update(h, "N", 1);
		break;
	case CHAIN_INT:
		put_u64(h, 'I', (unsigned long long)v->i);
		break;
	case CHAIN_REAL:
		memcpy(&bits, &v->r, sizeof(bits));
		put_u64(h, 'R', bits);
		break;
	case CHAIN_TEXT:
		put_bytes(h, 'T', v->p, v->n);
		break;
	case CHAIN_BLOB:
		put_bytes(h, 'B', v->p, v->n);
		break;
	}
}

/* One value as version 1 hashed it: SQLite's text of it. */
static void put_value_v1(struct hash_ctx *h, const struct chain_value *v)
{
	char num[64];

	switch (v->type) {
	case CHAIN_NULL:
		hash_field(h, NULL);
		break;
	case CHAIN_INT:
		snprintf(num, sizeof(num), "%lld", v->i);
		hash_field(h, num);
		break;
	case CHAIN_REAL:
		sqlite3_snprintf(sizeof(num), num, "%!.15g", v->r);
		hash_field(h, num);
		break;
	default:
		hash_field(h, v->p);
		break;
	}
}

/* A marker between records and groups, for both versions. */
static void put_mark(struct hash_ctx *h, int version, const char *v1, char v2)
{
	if (version == 1)
		hash_field(h, v1);
	else
		hash_update(h, &v2, 1);
}

/* The encoding's header, before the first group. */
static void put_header(struct hash_ctx *h, int version)
{
	if (version == 1)
		hash_field(h, CHAIN_V1);
	else
		put_bytes(h, 'T', CHAIN_V2, strlen(CHAIN_V2));
}

/* One row of ncols values, after its record mark. */
static void put_row(struct hash_ctx *h, int version,
		    const struct chain_value *row, size_t ncols)
{
	size_t j;

	put_mark(h, version, "\x1e", 'r');	/* record */
	for (j = 0; j < ncols; j++) {
		if (version == 1)
			put_value_v1(h, &row[j]);
		else
			put_value(h, &row[j]);
	}
}

int chain_run_encode(const struct chain_run *run,
		     char out[SHA256_HEX_LEN + 1])
{
	struct hash_ctx *h = hash_init();
	size_t g, i;

	if (!h)
		return -ERR_CRYPTO;
	put_header(h, run->version);
	for (g = 0; g < run->ngroups; g++) {
		const struct chain_table *t = &run->g[g];

		put_mark(h, run->version, "\x1d", 'g');	/* group separator */
		for (i = 0; i < t->nrows; i++)
			put_row(h, run->version, &t->v[i * t->ncols], t->ncols);
	}
	return hash_final(h, out);
}

/*
 * The evidence group read from the tables under the evidence_log view
 * (migrations 0007 and 0008: times are seconds from the run's
 * time_base when it has one), with two of the view's columns done here:
 *  - request_id: through the view, hex(), substr() and lower() of every
 *    GUID were a third of the chain check. Column EVIDENCE_REQUEST_ID is
 *    the stored value: a blob becomes what the view makes of it
 *    (evidence_view_request_id()); other columns are the view's.
 *  - fetched_at: the view's strftime() was a quarter of what was left.
 *    Column EVIDENCE_FETCHED_AT is the time in seconds when it is an
 *    integer from 1970 to 9999 (time_iso() writes it as strftime()
 *    does), else NULL and column EVIDENCE_FETCHED_AT_TEXT is strftime()'s
 *    answer, whatever a hand-edited value makes of it.
 * A unit test holds the two to the same rows. "run_id + 0" is the key of
 * the index evidence_run_seq (migration 0012), in seq order: no sort; it
 * alone would also match a run_id edited to '1x' or X'31' (1 in
 * arithmetic) that the view's "run_id = ?" does not, so the row would
 * count in the hash and be gone from the view: "+e.run_id = ?1" is the
 * view's comparison, without an index.
 */
#define EVIDENCE_REQUEST_ID 7
#define EVIDENCE_FETCHED_AT 8
#define EVIDENCE_FETCHED_AT_TEXT 11
#define EVIDENCE_AT "(e.fetched_at + coalesce((SELECT r.time_base " \
	"FROM runs r WHERE r.id = ?1), 0))"
#define EVIDENCE_AT_INT "(typeof" EVIDENCE_AT " = 'integer' AND " \
	EVIDENCE_AT " BETWEEN 0 AND 253402300799)"
static const char evidence_raw[] =
	"SELECT e.seq, q.kind, q.subject, q.method, q.url, "
	"nullif(q.body, ''), e.status, e.request_id, "
	"CASE WHEN " EVIDENCE_AT_INT " THEN " EVIDENCE_AT " END, "
	"e.projected, b.sha256, "
	"CASE WHEN NOT " EVIDENCE_AT_INT " THEN strftime('%Y-%m-%dT%H:%M:%SZ', "
	EVIDENCE_AT ", 'unixepoch') END "
	"FROM evidence e JOIN requests q ON q.id = e.request "
	"JOIN bodies b ON b.id = e.body "
	"WHERE e.run_id + 0 = ?1 AND +e.run_id = ?1 "
	"ORDER BY e.seq, e.id";

/*
 * What the view makes of a blob request id: lower(hex) cut 8-4-4-4-12
 * with '-' between, substr() semantics (a piece past the end is empty).
 * out holds 37 bytes; returns the length.
 */
static size_t evidence_view_request_id(const unsigned char *b, size_t n,
				       char out[37])
{
	static const char hex[] = "0123456789abcdef";
	static const size_t cut[] = { 8, 12, 16, 20, 32 };
	char h[33];
	size_t i, k = 0, from = 0, hn = n > 16 ? 32 : 2 * n;

	for (i = 0; i < hn / 2; i++) {
		h[2 * i] = hex[b[i] >> 4];
		h[2 * i + 1] = hex[b[i] & 15];
	}
	for (i = 0; i < 5; i++) {
		if (i)
			out[k++] = '-';
		while (from < cut[i] && from < hn)
			out[k++] = h[from++];
		from = cut[i];
	}
	out[k] = '\0';
	return k;
}

/*
 * Column i of an evidence row (evidence_raw) as the view gives it: a blob
 * request id and an integer time written here, into rid and at (each
 * checked for its type before it is read: reading converts).
 */
static int evidence_column(struct chain_value *v, sqlite3_stmt *st, int i,
			   int version, char rid[37], char at[21])
{
	int type = sqlite3_column_type(st, i);
	const void *b;

	if (i == EVIDENCE_REQUEST_ID && type == SQLITE_BLOB) {
		b = sqlite3_column_blob(st, i);
		memset(v, 0, sizeof(*v));
		v->type = CHAIN_TEXT;
		v->n = evidence_view_request_id(b ? b : "", b ?
			(size_t)sqlite3_column_bytes(st, i) : 0, rid);
		v->p = rid;
		return 0;
	}
	if (i != EVIDENCE_FETCHED_AT)
		return chain_view_column(v, st, i, version);
	if (type != SQLITE_INTEGER)
		return chain_view_column(v, st, EVIDENCE_FETCHED_AT_TEXT,
					 version);
	time_iso((time_t)sqlite3_column_int64(st, i), at);
	memset(v, 0, sizeof(*v));
	v->type = CHAIN_TEXT;
	v->n = 20;
	v->p = at;
	return 0;
}

/*
 * The same bytes as chain_run_load() and chain_run_encode(), streamed: each
 * row is hashed as it is read, nothing copied (a check's 20,000 findings
 * were 200,000 allocations).
 */
int chain_run_hash(struct store *s, sqlite3_int64 run_id,
		   char out[SHA256_HEX_LEN + 1], struct err_detail *d)
{
	return chain_run_hash_each(s, run_id, out, NULL, NULL, d);
}

int chain_run_hash_each(struct store *s, sqlite3_int64 run_id,
			char out[SHA256_HEX_LEN + 1], chain_row_fn *fn,
			void *ctx, struct err_detail *d)
{
	const struct chain_group_def *defs;
	struct chain_value row[CHAIN_MAX_COLS];
	char rid[37], at[21];
	struct hash_ctx *h = NULL;
	sqlite3_stmt *st = NULL;
	size_t g, i, ngroups;
	int r, rc, version = 0;

	r = run_version(s, run_id, &version, d);
	if (r < 0)
		return r;
	ngroups = chain_groups(version, &defs);
	h = hash_init();
	if (!h) {
		err_set(d, "cannot compute SHA-256");
		return -ERR_CRYPTO;
	}
	put_header(h, version);
	for (g = 0; g < ngroups && r == 0; g++) {
		put_mark(h, version, "\x1d", 'g');	/* group separator */
		if (g == 1) {
			r = store_prepare(s, evidence_raw, &st, d);
			if (r == 0)
				sqlite3_bind_int64(st, 1, run_id);
		} else
			r = prepare_group(s, &defs[g], g, run_id, &st, d);
		if (r < 0)
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (i = 0; i < defs[g].ncols && r == 0; i++)
				r = g == 1 ? evidence_column(&row[i], st, (int)i,
							     version, rid, at) :
				    chain_view_column(&row[i], st, (int)i,
						      version);
			if (r < 0) {
				err_set(d, "cannot read run %lld for hashing: "
					"%s", (long long)run_id, err_str(r));
				break;
			}
			put_row(h, version, row, defs[g].ncols);
			if (fn && (r = fn(ctx, run_id, version, g, row)) < 0)
				break;
		}
		if (r == 0 && rc != SQLITE_DONE)
			r = store_sql_error(s, "cannot read run for hashing", d);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (r < 0) {
		hash_free(h);
		return r;
	}
	r = hash_final(h, out);
	if (r < 0)
		err_set(d, "cannot compute SHA-256");
	return r;
}

int chain_begin_run(struct store *s, const char *source, const char *scope,
		    sqlite3_int64 *ret, struct err_detail *d)
{
	static const char sql[] =
		"INSERT INTO runs (started_at, status, tool_version, source, "
		"scope, hash_version) VALUES (?1, 'running', ?2, ?3, ?4, "
		CHAIN_VERSION ")";
	sqlite3_stmt *st = NULL;
	char now[21];
	int r;

	time_now_iso(now);
	r = store_prepare(s, sql, &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, AMLFS_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, scope, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(s, "cannot start run", d);
	else
		*ret = sqlite3_last_insert_rowid(store_db(s));
	sqlite3_finalize(st);
	return r;
}

int chain_seal_run(struct store *s, sqlite3_int64 run_id, const char *status,
		   const char *error_summary, struct err_detail *d)
{
	static const char upd[] =
		"UPDATE runs SET finished_at = ?2, status = ?3, "
		"error_summary = ?4, prev_hash = (SELECT run_hash FROM runs "
		"WHERE id < ?1 ORDER BY id DESC LIMIT 1) WHERE id = ?1";
	static const char set_hash[] =
		"UPDATE runs SET run_hash = ?2 WHERE id = ?1";
	char now[21], hash[SHA256_HEX_LEN + 1];
	sqlite3_stmt *st = NULL;
	int r;

	time_now_iso(now);
	r = store_prepare(s, upd, &st, d);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, error_summary, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = store_sql_error(s, "cannot close run", d);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	r = chain_run_hash(s, run_id, hash, d);
	if (r < 0)
		goto out;
	r = store_prepare(s, set_hash, &st, d);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(s, "cannot store run hash", d);
out:
	sqlite3_finalize(st);
	return r;
}
