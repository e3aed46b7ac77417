#pragma once
#include <curl/curl.h>

#include "azure/netshare.h"
#include "azure/transport.h"
#include "util/url.h"

/*
 * The libcurl transport: one multi handle (connections reused, HTTP/2
 * where the server offers it, gzip accepted). Each lane (transport.h) has
 * its own queue and bound: at most max_in_flight ARM requests and
 * cost_in_flight cost queries at once, the rest queued in order.
 *
 * Retries: 429 waits for Retry-After (seconds or an HTTP date) or the
 * largest x-ms-ratelimit-*-retry-after header; 408, 500, 502, 503, 504 and
 * broken connections (reset, timeout, truncated body) back off
 * exponentially with jitter, from backoff_base_ms, each wait capped at
 * max_wait_ms. A 429 on the cost lane holds the whole lane for its wait:
 * the QPU budget is the tenant's, so the other queries would be refused
 * too. A request makes at most max_attempts tries within
 * retry_budget_ms. A 401 on a request with an audience refreshes the token
 * once and tries again. What is still failing after that is handed back:
 * the last HTTP answer, or err -ERR_TRANSPORT.
 *
 * Tokens go only into the Authorization header: never into the log.
 */
typedef int (*http_token_fn)(void *ctx, const char *audience, int force,
			     const char **ret_token, struct err_detail *d);
/* Called after each try: url redacted; status 0 when no answer came. */
typedef void (*http_log_fn)(void *ctx, const char *method, const char *url,
			    long status, int attempt, long wait_ms,
			    const char *why);

struct http_options {
	long connect_timeout_ms;	/* default 10000 */
	long timeout_ms;		/* one try, default 60000 */
	int max_in_flight;		/* ARM lane, default 8 */
	int cost_in_flight;		/* cost lane, default 2 */
	int max_attempts;		/* default 5 */
	long backoff_base_ms;		/* default 1000 */
	long max_wait_ms;		/* default 60000 */
	long retry_budget_ms;		/* default 300000 */
	size_t max_body;		/* 0: no cap */
	const char *user_agent;
	http_token_fn token;		/* may be NULL: no Authorization */
	void *token_ctx;
	struct netshare *net;		/* borrowed; NULL: libcurl's own */
	http_log_fn log;		/* may be NULL */
	void *log_ctx;
};

/* Fill o with the defaults above. */
void http_options_init(struct http_options *o);

int http_transport_new(const struct http_options *o, struct transport **ret,
		       struct err_detail *d);

/*
 * What every request this tool sends shares, the token requests of
 * azure/auth.c included, so there is one place to harden: the URL must
 * pass url_check(use) (util/url.h) or nothing is set and -ERR_CONFIG comes
 * back; then the URL, http and https only, no redirects followed, no
 * signals, the timeouts (connect_timeout_ms 0: libcurl's), gzip accepted,
 * the user agent and the run's shared TLS set-up (net, may be NULL:
 * azure/netshare.h). The caller sets the rest (headers, body, callbacks).
 */
int http_easy_prepare(CURL *e, const char *url, enum url_use use,
		      long connect_timeout_ms, long timeout_ms,
		      struct netshare *net, struct err_detail *d);
