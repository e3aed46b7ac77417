#include "store/db.h"

#include <stdlib.h>

#include "store/migrate.h"
#include "util/xalloc.h"

struct store {
	sqlite3 *db;
	char *path;
};

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

int store_open(const char *path, unsigned flags, struct store **ret_store,
	       struct err_detail *d)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY :
		     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int r;

	s->path = xstrdup(path);
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		err_set(d, "cannot open database: %s",
			s->db ? sqlite3_errmsg(s->db) : "out of memory");
		err_where(d, "%s", path);
		r = -ERR_SQL;
		goto out;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	r = store_exec(s, "PRAGMA foreign_keys = ON", d);
	if (r < 0)
		goto out;
	if (!(flags & STORE_READONLY)) {
		r = store_exec(s, "PRAGMA journal_mode = WAL;"
				  "PRAGMA synchronous = NORMAL", d);
		if (r < 0)
			goto out;
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
	free(s);
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

const char *store_path(struct store *s)
{
	return s->path;
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
