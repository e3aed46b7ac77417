#include "collect/projector.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/*
 * One metric of one resource: the sum over its series (one per OST or
 * MDT) of each hourly average. Capacity metrics are per target; their
 * file-system total is the sum, not the unsplit series (a mean).
 */
struct point {
	const char *ts;
	double sum;
	int series;
};

/*
 * The points of one metric, in the order first seen, with an index by
 * timestamp (open addressing, at most half full): series share their
 * timestamps, and a long lookback has thousands of them, so a linear
 * search per point would be quadratic.
 */
struct points {
	struct point *v;
	size_t n, alloc;
	size_t *slot;		/* index + 1 into v; 0: empty */
	size_t slots;		/* a power of two */
};

static size_t ts_hash(const char *ts)
{
	unsigned long long h = 14695981039346656037ULL;	/* FNV-1a */

	while (*ts)
		h = (h ^ (unsigned char)*ts++) * 1099511628211ULL;
	return (size_t)h;
}

static void points_index(struct points *p, size_t i)
{
	size_t k = ts_hash(p->v[i].ts) & (p->slots - 1);

	while (p->slot[k])
		k = (k + 1) & (p->slots - 1);
	p->slot[k] = i + 1;
}

static void points_reset(struct points *p)
{
	p->n = 0;
	if (p->slot)
		memset(p->slot, 0, p->slots * sizeof(*p->slot));
}

static void points_release(struct points *p)
{
	free(p->v);
	free(p->slot);
}

/* Add v to the point at ts; returns the point's sum. */
static double add_point(struct points *p, const char *ts, double v)
{
	size_t i, k;

	if (p->slots) {
		for (k = ts_hash(ts) & (p->slots - 1); p->slot[k];
		     k = (k + 1) & (p->slots - 1)) {
			i = p->slot[k] - 1;
			if (!strcmp(p->v[i].ts, ts)) {
				p->v[i].sum += v;
				p->v[i].series++;
				return p->v[i].sum;
			}
		}
	}
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 32;
		p->v = xrealloc(p->v, p->alloc * sizeof(*p->v));
	}
	p->v[p->n].ts = ts;
	p->v[p->n].sum = v;
	p->v[p->n].series = 1;
	p->n++;
	if (2 * p->n > p->slots) {
		free(p->slot);
		p->slots = p->slots ? 2 * p->slots : 64;
		p->slot = xcalloc(p->slots, sizeof(*p->slot));
		for (i = 0; i < p->n; i++)
			points_index(p, i);
	} else {
		points_index(p, p->n - 1);
	}
	return v;
}

static int prepare(struct projector *p, struct err_detail *d)
{
	static const char up[] =
		/* A point already held changes only when its value does:
		 * run_id then says which run changed it. */
		"INSERT INTO metric_points (resource, metric, ts, value, series, "
		"run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		"ON CONFLICT (resource, metric, ts) DO UPDATE SET "
		"value = excluded.value, series = excluded.series, "
		"run_id = excluded.run_id WHERE value <> excluded.value OR "
		"series <> excluded.series";

	if (p->metric_up)
		return 0;
	if (sqlite3_prepare_v2(p->db, up, -1, &p->metric_up, NULL) ||
	    sqlite3_prepare_v2(p->db, "INSERT OR IGNORE INTO metric_names "
			       "(name) VALUES (?1)", -1, &p->metric_add, NULL) ||
	    sqlite3_prepare_v2(p->db, "SELECT id FROM metric_names WHERE "
			       "name = ?1", -1, &p->metric_find, NULL)) {
		err_set(d, "cannot prepare metric statements: %s",
			sqlite3_errmsg(p->db));
		return -ERR_SQL;
	}
	return 0;
}

static int metric_id(struct projector *p, const char *name,
		     sqlite3_int64 *ret, struct err_detail *d)
{
	int rc;

	sqlite3_bind_text(p->metric_add, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(p->metric_add);
	sqlite3_reset(p->metric_add);
	sqlite3_bind_text(p->metric_find, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_DONE && sqlite3_step(p->metric_find) == SQLITE_ROW) {
		*ret = sqlite3_column_int64(p->metric_find, 0);
		sqlite3_reset(p->metric_find);
		return 0;
	}
	sqlite3_reset(p->metric_find);
	err_set(d, "cannot store metric name '%s': %s", name,
		sqlite3_errmsg(p->db));
	return -ERR_SQL;
}

static int store_points(struct projector *p, sqlite3_int64 run_id,
			sqlite3_int64 res, const char *name,
			const struct point *pts, size_t n, struct err_detail *d)
{
	sqlite3_stmt *up = p->metric_up;
	sqlite3_int64 metric;
	size_t i;
	int r;

	if (!n)
		return 0;
	r = metric_id(p, name, &metric, d);
	for (i = 0; i < n && r == 0; i++) {
		sqlite3_bind_int64(up, 1, res);
		sqlite3_bind_int64(up, 2, metric);
		sqlite3_bind_text(up, 3, pts[i].ts, -1, SQLITE_STATIC);
		sqlite3_bind_double(up, 4, pts[i].sum);
		sqlite3_bind_int(up, 5, pts[i].series);
		sqlite3_bind_int64(up, 6, run_id);
		if (sqlite3_step(up) != SQLITE_DONE) {
			err_set(d, "cannot store metric %s: %s", name,
				sqlite3_errmsg(p->db));
			r = -ERR_SQL;
		}
		sqlite3_reset(up);
	}
	return r;
}

/* Is metric m (at `at`.value[i], named name) refused by its errorCode? */
static int metric_failed(json_t *m, const char *name, const char *at,
			 size_t i, struct err_detail *d)
{
	const char *code = json_string_value(json_object_get(m, "errorCode"));
	const char *msg = json_string_value(json_object_get(m, "errorMessage"));

	if (!code || !strcmp(code, "Success"))
		return 0;
	err_set(d, "metric '%s' at %s.value[%zu] has errorCode '%s': %s", name,
		at, i, code, msg && *msg ? msg : "no errorMessage");
	return 1;
}

/*
 * The points of metric m, at `at`.value[i], into pts. strict: refuse
 * what a collecting projector refuses (projector_collecting(): versions
 * before these checks left out a metric Azure did not answer, or stored
 * inf, and kept the page; a page refused now is kept unprojected, which
 * verify does not project); else such a metric adds what it did before.
 */
static int metric_points(json_t *m, const char *name, const char *at,
			 size_t i, int strict, struct points *pts,
			 struct err_detail *d)
{
	json_t *series, *point, *ts_all = json_object_get(m, "timeseries");
	size_t j, k;

	if (strict && !json_is_array(ts_all)) {
		err_set(d, "expected an array at %s.value[%zu].timeseries",
			at, i);
		return -ERR_JSON;
	}
	json_array_foreach(ts_all, j, series) {
		json_t *data = json_object_get(series, "data");

		if (strict && !json_is_array(data)) {
			err_set(d, "expected an array at %s.value[%zu]."
				"timeseries[%zu].data", at, i, j);
			return -ERR_JSON;
		}
		json_array_foreach(data, k, point) {
			const char *ts = json_string_value(
				json_object_get(point, "timeStamp"));
			json_t *v = json_object_get(point, "average");

			if (!ts) {
				err_set(d, "expected a string at %s.value[%zu]."
					"timeseries[%zu].data[%zu].timeStamp",
					at, i, j, k);
				return -ERR_JSON;
			}
			/* A missing aggregation means "no data". */
			if (!json_is_number(v) ||
			    isfinite(add_point(pts, ts, json_number_value(v))) ||
			    !strict)
				continue;
			err_set(d, "metric '%s' summed over its series is out "
				"of range at %s (%s.value[%zu].timeseries[%zu]."
				"data[%zu].average)", name, ts, at, i, j, k);
			return -ERR_JSON;
		}
	}
	return 0;
}

/* One resource's {"value": [metric, ...]}, at path `at`. */
static int project_resource(struct projector *p, sqlite3_int64 run_id,
			    sqlite3_int64 res, json_t *metrics, const char *at,
			    int strict, struct err_detail *d)
{
	struct points pts = { 0 };
	json_t *m;
	size_t i;
	int r = 0;

	if (!json_is_array(metrics)) {
		err_set(d, "expected an array at %s.value", at);
		return -ERR_JSON;
	}
	json_array_foreach(metrics, i, m) {
		const char *name = json_string_value(
			json_object_get(json_object_get(m, "name"), "value"));

		if (!name) {
			err_set(d, "expected a string at %s.value[%zu].name.value",
				at, i);
			r = -ERR_JSON;
			break;
		}
		if (metric_failed(m, name, at, i, d)) {
			if (!strict)
				continue;	/* no data: unknown, not 0 */
			r = -ERR_JSON;
			break;
		}
		points_reset(&pts);
		r = metric_points(m, name, at, i, strict, &pts, d);
		if (r == 0)
			r = store_points(p, run_id, res, name, pts.v, pts.n, d);
		if (r < 0)
			break;
	}
	points_release(&pts);
	return r;
}

int project_metrics(struct projector *p, sqlite3_int64 run_id,
		    const char *subject, json_t *body, struct err_detail *d)
{
	json_t *values = json_object_get(body, "values"), *v;
	sqlite3_int64 res;
	char at[48];
	size_t i;
	int r, strict;

	r = prepare(p, d);
	if (r < 0)
		return r;
	strict = p->collecting;
	if (!values) {		/* one resource: the subject */
		r = project_intern(p, subject, &res, d);
		if (r == 0)
			r = project_resource(p, run_id, res,
					     json_object_get(body, "value"), "$",
					     strict, d);
		return r;
	}
	if (!json_is_array(values)) {
		err_set(d, "expected an array at $.values");
		return -ERR_JSON;
	}
	json_array_foreach(values, i, v) {
		const char *id = json_string_value(json_object_get(v, "resourceid"));

		snprintf(at, sizeof(at), "$.values[%zu]", i);
		if (!id) {
			err_set(d, "expected a string at %s.resourceid", at);
			return -ERR_JSON;
		}
		r = project_intern(p, id, &res, d);
		if (r == 0)
			r = project_resource(p, run_id, res,
					     json_object_get(v, "value"), at,
					     strict, d);
		if (r < 0)
			return r;
	}
	return 0;
}
