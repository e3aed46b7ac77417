#pragma once
#include <sqlite3.h>

#include "azure/transport.h"
#include "cli/cfgfile.h"
#include "store/db.h"

typedef void (*collect_progress_fn)(void *ctx, long requests, long filesystems);
/* One request done: url is already redacted; status 0 when none came. */
typedef void (*collect_log_fn)(void *ctx, const char *method, const char *url,
			       long status);

struct collect_options {
	const char *source;		/* "live" or "replay" */
	collect_progress_fn progress;	/* may be NULL */
	collect_log_fn log;		/* may be NULL */
	void *ctx;			/* for both */
};

struct collect_result {
	sqlite3_int64 run_id;
	const char *status;	/* "ok", "partial" or "failed" (static) */
	long filesystems;
	long requests;
	long evidence;		/* responses stored */
	long new_bodies;	/* bodies not already in the history */
	long errors;		/* what could not be read (partial) */
};

/*
 * One collection: every subscription in scope (the configured ones, or
 * all the principal sees), every AMLFS in them, and each file system's
 * import, auto-export and auto-import jobs. All of it is stored in one
 * transaction with its evidence, and the run is sealed into the chain.
 *
 * A response that cannot be read for one resource (an HTTP error, a
 * missing recording) is recorded as a run error and the run ends
 * "partial". A body that breaks the run (invalid JSON, a field of the
 * wrong type) rolls everything back and records a "failed" run whose
 * error_summary says which response and where; the call then returns
 * negative with d naming the file or URL and the JSON path.
 */
int collect_run(struct store *s, struct transport *t, const struct config *cfg,
		const struct collect_options *o, struct collect_result *res,
		struct err_detail *d);
