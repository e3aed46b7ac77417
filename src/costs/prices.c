#include "costs/prices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/evidence.h"
#include "util/timeutil.h"
#include "util/url.h"
#include "util/xalloc.h"

/* The factor from the API's unit to one TiB-hour, or 0 when unknown. */
static double per_tib_hour(const char *unit)
{
	static const struct { const char *unit; double factor; } units[] = {
		{ "1 GiB/Hour", 1024.0 }, { "1 GB/Hour", 1024.0 },
		{ "1 TiB/Hour", 1.0 }, { "1 TB/Hour", 1.0 },
	};
	size_t i;

	for (i = 0; unit && i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(unit, units[i].unit))
			return units[i].factor;
	return 0;
}

int prices_take_page(struct store *s, json_t *page, const char *source,
		     sqlite3_int64 run_id, const char *ingested_at,
		     struct price_result *res, const char **ret_next,
		     struct err_detail *d)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO retail_prices (sku, region, currency, "
		"price_tib_hour, unit_price, unit, meter_id, effective_from, "
		"source, ingested_at, run_id) VALUES (?1, lower(?2), ?3, ?4, "
		"?5, ?6, ?7, ?8, ?9, ?10, ?11)";
	json_t *items = json_object_get(page, "Items"), *it;
	sqlite3_stmt *st = NULL;
	size_t i;
	int r;

	*ret_next = json_string_value(json_object_get(page, "NextPageLink"));
	if (!json_is_array(items)) {
		err_set(d, "expected an array at $.Items");
		return -ERR_JSON;
	}
	r = store_prepare(s, sql, &st, d);
	json_array_foreach(items, i, it) {
		const char *sku = json_string_value(json_object_get(it, "armSkuName"));
		const char *type = json_string_value(json_object_get(it, "type"));
		const char *unit = json_string_value(json_object_get(it, "unitOfMeasure"));
		json_t *price = json_object_get(it, "unitPrice");
		double f = per_tib_hour(unit);

		if (r < 0)
			break;
		res->items++;
		if (!sku || strncmp(sku, "AMLFS-", 6) || !type ||
		    strcmp(type, "Consumption") || !json_is_number(price) ||
		    !json_is_string(json_object_get(it, "armRegionName")) ||
		    !json_is_string(json_object_get(it, "currencyCode")) ||
		    !json_is_string(json_object_get(it, "effectiveStartDate")))
			continue;
		if (!f) {
			res->unknown_unit++;
			continue;
		}
		sqlite3_bind_text(st, 1, sku, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, json_string_value(json_object_get(it,
			"armRegionName")), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, json_string_value(json_object_get(it,
			"currencyCode")), -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, json_number_value(price) * f);
		sqlite3_bind_double(st, 5, json_number_value(price));
		sqlite3_bind_text(st, 6, unit, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, json_string_value(json_object_get(it,
			"meterId")), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, json_string_value(json_object_get(it,
			"effectiveStartDate")), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, ingested_at, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, run_id);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = store_sql_error(s, "cannot store a retail price", d);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		res->kept++;
	}
	sqlite3_finalize(st);
	return r;
}

int prices_run_begin(struct store *s, struct prices_run *pr,
		     struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(pr, 0, sizeof(*pr));
	r = chain_begin_run(s, "import", "{\"prices\":true}", &pr->run, d);
	if (r == 0)
		r = store_prepare(s, "SELECT started_at FROM runs WHERE id = ?1",
				  &st, d);
	if (r == 0) {
		sqlite3_bind_int64(st, 1, pr->run);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(pr->started, sizeof(pr->started), "%s",
				 (const char *)sqlite3_column_text(st, 0));
		else
			r = store_sql_error(s, "cannot read run", d);
	}
	sqlite3_finalize(st);
	return r;
}

/* Parse body and store its prices; *ret_next as prices_run_page(). */
static int take_body(struct store *s, sqlite3_int64 run, const char *started,
		     const char *source, const char *body, size_t len,
		     struct price_result *res, char **ret_next,
		     struct err_detail *d)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, 0, &je);
	const char *next = NULL;
	int r;

	if (!j) {
		err_set(d, "not JSON: %s (line %d, column %d)", je.text,
			je.line, je.column);
		return -ERR_JSON;
	}
	r = prices_take_page(s, j, source, run, started, res, &next, d);
	if (ret_next)
		*ret_next = r == 0 && next && *next ? xstrdup(next) : NULL;
	json_decref(j);
	return r;
}

int prices_run_page(struct store *s, struct prices_run *pr, const char *source,
		    const char *body, size_t len, struct price_result *res,
		    char **ret_next, struct err_detail *d)
{
	struct evidence_writer *w = evidence_writer_new(s);
	char *safe = url_redact(source);
	struct evidence_item e = {
		.run_id = pr->run, .seq = ++pr->seq, .kind = KIND_RETAIL_PRICES,
		.subject = "prices", .method = "GET", .url = safe, .status = 200,
		.projected = 0, .body = body, .body_len = len,
	};
	sqlite3_int64 id;
	time_t t = 0;
	int r;

	*ret_next = NULL;
	time_parse_iso(pr->started, &t);
	e.fetched_at = (long long)t;
	r = evidence_add(w, &e, &id, NULL, d);
	evidence_writer_free(w);
	/* The rows name their source as the evidence does (redacted). */
	if (r == 0)
		r = take_body(s, pr->run, pr->started, safe, body, len, res,
			      ret_next, d);
	free(safe);
	return r;
}

int prices_run_end(struct store *s, struct prices_run *pr,
		   const struct price_result *res, struct err_detail *d)
{
	char why[96];

	snprintf(why, sizeof(why), "%ld price item(s) in a unit this tool "
		 "does not know", res->unknown_unit);
	return chain_seal_run(s, pr->run, res->unknown_unit ? "partial" : "ok",
			      res->unknown_unit ? why : NULL, d);
}

int prices_replay(struct store *s, sqlite3_int64 run, const char *started,
		  const char *source, const char *body, size_t len,
		  struct err_detail *d)
{
	struct price_result res = { 0, 0, 0 };

	return take_body(s, run, started, source, body, len, &res, NULL, d);
}
