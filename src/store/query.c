#include "store/query.h"

#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define JSON_SUFFIX "__json"

static int bind_params(sqlite3_stmt *st, const char *path,
		       const struct query_param *params, size_t n,
		       struct err_detail *d)
{
	int i, count = sqlite3_bind_parameter_count(st);
	size_t k;

	for (i = 1; i <= count; i++) {
		const char *name = sqlite3_bind_parameter_name(st, i);

		for (k = 0; k < n; k++)
			if (name && !strcmp(name, params[k].name))
				break;
		if (k == n) {
			err_set(d, "query uses parameter '%s', which this "
				"command does not provide", name ? name : "?");
			err_where(d, "%s", path);
			return -ERR_USAGE;
		}
		if (params[k].type == QP_INT)
			sqlite3_bind_int64(st, i, params[k].i);
		else if (params[k].type == QP_TEXT)
			sqlite3_bind_text(st, i, params[k].s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, i);
	}
	return 0;
}

/* The 1-based line of offset off in text, for error messages. */
static int line_of(const char *text, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off && text[i]; i++)
		line += text[i] == '\n';
	return line;
}

/*
 * SQL has no includes, and one statement a file would otherwise copy a
 * shared part (the chargeback allocation) into every dataset: a line that
 * is exactly "-- include: REL" is replaced by DIR/REL, once (an included
 * file includes nothing). REL is a plain relative path.
 */
#define INCLUDE_MARK "-- include: "

static int rel_ok(const char *rel, size_t n)
{
	size_t i;

	if (!n || rel[0] == '/' || memmem(rel, n, "..", 2))
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-./", rel[i]))
			return 0;
	return 1;
}

static int count_lines(const char *p, size_t n)
{
	int k = 0;

	while (n--)
		k += *p++ == '\n';
	return k;
}

int query_expand_includes(const char *dir, const char *path,
			  struct sbuf *text, struct query_origin *o,
			  struct err_detail *d)
{
	struct sbuf out = SBUF_INIT, name = SBUF_INIT;
	const char *p = text->buf, *end = text->buf + text->len, *nl;
	size_t k = strlen(INCLUDE_MARK), n, before;
	int r = 0, line = 0;

	memset(o, 0, sizeof(*o));
	if (!strstr(text->buf, INCLUDE_MARK))
		return 0;
	for (; p < end && r == 0; p = nl ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		line++;
		if (n && p[n - 1] == '\r')
			n--;
		if (n <= k || memcmp(p, INCLUDE_MARK, k)) {
			sbuf_add(&out, p, (size_t)((nl ? nl + 1 : end) - p));
			continue;
		}
		if (!rel_ok(p + k, n - k)) {
			err_set(d, "bad include '%.*s'", (int)(n - k), p + k);
			err_where(d, "%s:%d", path, line);
			r = -ERR_SQL;
			break;
		}
		sbuf_reset(&name);
		sbuf_addf(&name, "%s/%.*s", dir, (int)(n - k), p + k);
		before = out.len;
		r = fs_read_file(name.buf, &out);
		if (r < 0) {
			err_set(d, "cannot read include: %s", err_str(r));
			err_where(d, "%s (included at %s:%d)", name.buf, path,
				  line);
			r = -ERR_SQL;
			break;
		}
		sbuf_addch(&out, '\n');
		o->v = xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
		o->v[o->n].first = count_lines(out.buf, before) + 1;
		o->v[o->n].n = count_lines(out.buf + before, out.len - before);
		o->v[o->n].at = line;
		o->v[o->n].path = xstrdup(name.buf);
		o->n++;
	}
	if (r == 0) {
		sbuf_release(text);
		*text = out;
	} else {
		sbuf_release(&out);
		query_origin_release(o);
	}
	sbuf_release(&name);
	return r;
}

void query_origin_where(const struct query_origin *o, const char *path,
			int line, struct err_detail *d)
{
	int shift = 0;
	size_t i;

	for (i = 0; i < o->n && line >= o->v[i].first; i++) {
		if (line < o->v[i].first + o->v[i].n) {
			err_where(d, "%s:%d (included at %s:%d)", o->v[i].path,
				  line - o->v[i].first + 1, path, o->v[i].at);
			return;
		}
		shift += o->v[i].n - 1;
	}
	err_where(d, "%s:%d", path, line - shift);
}

void query_origin_release(struct query_origin *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->v[i].path);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

static int open_stmt(struct store *s, const char *datadir, const char *rel,
		     const struct query_param *params, size_t n, int may_write,
		     sqlite3_stmt **ret, struct err_detail *d)
{
	struct sbuf text = SBUF_INIT, sub = SBUF_INIT;
	struct query_origin origin = { NULL, 0 };
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	char *path;
	int r;

	sbuf_addf(&sub, "queries/%s", rel);
	path = fs_join(datadir, sub.buf);
	r = fs_read_file(path, &text);
	if (r < 0) {
		err_set(d, "cannot read query: %s", err_str(r));
		err_where(d, "%s", path);
		goto out;
	}
	sbuf_reset(&sub);
	sbuf_addf(&sub, "%s/queries", datadir);
	r = query_expand_includes(sub.buf, path, &text, &origin, d);
	if (r < 0)
		goto out;
	if (sqlite3_prepare_v2(store_db(s), text.buf, (int)text.len, &st,
			       &tail) != SQLITE_OK) {
		int off = sqlite3_error_offset(store_db(s));

		err_set(d, "bad query: %s", sqlite3_errmsg(store_db(s)));
		query_origin_where(&origin, path, off >= 0 ?
				   line_of(text.buf, (size_t)off) : 1, d);
		r = -ERR_SQL;
		goto out;
	}
	if (!st || (tail && tail[strspn(tail, " \t\r\n")])) {
		err_set(d, "a query file holds exactly one statement");
		err_where(d, "%s", path);
		r = -ERR_SQL;
		goto out;
	}
	if (!may_write && !sqlite3_stmt_readonly(st)) {
		err_set(d, "query writes to the database; a query file may "
			"only read");
		err_where(d, "%s", path);
		r = -ERR_SQL;
		goto out;
	}
	r = bind_params(st, path, params, n, d);
out:
	if (r < 0)
		sqlite3_finalize(st);
	else
		*ret = st;
	query_origin_release(&origin);
	sbuf_release(&text);
	sbuf_release(&sub);
	free(path);
	return r;
}

int query_open(struct store *s, const char *datadir, const char *rel,
	       const struct query_param *params, size_t n, sqlite3_stmt **ret,
	       struct err_detail *d)
{
	return open_stmt(s, datadir, rel, params, n, 0, ret, d);
}

int query_open_writer(struct store *s, const char *datadir, const char *rel,
		      const struct query_param *params, size_t n,
		      sqlite3_stmt **ret, struct err_detail *d)
{
	return open_stmt(s, datadir, rel, params, n, 1, ret, d);
}

static char *column_key(sqlite3_stmt *st, int i, int *ret_is_json)
{
	const char *name = sqlite3_column_name(st, i);
	size_t n = strlen(name), k = strlen(JSON_SUFFIX);

	*ret_is_json = n > k && !strcmp(name + n - k, JSON_SUFFIX);
	return xstrndup(name, *ret_is_json ? n - k : n);
}

json_t *query_columns(sqlite3_stmt *st)
{
	json_t *a = json_array();
	int i, is_json;

	for (i = 0; i < sqlite3_column_count(st); i++) {
		char *key = column_key(st, i, &is_json);

		json_array_append_new(a, json_string(key));
		free(key);
	}
	return a;
}

static json_t *cell(sqlite3_stmt *st, int i, int is_json)
{
	const char *txt;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return json_null();
	default:
		txt = (const char *)sqlite3_column_text(st, i);
		if (is_json)
			return json_loads(txt, JSON_DECODE_ANY, NULL);
		return json_stringn(txt, (size_t)sqlite3_column_bytes(st, i));
	}
}

int query_rows(sqlite3_stmt *st, json_t **ret, struct err_detail *d)
{
	json_t *rows = json_array();
	int ncol = sqlite3_column_count(st), rc, i, is_json;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_object();

		for (i = 0; i < ncol; i++) {
			char *key = column_key(st, i, &is_json);
			json_t *v = cell(st, i, is_json);

			json_object_set_new(o, key, v ? v : json_null());
			free(key);
		}
		json_array_append_new(rows, o);
	}
	if (rc != SQLITE_DONE) {
		err_set(d, "query failed: %s",
			sqlite3_errmsg(sqlite3_db_handle(st)));
		json_decref(rows);
		sqlite3_reset(st);
		return -ERR_SQL;
	}
	sqlite3_reset(st);
	*ret = rows;
	return 0;
}
