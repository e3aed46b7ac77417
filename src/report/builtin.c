#include "report/builtin.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config/ini.h"
#include "evidence/verify.h"
#include "report/csv.h"
#include "util/xalloc.h"

/* The largest text ini_entries() reads (the policy's own cap is lower). */
#define INI_ENTRIES_MAX ((size_t)16 << 20)

static void ini_entries_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct ini_file f = INI_FILE_INIT;
	struct err_detail d = { "", "" };
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	int len = sqlite3_value_bytes(argv[0]);
	json_t *a;
	char *out;
	size_t i;

	(void)argc;
	if (!text || (size_t)len > INI_ENTRIES_MAX ||
	    ini_read_text("(text)", text, (size_t)len, &f, &d) < 0) {
		ini_file_release(&f);
		sqlite3_result_null(ctx);
		return;
	}
	a = json_array();
	for (i = 0; i < f.n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:i}",
			"section", f.v[i].section ? f.v[i].section : "",
			"key", f.v[i].key, "value", f.v[i].value,
			"line", f.v[i].line));
	ini_file_release(&f);
	out = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(a);
	if (!out) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_text(ctx, out, -1, free);
}

int report_register_sql(sqlite3 *db, struct err_detail *d)
{
	if (sqlite3_create_function(db, "ini_entries", 1, SQLITE_UTF8 |
				    SQLITE_DETERMINISTIC, NULL, ini_entries_fn,
				    NULL, NULL) != SQLITE_OK) {
		err_set(d, "cannot register ini_entries(): %s",
			sqlite3_errmsg(db));
		return -ERR_SQL;
	}
	return 0;
}

int report_builtin_known(const char *name)
{
	return !strcmp(name, "verify") || !strcmp(name, "chain");
}

/*
 * A built-in dataset computed on a thread of its own, on a connection of
 * its own: the report's may hold TEMP tables from a definition's setup,
 * and a TEMP name shadows main's for verify's unqualified queries (a
 * setup could otherwise feed verify its data).
 */
struct report_builtin_job {
	pthread_t thread;
	int started;		/* the thread runs (else run at finish) */
	char *path;		/* the history's file */
	int chain;		/* verify_chain(), else verify_history() */
	int rc;
	struct verify_result v;
	struct err_detail d;
};

static void *job_run(void *arg)
{
	struct report_builtin_job *j = arg;
	struct store *own = NULL;

	memset(&j->v, 0, sizeof(j->v));
	j->rc = store_open(j->path, STORE_READONLY | STORE_ONE_THREAD, &own,
			   &j->d);
	/* The chain reads a request and a body row for every evidence row:
	 * with SQLite's 2 MiB cache they were read from the file again and
	 * again (half of the chain check's time on 190,000 rows). */
	if (j->rc == 0)
		j->rc = store_exec(own, "PRAGMA cache_size = -32768", &j->d);
	/* One snapshot: the chain check compares the findings it hashed
	 * with the summary it reads after them (a check saved in between
	 * would be in one and not the other). */
	if (j->rc == 0 && j->chain)
		j->rc = store_exec(own, "BEGIN", &j->d);
	if (j->rc == 0)
		j->rc = j->chain ? verify_chain(own, &j->v, &j->d) :
			verify_history(own, &j->v, &j->d);
	if (j->chain && own)
		store_exec(own, "ROLLBACK", NULL);
	store_close(own);
	return NULL;
}

struct report_builtin_job *report_builtin_start(struct store *s,
						const char *name)
{
	struct report_builtin_job *j = xcalloc(1, sizeof(*j));

	j->path = xstrdup(store_path(s));
	j->chain = !strcmp(name, "chain");
	/* No thread to be had: the work is done at finish instead. */
	j->started = pthread_create(&j->thread, NULL, job_run, j) == 0;
	return j;
}

int report_builtin_finish(struct report_builtin_job *j, json_t **ret_rows,
			  json_t **ret_cols, struct err_detail *d)
{
	struct verify_result *v = &j->v;
	json_t *row;
	int r;

	if (j->started)
		pthread_join(j->thread, NULL);
	else
		job_run(j);
	r = j->rc;
	if (r < 0) {
		if (d)
			*d = j->d;
		goto out;
	}
	if (!ret_rows)
		goto out;
	row = json_object();
	json_object_set_new(row, "status", json_string(v->bad_run ? "broken" :
						       "ok"));
	json_object_set_new(row, "runs", json_integer(v->runs));
	json_object_set_new(row, "bad_run", v->bad_run ?
			    json_integer(v->bad_run) : json_null());
	json_object_set_new(row, "reason", v->bad_run ?
			    json_string(v->reason) : json_null());
	json_object_set_new(row, "head_run", v->head_run ?
			    json_integer(v->head_run) : json_null());
	json_object_set_new(row, "head_hash", v->head[0] ?
			    json_string(v->head) : json_null());
	*ret_rows = json_pack("[o]", row);
	*ret_cols = json_pack("[ssssss]", "status", "runs", "bad_run",
			      "reason", "head_run", "head_hash");
out:
	free(j->path);
	free(j);
	return r;
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The text of a value as a key: "" for null or missing. */
static char *key_text(json_t *v)
{
	int is_text;

	return v && !json_is_null(v) ? csv_cell_text(v, &is_text) : xstrdup("");
}

static int is_row_field(const struct report_dataset *ds, const char *name)
{
	size_t j;

	for (j = 0; j < ds->npivot_rows; j++)
		if (!strcmp(ds->pivot_rows[j], name))
			return 1;
	return 0;
}

/* The name a column value is shown under (see report_pivot). */
static const char *shown(json_t *shown_as, const char *name)
{
	return json_string_value(json_object_get(shown_as, name));
}

int report_pivot(const struct report_dataset *ds, json_t *rows,
		 json_t **ret_rows, json_t **ret_cols, json_t **ret_grid,
		 struct err_detail *d)
{
	json_t *seen, *index, *out, *shown_as, *cols, *grid_rows, *row, *wide;
	struct sbuf key = SBUF_INIT;
	char **names;
	size_t i, j, n = 0;
	const char *k;
	json_t *v;

	/* A column needs a name: NULL is not '' (nor any other text). */
	json_array_foreach(rows, i, row) {
		v = json_object_get(row, ds->pivot_columns);
		if (!v || json_is_null(v)) {
			err_set(d, "dataset '%s' row %zu: '%s' is NULL, and a "
				"pivot's column needs a name (give one in the "
				"query, with coalesce())", ds->pivot_source,
				i + 1, ds->pivot_columns);
			return -ERR_CONFIG;
		}
	}
	seen = json_object();
	index = json_object();
	out = json_array();
	shown_as = json_object();
	cols = json_array();
	grid_rows = json_array();
	/* The column values, sorted. */
	json_array_foreach(rows, i, row) {
		char *t = key_text(json_object_get(row, ds->pivot_columns));

		json_object_set_new(seen, t, json_true());
		free(t);
	}
	names = xcalloc(json_object_size(seen) + 1, sizeof(*names));
	json_object_foreach(seen, k, v)
		names[n++] = (char *)k;
	qsort(names, n, sizeof(*names), cmp_text);
	/*
	 * A column named like a row field (data decides the names) would
	 * overwrite that field: it is shown with " (column)" added, as many
	 * times as it takes to be a name of its own.
	 */
	for (j = 0; j < n; j++) {
		struct sbuf alt = SBUF_INIT;

		sbuf_adds(&alt, names[j]);
		while (is_row_field(ds, alt.buf) ||
		       (strcmp(alt.buf, names[j]) && json_object_get(seen,
								     alt.buf)))
			sbuf_adds(&alt, " (column)");
		json_object_set_new(shown_as, names[j], json_string(alt.buf));
		sbuf_release(&alt);
	}
	for (j = 0; j < ds->npivot_rows; j++)
		json_array_append_new(cols, json_string(ds->pivot_rows[j]));
	for (j = 0; j < n; j++)
		json_array_append_new(cols, json_string(shown(shown_as,
							      names[j])));

	/* One wide row per distinct tuple of the row fields. */
	json_array_foreach(rows, i, row) {
		char *t;

		sbuf_reset(&key);
		for (j = 0; j < ds->npivot_rows; j++) {
			/* Typed: NULL, '' and 1 vs '1' are distinct rows. */
			v = json_object_get(row, ds->pivot_rows[j]);
			t = key_text(v);
			sbuf_addf(&key, "%d.%zu:%s\x1f", v ? (int)json_typeof(v) :
				  (int)JSON_NULL, strlen(t), t);
			free(t);
		}
		wide = json_object_get(index, key.buf);
		if (!wide) {
			wide = json_object();
			for (j = 0; j < ds->npivot_rows; j++) {
				v = json_object_get(row, ds->pivot_rows[j]);
				json_object_set(wide, ds->pivot_rows[j],
						v ? v : json_null());
			}
			for (j = 0; j < n; j++)
				json_object_set_new(wide, shown(shown_as,
								names[j]),
						    json_null());
			json_object_set_new(index, key.buf, wide);
			json_array_append(out, wide);
		}
		t = key_text(json_object_get(row, ds->pivot_columns));
		v = json_object_get(row, ds->pivot_value);
		json_object_set(wide, shown(shown_as, t), v ? v : json_null());
		free(t);
	}
	/* The template's view: the row fields, then the cells in order. */
	json_array_foreach(out, i, wide) {
		json_t *g = json_object(), *cells = json_array();

		for (j = 0; j < ds->npivot_rows; j++)
			json_object_set(g, ds->pivot_rows[j],
					json_object_get(wide, ds->pivot_rows[j]));
		for (j = 0; j < n; j++)
			json_array_append(cells, json_object_get(wide,
					  shown(shown_as, names[j])));
		json_object_set_new(g, "cells", cells);
		json_array_append_new(grid_rows, g);
	}
	*ret_grid = json_object();
	json_object_set_new(*ret_grid, "columns", json_array());
	for (j = 0; j < n; j++)
		json_array_append_new(json_object_get(*ret_grid, "columns"),
				      json_string(shown(shown_as, names[j])));
	json_object_set_new(*ret_grid, "rows", grid_rows);
	*ret_rows = out;
	*ret_cols = cols;
	free(names);
	json_decref(index);
	json_decref(shown_as);
	json_decref(seen);
	sbuf_release(&key);
	return 0;
}
