#include "cli/commands.h"

#include <getopt.h>
#include <stdlib.h>

#include "cli/output.h"
#include "store/query.h"

/* Run a query file and print its rows; shared by the listing commands. */
int print_query(struct app *app, const char *rel,
		const struct query_param *params, size_t n, int fmt, FILE *f)
{
	struct err_detail d = { "", "" };
	sqlite3_stmt *st = NULL;
	json_t *rows = NULL, *cols = NULL;
	int r;

	r = query_open(app->store, app->datadir, rel, params, n, &st, &d);
	if (r == 0)
		r = query_rows(st, &rows, &d);
	if (r < 0) {
		app_fail(app, "query failed", r, &d);
		sqlite3_finalize(st);
		return EXIT_RUNTIME;
	}
	cols = query_columns(st);
	sqlite3_finalize(st);
	r = out_print(f, fmt, cols, rows);
	json_decref(cols);
	json_decref(rows);
	if (r < 0) {
		app_error(app, "cannot write output: %s", err_str(r));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* Parse --format's argument; -1 after printing an error. */
int parse_format(struct app *app, const char *arg)
{
	int f = out_format_parse(arg);

	if (f < 0)
		app_error(app, "unknown format '%s' (table, json or csv)", arg);
	return f;
}

int cmd_runs(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("runs");
	struct query_param p = { ":limit", QP_INT, 50, NULL };
	int c, fmt = OUT_TABLE;
	char *end;

	while ((c = getopt_long(argc, argv, "f:n:", opts, NULL)) != -1) {
		if (c == 'f') {
			fmt = parse_format(app, optarg);
			if (fmt < 0)
				return EXIT_USAGE;
		} else if (c == 'n') {
			p.i = strtoll(optarg, &end, 10);
			if (*end || !*optarg || p.i < 0) {
				app_error(app, "--limit takes a whole number, "
					  "not '%s'", optarg);
				return EXIT_USAGE;
			}
		} else {
			return cmd_usage_error(app, self);
		}
	}
	if (optind != argc)
		return cmd_usage_error(app, self);
	return print_query(app, fmt == OUT_TABLE ? "runs/summary.sql" :
			   "runs/list.sql", &p, 1, fmt, app->out);
}
