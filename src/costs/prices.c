#include "costs/prices.h"

#include <string.h>
#include <strings.h>

#include "util/timeutil.h"

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
		     struct price_result *res, const char **ret_next,
		     struct err_detail *d)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO retail_prices (sku, region, currency, "
		"price_tib_hour, unit_price, unit, meter_id, effective_from, "
		"source, ingested_at) VALUES (?1, lower(?2), ?3, ?4, ?5, ?6, ?7, "
		"?8, ?9, ?10)";
	json_t *items = json_object_get(page, "Items"), *it;
	sqlite3_stmt *st = NULL;
	char now[21];
	size_t i;
	int r;

	*ret_next = json_string_value(json_object_get(page, "NextPageLink"));
	if (!json_is_array(items)) {
		err_set(d, "expected an array at $.Items");
		return -ERR_JSON;
	}
	time_now_iso(now);
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
		sqlite3_bind_text(st, 10, now, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = store_sql_error(s, "cannot store a retail price", d);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		res->kept++;
	}
	sqlite3_finalize(st);
	return r;
}
