#include "cli/commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"
#include "store/query.h"

/* The two newest collection runs with a snapshot; an exit code. */
static int newest_two(struct app *app, long long *ret_from, long long *ret_to)
{
	struct err_detail d = { "", "" };
	sqlite3_stmt *st = NULL;
	long long ids[2];
	int r, n = 0, status = EXIT_OK;

	r = query_open(app->store, app->datadir, "diff/latest.sql", NULL, 0,
		       &st, &d);
	if (r < 0) {
		app_fail(app, "query failed", r, &d);
		return EXIT_RUNTIME;
	}
	while (n < 2 && (r = sqlite3_step(st)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	if (n < 2 && r != SQLITE_DONE) {
		app_error(app, "cannot read runs: %s",
			  sqlite3_errmsg(sqlite3_db_handle(st)));
		status = EXIT_RUNTIME;
	} else if (n < 2) {
		app_error(app, "diff needs two collection runs with a "
			  "snapshot; the history holds %d", n);
		status = EXIT_RUNTIME;
	} else {
		*ret_from = ids[1];
		*ret_to = ids[0];
	}
	sqlite3_finalize(st);
	return status;
}

/* Rows of DATADIR/queries/<rel> for the pair, as a new array. */
static int pair_rows(struct app *app, const char *rel, long long from,
		     long long to, json_t **ret)
{
	struct query_param p[] = {
		{ ":from", QP_INT, from, NULL },
		{ ":to", QP_INT, to, NULL },
	};
	struct err_detail d = { "", "" };
	sqlite3_stmt *st = NULL;
	int r;

	r = query_open(app->store, app->datadir, rel, p, 2, &st, &d);
	if (r == 0)
		r = query_rows(st, ret, &d);
	sqlite3_finalize(st);
	if (r < 0) {
		app_fail(app, "query failed", r, &d);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*
 * The diff as one new object: from_run, to_run, added, removed (file
 * systems: id, name, subscription_id, ...), unread (the same and
 * not_read_in: a run whose list that would hold it failed), changed ({id,
 * name, changes}). An exit code.
 */
static int diff_build(struct app *app, long long from, long long to,
		      json_t **ret)
{
	json_t *fs = NULL, *changed = NULL, *added, *removed, *unread, *row;
	json_t *o;
	int status;
	size_t i;

	status = pair_rows(app, "diff/filesystems.sql", from, to, &fs);
	if (status == EXIT_OK)
		status = pair_rows(app, "diff/changes.sql", from, to, &changed);
	if (status != EXIT_OK) {
		json_decref(fs);
		return status;
	}
	added = json_array();
	removed = json_array();
	unread = json_array();
	json_array_foreach(fs, i, row) {
		const char *c = json_string_value(json_object_get(row,
								  "change"));

		if (c && !strcmp(c, "unread")) {
			json_array_append(unread, row);
		} else {
			json_array_append(c && !strcmp(c, "added") ? added :
					  removed, row);
			json_object_del(row, "not_read_in");
		}
		json_object_del(row, "change");
	}
	o = json_pack("{s:I,s:I,s:o,s:o,s:o,s:o}", "from_run",
		      (json_int_t)from, "to_run", (json_int_t)to, "added",
		      added, "removed", removed, "unread", unread, "changed",
		      changed);
	json_decref(fs);
	*ret = o;
	return EXIT_OK;
}

/*
 * A before/after value: compact JSON, "(none)" for null or absent; a
 * string's C1 controls, which JSON leaves as they are, shown as '?'.
 */
static void put_value(FILE *f, json_t *v)
{
	char *s;

	if (!v || json_is_null(v)) {
		fputs("(none)", f);
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	out_put_clean(f, s ? s : "?");
	free(s);
}

static void put_fs(FILE *f, const char *what, json_t *fs)
{
	fprintf(f, "%-8s ", what);
	out_put_clean(f, json_string_value(json_object_get(fs, "name")));
	fputs("  (", f);
	out_put_clean(f, json_string_value(json_object_get(fs, "id")));
	fputc(')', f);
}

/*
 * "  property  properties.storageCapacityTiB: 128 -> 256"; a job of a list
 * one run did not read: "  unread    importJobs/NAME: not read in run 2
 * (its list failed); before: {...}".
 */
static void put_change(FILE *f, json_t *c, json_int_t from, json_int_t to)
{
	const char *kind = json_string_value(json_object_get(c, "kind"));
	json_t *before = json_object_get(c, "before");

	fprintf(f, "  %-9s ", kind);
	out_put_clean(f, json_string_value(json_object_get(c, "path")));
	fputs(": ", f);
	if (kind && !strcmp(kind, "unread")) {
		int to_missing = before && !json_is_null(before);

		fprintf(f, "not read in run %lld (its list failed); %s: ",
			(long long)(to_missing ? to : from),
			to_missing ? "before" : "after");
		put_value(f, to_missing ? before : json_object_get(c, "after"));
		fputc('\n', f);
		return;
	}
	put_value(f, json_object_get(c, "before"));
	fputs(" -> ", f);
	put_value(f, json_object_get(c, "after"));
	fputc('\n', f);
}

static void print_text(FILE *f, json_t *diff)
{
	json_t *added = json_object_get(diff, "added");
	json_t *removed = json_object_get(diff, "removed");
	json_t *unread = json_object_get(diff, "unread");
	json_t *changed = json_object_get(diff, "changed"), *fs, *c;
	json_int_t from = json_integer_value(json_object_get(diff, "from_run"));
	json_int_t to = json_integer_value(json_object_get(diff, "to_run"));
	size_t i, k;

	fprintf(f, "run %lld -> run %lld: ", (long long)from, (long long)to);
	if (!json_array_size(added) && !json_array_size(removed) &&
	    !json_array_size(unread) && !json_array_size(changed)) {
		fputs("no differences\n", f);
		return;
	}
	fprintf(f, "%zu added, %zu removed, ", json_array_size(added),
		json_array_size(removed));
	if (json_array_size(unread))
		fprintf(f, "%zu not read, ", json_array_size(unread));
	fprintf(f, "%zu changed\n", json_array_size(changed));
	json_array_foreach(added, i, fs) {
		put_fs(f, "added", fs);
		fputc('\n', f);
	}
	json_array_foreach(removed, i, fs) {
		put_fs(f, "removed", fs);
		fputc('\n', f);
	}
	json_array_foreach(unread, i, fs) {
		put_fs(f, "unread", fs);
		fprintf(f, ": not read in run %lld (its list failed)\n",
			(long long)json_integer_value(json_object_get(
				fs, "not_read_in")));
	}
	json_array_foreach(changed, i, fs) {
		put_fs(f, "changed", fs);
		fputc('\n', f);
		json_array_foreach(json_object_get(fs, "changes"), k, c)
			put_change(f, c, from, to);
	}
}

/* RUN_A and RUN_B from the arguments left (0, 1 or 2); an exit code. */
static int pick_runs(struct app *app, int argc, char **argv,
		     long long *ret_from, long long *ret_to)
{
	long long want[2] = { 0, 0 }, got[2];
	int i, status;

	if (argc == 0)
		return newest_two(app, ret_from, ret_to);
	for (i = 0; i < argc; i++) {
		if (app_run_id(app, "diff", argv[i], &want[i]) < 0)
			return EXIT_USAGE;
	}
	/* One run: against the newest. */
	for (i = 0; i < 2; i++) {
		status = pick_snapshot_run(app, want[i], &got[i]);
		if (status != EXIT_OK)
			return status;
	}
	*ret_from = got[0];
	*ret_to = got[1];
	return EXIT_OK;
}

int cmd_diff(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("diff");
	long long from, to;
	int c, json = 0, status;
	json_t *diff = NULL;

	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") ||
				 !strcmp(optarg, "text"))) {
			json = !strcmp(optarg, "json");
		} else if (c == 'f') {
			app_error(app, "unknown format '%s' (text or json)",
				  optarg);
			return EXIT_USAGE;
		} else {
			return cmd_usage_error(app, self);
		}
	}
	if (argc - optind > 2)
		return cmd_usage_error(app, self);
	status = pick_runs(app, argc - optind, argv + optind, &from, &to);
	if (status == EXIT_OK)
		status = diff_build(app, from, to, &diff);
	if (status != EXIT_OK)
		return status;
	if (json) {
		if (json_dumpf(diff, app->out, JSON_INDENT(2)) < 0)
			status = EXIT_RUNTIME;
		fputc('\n', app->out);
	} else {
		print_text(app->out, diff);
	}
	json_decref(diff);
	return status;
}
