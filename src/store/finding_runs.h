#pragma once
#include <stddef.h>

#include <sqlite3.h>

#include "store/db.h"
#include "util/err.h"

/*
 * Findings in runs of checks (migration 0012): derived data that lets a
 * report over many checks read one row per rule, resource and stretch of
 * checks in which its result stayed the same, instead of every finding.
 * A row says: checks first_check to last_check (consecutive among all
 * check runs) each held per_check findings of this rule and resource
 * with this severity, exemption, status and first_seen (NULL for 'ok':
 * what check writes there is its own time, which no report reads).
 */

/*
 * Add check run check_run's findings, once they are all stored, in the
 * caller's transaction: a row that ended at the check before it and that
 * this check holds again is extended; the rest start rows of their own.
 */
int finding_runs_add_check(struct store *s, sqlite3_int64 check_run,
			   struct err_detail *d);

/*
 * Compare the stored rows with the rows the findings give
 * (finding_runs_derived). Returns 0 and *ret_run = 0 when they are the
 * same; otherwise *ret_run is the first check of a row that differs and
 * why (why_len bytes) names it. Negative: the comparison could not run.
 */
int finding_runs_compare(struct store *s, sqlite3_int64 *ret_run, char *why,
			 size_t why_len, struct err_detail *d);
