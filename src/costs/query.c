#include "costs/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/arm.h"
#include "costs/costs.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

char *cost_query_body(const char *type, const char *from, const char *to,
		      const struct strlist *related)
{
	char f[32], t[32], *s;
	json_t *q, *types, *filter, *ids;
	size_t i;

	snprintf(f, sizeof(f), "%sT00:00:00Z", from);
	snprintf(t, sizeof(t), "%sT23:59:59Z", to);
	types = json_pack("{s:{s:s,s:s,s:[s]}}", "dimensions", "name",
			  "ResourceType", "operator", "In", "values",
			  "microsoft.storagecache/amlfilesystems");
	if (related && related->n) {
		ids = json_array();
		for (i = 0; i < related->n; i++)
			json_array_append_new(ids, json_string(related->v[i]));
		/* E.2: "or" of two conditions; one alone is not wrapped. */
		filter = json_pack("{s:[o,{s:{s:s,s:s,s:o}}]}", "or", types,
				   "dimensions", "name", "ResourceId", "operator",
				   "In", "values", ids);
	} else {
		filter = types;
	}
	q = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:{s:{s:s,s:s}},"
		      "s:[{s:s,s:s},{s:s,s:s}],s:o}}",
		      "type", type, "timeframe", "Custom",
		      "timePeriod", "from", f, "to", t,
		      "dataset", "granularity", "Daily",
		      "aggregation", "totalCost", "name", "Cost", "function", "Sum",
		      "grouping", "type", "Dimension", "name", "ResourceId",
		      "type", "Dimension", "name", "Meter",
		      "filter", filter);
	s = json_dumps(q, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(q);
	return s;
}

char *cost_query_name(const char *scope, const char *type, const char *from,
		      const char *to)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "query %s %s %s..%s", scope, type, from, to);
	return sbuf_detach(&sb, NULL);
}

char *cost_query_name_of(const char *url, const char *body)
{
	static const char tail[] = "/providers/Microsoft.CostManagement/query";
	const char *p = strstr(url, "://"), *end;
	const char *type, *from, *to;
	char *name = NULL, *scope;
	json_t *j;

	if (!p || !body)
		return NULL;
	p = strchr(p + 3, '/');
	end = p ? strstr(p, tail) : NULL;
	if (!end || end == p)
		return NULL;
	j = json_loads(body, 0, NULL);
	type = json_string_value(json_object_get(j, "type"));
	from = json_string_value(json_object_get(json_object_get(j,
		"timePeriod"), "from"));
	to = json_string_value(json_object_get(json_object_get(j,
		"timePeriod"), "to"));
	if (type && from && to && strlen(from) >= 10 && strlen(to) >= 10) {
		char f[11], t[11];

		memcpy(f, from, 10);
		f[10] = '\0';
		memcpy(t, to, 10);
		t[10] = '\0';
		scope = xstrndup(p + 1, (size_t)(end - p - 1));
		name = cost_query_name(scope, type, f, t);
		free(scope);
	}
	json_decref(j);
	return name;
}

int cost_query_held(struct store *s, const char *name, const char *settled)
{
	sqlite3_stmt *st = NULL;
	int held = 0;

	if (store_prepare(s, "SELECT 1 FROM cost_sources WHERE kind = 'api' AND "
			  "name = ?1 AND ingested_at > ?2 LIMIT 1", &st, NULL) < 0)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, settled, -1, SQLITE_STATIC);
	held = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return held;
}

int cost_query_begin(struct store *s, const char *name, const char *type,
		     sqlite3_int64 run_id, sqlite3_int64 *ret,
		     struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	char now[21];
	int r;

	time_now_iso(now);
	r = store_prepare(s, "INSERT INTO cost_sources (kind, name, format, "
			  "cost_type, run_id, ingested_at) VALUES ('api', ?1, "
			  "'query', ?2, ?3, ?4)", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, run_id);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(s, "cannot record cost source", d);
	else
		*ret = sqlite3_last_insert_rowid(store_db(s));
	sqlite3_finalize(st);
	return r;
}

/* The index of the first of names among the columns, case-blind. */
static int column(json_t *cols, const char *const *names)
{
	json_t *c;
	size_t i;

	for (; *names; names++) {
		json_array_foreach(cols, i, c) {
			const char *n = json_string_value(json_object_get(c, "name"));

			if (n && !strcasecmp(n, *names))
				return (int)i;
		}
	}
	return -1;
}

/*
 * UsageDate: a whole number yyyymmdd of a real day (or, defensively, a
 * date string); 20261399 or 20261001.5 is no day.
 */
static int usage_day(json_t *v, char out[11])
{
	char text[24];
	json_int_t n;

	if (json_is_string(v))
		return time_parse_day(json_string_value(v), out);
	if (json_is_real(v)) {
		double x = json_real_value(v);

		/* Compared as a double first: a cast out of range is undefined. */
		if (!(x >= 19700101 && x <= 99991231) || x != (double)(json_int_t)x)
			return -1;
		n = (json_int_t)x;
	} else if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else {
		return -1;
	}
	if (n < 19700101 || n > 99991231)
		return -1;
	snprintf(text, sizeof(text), "%04d-%02d-%02d", (int)(n / 10000),
		 (int)(n / 100 % 100), (int)(n % 100));
	return time_parse_day(text, out) < 0 ? -1 : 0;
}

/* Why row i of a page cannot be stored (into d), or 0 when it can:
 * micros gets its cost in exact micro-units. */
static int check_row(size_t i, json_t *cost, const char *cur, json_t *day_v,
		     char day[11], long long *micros, struct err_detail *d)
{
	if (!json_is_number(cost) ||
	    num_micros_of_double(json_number_value(cost), micros) < 0)
		err_set(d, "expected a finite cost under 9.2e12 at "
			"$.properties.rows[%zu]", i);
	else if (usage_day(day_v, day) < 0)
		err_set(d, "expected a UsageDate yyyymmdd of a real day at "
			"$.properties.rows[%zu]", i);
	else if (!currency_code_ok(cur))
		err_set(d, "expected a currency code of three capital letters "
			"at $.properties.rows[%zu]", i);
	else
		return 0;
	return -ERR_JSON;
}

int cost_query_page(struct store *s, sqlite3_int64 source, const char *type,
		    json_t *page, const struct strlist *related,
		    long *ret_rows, struct err_detail *d)
{
	static const char *const cost_names[] = { "totalCost", "Cost", "CostUSD",
		"PreTaxCost", "PreTaxCostUSD", NULL };
	static const char *const day_names[] = { "UsageDate", NULL };
	static const char *const id_names[] = { "ResourceId", NULL };
	static const char *const meter_names[] = { "Meter", "MeterName", NULL };
	static const char *const cur_names[] = { "Currency", "BillingCurrency",
		NULL };
	json_t *props, *cols, *rows, *row;
	sqlite3_stmt *st = NULL;
	int ci, di, ii, mi, ki, r;
	size_t i;

	*ret_rows = 0;
	if (!page)
		return 0;
	props = json_object_get(page, "properties");
	cols = json_object_get(props, "columns");
	rows = json_object_get(props, "rows");
	if (!json_is_array(cols) || !json_is_array(rows)) {
		err_set(d, "expected arrays at $.properties.columns and "
			"$.properties.rows");
		return -ERR_JSON;
	}
	ci = column(cols, cost_names);
	di = column(cols, day_names);
	ii = column(cols, id_names);
	mi = column(cols, meter_names);
	ki = column(cols, cur_names);
	if (ci < 0 || di < 0 || ii < 0 || ki < 0) {
		err_set(d, "$.properties.columns lacks a cost, UsageDate, "
			"ResourceId or Currency column");
		return -ERR_JSON;
	}
	r = store_prepare(s, "INSERT INTO cost_rows (source, resource_key, "
			  "resource_id, day, cost_type, meter, currency, cost, "
			  "cost_micros) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
			  "?9)", &st, d);
	json_array_foreach(rows, i, row) {
		const char *id = json_string_value(json_array_get(row, (size_t)ii));
		json_t *cost = json_array_get(row, (size_t)ci);
		const char *cur = json_string_value(json_array_get(row, (size_t)ki));
		char day[11], *key;
		long long micros = 0;

		if (r < 0)
			break;
		if (!id || !cost_resource_wanted(id, related))
			continue;
		r = check_row(i, cost, cur, json_array_get(row, (size_t)di),
			      day, &micros, d);
		if (r < 0)
			break;
		key = lower_dup(id);
		sqlite3_bind_int64(st, 1, source);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, day, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, mi < 0 ? NULL : json_string_value(
			json_array_get(row, (size_t)mi)), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, cur, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 8, json_number_value(cost));
		sqlite3_bind_int64(st, 9, micros);
		free(key);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = store_sql_error(s, "cannot store cost row", d);
		sqlite3_reset(st);
		(*ret_rows)++;
	}
	sqlite3_finalize(st);
	return r;
}

int cost_query_end(struct store *s, sqlite3_int64 source, int exact,
		   struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	long n;
	int r;

	r = store_prepare(s, "UPDATE cost_sources SET rows_kept = (SELECT "
			  "count(*) FROM cost_rows WHERE source = ?1), "
			  "rows_read = (SELECT count(*) FROM cost_rows WHERE "
			  "source = ?1), first_day = (SELECT min(day) FROM "
			  "cost_rows WHERE source = ?1), last_day = (SELECT "
			  "max(day) FROM cost_rows WHERE source = ?1) "
			  "WHERE id = ?1", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, source);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(s, "cannot finish cost source", d);
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	n = cost_supersede(s, source, exact, d);
	return n < 0 ? (int)n : 0;
}
