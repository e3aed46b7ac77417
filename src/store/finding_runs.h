#pragma once
#include <stddef.h>

#include <sqlite3.h>

#include "store/db.h"
#include "util/err.h"

/*
 * Findings in runs of checks (migration 0011): derived data that lets a
 * report over many checks read one row per rule, resource and stretch of
 * checks in which its result stayed the same, instead of every finding.
 * A row says: checks first_check to last_check (consecutive among all
 * check runs) each held per_check findings of this rule and resource
 * with this severity, exemption, status and first_seen. What check
 * writes as the first_seen of a result that is not open is its own time:
 * that is NULL for 'ok' (no report reads it) and, for a skip or an error,
 * NULL when it is the check's checked_at in finding_checks (one row a
 * check: the earliest first_seen of its ok, skip and error findings).
 */

/*
 * Add check run check_run's findings, once they are all stored, in the
 * caller's transaction: a row that ended at the check before it and that
 * this check holds again is extended; the rest start rows of their own.
 */
int finding_runs_add_check(struct store *s, sqlite3_int64 check_run,
			   struct err_detail *d);

/*
 * Compare the stored rows of both tables with what the findings give:
 * finding_checks with finding_checks_derived, then finding_runs check by
 * check (the rows holding a check are its findings' signature; their
 * ends are checks; no stretch is split in two). Returns 0 and *ret_run =
 * 0 when they are the same; otherwise *ret_run is the check where they
 * differ and why (why_len bytes) names the row. Negative: the comparison
 * could not run.
 */
int finding_runs_compare(struct store *s, sqlite3_int64 *ret_run, char *why,
			 size_t why_len, struct err_detail *d);
