/* amlfs-audit: main() only: global options, set-up, dispatch, exit code. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "cli/app.h"
#include "cli/commands.h"
#include "config.h"
#include "util/fs.h"

/* 0, -1 when argv[*i] is no global option, -2 when it lacks its value
 * (said here). */
static int global_option(struct app *app, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char **slot = NULL;
	size_t n;

	if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
		app->verbose++;
		return 0;
	}
	if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
		app->verbose = -1;
		return 0;
	}
	if (!strncmp(a, "--db", 4))
		slot = &app->db_opt, n = 4;
	else if (!strncmp(a, "--config", 8))
		slot = &app->config_opt, n = 8;
	else if (!strncmp(a, "--datadir", 9))
		slot = &app->datadir_opt, n = 9;
	if (!slot || (a[n] != '\0' && a[n] != '='))
		return -1;
	if (a[n] == '=') {
		*slot = a + n + 1;
	} else if (*i + 1 < argc) {
		*slot = argv[++*i];
	} else {
		app_error(app, "option '%s' needs a value", a);
		return -2;
	}
	return 0;
}

static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

static int load_config(struct app *app, struct err_detail *d)
{
	const char *env = getenv("AMLFS_AUDIT_CONFIG");
	const char *path = app->config_opt;

	if (!path && env && *env)
		path = env;
	if (!path && fs_exists(AMLFS_SYSCONFDIR "/amlfs-audit.conf"))
		path = AMLFS_SYSCONFDIR "/amlfs-audit.conf";
	return path ? config_load(&app->cfg, path, d) : 0;
}

static int setup(struct app *app, const struct command *c)
{
	struct err_detail d = { "", "" };
	int r = 0;

	if (c->flags & CMD_NEED_CONFIG) {
		r = load_config(app, &d);
		if (r < 0) {
			app_fail(app, "bad configuration", r, &d);
			return EXIT_USAGE;
		}
	}
	if (c->flags & CMD_NEED_DB) {
		r = app_resolve_db(app, &d);
		if (r == 0)
			r = app_resolve_datadir(app, &d);
		if (r < 0) {
			app_fail(app, "bad configuration", r, &d);
			return EXIT_USAGE;
		}
		r = app_open_db(app, c->flags, &d);
		if (r < 0) {
			app_fail(app, "cannot open history", r, &d);
			return app_exit_code(r);
		}
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct app app = { .out = stdout, .err = stderr };
	const struct command *c;
	int i, r, status;

	/*
	 * Private by default: the history (and its WAL and shared memory),
	 * recordings and outputs hold role assignments, principal ids and
	 * costs, so whatever is created is for this user only (0600, 0700).
	 */
	umask(077);
	app.err_is_tty = isatty(STDERR_FILENO);
	/* Character widths for tables only: numbers stay in the C locale. */
	setlocale(LC_CTYPE, "C.UTF-8");
	config_init(&app.cfg);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--version")) {
			printf("amlfs-audit %s\n", AMLFS_VERSION);
			status = EXIT_OK;
			goto out;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_main_usage(stdout);
			status = EXIT_OK;
			goto out;
		}
		r = global_option(&app, argc, argv, &i);
		if (r < 0) {
			if (r == -1)
				app_error(&app, "unknown option '%s'", argv[i]);
			print_main_usage(stderr);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (i == argc) {
		print_main_usage(stderr);
		status = EXIT_USAGE;
		goto out;
	}
	c = command_find(argv[i]);
	if (!c) {
		app_error(&app, "'%s' is not a command; see 'amlfs-audit help'",
			  argv[i]);
		status = EXIT_USAGE;
		goto out;
	}
	if (wants_help(argc - i, argv + i)) {
		cmd_print_usage(stdout, c);
		status = EXIT_OK;
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/*
	 * No memory statistics: they take one process-wide mutex on every
	 * SQLite allocation, which the parallel rules of 'check' fought over
	 * (measured). Must come before SQLite's first use.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	status = setup(&app, c);
	if (status == EXIT_OK) {
		optind = 0;	/* each command runs its own getopt_long */
		status = c->fn(argc - i, argv + i, &app);
	}
	curl_global_cleanup();
out:
	store_close(app.store);
	config_release(&app.cfg);
	free(app.db_path);
	free(app.datadir);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		app_error(&app, "cannot write to standard output");
		if (status == EXIT_OK)
			status = EXIT_RUNTIME;
	}
	return status;
}
