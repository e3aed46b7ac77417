#include "azure/http.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct http;

/* One request, across its tries. */
struct xfer {
	struct http *h;
	CURL *easy;
	struct curl_slist *headers;
	char *method, *url, *body, *audience;
	size_t body_len;
	struct http_done done;
	long long first_ms;	/* when the first try started */
	long long due_ms;	/* when the next try may start */
	long header_wait_ms;	/* wait the last answer asked for, -1 none */
	int refreshed;		/* the 401 refresh was spent */
	unsigned token_gen;	/* h->token_gen when its token was set */
	int too_large;
	enum http_lane lane;
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *next;	/* in waiting or done */
	struct xfer *next_running;
};

/* A finished request on its way from the network thread to next(). */
struct ready {
	struct http_done done;
	enum http_lane lane;
	struct ready *next;
};

/*
 * Two threads: the caller's, which start()s requests and takes answers
 * from next(), and the network thread, which alone touches curl, the
 * queues below `mu`'s fields and the token callback. They meet at
 * `incoming` and `ready`, under `mu`. So answers are parsed and stored
 * while the next requests are already on the wire.
 */
struct http {
	struct transport t;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct xfer *incoming, **incoming_tail;	/* mu: from start() */
	struct ready *ready, **ready_tail;	/* mu: for next() */
	int ready_n;				/* mu */
	long pending;				/* mu: started, not yet taken */
	int stop;				/* mu */
	/* The network thread's own: */
	struct http_options o;
	char *user_agent;
	CURLM *multi;
	/* Per lane: not started yet, in order; tries running; the lane
	 * holds new tries until hold_ms (a shared budget throttled). */
	struct xfer *queue[HTTP_LANES], **queue_tail[HTTP_LANES];
	int lane_active[HTTP_LANES], lane_max[HTTP_LANES];
	long long hold_ms[HTTP_LANES];
	struct xfer *waiting;		/* waiting to retry (few) */
	struct xfer *done_head, **done_tail;
	CURL **pool;			/* idle easy handles, reused */
	int pooled, pool_max;
	struct xfer *running;		/* tries in the multi handle */
	int active;
	unsigned token_gen;		/* forced token refreshes so far */
};

void http_options_init(struct http_options *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = 10000;
	o->timeout_ms = 60000;
	o->max_in_flight = 8;
	o->cost_in_flight = 2;
	o->max_attempts = 5;
	o->backoff_base_ms = 1000;
	o->max_wait_ms = 60000;
	o->retry_budget_ms = 300000;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;

	if (sbuf_add(&x->done.resp.body, data, size * n) < 0) {
		x->too_large = 1;
		return 0;
	}
	return size * n;
}

/* A server's wait is clamped before it is multiplied: a day at most (the
 * retry loop caps it at max_wait_ms anyway). */
#define WAIT_MAX_S 86400L

/* Seconds, or an HTTP date, as milliseconds from now; -1 when neither. */
static long parse_wait(const char *v)
{
	char *end;
	long s;
	time_t t, now = time(NULL);

	errno = 0;
	s = strtol(v, &end, 10);
	if (end != v && (*end == '\0' || *end == '\r' || *end == ' ')) {
		if (errno == ERANGE || s > WAIT_MAX_S)
			s = s < 0 ? 0 : WAIT_MAX_S;
		return s < 0 ? 0 : s * 1000;
	}
	t = curl_getdate(v, NULL);
	if (t < 0)
		return -1;
	if (t <= now)
		return 0;
	return (t - now > WAIT_MAX_S ? WAIT_MAX_S : (long)(t - now)) * 1000;
}

static int header_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && line[k] == ':' && !strncasecmp(line, name, k);
}

static char *header_value(const char *line, size_t n, size_t name_len)
{
	const char *v = line + name_len + 1, *e = line + n;

	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	return xstrndup(v, (size_t)(e - v));
}

static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	struct http_response *r = &x->done.resp;
	size_t len = size * n, colon;
	const char *c = memchr(line, ':', len);	/* not NUL-terminated */
	char *v;
	long w;

	if (!c)
		return len;
	colon = (size_t)(c - line);
	if (header_is(line, len, "x-ms-request-id")) {
		free(r->request_id);
		r->request_id = header_value(line, len, colon);
	} else if (header_is(line, len, "content-type")) {
		free(r->content_type);
		r->content_type = header_value(line, len, colon);
	} else if (header_is(line, len, "retry-after") ||
		   (!strncasecmp(line, "x-ms-ratelimit-", 15) && colon > 11 &&
		    !strncasecmp(line + colon - 11, "retry-after", 11))) {
		v = header_value(line, len, colon);
		w = parse_wait(v);
		if (w > x->header_wait_ms)
			x->header_wait_ms = w;
		free(v);
	}
	return len;
}

static void finish(struct xfer *x)
{
	struct http *h = x->h;

	x->next = NULL;
	*h->done_tail = x;
	h->done_tail = &x->next;
}

static void fail(struct xfer *x, int err, const char *fmt, const char *arg)
{
	char *safe = url_redact(x->url);

	x->done.err = err;
	err_set(&x->done.detail, fmt, arg);
	err_where(&x->done.detail, "%s %s", x->method, safe);
	free(safe);
	finish(x);
}

static int set_headers(struct xfer *x)
{
	struct http *h = x->h;
	struct sbuf auth = SBUF_INIT;
	const char *token;
	int r = 0;

	curl_slist_free_all(x->headers);
	x->headers = curl_slist_append(NULL, "Accept: application/json");
	if (x->body)
		x->headers = curl_slist_append(x->headers,
			"Content-Type: application/json");
	if (x->audience && h->o.token) {
		x->token_gen = h->token_gen;
		r = h->o.token(h->o.token_ctx, x->audience, 0, &token,
			       &x->done.detail);
		if (r == 0) {
			sbuf_addf(&auth, "Authorization: Bearer %s", token);
			x->headers = curl_slist_append(x->headers, auth.buf);
			explicit_bzero(auth.buf, auth.len);
		}
	}
	sbuf_release(&auth);
	return r;
}

int http_easy_prepare(CURL *e, const char *url, enum url_use use,
		      long connect_timeout_ms, long timeout_ms,
		      struct netshare *net, struct err_detail *d)
{
	int r = url_check(url, use, d);

	if (r < 0) {
		char *safe = url_redact(url);

		err_where(d, "%s", safe);
		free(safe);
		return r;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (connect_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
				 connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "amlfs-audit/" AMLFS_VERSION);
	netshare_apply(net, e);
	return 0;
}

static void setup_easy(struct xfer *x)
{
	struct http *h = x->h;
	CURL *e = x->easy;

	curl_easy_reset(e);
	/* The URL passed the policy in http_start(). */
	http_easy_prepare(e, x->url, URL_TOKEN, h->o.connect_timeout_ms,
			  h->o.timeout_ms, h->o.net, NULL);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	if (h->user_agent)
		curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	if (x->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)x->body_len);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
}

static void begin_try(struct xfer *x)
{
	struct http_response *r = &x->done.resp;

	sbuf_reset(&r->body);
	free(r->request_id);
	free(r->content_type);
	r->request_id = r->content_type = NULL;
	r->status = 0;
	x->header_wait_ms = -1;
	x->too_large = 0;
	x->errbuf[0] = '\0';
	if (!x->first_ms)
		x->first_ms = time_monotonic_ms();
	if (set_headers(x) < 0) {
		x->done.err = -ERR_HTTP_401;
		finish(x);
		return;
	}
	if (!x->easy)
		x->easy = x->h->pooled ? x->h->pool[--x->h->pooled] :
			  curl_easy_init();
	if (!x->easy) {
		fail(x, -ERR_TRANSPORT, "%s", "cannot create a curl handle");
		return;
	}
	setup_easy(x);
	curl_multi_add_handle(x->h->multi, x->easy);
	x->next_running = x->h->running;
	x->h->running = x;
	x->h->active++;
	x->h->lane_active[x->lane]++;
}

static long backoff(const struct http *h, int attempt)
{
	long long w = h->o.backoff_base_ms;
	int i;

	for (i = 1; i < attempt && w < h->o.max_wait_ms; i++)
		w *= 2;
	if (w > h->o.max_wait_ms)
		w = h->o.max_wait_ms;
	/* Full jitter on the upper half: w/2 .. w. */
	return (long)(w / 2 + (w > 1 ? random() % (w / 2 + 1) : 0));
}

/* Schedule another try after wait_ms, or say it is not allowed. */
static int retry_after(struct xfer *x, long wait_ms)
{
	struct http *h = x->h;
	long long now = time_monotonic_ms();

	if (wait_ms > h->o.max_wait_ms)
		wait_ms = h->o.max_wait_ms;
	if (x->done.resp.attempts >= h->o.max_attempts ||
	    now + wait_ms - x->first_ms > h->o.retry_budget_ms)
		return 0;
	x->due_ms = now + wait_ms;
	x->next = h->waiting;
	h->waiting = x;
	return 1;
}

static int retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_BAD_CONTENT_ENCODING:
		return 1;
	default:
		return 0;
	}
}

static void log_try(struct xfer *x, long status, long wait, const char *why)
{
	struct http *h = x->h;
	char *safe;

	if (!h->o.log)
		return;
	safe = url_redact(x->url);
	h->o.log(h->o.log_ctx, x->method, safe, status,
		 x->done.resp.attempts, wait, why);
	free(safe);
}

/* Take x's easy handle out of the multi handle. */
static void stop_try(struct http *h, struct xfer *x)
{
	struct xfer **pp = &h->running;

	while (*pp && *pp != x)
		pp = &(*pp)->next_running;
	if (*pp)
		*pp = x->next_running;
	curl_multi_remove_handle(h->multi, x->easy);
	h->active--;
	h->lane_active[x->lane]--;
}

/* A throttled shared budget: no new try on lane before wait_ms. */
static void hold_lane(struct http *h, enum http_lane lane, long wait_ms)
{
	long long until;

	if (wait_ms > h->o.max_wait_ms)
		wait_ms = h->o.max_wait_ms;
	until = time_monotonic_ms() + wait_ms;
	if (until > h->hold_ms[lane])
		h->hold_ms[lane] = until;
}

static int lane_open(const struct http *h, enum http_lane lane,
		     long long now)
{
	return h->lane_active[lane] < h->lane_max[lane] &&
	       h->hold_ms[lane] <= now;
}

static void on_done(struct http *h, CURL *e, CURLcode res)
{
	struct xfer *x = NULL;
	struct http_response *r;
	long status = 0, wait;
	int rc;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
	stop_try(h, x);
	r = &x->done.resp;
	r->attempts++;
	if (res == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	r->status = status;
	if (x->too_large) {
		log_try(x, status, 0, "too large");
		fail(x, -ERR_TOO_LARGE, "%s", "response larger than allowed "
		     "([collect] max_response_mib)");
		return;
	}
	if (res != CURLE_OK) {
		const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(res);

		if (res == CURLE_SSL_CACERT_BADFILE &&
		    netshare_error(h->o.net)[0])
			why = netshare_error(h->o.net);

		wait = backoff(h, r->attempts);
		log_try(x, 0, wait, why);
		if (!retryable_curl(res) || !retry_after(x, wait))
			fail(x, -ERR_TRANSPORT, "%s", why);
		return;
	}
	if (status == 401 && x->audience && h->o.token && !x->refreshed) {
		const char *token;

		x->refreshed = 1;
		log_try(x, status, 0, "refreshing the token");
		/* Requests in flight with the same old token refresh once. */
		if (x->token_gen == h->token_gen) {
			h->token_gen++;
			rc = h->o.token(h->o.token_ctx, x->audience, 1, &token,
					&x->done.detail);
		} else {
			rc = 0;
		}
		if (rc < 0) {
			x->done.err = -ERR_HTTP_401;
			finish(x);
		} else if (!retry_after(x, 0)) {
			finish(x);
		}
		return;
	}
	if (status == 429 || status == 408 || status == 500 || status == 502 ||
	    status == 503 || status == 504) {
		wait = x->header_wait_ms >= 0 ? x->header_wait_ms :
		       backoff(h, r->attempts);
		log_try(x, status, wait, status == 429 ? "throttled" : "retrying");
		if (status == 429 && x->lane == HTTP_LANE_COSTS)
			hold_lane(h, x->lane, wait);
		if (retry_after(x, wait)) {
			if (status == 429) {
				r->throttles++;
				r->throttled_ms += wait > h->o.max_wait_ms ?
						   h->o.max_wait_ms : wait;
			}
			return;
		}
		finish(x);
		return;
	}
	log_try(x, status, 0, NULL);
	finish(x);
}

/*
 * Start what may start. With `backlog` (answers waiting for next() past
 * ready_cap()) only the cost lane: its queries follow one another, each
 * sent when the one before is answered, so they must not wait for the
 * ARM answers to be stored.
 */
static void start_due(struct http *h, int backlog)
{
	struct xfer **pp = &h->waiting, *x;
	long long now = time_monotonic_ms();
	int lane;

	while (*pp) {
		x = *pp;
		if (x->due_ms > now || !lane_open(h, x->lane, now) ||
		    (backlog && x->lane == HTTP_LANE_ARM)) {
			pp = &x->next;
			continue;
		}
		*pp = x->next;
		begin_try(x);
	}
	for (lane = backlog ? HTTP_LANE_COSTS : 0; lane < HTTP_LANES; lane++) {
		while (h->queue[lane] && lane_open(h, lane, now)) {
			x = h->queue[lane];
			h->queue[lane] = x->next;
			if (!h->queue[lane])
				h->queue_tail[lane] = &h->queue[lane];
			begin_try(x);
		}
	}
}

/* How long poll may sleep: until the next try may start, at most 1 s. */
static int poll_timeout(struct http *h)
{
	long long now = time_monotonic_ms(), best = 1000, at;
	struct xfer *x;
	int lane;

	for (lane = 0; lane < HTTP_LANES; lane++) {
		if (!h->queue[lane] ||
		    h->lane_active[lane] >= h->lane_max[lane])
			continue;
		if (h->hold_ms[lane] - now < best)
			best = h->hold_ms[lane] - now;
	}
	for (x = h->waiting; x; x = x->next) {
		if (h->lane_active[x->lane] >= h->lane_max[x->lane])
			continue;
		at = x->due_ms > h->hold_ms[x->lane] ? x->due_ms :
		     h->hold_ms[x->lane];
		if (at - now < best)
			best = at - now;
	}
	return best < 0 ? 0 : (int)best;
}

/* Move what start() queued to the end of its lane's queue. */
static void take_incoming(struct http *h, struct xfer *in)
{
	struct xfer *x;

	while ((x = in)) {
		in = x->next;
		x->next = NULL;
		*h->queue_tail[x->lane] = x;
		h->queue_tail[x->lane] = &x->next;
	}
}

/* Answers waiting for next(): past this, no new request starts. */
static int ready_cap(const struct http *h)
{
	return 2 * h->pool_max;
}

/* Hand the finished requests to next(); recycle their handles. */
static void publish(struct http *h)
{
	struct xfer *x;
	struct ready *rd;

	while ((x = h->done_head)) {
		h->done_head = x->next;
		if (!h->done_head)
			h->done_tail = &h->done_head;
		rd = xcalloc(1, sizeof(*rd));
		rd->done = x->done;
		rd->lane = x->lane;
		if (x->easy && h->pooled < h->pool_max)
			h->pool[h->pooled++] = x->easy;
		else if (x->easy)
			curl_easy_cleanup(x->easy);
		curl_slist_free_all(x->headers);
		free(x->method);
		free(x->url);
		if (x->body)
			explicit_bzero(x->body, x->body_len);
		free(x->body);
		free(x->audience);
		free(x);
		pthread_mutex_lock(&h->mu);
		*h->ready_tail = rd;
		h->ready_tail = &rd->next;
		h->ready_n++;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
	}
}

static void *network_thread(void *arg)
{
	struct http *h = arg;
	CURLMsg *m;
	struct xfer *in;
	int running, left, backlog, stop;

	for (;;) {
		pthread_mutex_lock(&h->mu);
		stop = h->stop;
		in = h->incoming;
		h->incoming = NULL;
		h->incoming_tail = &h->incoming;
		backlog = h->ready_n;
		pthread_mutex_unlock(&h->mu);
		take_incoming(h, in);
		if (stop)
			break;
		start_due(h, backlog >= ready_cap(h));
		curl_multi_perform(h->multi, &running);
		while ((m = curl_multi_info_read(h->multi, &left)))
			if (m->msg == CURLMSG_DONE)
				on_done(h, m->easy_handle, m->data.result);
		publish(h);
		curl_multi_poll(h->multi, NULL, 0,
				backlog < ready_cap(h) ? poll_timeout(h) : 1000,
				NULL);
	}
	return NULL;
}

static int http_next(struct transport *t, struct http_done *done)
{
	struct http *h = (struct http *)t;
	struct ready *rd, **pp;
	int wake;

	pthread_mutex_lock(&h->mu);
	while (!h->ready && h->pending > 0)
		pthread_cond_wait(&h->cv, &h->mu);
	/* A cost answer first (its scope's next query waits for it), else
	 * the oldest; at most ready_cap() + a few to look through. */
	for (pp = &h->ready; *pp && (*pp)->lane != HTTP_LANE_COSTS;
	     pp = &(*pp)->next)
		;
	if (!*pp)
		pp = &h->ready;
	rd = *pp;
	if (rd) {
		*pp = rd->next;
		if (!rd->next)
			h->ready_tail = pp;
		h->pending--;
		wake = h->ready_n-- == ready_cap(h);
	}
	pthread_mutex_unlock(&h->mu);
	if (!rd)
		return 0;
	if (wake)
		curl_multi_wakeup(h->multi);
	*done = rd->done;
	free(rd);
	return 1;
}

static int http_start(struct transport *t, const struct http_request *req,
		      void *tag, struct err_detail *d)
{
	struct http *h = (struct http *)t;
	struct xfer *x;
	int r = url_check(req->url, URL_TOKEN, d);

	if (r < 0) {
		char *safe = url_redact(req->url);

		err_where(d, "%s %s", req->method, safe);
		free(safe);
		return r;
	}
	x = xcalloc(1, sizeof(*x));
	x->h = h;
	x->method = xstrdup(req->method);
	x->url = xstrdup(req->url);
	if (req->body) {
		x->body = xmalloc(req->body_len + 1);
		memcpy(x->body, req->body, req->body_len);
		x->body[req->body_len] = '\0';
		x->body_len = req->body_len;
	}
	x->audience = xstrdup_or_null(req->audience);
	x->lane = req->lane == HTTP_LANE_COSTS ? HTTP_LANE_COSTS : HTTP_LANE_ARM;
	x->done.tag = tag;
	http_response_init(&x->done.resp, h->o.max_body);
	/* Keep the order requests came in. */
	pthread_mutex_lock(&h->mu);
	*h->incoming_tail = x;
	h->incoming_tail = &x->next;
	h->pending++;
	pthread_mutex_unlock(&h->mu);
	curl_multi_wakeup(h->multi);
	return 0;
}

static void http_free(struct transport *t)
{
	struct http *h = (struct http *)t;
	struct xfer *x;
	struct ready *rd;
	int lane;

	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	pthread_mutex_unlock(&h->mu);
	curl_multi_wakeup(h->multi);
	pthread_join(h->thread, NULL);
	/* The network thread is gone: drop what it had without waiting. */
	while ((x = h->running)) {
		stop_try(h, x);
		x->done.err = -ERR_TRANSPORT;
		finish(x);
	}
	while (h->waiting) {
		x = h->waiting;
		h->waiting = x->next;
		finish(x);
	}
	for (lane = 0; lane < HTTP_LANES; lane++) {
		while (h->queue[lane]) {
			x = h->queue[lane];
			h->queue[lane] = x->next;
			finish(x);
		}
	}
	while (h->incoming) {
		x = h->incoming;
		h->incoming = x->next;
		finish(x);
	}
	publish(h);
	while ((rd = h->ready)) {
		h->ready = rd->next;
		http_done_release(&rd->done);
		free(rd);
	}
	while (h->pooled)
		curl_easy_cleanup(h->pool[--h->pooled]);
	free(h->pool);
	curl_multi_cleanup(h->multi);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->user_agent);
	free(h);
}

int http_transport_new(const struct http_options *o, struct transport **ret,
		       struct err_detail *d)
{
	struct http *h = xcalloc(1, sizeof(*h));

	h->o = *o;
	if (h->o.max_in_flight < 1)
		h->o.max_in_flight = 1;
	if (h->o.cost_in_flight < 1)
		h->o.cost_in_flight = 1;
	h->lane_max[HTTP_LANE_ARM] = h->o.max_in_flight;
	h->lane_max[HTTP_LANE_COSTS] = h->o.cost_in_flight;
	h->pool_max = h->o.max_in_flight + h->o.cost_in_flight;
	if (h->o.max_attempts < 1)
		h->o.max_attempts = 1;
	h->user_agent = xstrdup_or_null(o->user_agent);
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h->user_agent);
		free(h);
		err_set(d, "cannot create a curl multi handle");
		return -ERR_TRANSPORT;
	}
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
			  (long)h->pool_max * 2);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	h->done_tail = &h->done_head;
	for (int lane = 0; lane < HTTP_LANES; lane++)
		h->queue_tail[lane] = &h->queue[lane];
	h->incoming_tail = &h->incoming;
	h->ready_tail = &h->ready;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->pool = xcalloc((size_t)h->pool_max, sizeof(*h->pool));
	h->t.start = http_start;
	h->t.next = http_next;
	h->t.free = http_free;
	srandom((unsigned)(time(NULL) ^ getpid()));
	if (pthread_create(&h->thread, NULL, network_thread, h) != 0) {
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
		free(h->pool);
		curl_multi_cleanup(h->multi);
		free(h->user_agent);
		free(h);
		err_set(d, "cannot start the network thread");
		return -ERR_TRANSPORT;
	}
	*ret = &h->t;
	return 0;
}
