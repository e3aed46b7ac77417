#pragma once
/*
 * Inside the projector: shared by project.c and metrics.c only. Everyone
 * else uses collect/project.h.
 */
#include <sqlite3.h>

#include "collect/project.h"

#define NSPECS 11

/* Prepared once per projector, reused for every page. */
struct page_stmts {
	sqlite3_stmt *state_find, *state_add, *res_add, *res_find, *item, *tag;
};

/* A page: the request and body of an evidence row (`sightings` key). */
struct page {
	sqlite3_int64 request, body;
};

struct projector {
	sqlite3 *db;
	struct page_stmts ps[NSPECS];
	int ready[NSPECS];
	sqlite3_stmt *page_find, *shadow_add;
	sqlite3_stmt *metric_up, *metric_add, *metric_find;	/* metrics.c */
	int collecting;		/* projector_collecting(): a run read now */
};

/* The id of a lower-cased ARM id in resources, adding it when new. */
int project_intern(struct projector *p, const char *id, sqlite3_int64 *ret,
		   struct err_detail *d);

/*
 * An Azure Monitor answer (one resource's, or a batch's "values"): each
 * metric's points summed over its series, into metric_points. For a
 * collecting projector (projector_collecting()), a metric whose errorCode is not
 * "Success" fails the page (-ERR_JSON, d naming the metric, its path, code
 * and errorMessage), as do a timeseries or data that is not an array and
 * a sum that is not finite; evidence of a finished run (verify) projects
 * as before these checks: such a metric is left out, the sum kept.
 */
int project_metrics(struct projector *p, sqlite3_int64 run_id,
		    const char *subject, json_t *body, struct err_detail *d);
