#pragma once
#include <sqlite3.h>
#include <stddef.h>

#include "store/query.h"
#include "util/err.h"

/*
 * Rules are SQL files in queries/rules, one rule and one statement a
 * file. The file opens with a header of `--` lines:
 *
 *   -- id: required-tags
 *   -- title: Required tags are present and not empty
 *   -- severity: high
 *   -- rationale: Chargeback needs a cost center and an owner on every
 *   --   file system.
 *   -- remediation: Add the tags on the file system.
 *   -- param: required = CostCenter,Owner  Comma-separated tag keys
 *   -- reads: filesystems, effective_tags
 *   -- scope: filesystem
 *
 * Keys: id (lower-case letters, digits and '-'), title and severity (one
 * of info, low, medium, high, critical) are required and appear once;
 * rationale, remediation, reads and scope at most once; param once per
 * parameter. scope is `estate` (the default) or `filesystem`: each row
 * depends only on its own file system's data (its properties, tags,
 * jobs, metrics, costs), never on other file systems', so a parameter
 * set that an override gives is evaluated over the file systems of the
 * override's scope alone (`filesystems` then shows only those). A line of `--` and two or more spaces continues the field
 * above it. Any other line is an error, as is an unknown key, until the
 * header ends: at a bare `--` line or the first line not starting with
 * `--`. Comments after that are free.
 *
 * A param line is `NAME = VALUE  DESCRIPTION`: the value runs to the
 * first tab or run of two spaces, or is quoted SQL-style ('a  b', '' for
 * empty, '' inside for a quote). NAME is an identifier other than "run".
 *
 * The statement is a SELECT over the history's views for the run bound
 * to :run, with each declared parameter bound to :NAME. It returns, by
 * name, resource_id, status (ok, alarm, skip or error), reason (a sentence
 * a person reads), evidence (a JSON array of evidence ids, or NULL) and
 * optionally detail (JSON); other columns are ignored. Resources that
 * pass come back as ok rows so pass rates can be computed.
 */

enum rule_severity {
	SEVERITY_INFO,
	SEVERITY_LOW,
	SEVERITY_MEDIUM,
	SEVERITY_HIGH,
	SEVERITY_CRITICAL,
};

enum rule_status {
	RULE_OK,
	RULE_ALARM,
	RULE_SKIP,
	RULE_ERROR,
};

/* A declared parameter and its default. */
struct rule_param_decl {
	char *name;
	char *value;
	char *description;	/* "" when none */
	int line;		/* in the rule file */
};

struct rule {
	char *id;
	char *title;
	enum rule_severity severity;
	char *rationale;	/* NULL when not given */
	char *remediation;	/* NULL when not given */
	struct rule_param_decl *params;
	size_t n_params;
	char **reads;		/* the views it says it reads */
	size_t n_reads;
	int per_filesystem;	/* scope: filesystem */
	char *path;		/* the file (or name) it was read from */
	char *sql;		/* the whole text, header included, its
				 * includes expanded (see origin) */
	int body_line;		/* the first line after the header */
	struct query_origin origin;	/* sql's lines from includes */
};

struct rule_set {
	struct rule *v;
	size_t n;
};

/* A parameter value for rule_eval (borrowed strings). */
struct rule_param {
	const char *name;
	const char *value;
};

/* One result row, borrowed for the duration of the callback. */
struct rule_row {
	const char *resource_id;
	enum rule_status status;
	const char *reason;
	const char *evidence;	/* JSON array text, or NULL */
	const char *detail;	/* JSON text, or NULL */
};

/* Called for each row; a negative return stops rule_eval, which returns it. */
typedef int (*rule_row_fn)(void *ctx, const struct rule *r,
			   const struct rule_row *row);

/* "info" ... "critical"; "ok" ... "error". */
const char *rule_severity_name(enum rule_severity s);
const char *rule_status_name(enum rule_status s);
/* Parse a severity name; 0, or -ERR_CONFIG. */
int rule_severity_parse(const char *s, enum rule_severity *ret);

/*
 * Parse one rule from text (len bytes; need not be NUL-terminated). name
 * is the file it came from, used in messages and kept as r->path. Fills
 * the caller's *ret (free with rule_release()) only on success; header
 * errors give -ERR_CONFIG with d->where "name:line".
 */
int rule_parse(const char *name, const char *text, size_t len,
	       struct rule *ret, struct err_detail *d);
void rule_release(struct rule *r);

/*
 * Read every *.sql in dir, in name order, into a new set the caller frees
 * with rule_set_free(). A header error or a second rule with an id
 * already seen fails with -ERR_CONFIG and d->where "file:line"; a dir that
 * cannot be read with -errno.
 */
int rules_load_dir(const char *dir, struct rule_set **ret,
		   struct err_detail *d);
void rule_set_free(struct rule_set *set);
const struct rule *rule_set_find(const struct rule_set *set, const char *id);

/*
 * Evaluate r on db for run_id and call cb for each row. db needs
 * policy_register_functions() and policy_create_helpers() (sqlfuncs.h)
 * and should be read-only. Each declared parameter is bound to its
 * default unless overrides (n of them) name it; a value that reads as a
 * decimal number ("7", "-1", "0.5") is bound as a number, anything else
 * as text.
 *
 * Refused with -ERR_CONFIG and d naming the file: a statement that is
 * not read-only (sqlite3_stmt_readonly()), more than one statement, a
 * parameter in the SQL that is neither :run nor declared, an override of
 * an undeclared parameter, a missing result column, and a row with no
 * resource_id or reason, a status outside ok|alarm|skip|error, evidence
 * that is not a JSON array of integers, detail that is not JSON (any
 * JSON value: an object, an array or a scalar), or a text column that is
 * not UTF-8 (or holds a NUL). SQLite
 * errors (preparing or stepping, a REGEXP that does not compile) give
 * -ERR_SQL with SQLite's message and the file (and line, when SQLite
 * says where).
 */
int rule_eval(sqlite3 *db, const struct rule *r, sqlite3_int64 run_id,
	      const struct rule_param *overrides, size_t n, rule_row_fn cb,
	      void *ctx, struct err_detail *d);
