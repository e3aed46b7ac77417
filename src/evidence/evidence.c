#include "evidence/evidence.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sbuf.h"
#include "util/url.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* Step an INSERT OR IGNORE, then the SELECT that finds the row's id. */
static int upsert_id(struct store *s, sqlite3_stmt *ins, sqlite3_stmt *find,
		     const char *what, sqlite3_int64 *ret, struct err_detail *d)
{
	if (sqlite3_step(ins) != SQLITE_DONE ||
	    sqlite3_step(find) != SQLITE_ROW)
		return store_sql_error(s, what, d);
	*ret = sqlite3_column_int64(find, 0);
	return 0;
}

static int add_body(struct store *s, const struct evidence_item *e,
		    const char *sha, sqlite3_int64 *ret, struct err_detail *d)
{
	sqlite3_stmt *ins = NULL, *find = NULL;
	int r;

	r = store_prepare(s, "INSERT OR IGNORE INTO bodies (sha256, size, "
			  "content) VALUES (?1, ?2, ?3)", &ins, d);
	if (r == 0)
		r = store_prepare(s, "SELECT id FROM bodies WHERE sha256 = ?1",
				  &find, d);
	if (r == 0) {
		sqlite3_bind_text(ins, 1, sha, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, (sqlite3_int64)e->body_len);
		sqlite3_bind_blob64(ins, 3, e->body_len ? e->body : "",
				    e->body_len, SQLITE_STATIC);
		sqlite3_bind_text(find, 1, sha, -1, SQLITE_STATIC);
		r = upsert_id(s, ins, find, "cannot store evidence body", ret, d);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(find);
	return r;
}

static int add_request(struct store *s, const struct evidence_item *e,
		       const char *url, sqlite3_int64 *ret,
		       struct err_detail *d)
{
	sqlite3_stmt *ins = NULL, *find = NULL;
	int r, i;

	r = store_prepare(s, "INSERT OR IGNORE INTO requests (url, method, "
			  "kind, subject, body) VALUES (?1, ?2, ?3, ?4, ?5)",
			  &ins, d);
	if (r == 0)
		r = store_prepare(s, "SELECT id FROM requests WHERE url = ?1 AND "
				  "method = ?2 AND kind = ?3 AND subject = ?4 "
				  "AND body = ?5", &find, d);
	if (r == 0) {
		for (i = 0; i < 2; i++) {
			sqlite3_stmt *st = i ? find : ins;

			sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, e->method, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, e->subject, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, e->request_body ?
					  e->request_body : "", -1,
					  SQLITE_STATIC);
		}
		r = upsert_id(s, ins, find, "cannot store request", ret, d);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(find);
	return r;
}

int evidence_add(struct store *s, const struct evidence_item *e,
		 sqlite3_int64 *ret_id, char ret_sha[SHA256_HEX_LEN + 1],
		 struct err_detail *d)
{
	static const char ev_sql[] =
		"INSERT INTO evidence (run_id, seq, request, status, request_id, "
		"fetched_at, body, projected) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		"?7, ?8)";
	sqlite3_stmt *ev = NULL;
	sqlite3_int64 body = 0, req = 0;
	char sha[SHA256_HEX_LEN + 1];
	char *url = url_redact(e->url);
	int r;

	r = sha256_hex(e->body, e->body_len, sha);
	if (r < 0) {
		err_set(d, "cannot hash response body");
		goto out;
	}
	r = add_body(s, e, sha, &body, d);
	if (r == 0)
		r = add_request(s, e, url, &req, d);
	if (r == 0)
		r = store_prepare(s, ev_sql, &ev, d);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(ev, 1, e->run_id);
	sqlite3_bind_int(ev, 2, e->seq);
	sqlite3_bind_int64(ev, 3, req);
	sqlite3_bind_int64(ev, 4, e->status);
	sqlite3_bind_text(ev, 5, e->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(ev, 6, e->fetched_at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ev, 7, body);
	sqlite3_bind_int(ev, 8, e->projected);
	if (sqlite3_step(ev) != SQLITE_DONE) {
		r = store_sql_error(s, "cannot store evidence", d);
		goto out;
	}
	*ret_id = sqlite3_last_insert_rowid(store_db(s));
	if (ret_sha)
		memcpy(ret_sha, sha, sizeof(sha));
out:
	sqlite3_finalize(ev);
	free(url);
	return r;
}
