#include "cli/commands.h"

#include <getopt.h>

/*
 * main() opened the history read-write without migrating it (and refused
 * one from a newer version); this brings it up and says what it did.
 */
int cmd_migrate(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ NULL, 0, NULL, 0 }
	};
	struct err_detail d = { "", "" };
	int from, to, r;

	if (getopt_long(argc, argv, "", opts, NULL) != -1 || optind != argc)
		return cmd_usage_error(app, command_find("migrate"));
	r = store_migrate(app->store, &from, &to, &d);
	if (r < 0) {
		app_fail(app, "cannot migrate history", r, &d);
		return EXIT_RUNTIME;
	}
	if (from == to)
		fprintf(app->out, "history '%s' is already at version %d\n",
			app->db_path, to);
	else
		fprintf(app->out, "migrated history '%s' from version %d to "
			"version %d\n", app->db_path, from, to);
	return EXIT_OK;
}
