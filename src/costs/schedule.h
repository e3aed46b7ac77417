#pragma once
#include <jansson.h>
#include <sqlite3.h>

#include "config/config.h"
#include "store/db.h"

/*
 * The Cost Management queries of one scope (a subscription or a billing
 * scope), in the order they are asked: per month of the period and cost
 * type, one at a time, as Cost Management wants. The collector owns the
 * queue and the transport; it asks this module what to send next and
 * hands it each answer. Every query is one cost source: its rows are
 * kept only when the whole query was read.
 */
struct cost_scope;

struct cost_period {
	const char *now;	/* the run's clock (ISO), or NULL: now */
	const char *from;	/* YYYY-MM-DD period, or NULL: the last */
	const char *to;		/* [costs] months months */
	int refresh;		/* ask again for closed months already held */
};

/*
 * Plan scope's queries (scope as in the URL: "subscriptions/GUID" or
 * "providers/Microsoft.Billing/..."), leaving out a closed month already
 * held unless p->refresh. *ret is NULL when there is nothing to ask.
 */
int cost_scope_plan(struct store *s, const struct config *cfg,
		    const char *scope, const struct cost_period *p,
		    struct cost_scope **ret);
void cost_scope_free(struct cost_scope *cs);

/* The path of the query endpoint and the body of the current query. */
char *cost_scope_path(const struct cost_scope *cs);
const char *cost_scope_body(const struct cost_scope *cs);

/*
 * Store one answer page of the current query (NULL page: 204, no rows)
 * into its source, begun on the first page. -ERR_JSON with d naming the
 * JSON path when the page is not a query result.
 */
int cost_scope_take(struct cost_scope *cs, struct store *s,
		    sqlite3_int64 run_id, json_t *page, struct err_detail *d);

/*
 * The current query is done: keep its rows (ok = 1; its source is
 * finished and older rows superseded) or drop them (ok = 0: it failed
 * part-way), and move to the next. Returns 1 when there is a next query
 * to send, 0 when the scope is done, negative on a database error.
 */
int cost_scope_next(struct cost_scope *cs, struct store *s, int ok,
		    struct err_detail *d);
