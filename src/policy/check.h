#pragma once
#include <sqlite3.h>
#include <stddef.h>

#include "policy/rules.h"
#include "store/db.h"

/*
 * A check: every rule the policy turns on, judged over one collection run,
 * the policy's severities, parameters and exemptions applied, and the
 * findings stored in the history as a link of the evidence chain (a run of
 * source "check" whose evidence is the policy, the desired state and each
 * rule's SQL, and whose hash covers the findings).
 *
 * Besides the rules' own rows, a check reports the exemptions of the
 * policy that expired ("exemption-expired") and those that matched
 * nothing ("exemption-unused"), and, with a desired state, each file
 * system's drift from it ("drift").
 */

/* A finding: one rule on one resource. */
struct finding {
	char *rule;
	char *resource_id;
	char *reason;
	char *evidence;		/* JSON array text, or NULL */
	char *detail;		/* JSON text, or NULL */
	char *exemption;	/* name of the exemption applied, or NULL */
	const char *status;	/* ok, alarm, exempt, skip, error (static) */
	enum rule_severity severity;
	char first_seen[21];	/* ISO; open (alarm or exempt) since */
	int is_new;		/* open now, not open at the previous check */
};

struct check_options {
	const char *rules_dir;		/* queries/rules */
	const char *policy_path;	/* or NULL: the default policy */
	const char *desired_path;	/* or NULL: no drift rule */
	sqlite3_int64 run;		/* the run to judge; 0: the newest */
};

struct check_result {
	sqlite3_int64 check_run;	/* the check's own run */
	sqlite3_int64 judged_run;
	char checked_at[21];
	enum rule_severity fail_on;	/* the policy's [defaults] fail_on */
	size_t rules;			/* rules evaluated */
	struct finding *v;		/* in rule, then resource order */
	size_t n;
	long by_status[5];		/* ok, alarm, exempt, skip, error */
};

/* Index of a status in by_status (-1 for an unknown one), and back. */
int check_status_index(const char *status);
const char *check_status_name(int i);

/*
 * Run a check on s (opened for writing; the rules run on a second,
 * read-only connection to the same file) and store it. res is filled
 * (release it with check_result_release()). Errors: -ERR_CONFIG with d at
 * FILE:LINE for a bad rule, policy or desired state, and at FILE for a
 * policy or desired state that is missing or not readable by permission
 * (fs_path_refused()); -ERR_NOT_FOUND when
 * there is no such collection run; -ERR_SQL and others for the database.
 * A rule that fails while it runs does not stop the check: it becomes an
 * "error" finding naming the rule and SQLite's message.
 */
int check_run(struct store *s, const struct check_options *o,
	      struct check_result *res, struct err_detail *d);

void check_result_release(struct check_result *res);

/* A stored check evaluated again (check_recheck()). */
struct check_recheck {
	sqlite3_int64 judged_run;
	size_t stored;		/* findings the check stored */
	size_t found;		/* findings evaluating it again gave */
	size_t differ;		/* in one and not the other, or changed */
	char first[600];	/* the first difference, for a person */
};

/*
 * Evaluate check run check_run again from what it stored: its rules' SQL,
 * its policy and desired state (its evidence), at the time it ran, over
 * the run it judged, with the cost rows and retail prices as they stood
 * then; and compare with its stored findings (rule, resource, status,
 * severity, reason, evidence, detail, exemption). out->differ is 0 when
 * they agree. Errors: -ERR_NOT_FOUND for no such finished check; others
 * from the database or a stored input that no longer parses.
 */
int check_recheck(struct store *s, sqlite3_int64 check_run,
		  struct check_recheck *out, struct err_detail *d);
