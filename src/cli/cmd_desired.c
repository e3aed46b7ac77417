#include "cli/commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/query.h"
#include "util/xalloc.h"

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A new copy of v whose objects, at every depth, have their keys sorted. */
static json_t *sorted_copy(json_t *v)
{
	const char **keys;
	const char *key;
	json_t *out, *m;
	size_t i, n;

	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, m)
			json_array_append_new(out, sorted_copy(m));
		return out;
	}
	if (!json_is_object(v))
		return json_incref(v);
	n = json_object_size(v);
	keys = xcalloc(n ? n : 1, sizeof(*keys));
	i = 0;
	json_object_foreach(v, key, m)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	out = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(out, keys[i],
				    sorted_copy(json_object_get(v, keys[i])));
	free(keys);
	return out;
}

/*
 * The entry of one row of desired/capture.sql, as a new object: name
 * first, then id (only when given), location, sku, zones, identity,
 * properties and tags, each when not null, keys below them sorted.
 */
static json_t *entry_of(json_t *row)
{
	static const char *const members[] = {
		"name", "id", "location", "sku", "zones", "identity",
		"properties", "tags", NULL
	};
	json_t *e = json_object(), *v;
	const char *const *m;

	for (m = members; *m; m++) {
		v = json_object_get(row, *m);
		if (v && !json_is_null(v))
			json_object_set_new(e, *m, sorted_copy(v));
	}
	return e;
}

/* Is name one of the n names asked for (case aside)? With n 0: yes. */
static int asked(char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(names[i], name))
			return 1;
	return !n;
}

/* Each name asked for must be in rows; an exit code. */
static int check_names(struct app *app, json_t *rows, char **names,
		       size_t n, long long run)
{
	json_t *row;
	size_t i, k;

	for (i = 0; i < n; i++) {
		int found = 0;

		json_array_foreach(rows, k, row)
			found |= !strcasecmp(names[i], json_string_value(
					json_object_get(row, "name")));
		if (!found) {
			app_error(app, "no file system named '%s' in run %lld",
				  names[i], run);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

/* The desired state of run's file systems (those in names) to app->out. */
static int capture(struct app *app, long long run, char **names, size_t n)
{
	struct query_param p = { ":run_id", QP_INT, run, NULL };
	struct err_detail d = { "", "" };
	sqlite3_stmt *st = NULL;
	json_t *rows = NULL, *list, *doc, *row;
	char note[80];
	size_t i;
	int r, status;

	r = query_open(app->store, app->datadir, "desired/capture.sql", &p, 1,
		       &st, &d);
	if (r == 0)
		r = query_rows(st, &rows, &d);
	sqlite3_finalize(st);
	if (r < 0) {
		app_fail(app, "query failed", r, &d);
		return EXIT_RUNTIME;
	}
	status = check_names(app, rows, names, n, run);
	if (status != EXIT_OK) {
		json_decref(rows);
		return status;
	}
	list = json_array();
	json_array_foreach(rows, i, row)
		if (asked(names, n, json_string_value(json_object_get(row,
								      "name"))))
			json_array_append_new(list, entry_of(row));
	snprintf(note, sizeof(note), "captured from run %lld", run);
	doc = json_pack("{s:s,s:o}", "description", note, "filesystems",
			list);
	if (json_dumpf(doc, app->out, JSON_INDENT(2)) < 0 ||
	    fputc('\n', app->out) == EOF)
		status = EXIT_RUNTIME;
	json_decref(doc);
	json_decref(rows);
	return status;
}

static int desired_capture(int argc, char **argv, struct app *app,
			   const struct command *self)
{
	static const struct option opts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "fs", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	char **names = xcalloc((size_t)argc + 1, sizeof(*names));
	long long want = 0, run;
	size_t n = 0;
	int c, status = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "r:s:", opts, NULL)) != -1) {
		if (c == 's') {
			names[n++] = optarg;
		} else if (c == 'r') {
			if (app_run_id(app, "--run", optarg, &want) < 0)
				goto out;
		} else {
			status = cmd_usage_error(app, self);
			goto out;
		}
	}
	if (optind != argc) {
		status = cmd_usage_error(app, self);
		goto out;
	}
	status = pick_snapshot_run(app, want, &run);
	if (status == EXIT_OK)
		status = capture(app, run, names, n);
out:
	free(names);
	return status;
}

int cmd_desired(int argc, char **argv, struct app *app)
{
	const struct command *self = command_find("desired");

	if (argc < 2 || strcmp(argv[1], "capture"))
		return cmd_usage_error(app, self);
	return desired_capture(argc - 1, argv + 1, app, self);
}
