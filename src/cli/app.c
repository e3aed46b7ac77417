#include "cli/app.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

void app_error(struct app *app, const char *fmt, ...)
{
	va_list ap;

	fputs("amlfs-audit: ", app->err);
	va_start(ap, fmt);
	vfprintf(app->err, fmt, ap);
	va_end(ap);
	fputc('\n', app->err);
}

void app_fail(struct app *app, const char *what, int code,
	      const struct err_detail *d)
{
	const char *msg = d && d->msg[0] ? d->msg : err_str(code);

	if (d && d->where[0])
		app_error(app, "%s: %s\n  at %s", what, msg, d->where);
	else
		app_error(app, "%s: %s", what, msg);
}

static int progress_open;

void app_progress(struct app *app, const char *fmt, ...)
{
	va_list ap;

	if (!app->err_is_tty || app->verbose < 0)
		return;
	fputs("\r\033[K", app->err);
	va_start(ap, fmt);
	vfprintf(app->err, fmt, ap);
	va_end(ap);
	fflush(app->err);
	progress_open = 1;
}

void app_progress_done(struct app *app)
{
	if (progress_open) {
		fputc('\n', app->err);
		progress_open = 0;
	}
}

int app_exit_code(int code)
{
	if (code == -ERR_CONFIG || code == -ERR_USAGE ||
	    code == -ERR_SCHEMA_OLD)
		return EXIT_USAGE;
	return EXIT_RUNTIME;
}

int app_resolve_db(struct app *app, struct err_detail *d)
{
	const char *env = getenv("AMLFS_AUDIT_DB");
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct sbuf sb = SBUF_INIT;

	if (app->db_opt)
		sbuf_adds(&sb, app->db_opt);
	else if (env && *env)
		sbuf_adds(&sb, env);
	else if (app->cfg.db_path)
		sbuf_adds(&sb, app->cfg.db_path);
	else if (state && *state)
		sbuf_addf(&sb, "%s/amlfs-audit/history.db", state);
	else if (home && *home)
		sbuf_addf(&sb, "%s/.local/state/amlfs-audit/history.db", home);
	else {
		err_set(d, "no history path: give --db, set AMLFS_AUDIT_DB or "
			"[database] path");
		return -ERR_CONFIG;
	}
	free(app->db_path);
	app->db_path = sbuf_detach(&sb, NULL);
	return 0;
}

static int has_queries(const char *dir)
{
	char *q = fs_join(dir, "queries");
	int ok = fs_is_dir(q);

	free(q);
	return ok;
}

int app_resolve_datadir(struct app *app, struct err_detail *d)
{
	const char *env = getenv("AMLFS_AUDIT_DATADIR");
	const char *pick;

	if (app->datadir_opt)
		pick = app->datadir_opt;
	else if (env && *env)
		pick = env;
	else if (app->cfg.datadir)
		pick = app->cfg.datadir;
	else if (has_queries(AMLFS_DATADIR))
		pick = AMLFS_DATADIR;
	else
		pick = AMLFS_SOURCE_DIR;	/* running from the build tree */
	if (!has_queries(pick)) {
		err_set(d, "data directory has no queries/ (set --datadir or "
			"AMLFS_AUDIT_DATADIR)");
		err_where(d, "%s", pick);
		return -ERR_CONFIG;
	}
	free(app->datadir);
	app->datadir = xstrdup(pick);
	return 0;
}

int app_open_db(struct app *app, unsigned flags, struct err_detail *d)
{
	int readonly = !!(flags & CMD_DB_READONLY);
	char *dir, *slash;
	int r;

	if ((readonly || (flags & CMD_DB_EXISTING)) &&
	    !fs_exists(app->db_path)) {
		err_set(d, "no history here yet (run 'amlfs-audit collect' "
			"first, or give --db)");
		err_where(d, "%s", app->db_path);
		return -ENOENT;
	}
	dir = xstrdup(app->db_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		r = fs_mkdirs(dir, 0700);
		if (r < 0) {
			err_set(d, "cannot create directory: %s", err_str(r));
			err_where(d, "%s", dir);
			free(dir);
			return r;
		}
	}
	free(dir);
	return store_open(app->db_path, readonly ?
			  STORE_READONLY | STORE_QUERY_ONLY :
			  (flags & CMD_DB_NO_MIGRATE) ? STORE_NO_MIGRATE : 0,
			  &app->store, d);
}

int app_run_id(struct app *app, const char *opt, const char *arg,
	       long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (!*arg || *end || v <= 0 || errno) {
		app_error(app, "%s takes a run id, not '%s'", opt, arg);
		return -1;
	}
	*ret = v;
	return 0;
}
