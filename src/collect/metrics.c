#include "collect/project.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"
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

static int add_point(struct point **pts, size_t *n, const char *ts, double v)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (!strcmp((*pts)[i].ts, ts)) {
			(*pts)[i].sum += v;
			(*pts)[i].series++;
			return 0;
		}
	}
	*pts = xrealloc(*pts, (*n + 1) * sizeof(**pts));
	(*pts)[*n].ts = ts;
	(*pts)[*n].sum = v;
	(*pts)[*n].series = 1;
	(*n)++;
	return 0;
}

static int store_points(sqlite3 *db, sqlite3_stmt *up, sqlite3_int64 run_id,
			sqlite3_int64 res, const char *metric,
			const struct point *pts, size_t n, struct err_detail *d)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(up, 1, res);
		sqlite3_bind_text(up, 2, metric, -1, SQLITE_STATIC);
		sqlite3_bind_text(up, 3, pts[i].ts, -1, SQLITE_STATIC);
		sqlite3_bind_double(up, 4, pts[i].sum);
		sqlite3_bind_int(up, 5, pts[i].series);
		sqlite3_bind_int64(up, 6, run_id);
		if (sqlite3_step(up) != SQLITE_DONE) {
			err_set(d, "cannot store metric %s: %s", metric,
				sqlite3_errmsg(db));
			sqlite3_reset(up);
			return -ERR_SQL;
		}
		sqlite3_reset(up);
	}
	return 0;
}

/* One resource's {"value": [metric, ...]}, at path `at`. */
static int project_resource(sqlite3 *db, sqlite3_stmt *up, sqlite3_int64 run_id,
			    sqlite3_int64 res, json_t *metrics, const char *at,
			    struct err_detail *d)
{
	json_t *m, *series, *point;
	size_t i, j, k;
	int r = 0;

	if (!json_is_array(metrics)) {
		err_set(d, "expected an array at %s.value", at);
		return -ERR_JSON;
	}
	json_array_foreach(metrics, i, m) {
		const char *name = json_string_value(
			json_object_get(json_object_get(m, "name"), "value"));
		const char *code = json_string_value(json_object_get(m, "errorCode"));
		struct point *pts = NULL;
		size_t n = 0;

		if (!name) {
			err_set(d, "expected a string at %s.value[%zu].name.value",
				at, i);
			return -ERR_JSON;
		}
		if (code && strcmp(code, "Success"))
			continue;	/* no data for this metric: unknown, not 0 */
		json_array_foreach(json_object_get(m, "timeseries"), j, series) {
			json_array_foreach(json_object_get(series, "data"), k, point) {
				const char *ts = json_string_value(
					json_object_get(point, "timeStamp"));
				json_t *v = json_object_get(point, "average");

				if (!ts) {
					err_set(d, "expected a string at %s.value[%zu]."
						"timeseries[%zu].data[%zu].timeStamp",
						at, i, j, k);
					free(pts);
					return -ERR_JSON;
				}
				/* A missing aggregation means "no data". */
				if (json_is_number(v))
					add_point(&pts, &n, ts, json_number_value(v));
			}
		}
		r = store_points(db, up, run_id, res, name, pts, n, d);
		free(pts);
		if (r < 0)
			break;
	}
	return r;
}

static int resource_id(sqlite3 *db, const char *schema, const char *id,
		       sqlite3_int64 *ret, struct err_detail *d)
{
	struct sbuf sql = SBUF_INIT;
	sqlite3_stmt *st = NULL;
	char *key = lower_dup(id);
	int r = -ERR_SQL, i;

	for (i = 0; i < 2; i++) {
		sbuf_reset(&sql);
		if (i == 0)
			sbuf_addf(&sql, "INSERT OR IGNORE INTO %s.resources "
				  "(resource_key) VALUES (?1)", schema);
		else
			sbuf_addf(&sql, "SELECT id FROM %s.resources WHERE "
				  "resource_key = ?1", schema);
		if (sqlite3_prepare_v2(db, sql.buf, -1, &st, NULL) != SQLITE_OK)
			break;
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*ret = sqlite3_column_int64(st, 0);
			r = 0;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (r < 0)
		err_set(d, "cannot store resource '%s': %s", id,
			sqlite3_errmsg(db));
	free(key);
	sbuf_release(&sql);
	return r;
}

int project_metrics(sqlite3 *db, const char *schema, sqlite3_int64 run_id,
		    const char *subject, json_t *body, struct err_detail *d)
{
	json_t *values = json_object_get(body, "values"), *v;
	struct sbuf sql = SBUF_INIT;
	sqlite3_stmt *up = NULL;
	sqlite3_int64 res;
	char at[48];
	size_t i;
	int r;

	/* The value changes only when it differs: run_id says who changed it. */
	sbuf_addf(&sql, "INSERT INTO %s.metric_points (resource, metric, ts, "
		  "value, series, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		  "ON CONFLICT (resource, metric, ts) DO UPDATE SET "
		  "value = excluded.value, series = excluded.series, "
		  "run_id = excluded.run_id WHERE value <> excluded.value OR "
		  "series <> excluded.series", schema);
	if (sqlite3_prepare_v2(db, sql.buf, -1, &up, NULL) != SQLITE_OK) {
		err_set(d, "cannot prepare metric insert: %s", sqlite3_errmsg(db));
		r = -ERR_SQL;
		goto out;
	}
	if (!values) {		/* one resource: the subject */
		r = resource_id(db, schema, subject, &res, d);
		if (r == 0)
			r = project_resource(db, up, run_id, res,
					     json_object_get(body, "value"), "$", d);
		goto out;
	}
	if (!json_is_array(values)) {
		err_set(d, "expected an array at $.values");
		r = -ERR_JSON;
		goto out;
	}
	r = 0;
	json_array_foreach(values, i, v) {
		const char *id = json_string_value(json_object_get(v, "resourceid"));

		snprintf(at, sizeof(at), "$.values[%zu]", i);
		if (!id) {
			err_set(d, "expected a string at %s.resourceid", at);
			r = -ERR_JSON;
			break;
		}
		r = resource_id(db, schema, id, &res, d);
		if (r == 0)
			r = project_resource(db, up, run_id, res,
					     json_object_get(v, "value"), at, d);
		if (r < 0)
			break;
	}
out:
	sqlite3_finalize(up);
	sbuf_release(&sql);
	return r;
}
