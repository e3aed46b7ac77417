#pragma once
#include <stddef.h>

#include "util/err.h"
#include "util/sbuf.h"

/*
 * The seam between the collectors and the network. A transport sends one
 * request and fills a response; it does not retry or page (arm.c does).
 * Implementations: replay.c (recorded responses) and, for live Azure, the
 * libcurl transport.
 */
struct http_request {
	const char *method;	/* "GET" or "POST" */
	const char *url;	/* absolute */
	const char *body;	/* NULL when none */
	size_t body_len;
};

struct http_response {
	long status;
	struct sbuf body;
	char *request_id;	/* x-ms-request-id, or NULL */
	char *retry_after;	/* Retry-After, or NULL */
	char *origin;		/* where the body came from (replay file), or NULL */
};

void http_response_init(struct http_response *r, size_t max_body);
void http_response_release(struct http_response *r);

struct transport {
	/*
	 * Send req. Returns 0 when a response arrived (any HTTP status) and
	 * fills resp; negative on transport failure, with d saying why.
	 */
	int (*send)(struct transport *t, const struct http_request *req,
		    struct http_response *resp, struct err_detail *d);
	void (*free)(struct transport *t);
};

static inline void transport_free(struct transport *t)
{
	if (t)
		t->free(t);
}
