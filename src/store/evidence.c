#include "store/evidence.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sbuf.h"
#include "util/url.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* Statements prepared once per writer. */
struct evidence_writer {
	struct store *s;
	sqlite3_stmt *body_add, *body_find, *req_add, *req_find, *ev_add;
};

struct evidence_writer *evidence_writer_new(struct store *s)
{
	struct evidence_writer *w = xcalloc(1, sizeof(*w));

	w->s = s;
	return w;
}

void evidence_writer_free(struct evidence_writer *w)
{
	if (!w)
		return;
	sqlite3_finalize(w->body_add);
	sqlite3_finalize(w->body_find);
	sqlite3_finalize(w->req_add);
	sqlite3_finalize(w->req_find);
	sqlite3_finalize(w->ev_add);
	free(w);
}

static int prepare_all(struct evidence_writer *w, struct err_detail *d)
{
	static const struct { size_t off; const char *sql; } stmts[] = {
		{ offsetof(struct evidence_writer, body_add),
		  "INSERT OR IGNORE INTO bodies (sha256, size, content) "
		  "VALUES (?1, ?2, ?3)" },
		{ offsetof(struct evidence_writer, body_find),
		  "SELECT id FROM bodies WHERE sha256 = ?1" },
		{ offsetof(struct evidence_writer, req_add),
		  "INSERT OR IGNORE INTO requests (url, method, kind, subject, "
		  "body) VALUES (?1, ?2, ?3, ?4, ?5)" },
		{ offsetof(struct evidence_writer, req_find),
		  "SELECT id FROM requests WHERE url = ?1 AND method = ?2 AND "
		  "kind = ?3 AND subject = ?4 AND body = ?5" },
		{ offsetof(struct evidence_writer, ev_add),
		  "INSERT INTO evidence (run_id, seq, request, status, "
		  "request_id, fetched_at, body, projected) VALUES (?1, ?2, ?3, "
		  "?4, ?5, ?6, ?7, ?8)" },
	};
	size_t i;
	int r;

	if (w->ev_add)
		return 0;
	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		r = store_prepare(w->s, stmts[i].sql,
				  (sqlite3_stmt **)((char *)w + stmts[i].off), d);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * A request id that is a GUID in canonical lower-case form, as 16 bytes
 * (evidence_log turns them back into the same text); 0 when it is not one.
 */
static int guid_bytes(const char *s, unsigned char out[16])
{
	static const char digits[] = "0123456789abcdef";
	const char *p;
	size_t i, k = 0;
	int hi = -1;

	if (!s || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
			continue;
		}
		p = s[i] ? strchr(digits, s[i]) : NULL;
		if (!p)
			return 0;
		if (hi < 0) {
			hi = (int)(p - digits);
		} else {
			out[k++] = (unsigned char)(hi << 4 | (int)(p - digits));
			hi = -1;
		}
	}
	return 1;
}

/* Step an INSERT OR IGNORE, then the SELECT that finds the row's id. */
static int upsert_id(struct store *s, sqlite3_stmt *ins, sqlite3_stmt *find,
		     const char *what, sqlite3_int64 *ret, struct err_detail *d)
{
	int r = 0;

	if (sqlite3_step(ins) != SQLITE_DONE ||
	    sqlite3_step(find) != SQLITE_ROW)
		r = store_sql_error(s, what, d);
	else
		*ret = sqlite3_column_int64(find, 0);
	sqlite3_reset(ins);
	sqlite3_reset(find);
	return r;
}

int evidence_add(struct evidence_writer *w, const struct evidence_item *e,
		 sqlite3_int64 *ret_id, char ret_sha[SHA256_HEX_LEN + 1],
		 struct err_detail *d)
{
	sqlite3_int64 body = 0, req = 0;
	char sha[SHA256_HEX_LEN + 1];
	unsigned char guid[16];
	char *url = url_redact(e->url);
	const char *rb = e->request_body ? e->request_body : "";
	sqlite3_stmt *st;
	int r, i;

	r = sha256_hex(e->body, e->body_len, sha);
	if (r < 0) {
		err_set(d, "cannot hash response body");
		goto out;
	}
	r = prepare_all(w, d);
	if (r < 0)
		goto out;
	sqlite3_bind_text(w->body_add, 1, sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w->body_add, 2, (sqlite3_int64)e->body_len);
	sqlite3_bind_blob64(w->body_add, 3, e->body_len ? e->body : "",
			    e->body_len, SQLITE_STATIC);
	sqlite3_bind_text(w->body_find, 1, sha, -1, SQLITE_STATIC);
	r = upsert_id(w->s, w->body_add, w->body_find,
		      "cannot store evidence body", &body, d);
	if (r < 0)
		goto out;
	for (i = 0; i < 2; i++) {
		st = i ? w->req_find : w->req_add;
		sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, e->method, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, e->subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, rb, -1, SQLITE_STATIC);
	}
	r = upsert_id(w->s, w->req_add, w->req_find, "cannot store request",
		      &req, d);
	if (r < 0)
		goto out;
	st = w->ev_add;
	sqlite3_bind_int64(st, 1, e->run_id);
	sqlite3_bind_int(st, 2, e->seq);
	sqlite3_bind_int64(st, 3, req);
	sqlite3_bind_int64(st, 4, e->status);
	if (guid_bytes(e->request_id, guid))
		sqlite3_bind_blob(st, 5, guid, sizeof(guid), SQLITE_STATIC);
	else
		sqlite3_bind_text(st, 5, e->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, e->fetched_at);
	sqlite3_bind_int64(st, 7, body);
	sqlite3_bind_int(st, 8, e->projected);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(w->s, "cannot store evidence", d);
	else
		*ret_id = sqlite3_last_insert_rowid(store_db(w->s));
	sqlite3_reset(st);
	if (r == 0 && ret_sha)
		memcpy(ret_sha, sha, sizeof(sha));
out:
	free(url);
	return r;
}
