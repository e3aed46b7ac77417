#pragma once
#include <sqlite3.h>
#include <stddef.h>

#include "policy/rules.h"
#include "util/err.h"

/*
 * Drift from a desired state: what a file system should look like,
 * written in the shape of its ARM resource, judged against what a run
 * read (raw_items).
 *
 * The desired state is one JSON object:
 *
 *   {
 *     "description": "optional note",
 *     "filesystems": [
 *       { "name": "amlfs-genomics-prod",
 *         "sku": { "name": "AMLFS-Durable-Premium-125" },
 *         "properties": { "maintenanceWindow": { "dayOfWeek": "Sunday" } },
 *         "tags": { "CostCenter": "CC-4410" } },
 *       { "name_regex": "^amlfs-render-",
 *         "properties": { "rootSquashSettings": { "mode": "All" } } }
 *     ]
 *   }
 *
 * An entry selects file systems with one or more of these keys, all of
 * which must match:
 *
 *   id          the ARM id, compared case-insensitively;
 *   name        the name, compared case-insensitively;
 *   name_regex  a PCRE2 pattern (UTF-8) searched for in the name, case
 *               sensitive unless it says (?i); anchor it with ^ and $.
 *
 * and may carry a "description" (a string, not compared). Every other key
 * is a desired subset of the resource: location, sku, zones, identity,
 * properties, tags, or any other member of the ARM JSON:
 *
 *  - an object checks only the keys it names, recursively, and each key
 *    it names must be there ({} asks only that); the keys of "tags"
 *    compare case-insensitively (ARM's rule), all others exactly, and a
 *    resource without tags has the tags {};
 *  - an array compares as a whole: same length, same elements in order;
 *  - a number compares by value (128 equals 128.0), a string exactly;
 *  - null means "absent or null".
 *
 * Every entry that selects a file system applies to it. A file system no
 * entry selects is not judged.
 *
 * A differing value is reported as its path, the desired value and the
 * live one (null when absent): properties.maintenanceWindow.dayOfWeek,
 * tags.CostCenter. A key in a path is bare when it is a letter followed
 * by letters and digits, else a JSON string (tags."cost-center"), the
 * way SQLite's json_tree and 'amlfs-audit diff' write paths.
 */

/* One judgment, borrowed for the duration of the callback. */
struct drift_row {
	/* The file system's ARM id and name; NULL for an unmatched entry. */
	const char *resource_id;
	const char *name;
	/* RULE_OK, RULE_ALARM, or RULE_ERROR (an entry that matched nothing,
	 * or a stored item that is not JSON). */
	enum rule_status status;
	const char *reason;	/* a sentence a person reads */
	/* JSON array text of {"path", "desired", "live"}, in the order the
	 * desired state names them; "[]" unless status is RULE_ALARM. */
	const char *detail;
	/* JSON array text of the evidence id the live item was read from;
	 * NULL for an unmatched entry. */
	const char *evidence;
	/* JSON array text of the entries that applied (for an unmatched
	 * entry, that entry): ["filesystems[0]", "filesystems[3]"]. */
	const char *entries;
};

/* Called once per judgment; a negative return stops drift_eval, which
 * returns it. */
typedef int (*drift_row_fn)(void *ctx, const struct drift_row *row);

/*
 * Judge the file systems of run_id against the desired state in
 * desired_json (len bytes, need not be NUL-terminated). cb is called for
 * each file system an entry selects, in the order of the inventory
 * (subscription, resource group, name), with status ok or alarm; then
 * for each entry that selected none, in document order, with status
 * error and a reason naming the entry and its selectors.
 *
 * Fails before any callback with -ERR_CONFIG and d when the desired state
 * is not valid JSON (d->where "line L, column C"), breaks the format
 * above (d->where the JSON path, "filesystems[2].name_regex"), or has a
 * name_regex PCRE2 does not compile (d->msg gives PCRE2's message and
 * offset). Patterns are compiled once per call. A pattern that passes
 * PCRE2's match limit on a name fails with -ERR_CONFIG too. A run that
 * does not exist gives -ERR_NOT_FOUND; SQLite errors -ERR_SQL.
 */
int drift_eval(sqlite3 *db, sqlite3_int64 run_id, const char *desired_json,
	       size_t len, drift_row_fn cb, void *ctx, struct err_detail *d);

/*
 * Check a desired state without judging anything: 0, or what drift_eval
 * would fail with for it (-ERR_CONFIG and d).
 */
int drift_validate(const char *desired_json, size_t len,
		   struct err_detail *d);
