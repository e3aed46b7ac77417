#include "collect/collect.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azure/arm.h"
#include "collect/project.h"
#include "config.h"
#include "evidence/evidence.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SUBSCRIPTIONS_API "2022-12-01"

struct collector {
	struct store *s;
	struct arm_client *arm;
	const struct config *cfg;
	const struct collect_options *o;
	struct collect_result *res;
	sqlite3_int64 run_id;
	int seq;
	struct strlist subs;	/* subscriptions in scope */
	struct strlist fs_ids;	/* file systems found, in order */
};

typedef int (*page_fn)(struct collector *c, json_t *page);

static void progress(struct collector *c)
{
	c->res->requests = arm_requests(c->arm);
	if (c->o->progress)
		c->o->progress(c->o->ctx, c->res->requests,
			       c->res->filesystems);
}

static int record_error(struct collector *c, const char *url, long status,
			const char *code, const char *message,
			struct err_detail *d)
{
	static const char sql[] =
		"INSERT INTO run_errors (run_id, seq, url, http_status, code, "
		"message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = NULL;
	char *safe = url_redact(url);
	int r;

	r = store_prepare(c->s, sql, &st, d);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, c->run_id);
	sqlite3_bind_int64(st, 2, ++c->res->errors);
	sqlite3_bind_text(st, 3, safe, -1, SQLITE_STATIC);
	if (status)
		sqlite3_bind_int64(st, 4, status);
	sqlite3_bind_text(st, 5, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, message, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(c->s, "cannot record run error", d);
out:
	sqlite3_finalize(st);
	free(safe);
	return r;
}

static int http_failure(struct collector *c, const char *url,
			const struct http_response *resp, struct err_detail *d)
{
	char *code = NULL, *msg = NULL, text[64];
	int r;

	arm_error_parse(&resp->body, &code, &msg);
	snprintf(text, sizeof(text), "HTTP %ld", resp->status);
	r = record_error(c, url, resp->status, code, msg ? msg : text, d);
	free(code);
	free(msg);
	return r;
}

/* Say which response broke the run: file (replay) or URL, and where. */
static void blame(struct err_detail *d, const struct http_response *resp,
		  const char *url, const char *json_where)
{
	char *safe = url_redact(url);

	if (resp->origin)
		err_where(d, "%s%s (GET %s)", resp->origin, json_where, safe);
	else
		err_where(d, "GET %s%s", safe, json_where);
	free(safe);
}

static int store_page(struct collector *c, const char *kind,
		      const char *subject, const char *url,
		      struct http_response *resp, sqlite3_int64 *ret_id,
		      struct err_detail *d)
{
	struct evidence_item e = {
		.run_id = c->run_id, .seq = ++c->seq, .kind = kind,
		.subject = subject, .method = "GET", .url = url,
		.status = resp->status, .request_id = resp->request_id,
		.body = resp->body.buf, .body_len = resp->body.len,
	};
	char now[21];

	time_now_iso(now);
	e.fetched_at = now;
	c->res->evidence++;
	return evidence_add(c->s, &e, ret_id, NULL, d);
}

/* Parse, store and project one 2xx page; negative breaks the run. */
static int take_page(struct collector *c, const char *kind,
		     const char *subject, const char *url,
		     struct http_response *resp, sqlite3_int64 evidence_id,
		     json_t **ret, struct err_detail *d)
{
	json_error_t je;
	json_t *j;
	char pos[64];
	int r;

	if (resp->status == 204 || resp->body.len == 0)
		j = json_pack("{s:[]}", "value");
	else
		j = json_loadb(resp->body.buf, resp->body.len, 0, &je);
	if (!j) {
		err_set(d, "invalid JSON: %s", je.text);
		snprintf(pos, sizeof(pos), ":%d:%d", je.line, je.column);
		blame(d, resp, url, pos);
		return -ERR_JSON;
	}
	r = project_page(store_db(c->s), "main", c->run_id, evidence_id, kind,
			 subject, j, d);
	if (r < 0) {
		blame(d, resp, url, "");
		json_decref(j);
		return r;
	}
	*ret = j;
	return 0;
}

static int fetch_list(struct collector *c, const char *kind,
		      const char *subject, const char *first, page_fn on_page,
		      struct err_detail *d)
{
	struct arm_pager pg;
	struct http_response resp;
	struct err_detail td;
	sqlite3_int64 evid;
	json_t *page = NULL;
	int r;

	arm_pager_init(&pg, first, c->cfg->max_pages);
	http_response_init(&resp, 0);
	for (;;) {
		http_response_release(&resp);
		r = arm_get(c->arm, pg.url, &resp, &td);
		progress(c);
		if (c->o->log) {
			char *safe = url_redact(pg.url);

			c->o->log(c->o->ctx, "GET", safe, r < 0 ? 0 : resp.status);
			free(safe);
		}
		if (r < 0) {
			r = record_error(c, pg.url, 0, err_str(r), td.msg, d);
			break;
		}
		r = store_page(c, kind, subject, pg.url, &resp, &evid, d);
		if (r < 0)
			break;
		if (resp.status < 200 || resp.status > 299) {
			r = http_failure(c, pg.url, &resp, d);
			break;
		}
		r = take_page(c, kind, subject, pg.url, &resp, evid, &page, d);
		if (r < 0)
			break;
		r = on_page ? on_page(c, page) : 0;
		if (r >= 0) {
			r = arm_pager_advance(&pg, page, &td);
			if (r == -ERR_PAGING)
				r = record_error(c, first, 0, "PagingError",
						 td.msg, d);
		}
		json_decref(page);
		page = NULL;
		if (r <= 0)
			break;
	}
	http_response_release(&resp);
	arm_pager_release(&pg);
	return r;
}

static int add_ids(struct strlist *l, json_t *page, const char *field,
		   int (*keep)(json_t *))
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(page, "value"), i, v) {
		const char *id = json_string_value(json_object_get(v, field));

		if (!id || (keep && !keep(v)))
			continue;
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = xstrdup(id);
	}
	return 0;
}

static int sub_usable(json_t *sub)
{
	const char *state = json_string_value(json_object_get(sub, "state"));

	return !state || (strcmp(state, "Disabled") && strcmp(state, "Deleted"));
}

static int on_subscriptions(struct collector *c, json_t *page)
{
	return add_ids(&c->subs, page, "subscriptionId", sub_usable);
}

static int has_properties(json_t *item)
{
	return json_object_get(item, "properties") != NULL;
}

static int on_filesystems(struct collector *c, json_t *page)
{
	size_t before = c->fs_ids.n;

	add_ids(&c->fs_ids, page, "id", has_properties);
	c->res->filesystems += (long)(c->fs_ids.n - before);
	return 0;
}

static int collect_filesystems(struct collector *c, struct err_detail *d)
{
	static const char fs_path[] =
		"/providers/Microsoft.StorageCache/amlFilesystems";
	const struct strlist *rgs = &c->cfg->resource_groups;
	char path[1024], *url;
	size_t i, j;
	int r = 0;

	for (i = 0; i < c->subs.n && r >= 0; i++) {
		for (j = 0; j < (rgs->n ? rgs->n : 1) && r >= 0; j++) {
			if (rgs->n)
				snprintf(path, sizeof(path), "/subscriptions/%s/"
					 "resourceGroups/%s%s", c->subs.v[i],
					 rgs->v[j], fs_path);
			else
				snprintf(path, sizeof(path), "/subscriptions/%s%s",
					 c->subs.v[i], fs_path);
			url = arm_url(c->arm, path, NULL);
			r = fetch_list(c, KIND_FILESYSTEMS, c->subs.v[i], url,
				       on_filesystems, d);
			free(url);
		}
	}
	return r;
}

static int collect_jobs(struct collector *c, struct err_detail *d)
{
	static const struct { const char *kind, *seg; } lists[] = {
		{ KIND_IMPORT_JOBS, "/importJobs" },
		{ KIND_AUTO_EXPORT_JOBS, "/autoExportJobs" },
		{ KIND_AUTO_IMPORT_JOBS, "/autoImportJobs" },
	};
	struct sbuf path = SBUF_INIT;
	size_t i, k;
	char *url;
	int r = 0;

	for (i = 0; i < c->fs_ids.n && r >= 0; i++) {
		for (k = 0; k < 3 && r >= 0; k++) {
			sbuf_reset(&path);
			sbuf_addf(&path, "%s%s", c->fs_ids.v[i], lists[k].seg);
			url = arm_url(c->arm, path.buf, NULL);
			r = fetch_list(c, lists[k].kind, c->fs_ids.v[i], url,
				       NULL, d);
			free(url);
		}
	}
	sbuf_release(&path);
	return r;
}

static char *scope_json(const struct config *cfg)
{
	json_t *j = json_object(), *a;
	size_t i;
	char *s;

	if (cfg->subscriptions.n) {
		a = json_array();
		for (i = 0; i < cfg->subscriptions.n; i++)
			json_array_append_new(a, json_string(cfg->subscriptions.v[i]));
		json_object_set_new(j, "subscriptions", a);
	} else {
		json_object_set_new(j, "subscriptions", json_string("all"));
	}
	a = json_array();
	for (i = 0; i < cfg->resource_groups.n; i++)
		json_array_append_new(a, json_string(cfg->resource_groups.v[i]));
	json_object_set_new(j, "resource_groups", a);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static int insert_run(struct collector *c, struct err_detail *d)
{
	static const char sql[] =
		"INSERT INTO runs (started_at, status, tool_version, source, "
		"tenant_id, principal_id, scope) VALUES (?1, 'running', ?2, ?3, "
		"?4, ?5, ?6)";
	sqlite3_stmt *st = NULL;
	char now[21], *scope = scope_json(c->cfg);
	int r;

	time_now_iso(now);
	r = store_prepare(c->s, sql, &st, d);
	if (r < 0)
		goto out;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, AMLFS_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->o->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->cfg->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_null(st, 5);
	sqlite3_bind_text(st, 6, scope, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = store_sql_error(c->s, "cannot start run", d);
		goto out;
	}
	c->run_id = sqlite3_last_insert_rowid(store_db(c->s));
out:
	sqlite3_finalize(st);
	free(scope);
	return r;
}

static long count_bodies(struct store *s)
{
	sqlite3_stmt *st = NULL;
	long n = 0;

	if (store_prepare(s, "SELECT count(*) FROM bodies", &st, NULL) == 0 &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int gather(struct collector *c, struct err_detail *d)
{
	char *url;
	size_t i;
	int r;

	if (c->cfg->subscriptions.n) {
		for (i = 0; i < c->cfg->subscriptions.n; i++) {
			c->subs.v = xrealloc(c->subs.v, (i + 1) * sizeof(char *));
			c->subs.v[c->subs.n++] = xstrdup(c->cfg->subscriptions.v[i]);
		}
	} else {
		url = arm_url(c->arm, "/subscriptions", SUBSCRIPTIONS_API);
		r = fetch_list(c, KIND_SUBSCRIPTIONS, "tenant", url,
			       on_subscriptions, d);
		free(url);
		if (r < 0)
			return r;
	}
	r = collect_filesystems(c, d);
	return r < 0 ? r : collect_jobs(c, d);
}

/* Record a run that broke, with nothing of what it read. */
static int record_failed_run(struct collector *c, const struct err_detail *why,
			     struct err_detail *d)
{
	char summary[sizeof(why->msg) + sizeof(why->where) + 8];
	int r;

	snprintf(summary, sizeof(summary), "%s%s%s", why->msg,
		 why->where[0] ? " at " : "", why->where);
	r = store_begin(c->s, d);
	if (r == 0)
		r = insert_run(c, d);
	if (r == 0)
		r = chain_seal_run(c->s, c->run_id, "failed", summary, d);
	if (r == 0)
		r = store_commit(c->s, d);
	if (r < 0)
		store_rollback(c->s);
	return r;
}

int collect_run(struct store *s, struct transport *t, const struct config *cfg,
		const struct collect_options *o, struct collect_result *res,
		struct err_detail *d)
{
	const char *arm_host, *login_host;
	struct arm_options ao = {
		.api_version = cfg->api_version,
		.max_body = (size_t)cfg->max_response_mib << 20,
		.max_pages = cfg->max_pages,
	};
	struct collector c = { .s = s, .cfg = cfg, .o = o, .res = res };
	long bodies_before = count_bodies(s);
	int r;

	memset(res, 0, sizeof(*res));
	config_cloud_hosts(cfg->cloud, &arm_host, &login_host);
	ao.base = cfg->resource_manager ? cfg->resource_manager : arm_host;
	c.arm = arm_client_new(t, &ao);
	r = store_begin(s, d);
	if (r < 0)
		goto out;
	r = insert_run(&c, d);
	if (r == 0)
		r = gather(&c, d);
	res->status = res->errors ? "partial" : "ok";
	if (r == 0) {
		char summary[64];

		snprintf(summary, sizeof(summary), "%ld request(s) could not "
			 "be read", res->errors);
		r = chain_seal_run(s, c.run_id, res->status,
				   res->errors ? summary : NULL, d);
	}
	if (r == 0)
		r = store_commit(s, d);
	if (r < 0) {
		struct err_detail why = *d;

		store_rollback(s);
		res->status = "failed";
		res->evidence = 0;
		if (record_failed_run(&c, &why, d) == 0)
			*d = why;
	}
	res->run_id = c.run_id;
	res->new_bodies = count_bodies(s) - bodies_before;
out:
	progress(&c);
	strlist_release(&c.subs);
	strlist_release(&c.fs_ids);
	arm_client_free(c.arm);
	return r;
}
