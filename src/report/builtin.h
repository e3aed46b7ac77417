#pragma once
#include <sqlite3.h>

#include <jansson.h>

#include "report/report.h"
#include "store/db.h"
#include "util/err.h"

/*
 * What the report engine provides besides the queries' SQL (report.h,
 * "Derived datasets"): the ini_entries() SQL function, the built-in
 * datasets and pivots.
 */

/* Register ini_entries(text) on db. 0, or -ERR_SQL (d says why). */
int report_register_sql(sqlite3 *db, struct err_detail *d);

/* Whether name is a built-in dataset ("verify" or "chain"). */
int report_builtin_known(const char *name);

/*
 * Start built-in dataset name (report_builtin_known()) on s's history, on
 * a thread and a connection of its own, so it runs while the report's
 * queries do. Returns a new job; report_builtin_finish() ends it.
 */
struct report_builtin_job;
struct report_builtin_job *report_builtin_start(struct store *s,
						const char *name);

/*
 * Wait for job and free it: *ret_rows a new array of row objects,
 * *ret_cols a new array of its column names (ret_rows NULL: the result is
 * dropped). -ERR_SQL and the like when it could not run (d says why).
 */
int report_builtin_finish(struct report_builtin_job *job, json_t **ret_rows,
			  json_t **ret_cols, struct err_detail *d);

/*
 * Pivot ds (a REPORT_DS_PIVOT) over rows (borrowed; objects): *ret_rows
 * the new wide rows, *ret_cols their column names, *ret_grid the
 * template's {"columns", "rows": [{..., "cells"}]}. All new. Row fields
 * are compared typed (NULL, '' and 1 vs '1' make distinct rows); a NULL
 * (or missing) column value has no name: -ERR_CONFIG, d naming the row.
 */
int report_pivot(const struct report_dataset *ds, json_t *rows,
		 json_t **ret_rows, json_t **ret_cols, json_t **ret_grid,
		 struct err_detail *d);
