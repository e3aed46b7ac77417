#include "azure/replay.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/xalloc.h"

struct replay {
	struct transport t;
	char *dir;
	json_t *entries;	/* borrowed from manifest */
	json_t *manifest;
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

static int replay_send(struct transport *t, const struct http_request *req,
		       struct http_response *resp, struct err_detail *d)
{
	struct replay *rp = (struct replay *)t;
	size_t i;
	json_t *e;
	char *path;
	int r;

	json_array_foreach(rp->entries, i, e) {
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *u = json_string_value(json_object_get(e, "url"));
		const char *b = json_string_value(json_object_get(e, "body"));

		if (!m || !u || strcmp(m, req->method) || strcmp(u, req->url))
			continue;
		resp->status = (long)json_integer_value(json_object_get(e, "status"));
		resp->request_id = xstrdup_or_null(header(e, "x-ms-request-id"));
		resp->retry_after = xstrdup_or_null(header(e, "retry-after"));
		if (!b)
			return 0;	/* recorded with an empty body */
		if (strstr(b, "..") || b[0] == '/') {
			err_set(d, "recorded body path '%s' leaves the replay "
				"directory", b);
			err_where(d, "%s/manifest.json", rp->dir);
			return -ERR_REPLAY;
		}
		path = fs_join(rp->dir, b);
		r = fs_read_file(path, &resp->body);
		if (r < 0) {
			err_set(d, "cannot read recorded body: %s", err_str(r));
			err_where(d, "%s", path);
			free(path);
			return r == -ERR_TOO_LARGE ? r : -ERR_REPLAY;
		}
		resp->origin = path;
		return 0;
	}
	err_set(d, "no recorded response for %s %s", req->method, req->url);
	err_where(d, "%s/manifest.json", rp->dir);
	return -ERR_NOT_FOUND;
}

static void replay_free(struct transport *t)
{
	struct replay *rp = (struct replay *)t;

	json_decref(rp->manifest);
	free(rp->dir);
	free(rp);
}

int replay_open(const char *dir, struct transport **ret, struct err_detail *d)
{
	char *path = fs_join(dir, "manifest.json");
	json_error_t je;
	json_t *m = json_load_file(path, 0, &je);
	const char *fmt;
	struct replay *rp;
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
	rp = xcalloc(1, sizeof(*rp));
	rp->t.send = replay_send;
	rp->t.free = replay_free;
	rp->dir = xstrdup(dir);
	rp->manifest = m;
	rp->entries = json_object_get(m, "entries");
	m = NULL;
	*ret = &rp->t;
	r = 0;
out:
	json_decref(m);
	free(path);
	return r;
}
