#include "collect/record.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "azure/replay.h"
#include "util/fs.h"
#include "util/timeutil.h"
#include "util/url.h"
#include "util/xalloc.h"

struct recorder {
	char *dir;
	json_t *entries;
	int n;
};

int record_open(const char *dir, struct recorder **ret, struct err_detail *d)
{
	char *bodies = fs_join(dir, "bodies"), *manifest = fs_join(dir,
		"manifest.json");
	struct recorder *rec;
	int r = 0;

	if (fs_exists(manifest)) {
		err_set(d, "a recording is already there; choose an empty "
			"directory");
		err_where(d, "%s", manifest);
		r = -EEXIST;
	} else if ((r = fs_mkdirs(bodies, 0700)) < 0) {
		err_set(d, "cannot create directory: %s", err_str(r));
		err_where(d, "%s", bodies);
	}
	free(bodies);
	free(manifest);
	if (r < 0)
		return r;
	rec = xcalloc(1, sizeof(*rec));
	rec->dir = xstrdup(dir);
	rec->entries = json_array();
	*ret = rec;
	return 0;
}

static int write_all(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -errno;
	ok = fwrite(data, 1, len, f) == len;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -EIO;
}

int record_add(struct recorder *rec, const char *method, const char *url,
	       const char *req_body, const struct http_response *resp,
	       struct err_detail *d)
{
	char name[40], *path, *safe = url_redact(url);
	json_t *e, *h = json_object();
	int r;

	snprintf(name, sizeof(name), "bodies/%05d.json", ++rec->n);
	path = fs_join(rec->dir, name);
	r = write_all(path, resp->body.buf, resp->body.len);
	if (r < 0) {
		err_set(d, "cannot write recording: %s", err_str(r));
		err_where(d, "%s", path);
		goto out;
	}
	if (resp->request_id)
		json_object_set_new(h, "x-ms-request-id",
				    json_string(resp->request_id));
	if (resp->content_type)
		json_object_set_new(h, "content-type",
				    json_string(resp->content_type));
	e = json_pack("{s:s,s:s,s:I,s:O,s:s}", "method", method, "url", safe,
		      "status", (json_int_t)resp->status, "headers", h,
		      "body", name);
	if (req_body)
		json_object_set_new(e, "request_body", json_string(req_body));
	json_array_append_new(rec->entries, e);
out:
	json_decref(h);
	free(path);
	free(safe);
	return r;
}

void record_free(struct recorder *rec)
{
	if (!rec)
		return;
	json_decref(rec->entries);
	free(rec->dir);
	free(rec);
}

int record_close(struct recorder *rec, const char *clock,
		 struct err_detail *d)
{
	char *path = fs_join(rec->dir, "manifest.json"), *tmp, now[21];
	json_t *m;
	int r = 0;

	if (clock && *clock)
		snprintf(now, sizeof(now), "%s", clock);
	else
		time_now_iso(now);
	m = json_pack("{s:s,s:s,s:O}", "format", REPLAY_FORMAT, "recorded_at",
		      now, "entries", rec->entries);
	tmp = fs_join(rec->dir, ".manifest.json.tmp");
	if (json_dump_file(m, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
	    rename(tmp, path) < 0) {
		err_set(d, "cannot write recording manifest");
		err_where(d, "%s", path);
		unlink(tmp);
		r = -EIO;
	}
	json_decref(m);
	free(tmp);
	free(path);
	record_free(rec);
	return r;
}
