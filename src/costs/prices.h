#pragma once
#include <jansson.h>
#include <sqlite3.h>

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
 * file name), read by run run_id at ingested_at. *ret_next is its
 * NextPageLink (borrowed from page), or NULL.
 */
int prices_take_page(struct store *s, json_t *page, const char *source,
		     sqlite3_int64 run_id, const char *ingested_at,
		     struct price_result *res, const char **ret_next,
		     struct err_detail *d);

/*
 * An import of prices is a link of the evidence chain: a run (source
 * "import") whose evidence is every answer read, kind "retail_prices",
 * and whose rows verify derives again with prices_replay(). Inside the
 * caller's transaction: begin, one page per answer, then seal.
 */
#define KIND_RETAIL_PRICES "retail_prices"

struct prices_run {
	sqlite3_int64 run;
	char started[21];	/* the run's start: the rows' ingested_at */
	int seq;
};

int prices_run_begin(struct store *s, struct prices_run *pr,
		     struct err_detail *d);
/*
 * One answer (body as read) from source: stored as evidence, then its
 * prices. *ret_next is a new string (NextPageLink) or NULL. -ERR_JSON
 * with d saying why when the body is not an answer.
 */
int prices_run_page(struct store *s, struct prices_run *pr, const char *source,
		    const char *body, size_t len, struct price_result *res,
		    char **ret_next, struct err_detail *d);
/* Seal the run: partial when items had a unit this tool does not know. */
int prices_run_end(struct store *s, struct prices_run *pr,
		   const struct price_result *res, struct err_detail *d);

/* Verify's side: one stored answer of run into s (a scratch copy). */
int prices_replay(struct store *s, sqlite3_int64 run, const char *started,
		  const char *source, const char *body, size_t len,
		  struct err_detail *d);
