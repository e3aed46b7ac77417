#pragma once
#include <stdio.h>

#include "config/config.h"
#include "store/db.h"
#include "util/err.h"

/* Exit codes: one meaning each (README "Exit codes"). */
enum {
	EXIT_OK = 0,		/* done; the answer is yes */
	EXIT_FINDINGS = 1,	/* ran; the answer is no (findings, mismatch) */
	EXIT_USAGE = 2,		/* bad command line or configuration */
	EXIT_RUNTIME = 3,	/* runtime failure: HTTP, auth, database, I/O */
	EXIT_PARTIAL = 4,	/* collection stored what it could, missed some */
};

enum {
	CMD_NEED_CONFIG = 1 << 0,	/* load the configuration first */
	CMD_NEED_DB = 1 << 1,		/* open (create) the history */
	CMD_DB_EXISTING = 1 << 2,	/* with NEED_DB: it must exist already */
	/*
	 * With NEED_DB: the command only reads. The history must exist and be
	 * at this program's schema; it is opened SQLITE_OPEN_READONLY with
	 * PRAGMA query_only (store/db.h STORE_READONLY | STORE_QUERY_ONLY)
	 * and never migrated.
	 */
	CMD_DB_READONLY = 1 << 3,
	/* With NEED_DB: open read-write but leave the schema (migrate). */
	CMD_DB_NO_MIGRATE = 1 << 4,
};

/* What main() sets up for a command, like git's RUN_SETUP. */
struct app {
	FILE *out;		/* results */
	FILE *err;		/* messages and progress */
	int verbose;		/* -1 with -q, 0, 1+ with -v */
	int err_is_tty;
	const char *db_opt;	/* --db */
	const char *config_opt;	/* --config */
	const char *datadir_opt;/* --datadir */
	char *db_path;		/* resolved */
	char *datadir;		/* resolved */
	struct config cfg;
	struct store *store;
};

/*
 * A run id given as the argument of option opt (e.g. "--run"): a whole
 * number above 0. 0, or -1 after saying what is wrong (exit EXIT_USAGE).
 */
int app_run_id(struct app *app, const char *opt, const char *arg,
	       long long *ret);

/* "amlfs-audit: <msg>\n" to app->err. */
void app_error(struct app *app, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A failure with its detail: "amlfs-audit: what: msg (where)". */
void app_fail(struct app *app, const char *what, int code,
	      const struct err_detail *d);
/* Progress line to stderr, only when it is a terminal and not -q. */
void app_progress(struct app *app, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Finish a progress line. */
void app_progress_done(struct app *app);

/* Exit status for an error code: config/usage 2, everything else 3. */
int app_exit_code(int code);

/* Resolve the history path (flag, env, config, default) into app. */
int app_resolve_db(struct app *app, struct err_detail *d);
/* Resolve the data directory (flag, env, config, compiled-in). */
int app_resolve_datadir(struct app *app, struct err_detail *d);
/*
 * Open app->db_path into app->store as flags (CMD_DB_*) say; 0 creates it
 * and its parent directories when missing and migrates it.
 */
int app_open_db(struct app *app, unsigned flags, struct err_detail *d);
