#pragma once
#include <jansson.h>
#include <sqlite3.h>

#include "config/config.h"
#include "store/db.h"

/*
 * The Cost Management Query API (azure-apis.md E): request bodies, and
 * the rows of its answers into cost_rows with their provenance (the query
 * and the run). One query is one source: its rows supersede older ones for
 * the same resource, day and cost type, as an import does.
 */

#define COST_QUERY_API "2025-03-01"

/*
 * The request body (a new compact JSON string): daily cost of type
 * ("ActualCost" or "AmortizedCost") over [from, to] (YYYY-MM-DD), grouped
 * by resource and meter, for AMLFS resources and the related ones.
 */
char *cost_query_body(const char *type, const char *from, const char *to,
		      const struct strlist *related);

/* A source's name: "query SCOPE TYPE FROM..TO" (new string). */
char *cost_query_name(const char *scope, const char *type, const char *from,
		      const char *to);

/*
 * The name of the query a stored request made (its URL and body), as
 * cost_query_name() gave it; NULL when they are not a cost query. Verify
 * finds the pages of a source this way.
 */
char *cost_query_name_of(const char *url, const char *body);

/*
 * Is a query of that name held from after `settled` (ISO time)? For a
 * closed month that need not be asked again.
 */
int cost_query_held(struct store *s, const char *name, const char *settled);

/* Start a source for a query made by run_id. */
int cost_query_begin(struct store *s, const char *name, const char *type,
		     sqlite3_int64 run_id, sqlite3_int64 *ret,
		     struct err_detail *d);

/*
 * Store the rows of one answer page (properties.columns/rows; NULL page:
 * 204, nothing). Columns are found by name: the cost is the alias
 * totalCost, else Cost, CostUSD, PreTaxCost or PreTaxCostUSD; UsageDate is
 * a number yyyymmdd. Rows for other resources are left out. -ERR_JSON with
 * d naming the JSON path when the page is not that shape.
 */
int cost_query_page(struct store *s, sqlite3_int64 source, const char *type,
		    json_t *page, const struct strlist *related,
		    long *ret_rows, struct err_detail *d);

/* Finish a source: its counts and days, and supersede older rows
 * (exact: cost_supersede's rule). */
int cost_query_end(struct store *s, sqlite3_int64 source, int exact,
		   struct err_detail *d);
