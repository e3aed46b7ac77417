#pragma once
#include <jansson.h>

#include "azure/transport.h"

/*
 * Azure Resource Manager helpers: URLs, nextLink paging with a page cap
 * and loop detection, and ARM error bodies.
 */
struct arm_client;

/* base: e.g. https://management.azure.com; version: the default api-version. */
struct arm_client *arm_client_new(const char *base, const char *api_version);
void arm_client_free(struct arm_client *c);

/* base + path + "?api-version=" + version (the client's when NULL). */
char *arm_url(struct arm_client *c, const char *path, const char *version);

/* Walks nextLink; owns copies of every URL it has seen. */
struct arm_pager {
	char *url;		/* the page to fetch now */
	char **seen;
	long pages;
	long max_pages;
};

void arm_pager_init(struct arm_pager *p, const char *first, long max_pages);
void arm_pager_release(struct arm_pager *p);
/*
 * After a page: read its nextLink (top-level or properties.nextLink).
 * Returns 1 with p->url set to the next page, 0 at the end, or -ERR_PAGING
 * when a link repeats or the page cap is reached.
 */
int arm_pager_advance(struct arm_pager *p, json_t *page, struct err_detail *d);

/*
 * The ARM error of a failed response ({"error":{"code","message"}}), as
 * new strings; either may be NULL when the body is not that shape.
 */
void arm_error_parse(const struct sbuf *body, char **ret_code, char **ret_msg);

/*
 * Split an ARM resource id into subscription and resource group (new
 * strings the caller frees). -ERR_JSON when id is not of the form
 * /subscriptions/{sub}/resourceGroups/{rg}/...
 */
int arm_id_parse(const char *id, char **ret_sub, char **ret_rg);

/* ASCII lower-case copy (ARM ids and tag names compare this way). */
char *lower_dup(const char *s);
