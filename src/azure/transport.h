#pragma once
#include <stddef.h>

#include "util/err.h"
#include "util/sbuf.h"

/*
 * The seam between the collectors and the network. A transport takes
 * requests with start() and hands back each one, finished, from next():
 * several may be in flight at once. It retries what is worth retrying
 * (throttling, server errors, broken connections) within its bounds and
 * reports the final answer only; it never pages (the collector does).
 * Implementations: replay.c (recorded responses, answered in order) and
 * http.c (libcurl).
 */
/*
 * Lanes: kinds of request with their own throttling budgets, each with its
 * own in-flight bound and queue, so one kind never waits behind the
 * other's backlog. ARM and metrics reads are throttled per subscription;
 * Cost Management queries per tenant, by query processing units (QPU).
 */
enum http_lane { HTTP_LANE_ARM, HTTP_LANE_COSTS, HTTP_LANES };

struct http_request {
	const char *method;	/* "GET" or "POST" */
	const char *url;	/* absolute */
	const char *body;	/* NULL when none */
	size_t body_len;
	const char *audience;	/* bearer token audience, or NULL for none */
	enum http_lane lane;	/* HTTP_LANE_ARM unless said */
};

struct http_response {
	long status;
	struct sbuf body;
	char *request_id;	/* x-ms-request-id, or NULL */
	char *content_type;	/* or NULL */
	char *origin;		/* where the body came from (replay file), or NULL */
	int attempts;		/* tries made; 1 when nothing was retried */
	int throttles;		/* 429 answers among them */
	long throttled_ms;	/* time spent waiting on them */
};

void http_response_init(struct http_response *r, size_t max_body);
void http_response_release(struct http_response *r);

/* One finished request, from next(). */
struct http_done {
	void *tag;		/* as given to start() */
	int err;		/* 0: resp holds the final answer; negative: none came */
	struct err_detail detail;
	struct http_response resp;
};

void http_done_release(struct http_done *done);

struct transport {
	/*
	 * Queue req (copied; the caller may free it at once). tag comes back
	 * with the answer. Fails only when the request cannot be queued.
	 */
	int (*start)(struct transport *t, const struct http_request *req,
		     void *tag, struct err_detail *d);
	/*
	 * Wait for a queued request to finish and fill done (release it with
	 * http_done_release()). Returns 1, or 0 when nothing is queued.
	 */
	int (*next)(struct transport *t, struct http_done *done);
	void (*free)(struct transport *t);
};

static inline void transport_free(struct transport *t)
{
	if (t)
		t->free(t);
}

/*
 * Send one request and wait for it, on a transport with nothing else in
 * flight. On success resp (initialised here) holds the answer; release it.
 */
int transport_send(struct transport *t, const struct http_request *req,
		   struct http_response *resp, struct err_detail *d);
