#include "store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrate.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct store {
	sqlite3 *db;
	char *path;
	char *attach_uri;	/* path as a read-only URI */
};

/*
 * path as a "file:" URI with query (or NULL), every byte but the
 * unreserved ones percent-encoded, so no file name reads as a URI
 * parameter; ":memory:" and "" (a temporary database) stay themselves.
 */
static char *path_uri(const char *path, const char *query)
{
	static const char keep[] = "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/";
	struct sbuf sb = SBUF_INIT;
	const char *p;

	if (!*path || !strcmp(path, ":memory:"))
		return xstrdup(path);
	sbuf_adds(&sb, path[0] == '/' ? "file://" : "file:");
	for (p = path; *p; p++) {
		if (strchr(keep, *p))
			sbuf_addch(&sb, *p);
		else
			sbuf_addf(&sb, "%%%02X", (unsigned)(unsigned char)*p);
	}
	if (query)
		sbuf_addf(&sb, "?%s", query);
	return sbuf_detach(&sb, NULL);
}

/*
 * Refuse a schema newer than this program's (in every mode, before any
 * write) and, for readers, an older one.
 */
static int check_version(struct store *s, unsigned flags,
			 struct err_detail *d)
{
	int have, r;

	r = migrate_version(s->db, &have, d);
	if (r < 0)
		return r;
	if (have > migrations_count) {
		err_set(d, "history schema version %d is newer than this "
			"program's %d (use a newer amlfs-audit)", have,
			migrations_count);
		return -ERR_SCHEMA;
	}
	if ((flags & STORE_READONLY) && have < migrations_count) {
		err_set(d, "history schema version %d is older than this "
			"program's %d: run 'amlfs-audit migrate' first", have,
			migrations_count);
		return -ERR_SCHEMA_OLD;
	}
	return 0;
}

int store_sql_error(struct store *s, const char *what, struct err_detail *d)
{
	err_set(d, "%s: %s", what, sqlite3_errmsg(s->db));
	err_where(d, "%s", s->path);
	return -ERR_SQL;
}

int store_exec(struct store *s, const char *sql, struct err_detail *d)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(d, "%s", msg ? msg : sqlite3_errmsg(s->db));
		err_where(d, "%s", s->path);
		sqlite3_free(msg);
		return -ERR_SQL;
	}
	return 0;
}

/*
 * amlfs_micros(x): a REAL cost as integer micro-units (num_micros_of_double),
 * NULL for NULL or out of range. Migration 0006 fills cost_micros with it.
 */
static void micros_func(sqlite3_context *c, int n, sqlite3_value **v)
{
	long long m;

	(void)n;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL ||
	    num_micros_of_double(sqlite3_value_double(v[0]), &m) < 0)
		sqlite3_result_null(c);
	else
		sqlite3_result_int64(c, m);
}

/*
 * amlfs_month_totals(day, actual, amortized): the aggregate behind
 * cost_months (migration 0010). day is the day of the month (1 to 31),
 * actual and amortized integer micro-units or NULL. The result is 31
 * records of 48 characters, one per day n: the running totals of actual
 * and of amortized over days 1 to n ("%20lld" each), the number of those
 * days with a row and the number with an amortized value ("%4d" each).
 * Sums fail on overflow, as SQLite's sum() does; rows may come in any
 * order.
 */
#define MONTH_DAYS 31
#define MONTH_RECORD 48

struct month_totals {
	long long a[MONTH_DAYS + 1], m[MONTH_DAYS + 1];
	unsigned char has_row[MONTH_DAYS + 1], has_m[MONTH_DAYS + 1];
	int used;
};

static void month_totals_step(sqlite3_context *c, int n, sqlite3_value **v)
{
	struct month_totals *t = sqlite3_aggregate_context(c, sizeof(*t));
	sqlite3_int64 day = sqlite3_value_int64(v[0]);

	(void)n;
	if (!t) {
		sqlite3_result_error_nomem(c);
		return;
	}
	if (sqlite3_value_type(v[0]) != SQLITE_INTEGER || day < 1 ||
	    day > MONTH_DAYS) {
		sqlite3_result_error(c, "amlfs_month_totals: day out of range",
				     -1);
		return;
	}
	t->used = 1;
	t->has_row[day] = 1;
	if (sqlite3_value_type(v[1]) != SQLITE_NULL &&
	    __builtin_add_overflow(t->a[day], sqlite3_value_int64(v[1]),
				   &t->a[day]))
		sqlite3_result_error(c, "integer overflow", -1);
	if (sqlite3_value_type(v[2]) != SQLITE_NULL) {
		t->has_m[day] = 1;
		if (__builtin_add_overflow(t->m[day],
					   sqlite3_value_int64(v[2]),
					   &t->m[day]))
			sqlite3_result_error(c, "integer overflow", -1);
	}
}

static void month_totals_final(sqlite3_context *c)
{
	struct month_totals *t = sqlite3_aggregate_context(c, 0);
	char out[MONTH_DAYS * MONTH_RECORD], rec[64];
	long long a = 0, m = 0;
	int day, rows = 0, days = 0;

	if (!t || !t->used) {
		sqlite3_result_null(c);
		return;
	}
	for (day = 1; day <= MONTH_DAYS; day++) {
		if (__builtin_add_overflow(a, t->a[day], &a) ||
		    __builtin_add_overflow(m, t->m[day], &m)) {
			sqlite3_result_error(c, "integer overflow", -1);
			return;
		}
		rows += t->has_row[day];
		days += t->has_m[day];
		snprintf(rec, sizeof(rec), "%20lld%20lld%4d%4d", a, m, rows,
			 days);
		memcpy(out + (day - 1) * MONTH_RECORD, rec, MONTH_RECORD);
	}
	sqlite3_result_text(c, out, MONTH_DAYS * MONTH_RECORD,
			    SQLITE_TRANSIENT);
}

/* The busy timeout, which set_wal keeps to as well. */
#define BUSY_MS 10000

/*
 * Into WAL mode. Switching a history still in rollback mode (a new one)
 * takes a read lock and then upgrades it to an exclusive one, and SQLite
 * does not call the busy handler for that upgrade (two upgraders would
 * deadlock): it answers SQLITE_BUSY at once, so the second of two collects
 * racing on a brand-new history failed with "database is locked". Waited
 * for here instead, within the busy timeout; the retry finds the history
 * in WAL mode and has nothing left to switch.
 */
static int set_wal(struct store *s, struct err_detail *d)
{
	long long deadline = time_monotonic_ms() + BUSY_MS;
	int nap = 1, rc;

	for (;;) {
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL,
				  NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || time_monotonic_ms() >= deadline)
			break;
		sqlite3_sleep(nap);
		if (nap < 64)
			nap *= 2;
	}
	if (rc != SQLITE_OK)
		return store_sql_error(s, "cannot switch the history to WAL "
				       "mode", d);
	return store_exec(s, "PRAGMA synchronous = NORMAL", d);
}

int store_open(const char *path, unsigned flags, struct store **ret_store,
	       struct err_detail *d)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY :
		     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	char *uri = path_uri(path, NULL);
	int r;

	s->path = xstrdup(path);
	s->attach_uri = path_uri(path, "mode=ro");
	if (flags & STORE_ONE_THREAD)
		oflags |= SQLITE_OPEN_NOMUTEX;
	r = sqlite3_open_v2(uri, &s->db, oflags | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (r != SQLITE_OK) {
		err_set(d, "cannot open database: %s",
			s->db ? sqlite3_errmsg(s->db) : "out of memory");
		err_where(d, "%s", path);
		r = -ERR_SQL;
		goto out;
	}
	sqlite3_busy_timeout(s->db, BUSY_MS);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_create_function_v2(s->db, "amlfs_micros", 1, SQLITE_UTF8 |
				   SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
				   NULL, micros_func, NULL, NULL, NULL);
	sqlite3_create_function_v2(s->db, "amlfs_month_totals", 3,
				   SQLITE_UTF8 | SQLITE_DETERMINISTIC |
				   SQLITE_INNOCUOUS, NULL, NULL,
				   month_totals_step, month_totals_final, NULL);
	/*
	 * A new history's pages are 16 KiB (SQLite's default is 4): the
	 * reports, check and verify read most of the file. On the compliance
	 * bench's history (1,000 file systems, 30 checks) built each way:
	 * the report 1.68-1.73 s of wall time instead of 1.92-1.94 s, verify
	 * 13.4 s of CPU instead of 14.9, a check 2.4 s instead of 2.9;
	 * import and collection no slower, a run's growth the same. It takes
	 * effect only before the file's first page is written; an existing
	 * history keeps its size (README: how to convert one).
	 */
	r = (flags & STORE_READONLY) ? 0 :
	    store_exec(s, "PRAGMA page_size = 16384", d);
	if (r == 0)
		r = store_exec(s, "PRAGMA foreign_keys = ON", d);
	if (r == 0 && (flags & STORE_READONLY) && (flags & STORE_QUERY_ONLY))
		r = store_query_only(s, 1, d);
	if (r < 0)
		goto out;
	r = check_version(s, flags, d);
	if (r < 0) {
		err_where(d, "%s", path);
		goto out;
	}
	if (!(flags & STORE_READONLY)) {
		r = set_wal(s, d);
		if (r < 0)
			goto out;
		if (!(flags & STORE_NO_MIGRATE))
			r = migrate_up(s->db, d);
		if (r < 0) {
			err_where(d, "%s", path);
			goto out;
		}
	}
out:
	if (r < 0) {
		store_close(s);
		return r;
	}
	*ret_store = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s->attach_uri);
	free(s);
}

int store_query_only(struct store *s, int on, struct err_detail *d)
{
	return store_exec(s, on ? "PRAGMA query_only = 1" :
			  "PRAGMA query_only = 0", d);
}

int store_migrate(struct store *s, int *ret_from, int *ret_to,
		  struct err_detail *d)
{
	int from, to, r;

	r = migrate_version(s->db, &from, d);
	if (r == 0)
		r = migrate_up(s->db, d);
	if (r == 0)
		r = migrate_version(s->db, &to, d);
	if (r < 0) {
		err_where(d, "%s", s->path);
		return r;
	}
	*ret_from = from;
	*ret_to = to;
	return 0;
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

const char *store_path(struct store *s)
{
	return s->path;
}

const char *store_attach_uri(struct store *s)
{
	return s->attach_uri;
}

int store_begin(struct store *s, struct err_detail *d)
{
	return store_exec(s, "BEGIN IMMEDIATE", d);
}

int store_commit(struct store *s, struct err_detail *d)
{
	return store_exec(s, "COMMIT", d);
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_prepare(struct store *s, const char *sql, sqlite3_stmt **ret,
		  struct err_detail *d)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, ret, NULL) != SQLITE_OK)
		return store_sql_error(s, "cannot prepare statement", d);
	return 0;
}

int store_exec_ids(struct store *s, const char *const *sql, size_t n,
		   sqlite3_int64 a, sqlite3_int64 b, const char *what,
		   struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		r = store_prepare(s, sql[i], &st, d);
		if (r < 0)
			break;
		sqlite3_bind_int64(st, 1, a);
		if (sqlite3_bind_parameter_count(st) >= 2)
			sqlite3_bind_int64(st, 2, b);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = store_sql_error(s, what, d);
		sqlite3_finalize(st);
		st = NULL;
	}
	return r;
}
