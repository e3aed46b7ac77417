#include "store/evidence.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
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
	sqlite3_stmt *base_set, *base_get;
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
	sqlite3_finalize(w->base_set);
	sqlite3_finalize(w->base_get);
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
		{ offsetof(struct evidence_writer, base_set),
		  "UPDATE runs SET time_base = ?2 WHERE id = ?1 AND "
		  "time_base IS NULL" },
		{ offsetof(struct evidence_writer, base_get),
		  "SELECT time_base FROM runs WHERE id = ?1" },
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
 * The run's time_base: its first response's time, set when that row is
 * stored (in the same transaction, so a rollback takes both). A run
 * without a row in `runs` keeps times absolute (base 0).
 */
static int time_base(struct evidence_writer *w, const struct evidence_item *e,
		     sqlite3_int64 *ret, struct err_detail *d)
{
	int rc, unset;

	sqlite3_bind_int64(w->base_get, 1, e->run_id);
	rc = sqlite3_step(w->base_get);
	*ret = rc == SQLITE_ROW ? sqlite3_column_int64(w->base_get, 0) : 0;
	unset = rc == SQLITE_ROW && sqlite3_column_type(w->base_get, 0) ==
				     SQLITE_NULL;
	sqlite3_reset(w->base_get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_error(w->s, "cannot read the run's time base", d);
	if (!unset)
		return 0;
	sqlite3_bind_int64(w->base_set, 1, e->run_id);
	sqlite3_bind_int64(w->base_set, 2, e->fetched_at);
	rc = sqlite3_step(w->base_set);
	sqlite3_reset(w->base_set);
	if (rc != SQLITE_DONE)
		return store_sql_error(w->s, "cannot store the run's time base", d);
	*ret = e->fetched_at;
	return 0;
}

struct evidence_body {
	struct hash_ctx *h;
	struct sbuf mem;
	FILE *spill;		/* past EVIDENCE_BODY_MEM: the bytes so far */
	size_t len;
};

/* NULL only when libcrypto fails (hash_init()). */
struct evidence_body *evidence_body_new(void)
{
	struct evidence_body *b = xcalloc(1, sizeof(*b));

	b->h = hash_init();
	if (!b->h) {
		free(b);
		return NULL;
	}
	sbuf_init(&b->mem, 0);
	return b;
}

/* Move what memory holds to the temporary file (made the first time). */
static int body_flush(struct evidence_body *b)
{
	if (!b->spill)
		b->spill = tmpfile();
	if (!b->spill || fwrite(b->mem.buf, 1, b->mem.len, b->spill) !=
	    b->mem.len)
		return -1;
	sbuf_reset(&b->mem);
	return 0;
}

/*
 * Memory holds up to EVIDENCE_BODY_MEM bytes: the whole body when small,
 * else the tail not yet written out, so the file is written that much at
 * a time.
 */
int evidence_body_add(struct evidence_body *b, const void *data, size_t len,
		      struct err_detail *d)
{
	hash_update(b->h, data, len);
	b->len += len;
	if (b->mem.len + len > EVIDENCE_BODY_MEM && body_flush(b) < 0) {
		err_set(d, "cannot write a temporary file: %s", strerror(errno));
		return errno ? -errno : -EIO;
	}
	return sbuf_add(&b->mem, data, len);
}

size_t evidence_body_len(const struct evidence_body *b)
{
	return b->len;
}

void evidence_body_free(struct evidence_body *b)
{
	if (!b)
		return;
	hash_free(b->h);
	sbuf_release(&b->mem);
	if (b->spill)
		fclose(b->spill);
	free(b);
}

/* Copy a body written in pieces into the zero blob of row `id`. */
static int body_copy(struct evidence_writer *w, struct evidence_body *b,
		     sqlite3_int64 id, struct err_detail *d)
{
	sqlite3_blob *blob = NULL;
	char *buf = NULL;
	size_t off = 0, n;
	int r = 0;

	if (sqlite3_blob_open(store_db(w->s), "main", "bodies", "content", id,
			      1, &blob) != SQLITE_OK)
		return store_sql_error(w->s, "cannot store evidence body", d);
	if (!b->spill) {
		if (b->len && sqlite3_blob_write(blob, b->mem.buf, (int)b->len,
						 0) != SQLITE_OK)
			r = store_sql_error(w->s, "cannot store evidence body", d);
		goto out;
	}
	buf = xmalloc(EVIDENCE_BODY_MEM);
	if (body_flush(b) < 0 || fflush(b->spill) ||
	    fseek(b->spill, 0, SEEK_SET)) {
		err_set(d, "cannot read a temporary file: %s", strerror(errno));
		r = -EIO;
		goto out;
	}
	while (r == 0 && off < b->len) {
		n = fread(buf, 1, EVIDENCE_BODY_MEM, b->spill);
		if (!n) {
			err_set(d, "cannot read a temporary file back");
			r = -EIO;
		} else if (sqlite3_blob_write(blob, buf, (int)n, (int)off) !=
			   SQLITE_OK) {
			r = store_sql_error(w->s, "cannot store evidence body", d);
		}
		off += n;
	}
out:
	sqlite3_blob_close(blob);
	free(buf);
	return r;
}

/*
 * A body written in pieces: found by its hash, or added as a zero blob of
 * its size and filled in place (never held whole). The blob API takes int
 * offsets: 2 GiB at most, as SQLite's own limit on a value is 1 GB.
 */
static int body_stream_add(struct evidence_writer *w, struct evidence_body *b,
			   char sha[SHA256_HEX_LEN + 1], sqlite3_int64 *ret,
			   struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (hash_final(b->h, sha) < 0) {
		b->h = NULL;
		err_set(d, "cannot hash response body");
		return -ERR_CRYPTO;
	}
	b->h = NULL;
	sqlite3_bind_text(w->body_find, 1, sha, -1, SQLITE_STATIC);
	r = sqlite3_step(w->body_find);
	if (r == SQLITE_ROW)
		*ret = sqlite3_column_int64(w->body_find, 0);
	sqlite3_reset(w->body_find);
	if (r == SQLITE_ROW)
		return 0;
	if (r != SQLITE_DONE)
		return store_sql_error(w->s, "cannot look up evidence body", d);
	if (b->len > 1000000000) {
		err_set(d, "evidence body of %zu bytes is over SQLite's 1 GB "
			"limit", b->len);
		return -ERR_TOO_LARGE;
	}
	r = store_prepare(w->s, "INSERT INTO bodies (sha256, size, content) "
			  "VALUES (?1, ?2, zeroblob(?2))", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)b->len);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(w->s, "cannot store evidence body", d);
	else
		*ret = sqlite3_last_insert_rowid(store_db(w->s));
	sqlite3_finalize(st);
	return r < 0 ? r : body_copy(w, b, *ret, d);
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

/* A body in memory: hashed, stored once per hash. */
static int body_add(struct evidence_writer *w, const struct evidence_item *e,
		    char sha[SHA256_HEX_LEN + 1], sqlite3_int64 *ret,
		    struct err_detail *d)
{
	if (sha256_hex(e->body, e->body_len, sha) < 0) {
		err_set(d, "cannot hash response body");
		return -ERR_CRYPTO;
	}
	sqlite3_bind_text(w->body_add, 1, sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w->body_add, 2, (sqlite3_int64)e->body_len);
	sqlite3_bind_blob64(w->body_add, 3, e->body_len ? e->body : "",
			    e->body_len, SQLITE_STATIC);
	sqlite3_bind_text(w->body_find, 1, sha, -1, SQLITE_STATIC);
	return upsert_id(w->s, w->body_add, w->body_find,
			 "cannot store evidence body", ret, d);
}

int evidence_add(struct evidence_writer *w, const struct evidence_item *e,
		 sqlite3_int64 *ret_id, char ret_sha[SHA256_HEX_LEN + 1],
		 struct err_detail *d)
{
	sqlite3_int64 body = 0, req = 0, base = 0;
	char sha[SHA256_HEX_LEN + 1];
	unsigned char guid[16];
	char *url = url_redact(e->url);
	const char *rb = e->request_body ? e->request_body : "";
	sqlite3_stmt *st;
	int r, i;

	r = prepare_all(w, d);
	if (r < 0)
		goto out;
	r = e->stream ? body_stream_add(w, e->stream, sha, &body, d) :
			body_add(w, e, sha, &body, d);
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
	r = time_base(w, e, &base, d);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 6, e->fetched_at - base);
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
