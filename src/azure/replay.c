#include "azure/replay.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/fs.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct pending {
	struct http_done done;
	struct pending *next;
};

struct replay {
	struct transport t;
	char *dir;
	json_t *manifest;
	json_t *entries;	/* borrowed from manifest */
	size_t max_body;
	struct pending *head, **tail;
};

static const char *header(json_t *e, const char *name)
{
	json_t *h = json_object_get(e, "headers");
	const char *k;
	json_t *v;

	json_object_foreach(h, k, v)
		if (!strcasecmp(k, name) && json_is_string(v))
			return json_string_value(v);
	return NULL;
}

static int matches(json_t *e, const struct http_request *req)
{
	const char *m = json_string_value(json_object_get(e, "method"));
	const char *u = json_string_value(json_object_get(e, "url"));
	json_t *rb = json_object_get(e, "request_body");

	if (!m || !u || strcmp(m, req->method) || strcmp(u, req->url))
		return 0;
	if (!json_is_string(rb))
		return 1;
	return req->body && strlen(json_string_value(rb)) == req->body_len &&
	       !memcmp(json_string_value(rb), req->body, req->body_len);
}

static int answer(struct replay *rp, json_t *e, struct http_done *done)
{
	const char *b = json_string_value(json_object_get(e, "body"));
	struct http_response *resp = &done->resp;
	char *path;
	int r;

	resp->status = (long)json_integer_value(json_object_get(e, "status"));
	resp->attempts = 1;
	resp->request_id = xstrdup_or_null(header(e, "x-ms-request-id"));
	resp->content_type = xstrdup_or_null(header(e, "content-type"));
	if (!b)
		return 0;	/* recorded with an empty body */
	if (strstr(b, "..") || b[0] == '/') {
		err_set(&done->detail, "recorded body path '%s' leaves the "
			"replay directory", b);
		err_where(&done->detail, "%s/manifest.json", rp->dir);
		return -ERR_REPLAY;
	}
	path = fs_join(rp->dir, b);
	r = fs_read_file(path, &resp->body);
	if (r < 0) {
		err_set(&done->detail, "cannot read recorded body: %s",
			err_str(r));
		err_where(&done->detail, "%s", path);
		free(path);
		return r == -ERR_TOO_LARGE ? r : -ERR_REPLAY;
	}
	resp->origin = path;
	return 0;
}

static int replay_start(struct transport *t, const struct http_request *req,
			void *tag, struct err_detail *d)
{
	struct replay *rp = (struct replay *)t;
	struct pending *p = xcalloc(1, sizeof(*p));
	size_t i;
	json_t *e;

	(void)d;
	p->done.tag = tag;
	http_response_init(&p->done.resp, rp->max_body);
	p->done.err = -ERR_NOT_FOUND;
	json_array_foreach(rp->entries, i, e) {
		if (matches(e, req)) {
			p->done.err = answer(rp, e, &p->done);
			break;
		}
	}
	if (p->done.err == -ERR_NOT_FOUND) {
		err_set(&p->done.detail, "no recorded response for %s %s",
			req->method, req->url);
		err_where(&p->done.detail, "%s/manifest.json", rp->dir);
	}
	*rp->tail = p;
	rp->tail = &p->next;
	return 0;
}

static int replay_next(struct transport *t, struct http_done *done)
{
	struct replay *rp = (struct replay *)t;
	struct pending *p = rp->head;

	if (!p)
		return 0;
	rp->head = p->next;
	if (!rp->head)
		rp->tail = &rp->head;
	*done = p->done;
	free(p);
	return 1;
}

const char *replay_recorded_at(struct transport *t)
{
	struct replay *rp = (struct replay *)t;
	const char *s = json_string_value(json_object_get(rp->manifest,
							  "recorded_at"));

	return s ? s : "";
}

static void replay_free(struct transport *t)
{
	struct replay *rp = (struct replay *)t;
	struct http_done done;

	while (replay_next(t, &done) == 1)
		http_done_release(&done);
	json_decref(rp->manifest);
	free(rp->dir);
	free(rp);
}

int replay_open(const char *dir, size_t max_body, struct transport **ret,
		struct err_detail *d)
{
	char *path = fs_join(dir, "manifest.json");
	json_error_t je;
	json_t *m = json_load_file(path, 0, &je), *at;
	const char *fmt;
	struct replay *rp;
	time_t t;
	int r = -ERR_REPLAY;

	if (!m) {
		err_set(d, "cannot load replay manifest: %s", je.text);
		if (je.line > 0)
			err_where(d, "%s:%d", path, je.line);
		else
			err_where(d, "%s", path);
		goto out;
	}
	fmt = json_string_value(json_object_get(m, "format"));
	if (!fmt || strcmp(fmt, REPLAY_FORMAT)) {
		err_set(d, "replay manifest format is '%s', expected '%s'",
			fmt ? fmt : "(missing)", REPLAY_FORMAT);
		err_where(d, "%s", path);
		goto out;
	}
	if (!json_is_array(json_object_get(m, "entries"))) {
		err_set(d, "replay manifest has no 'entries' array");
		err_where(d, "%s", path);
		goto out;
	}
	/* The run's clock: a bad one is refused, never taken as "now". */
	at = json_object_get(m, "recorded_at");
	if (at && (!json_is_string(at) ||
		   time_parse_iso(json_string_value(at), &t) < 0)) {
		err_set(d, "replay manifest's recorded_at is not an ISO 8601 "
			"date-time");
		err_where(d, "%s", path);
		goto out;
	}
	rp = xcalloc(1, sizeof(*rp));
	rp->t.start = replay_start;
	rp->t.next = replay_next;
	rp->t.free = replay_free;
	rp->dir = xstrdup(dir);
	rp->manifest = m;
	rp->entries = json_object_get(m, "entries");
	rp->max_body = max_body;
	rp->tail = &rp->head;
	m = NULL;
	*ret = &rp->t;
	r = 0;
out:
	json_decref(m);
	free(path);
	return r;
}
