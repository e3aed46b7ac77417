#pragma once
#include <jansson.h>

#include "store/db.h"

/*
 * Retail prices of AMLFS from the Azure Retail Prices API (no sign-in;
 * pages by NextPageLink) or a saved answer. Consumption items whose
 * armSkuName is an AMLFS SKU are kept, their unit converted to a price
 * per TiB-hour. The unit names for AMLFS are unconfirmed: "1 GiB/Hour",
 * "1 GB/Hour", "1 TiB/Hour" and "1 TB/Hour" are understood; an item in
 * another unit is skipped and counted.
 */
#define RETAIL_PRICES_URL "https://prices.azure.com/api/retail/prices"
#define RETAIL_PRICES_FILTER "serviceName eq 'Azure Managed Lustre'"

struct price_result {
	long items;		/* items read */
	long kept;		/* AMLFS prices stored (new or already held) */
	long unknown_unit;	/* skipped for their unit */
};

/*
 * Store the items of one page (a parsed answer) from `source` (a URL or
 * file name). *ret_next is its NextPageLink (borrowed from page), or NULL.
 */
int prices_take_page(struct store *s, json_t *page, const char *source,
		     struct price_result *res, const char **ret_next,
		     struct err_detail *d);
