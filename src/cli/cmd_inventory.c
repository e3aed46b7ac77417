#include "cli/commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"
#include "store/query.h"


/*
 * The run to show: want (0 for the newest with a snapshot). Fails when
 * there is none, or when the run asked for failed.
 */
int pick_snapshot_run(struct app *app, long long want, long long *ret)
{
	struct query_param p = { ":run_id", want ? QP_INT : QP_NULL, want, NULL };
	struct err_detail d = { "", "" };
	sqlite3_stmt *st = NULL;
	const char *status;
	int r, status_code = EXIT_OK;

	r = query_open(app->store, app->datadir, "runs/snapshot.sql", &p, 1,
		       &st, &d);
	if (r < 0) {
		app_fail(app, "query failed", r, &d);
		return EXIT_RUNTIME;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		if (want)
			app_error(app, "there is no collection run %lld",
				  (long long)want);
		else
			app_error(app, "no run has stored a snapshot yet");
		status_code = want ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	status = (const char *)sqlite3_column_text(st, 1);
	if (strcmp(status, "ok") && strcmp(status, "partial")) {
		app_error(app, "run %lld %s and holds no snapshot",
			  (long long)want, status);
		status_code = EXIT_RUNTIME;
		goto out;
	}
	*ret = sqlite3_column_int64(st, 0);
out:
	sqlite3_finalize(st);
	return status_code;
}

int cmd_inventory(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "run", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("inventory");
	struct query_param p = { ":run_id", QP_INT, 0, NULL };
	long long want = 0, run;
	int c, fmt = OUT_TABLE, status;

	while ((c = getopt_long(argc, argv, "f:r:", opts, NULL)) != -1) {
		if (c == 'f') {
			fmt = parse_format(app, optarg);
			if (fmt < 0)
				return EXIT_USAGE;
		} else if (c == 'r') {
			if (app_run_id(app, "--run", optarg, &want) < 0)
				return EXIT_USAGE;
		} else {
			return cmd_usage_error(app, self);
		}
	}
	if (optind != argc)
		return cmd_usage_error(app, self);
	status = pick_snapshot_run(app, want, &run);
	if (status != EXIT_OK)
		return status;
	p.i = run;
	return print_query(app, fmt == OUT_TABLE ? "inventory/summary.sql" :
			   "inventory/filesystems.sql", &p, 1, fmt, app->out);
}
