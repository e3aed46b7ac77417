#pragma once
#include <jansson.h>
#include <sqlite3.h>

#include "store/db.h"
#include "util/sbuf.h"

/*
 * Queries kept as files under DATADIR/queries, one statement each, with
 * named parameters (:run_id). A header comment lists the parameters and
 * the result columns. A column whose name ends in "__json" holds JSON
 * text: query_rows() parses it and drops the suffix.
 */

struct query_param {
	const char *name;	/* with its colon: ":run_id" */
	enum { QP_INT, QP_TEXT, QP_NULL } type;
	sqlite3_int64 i;
	const char *s;
};

/*
 * Read DATADIR/queries/<rel> and prepare it, binding every parameter it
 * names from params (n of them). A parameter the query uses but params
 * lacks, a second statement in the file, or a statement that would write
 * (not sqlite3_stmt_readonly) is an error naming the file.
 */
int query_open(struct store *s, const char *datadir, const char *rel,
	       const struct query_param *params, size_t n, sqlite3_stmt **ret,
	       struct err_detail *d);

/*
 * As query_open(), for a statement that may write (a report's setup,
 * which creates TEMP tables): not checked for sqlite3_stmt_readonly().
 * The caller confines what it may do (an authorizer).
 */
int query_open_writer(struct store *s, const char *datadir, const char *rel,
		      const struct query_param *params, size_t n,
		      sqlite3_stmt **ret, struct err_detail *d);

/*
 * Where the lines of a text with includes came from: each include's
 * file, the lines it took in the expanded text, and its line in the file.
 */
struct query_origin {
	struct query_span {
		int first, n;	/* its lines: first .. first + n - 1 */
		int at;		/* the include's line in the file */
		char *path;	/* the included file */
	} *v;
	size_t n;
};

/*
 * Replace each line of text (read from path) that is exactly
 * "-- include: REL" by the file DIR/REL (REL a plain relative path: no
 * "..", no leading "/"; the included text is not expanded again), and
 * fill *o (always; release it). An error names path's line.
 */
int query_expand_includes(const char *dir, const char *path,
			  struct sbuf *text, struct query_origin *o,
			  struct err_detail *d);

/* d's where: "PATH:LINE" of line `line` of the expanded text, or
 * "INCLUDED:LINE (included at PATH:AT)" within an include. */
void query_origin_where(const struct query_origin *o, const char *path,
			int line, struct err_detail *d);
void query_origin_release(struct query_origin *o);

/*
 * Step st to the end, returning a new JSON array of objects, one per row,
 * keyed by column name (integers, reals, strings, nulls; "__json" columns
 * parsed). st is reset, not finalized.
 */
int query_rows(sqlite3_stmt *st, json_t **ret, struct err_detail *d);

/* Column names of st, as a new JSON array of strings (suffix dropped). */
json_t *query_columns(sqlite3_stmt *st);
