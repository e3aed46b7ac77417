#pragma once
#include <sqlite3.h>

#include "azure/transport.h"
#include "config/config.h"
#include "collect/record.h"
#include "store/db.h"

typedef void (*collect_progress_fn)(void *ctx, long requests, long filesystems);

struct collect_options {
	const char *source;		/* "live" or "replay" */
	/*
	 * Replay is strict: a recorded body that does not parse fails the
	 * run (a recording never gets better). Live, such a body is recorded
	 * as unreadable and the run ends partial.
	 */
	int strict;
	const char *tenant_id;		/* for the run record: from the token */
	const char *principal_id;
	const char *now;		/* the clock for metrics, or NULL: now */
	int costs_only;			/* the cost queries, nothing else */
	int refresh_costs;		/* ask again for months already held */
	const char *cost_from;		/* YYYY-MM-DD period, or NULL: the */
	const char *cost_to;		/* current and previous months */
	struct recorder *record;	/* --record, or NULL */
	collect_progress_fn progress;	/* may be NULL */
	/* Each answer as it is stored (replay; the HTTP transport logs its
	 * own tries): url redacted, status 0 when none came. May be NULL. */
	void (*log)(void *ctx, const char *method, const char *url,
		    long status, int attempt, long wait_ms, const char *why);
	void *ctx;
};

struct collect_result {
	sqlite3_int64 run_id;
	const char *status;	/* "ok", "partial" or "failed" (static) */
	long filesystems;
	long requests;		/* tries, retries included */
	long retries;
	long throttled;		/* 429 answers */
	long evidence;		/* responses stored */
	long new_bodies;	/* bodies not already in the history */
	long errors;		/* what could not be read (partial) */
	long arm_ms;		/* ARM and metrics reads, first sent to last */
	long cost_ms;		/* cost queries, likewise (the run ledger) */
	int failed_recorded;	/* a failed run was recorded for it */
	char clock[21];		/* the time the run collected as */
};

/*
 * One collection: every subscription in scope (the configured ones, all
 * the principal sees, or Resource Graph), every AMLFS in them, and per file
 * system its import, auto-export and auto-import jobs, role assignments,
 * locks, diagnostic settings, the tags of its resource group and
 * subscription, and its Azure Monitor metrics. Requests go out through the
 * transport, many at once; answers are stored as they come, all in one
 * transaction, with a completeness ledger, and the run is sealed into the
 * chain.
 *
 * What cannot be read for one resource is recorded as a run error and the
 * run ends "partial". A failure that breaks the run (the database, or in
 * strict mode a body that does not parse) rolls everything back and
 * records a "failed" run whose error_summary says which response and
 * where; the call then returns negative with d naming the file or URL and
 * the JSON path.
 */
int collect_run(struct store *s, struct transport *t, const struct config *cfg,
		const struct collect_options *o, struct collect_result *res,
		struct err_detail *d);
