#pragma once
#include <jansson.h>

#include "azure/transport.h"

/*
 * Azure Resource Manager reads over a transport: URL building, one GET,
 * and nextLink paging with a page cap and loop detection. The client
 * borrows the transport; it never sends anything but GET and POST.
 */
struct arm_client;

struct arm_options {
	const char *base;		/* e.g. https://management.azure.com */
	const char *api_version;	/* Microsoft.StorageCache api-version */
	size_t max_body;		/* bytes a response may have */
	long max_pages;			/* pages a list may have */
};

struct arm_client *arm_client_new(struct transport *t,
				  const struct arm_options *o);
void arm_client_free(struct arm_client *c);

/* base + path + "?api-version=" + version (the client's when NULL). */
char *arm_url(struct arm_client *c, const char *path, const char *version);

/*
 * GET url into resp (initialised here; release it with
 * http_response_release()). Returns 0 when a response of any status
 * arrived, negative on transport failure.
 */
int arm_get(struct arm_client *c, const char *url, struct http_response *resp,
	    struct err_detail *d);

/* Requests sent through this client so far. */
long arm_requests(struct arm_client *c);

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
