#pragma once
#include <sqlite3.h>

#include "util/err.h"

/*
 * The SQL a rule may call besides SQLite's own: functions registered on a
 * connection, and TEMP views over the history. Rules (SQL files in
 * queries/rules) run on a read-only connection; both calls below work
 * there. Tag inheritance is a view (effective_tags), not a function, so a
 * rule joins it like any other view.
 *
 * Functions (policy_register_functions):
 *
 *   x REGEXP pat          PCRE2, UTF-8 (an invalid UTF-8 subject is no
 *                         error: PCRE2_MATCH_INVALID_UTF).
 *                         1 or 0; NULL when either side is NULL. A pattern
 *                         that does not compile raises an SQL error naming
 *                         PCRE2's message and offset; a match that passes
 *                         the match, depth or heap limit raises one too, so
 *                         a bad pattern cannot hang a run. Compiled patterns
 *                         are kept per statement (auxdata) and in a small
 *                         per-connection cache.
 *
 *   iso_duration_seconds(d)
 *                         Seconds in an ISO 8601 duration: [-]P[nW][nD]
 *                         [T[nH][nM][nS]], whole numbers ('P30D', 'PT1H',
 *                         'P1DT12H'). Years and months have no fixed
 *                         length and are an error here.
 *   iso_add(t, d)         t plus the duration d, as "YYYY-MM-DDTHH:MM:SSZ"
 *                         (UTC, whole seconds). d may also hold years and
 *                         months ('P1Y2M10D'): they move the calendar date,
 *                         pinning the day to the month's last (2026-01-31
 *                         + P1M = 2026-02-28), and are applied first.
 *   iso_datetime(t)       t normalised to "YYYY-MM-DDTHH:MM:SSZ".
 *   days_between(a, b)    (b - a) in days, a real number.
 *
 *   A time t is "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SS" with
 *   optional fractional seconds and a zone that is required: "Z" or
 *   "+hh:mm"/"-hh:mm". SQLite's own "YYYY-MM-DD HH:MM:SS" (space, no zone)
 *   is read as UTC. The day must exist in the calendar and nothing may
 *   follow. A time that is not such is data, not a bug in the rule: the
 *   functions return NULL for it, so a rule can say "'soon' is not a
 *   date". A duration that does not parse is the rule's (or a
 *   parameter's) mistake and raises an SQL error. NULL in, NULL out.
 *
 *   split_list(s)         'a, b,,c' -> '["a","b","c"]': a comma-separated
 *                         list as a JSON array of trimmed, non-empty items,
 *                         for json_each(split_list(:param)).
 *   key_fold(s)           s lower-cased (ASCII) without spaces, '_' and '-':
 *                         'Cost Center', 'cost_center' and 'CostCenter' all
 *                         fold to 'costcenter' (near-miss tag keys).
 */

/* Register the functions above on db. Returns 0 or -ERR_SQL. */
int policy_register_functions(sqlite3 *db, struct err_detail *d);

/*
 * Create the TEMP views below on db (idempotent; the views live as long
 * as the connection). They read the main schema of a migrated history.
 *
 *   effective_tags(run_id, resource_key, resource_id, key_norm, key, value,
 *                  source, evidence_id)
 *       The tags of each file system in each run with inheritance: its own
 *       tag wins, then its resource group's, then its subscription's.
 *       Keys compare lower-cased (key_norm); key keeps the spelling of the
 *       scope that supplied it. source is 'resource', 'resource_group' or
 *       'subscription'; evidence_id is the response the tag was read from.
 *
 *   list_reads(run_id, kind, subject_key, evidence_id, http_status,
 *              projected)
 *       Each response a run stored, by evidence kind (KIND_* in
 *       collect/project.h: 'locks', 'diagnostic_settings', ...) and the
 *       lower-cased subject (the file system of a child list). A rule uses
 *       it to tell "the list was read and is empty" from "not read".
 *
 *   metric_evidence(run_id, resource_key, evidence_id)
 *       The metrics responses of a run that hold a resource's points: its
 *       own request, or a getBatch whose request body names it. Filter it
 *       by run first (a MATERIALIZED CTE) when joining per resource.
 *
 * Returns 0 or -ERR_SQL.
 */
int policy_create_helpers(sqlite3 *db, struct err_detail *d);

/*
 * Does pattern compile as REGEXP compiles it? 0, or -ERR_CONFIG with d
 * giving PCRE2's message and offset (for patterns in a policy file).
 */
int policy_regex_check(const char *pattern, struct err_detail *d);
