#include "collect/collect.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azure/arm.h"
#include "collect/project.h"
#include "config.h"
#include "costs/costs.h"
#include "costs/query.h"
#include "costs/schedule.h"
#include "store/evidence.h"
#include "util/timeutil.h"
#include "util/url.h"
#include "util/xalloc.h"

#define SUBSCRIPTIONS_API "2022-12-01"
#define RESOURCE_GROUP_API "2021-04-01"
#define ROLE_ASSIGNMENTS_API "2022-04-01"
#define LOCKS_API "2016-09-01"
#define DIAGNOSTICS_API "2021-05-01-preview"
#define METRICS_API "2024-02-01"
#define METRICS_BATCH_API "2023-10-01"
#define GRAPH_API "2024-04-01"
#define METRICS_BATCH_MAX 50
/* Azure keeps finished import jobs for about 72 hours (azure-apis.md B.1). */
#define JOB_RETENTION_S (72 * 3600)

static const char graph_query[] =
	"resources | where type =~ 'microsoft.storagecache/amlfilesystems'"
	"%s | project id, name, type, location, tags, zones, sku, identity, "
	"systemData, properties, subscriptionId, resourceGroup | order by id asc";

/* The metrics read per file system, in two calls: per OST and per MDT. */
static const struct metric_group {
	const char *names, *dimension;
} metric_groups[] = {
	{ "ClientReadThroughput,ClientWriteThroughput,ClientReadOps,"
	  "ClientWriteOps,OSTBytesUsed,OSTBytesTotal", "ostnum" },
	{ "MDTBytesUsed,MDTBytesTotal,MDTFilesUsed", "mdtnum" },
};

enum ttype {
	T_SUBSCRIPTIONS, T_SUBSCRIPTION, T_RESOURCE_GROUP, T_FILESYSTEMS,
	T_GRAPH, T_CHILD, T_METRICS, T_COSTS,
};

#define KIND_COST_QUERY "cost_query"

struct task {
	enum ttype type;
	const char *kind;	/* evidence kind (project.h) */
	const char *audience;	/* borrowed from the collector */
	const char *method;
	char *subject;
	char *scope;		/* ledger scope: subscription id or "tenant" */
	char *url;
	char *body;		/* request body, or NULL */
	json_t *query;		/* Resource Graph request, re-sent per page */
	struct arm_pager pager;
	int paged;
	struct cost_scope *costs;	/* T_COSTS: the scope's queries */
	int sent;		/* queued on the transport, answer pending */
	long sent_ms;		/* first sent, run_ms() */
	struct task *next_all, **prev_all;	/* the collector's live tasks */
	struct task *next_cost;		/* T_COSTS waiting for their turn */
};

struct ledger_row {
	char *scope;
	const char *list;
	long requests, pages, items, retries, throttled, wait_ms, errors;
	long started_ms, finished_ms;	/* first sent, last answer: run_ms() */
};

/* A file system found, for its child lists and metrics. */
struct fs_ref {
	char *id, *sub, *location;
	int metrics_queued;
};

/* A subscription's file-system lists still being read. */
struct sub_lists {
	char *sub;
	int left;
};

struct collector {
	struct store *s;
	struct transport *t;
	struct arm_client *arm;
	struct projector *proj;
	struct evidence_writer *ev;
	const struct config *cfg;
	const struct collect_options *o;
	struct collect_result *res;
	const char *arm_audience, *metrics_audience, *metrics_endpoint;
	char *base;		/* Resource Manager URL */
	sqlite3_int64 run_id;
	long long t0_ms;	/* monotonic, when the run started */
	int seq;
	struct task *costs_waiting, **costs_tail;	/* scopes not started */
	long costs_running;		/* scopes being queried now */
	struct sub_lists *lists;	/* per subscription */
	size_t n_lists;
	struct task *tasks;
	struct strlist seen;	/* lower-case ids already queued for */
	struct fs_ref *fs;
	size_t n_fs;
	struct ledger_row *ledger;
	size_t n_ledger;
	char timespan_start[21], timespan_end[21];
};

static int seen_before(struct collector *c, const char *what, const char *id)
{
	struct sbuf key = SBUF_INIT;
	char *low;
	size_t i;

	sbuf_addf(&key, "%s:%s", what, id);
	low = lower_dup(key.buf);
	sbuf_release(&key);
	for (i = 0; i < c->seen.n; i++) {
		if (!strcmp(c->seen.v[i], low)) {
			free(low);
			return 1;
		}
	}
	c->seen.v = xrealloc(c->seen.v, (c->seen.n + 1) * sizeof(char *));
	c->seen.v[c->seen.n++] = low;
	return 0;
}

static int *sub_lists_left(struct collector *c, const char *sub)
{
	size_t i;

	for (i = 0; i < c->n_lists; i++)
		if (!strcmp(c->lists[i].sub, sub))
			return &c->lists[i].left;
	c->lists = xrealloc(c->lists, (c->n_lists + 1) * sizeof(*c->lists));
	c->lists[c->n_lists].sub = xstrdup(sub);
	c->lists[c->n_lists].left = 0;
	return &c->lists[c->n_lists++].left;
}

static struct ledger_row *ledger(struct collector *c, const char *scope,
				 const char *list)
{
	struct ledger_row *l;
	size_t i;

	for (i = 0; i < c->n_ledger; i++) {
		l = &c->ledger[i];
		if (l->list == list && !strcmp(l->scope, scope))
			return l;
	}
	c->ledger = xrealloc(c->ledger, (c->n_ledger + 1) * sizeof(*c->ledger));
	l = &c->ledger[c->n_ledger++];
	memset(l, 0, sizeof(*l));
	l->scope = xstrdup(scope);
	l->list = list;
	return l;
}

static void progress(struct collector *c)
{
	if (c->o->progress)
		c->o->progress(c->o->ctx, c->res->requests, c->res->filesystems);
}

/* ---- queueing ---------------------------------------------------------- */

/* Milliseconds since the run started (at least 1: 0 means "not yet"). */
static long run_ms(const struct collector *c)
{
	long long ms = time_monotonic_ms() - c->t0_ms;

	return ms < 1 ? 1 : (long)ms;
}

static int send_task(struct collector *c, struct task *tk, struct err_detail *d)
{
	tk->sent = 1;
	struct http_request req = {
		.method = tk->method, .url = tk->url, .body = tk->body,
		.body_len = tk->body ? strlen(tk->body) : 0,
		.audience = tk->audience,
		/* Their own budget: never behind the ARM reads' backlog. */
		.lane = tk->type == T_COSTS ? HTTP_LANE_COSTS : HTTP_LANE_ARM,
	};

	if (!tk->sent_ms)
		tk->sent_ms = run_ms(c);
	return c->t->start(c->t, &req, tk, d);
}

static struct task *new_task(struct collector *c, enum ttype type,
			     const char *kind, const char *subject,
			     const char *scope, char *url)
{
	struct task *tk = xcalloc(1, sizeof(*tk));

	tk->type = type;
	tk->kind = kind;
	tk->audience = c->arm_audience;
	tk->method = "GET";
	tk->subject = xstrdup(subject);
	tk->scope = xstrdup(scope);
	tk->url = url;
	tk->next_all = c->tasks;
	if (c->tasks)
		c->tasks->prev_all = &tk->next_all;
	tk->prev_all = &c->tasks;
	c->tasks = tk;
	return tk;
}

static int queue_list(struct collector *c, enum ttype type, const char *kind,
		      const char *subject, const char *scope, char *url,
		      struct err_detail *d)
{
	struct task *tk = new_task(c, type, kind, subject, scope, url);

	tk->paged = 1;
	arm_pager_init(&tk->pager, url, c->cfg->max_pages);
	if (type == T_FILESYSTEMS)
		(*sub_lists_left(c, subject))++;
	return send_task(c, tk, d);
}

static int queue_get(struct collector *c, enum ttype type, const char *kind,
		     const char *subject, const char *scope, char *url,
		     struct err_detail *d)
{
	return send_task(c, new_task(c, type, kind, subject, scope, url), d);
}

static void task_free(struct task *tk)
{
	cost_scope_free(tk->costs);
	*tk->prev_all = tk->next_all;
	if (tk->next_all)
		tk->next_all->prev_all = tk->prev_all;
	if (tk->paged)
		arm_pager_release(&tk->pager);
	free(tk->subject);
	free(tk->scope);
	free(tk->url);
	free(tk->body);
	json_decref(tk->query);
	free(tk);
}

/* ---- what each answer leads to ----------------------------------------- */

static int queue_fs_lists(struct collector *c, const char *sub,
			  struct err_detail *d)
{
	static const char fs_path[] =
		"/providers/Microsoft.StorageCache/amlFilesystems";
	const struct strlist *rgs = &c->cfg->resource_groups;
	struct sbuf path = SBUF_INIT;
	size_t j;
	int r = 0;

	for (j = 0; j < (rgs->n ? rgs->n : 1) && r >= 0; j++) {
		sbuf_reset(&path);
		if (rgs->n)
			sbuf_addf(&path, "/subscriptions/%s/resourceGroups/%s%s",
				  sub, rgs->v[j], fs_path);
		else
			sbuf_addf(&path, "/subscriptions/%s%s", sub, fs_path);
		r = queue_list(c, T_FILESYSTEMS, KIND_FILESYSTEMS, sub, sub,
			       arm_url(c->arm, path.buf, NULL), d);
	}
	sbuf_release(&path);
	return r;
}

/* A scope's cost queries (costs/schedule.h), one at a time. */
static int queue_costs(struct collector *c, const char *scope,
		       const char *ledger_scope, struct err_detail *d)
{
	struct cost_period period = {
		.now = c->o->now, .from = c->o->cost_from, .to = c->o->cost_to,
		.refresh = c->o->refresh_costs,
	};
	struct cost_scope *cs;
	struct task *tk;
	char *path;
	int r;

	r = cost_scope_plan(c->s, c->cfg, scope, &period, &cs);
	if (r < 0 || !cs)
		return r;
	path = cost_scope_path(cs);
	tk = new_task(c, T_COSTS, KIND_COST_QUERY, scope, ledger_scope,
		      arm_url(c->arm, path, COST_QUERY_API));
	free(path);
	tk->method = "POST";
	tk->costs = cs;
	tk->body = xstrdup(cost_scope_body(cs));
	tk->paged = 1;
	arm_pager_init(&tk->pager, tk->url, c->cfg->max_pages);
	/* Few scopes at a time: the tenant's query budget is small (E.5). */
	if (c->costs_running >= c->cfg->cost_parallel) {
		*c->costs_tail = tk;
		c->costs_tail = &tk->next_cost;
		return 0;
	}
	c->costs_running++;
	return send_task(c, tk, d);
}

static int add_subscription(struct collector *c, const char *sub, int list_fs,
			    struct err_detail *d)
{
	struct sbuf path = SBUF_INIT;
	int r = 0;

	if (seen_before(c, "sub", sub))
		return 0;
	if (list_fs && !c->o->costs_only)
		r = queue_fs_lists(c, sub, d);
	if (r == 0 && c->cfg->cost_query && !c->cfg->billing_scope) {
		sbuf_addf(&path, "subscriptions/%s", sub);
		r = queue_costs(c, path.buf, sub, d);
		sbuf_reset(&path);
	}
	if (c->o->costs_only)
		goto out;
	if (r == 0 && c->cfg->scope_tags) {
		sbuf_addf(&path, "/subscriptions/%s", sub);
		r = queue_get(c, T_SUBSCRIPTION, KIND_SUBSCRIPTION, sub, sub,
			      arm_url(c->arm, path.buf, SUBSCRIPTIONS_API), d);
	}
out:
	sbuf_release(&path);
	return r;
}

static int queue_children(struct collector *c, const char *id,
			  const char *sub, struct err_detail *d)
{
	static const struct { const char *kind, *seg, *version; int jobs; } lists[] = {
		{ KIND_IMPORT_JOBS, "/importJobs", NULL, 1 },
		{ KIND_AUTO_EXPORT_JOBS, "/autoExportJobs", NULL, 1 },
		{ KIND_AUTO_IMPORT_JOBS, "/autoImportJobs", NULL, 1 },
		{ KIND_ROLE_ASSIGNMENTS, "/providers/Microsoft.Authorization/"
		  "roleAssignments?$filter=atScope()", ROLE_ASSIGNMENTS_API, 0 },
		{ KIND_LOCKS, "/providers/Microsoft.Authorization/locks",
		  LOCKS_API, 0 },
		{ KIND_DIAGNOSTIC_SETTINGS, "/providers/Microsoft.Insights/"
		  "diagnosticSettings", DIAGNOSTICS_API, 0 },
	};
	struct sbuf path = SBUF_INIT;
	size_t k;
	int r = 0;

	for (k = 0; k < sizeof(lists) / sizeof(lists[0]) && r >= 0; k++) {
		if (lists[k].jobs ? !c->cfg->jobs : !c->cfg->access)
			continue;
		sbuf_reset(&path);
		sbuf_addf(&path, "%s%s", id, lists[k].seg);
		r = queue_list(c, T_CHILD, lists[k].kind, id, sub,
			       arm_url(c->arm, path.buf, lists[k].version), d);
	}
	sbuf_release(&path);
	return r;
}

static int add_filesystem(struct collector *c, json_t *item,
			  struct err_detail *d)
{
	const char *id = json_string_value(json_object_get(item, "id"));
	const char *loc = json_string_value(json_object_get(item, "location"));
	char *sub = NULL, *rg = NULL;
	struct sbuf path = SBUF_INIT;
	struct fs_ref *f;
	int r;

	if (!id || !json_object_get(item, "properties") ||
	    arm_id_parse(id, &sub, &rg) < 0 || seen_before(c, "fs", id)) {
		free(sub);
		free(rg);
		return 0;
	}
	c->res->filesystems++;
	c->fs = xrealloc(c->fs, (c->n_fs + 1) * sizeof(*c->fs));
	f = &c->fs[c->n_fs++];
	memset(f, 0, sizeof(*f));
	f->id = xstrdup(id);
	f->sub = xstrdup(sub);
	f->location = lower_dup(loc ? loc : "unknown");
	r = queue_children(c, id, sub, d);
	if (r == 0 && c->cfg->scope_tags) {
		sbuf_addf(&path, "/subscriptions/%s/resourcegroups/%s", sub, rg);
		if (!seen_before(c, "rg", path.buf))
			r = queue_get(c, T_RESOURCE_GROUP, KIND_RESOURCE_GROUP,
				      path.buf, sub,
				      arm_url(c->arm, path.buf, RESOURCE_GROUP_API),
				      d);
	}
	/* Resource Graph spans subscriptions: read each one's tags too. */
	if (r == 0 && !strcmp(c->cfg->discovery, "resource-graph"))
		r = add_subscription(c, sub, 0, d);
	sbuf_release(&path);
	free(sub);
	free(rg);
	return r;
}

static int on_page(struct collector *c, struct task *tk, json_t *page,
		   struct err_detail *d)
{
	const char *key = tk->type == T_GRAPH ? "data" : "value";
	json_t *v;
	size_t i;
	int r = 0;

	if (tk->type != T_SUBSCRIPTIONS && tk->type != T_FILESYSTEMS &&
	    tk->type != T_GRAPH)
		return 0;
	json_array_foreach(json_object_get(page, key), i, v) {
		if (tk->type == T_SUBSCRIPTIONS) {
			const char *id = json_string_value(
				json_object_get(v, "subscriptionId"));
			const char *state = json_string_value(
				json_object_get(v, "state"));

			/* A disabled subscription has nothing to read. */
			if (id && (!state || (strcmp(state, "Disabled") &&
					      strcmp(state, "Deleted"))))
				r = add_subscription(c, id, 1, d);
		} else {
			r = add_filesystem(c, v, d);
		}
		if (r < 0)
			break;
	}
	return r;
}

/* ---- metrics ----------------------------------------------------------- */

static void add_param(struct sbuf *sb, const char *name, const char *value)
{
	char *v = curl_easy_escape(NULL, value, 0);

	sbuf_addf(sb, "%s%s=%s", strchr(sb->buf, '?') ? "&" : "?", name, v);
	curl_free(v);
}

static void metric_params(struct collector *c, struct sbuf *url,
			  const struct metric_group *g, int batch)
{
	char filter[64], top[8];

	snprintf(filter, sizeof(filter), "%s eq '*'", g->dimension);
	snprintf(top, sizeof(top), "%d", 1000);
	add_param(url, "metricnamespace", "Microsoft.StorageCache/amlFilesystems");
	add_param(url, "metricnames", g->names);
	if (batch) {
		add_param(url, "starttime", c->timespan_start);
		add_param(url, "endtime", c->timespan_end);
	} else {
		struct sbuf span = SBUF_INIT;

		sbuf_addf(&span, "%s/%s", c->timespan_start, c->timespan_end);
		add_param(url, "timespan", span.buf);
		sbuf_release(&span);
	}
	add_param(url, "interval", "PT1H");
	add_param(url, "aggregation", "average");
	add_param(url, batch ? "filter" : "$filter", filter);
	add_param(url, "top", top);
	add_param(url, "api-version", batch ? METRICS_BATCH_API : METRICS_API);
}

static int queue_metrics_one(struct collector *c, const struct fs_ref *f,
			     struct err_detail *d)
{
	struct sbuf url = SBUF_INIT;
	size_t g;
	int r = 0;

	for (g = 0; g < 2 && r == 0; g++) {
		sbuf_reset(&url);
		sbuf_addf(&url, "%s%s/providers/Microsoft.Insights/metrics",
			  c->base, f->id);
		metric_params(c, &url, &metric_groups[g], 0);
		r = queue_get(c, T_METRICS, KIND_METRICS, f->id, f->sub,
			      sbuf_detach(&url, NULL), d);
	}
	sbuf_release(&url);
	return r;
}

/* One getBatch call per metric group for up to 50 file systems of one
 * subscription and region, starting at fs[first]. */
static int queue_metrics_batch(struct collector *c, size_t first,
			       const char *sub, const char *region,
			       struct err_detail *d)
{
	struct sbuf url = SBUF_INIT, subject = SBUF_INIT;
	json_t *ids = json_array(), *body = json_object();
	const char *host = c->metrics_endpoint, *p;
	size_t i, g;
	int r = 0;

	for (i = first; i < c->n_fs && json_array_size(ids) < METRICS_BATCH_MAX;
	     i++) {
		if (c->fs[i].metrics_queued || strcmp(c->fs[i].sub, sub) ||
		    strcmp(c->fs[i].location, region))
			continue;
		c->fs[i].metrics_queued = 1;
		json_array_append_new(ids, json_string(c->fs[i].id));
	}
	json_object_set(body, "resourceids", ids);
	sbuf_addf(&subject, "%s/%s", sub, region);
	for (g = 0; g < 2 && r == 0; g++) {
		struct task *tk;

		sbuf_reset(&url);
		p = strstr(host, "{region}");
		if (p)
			sbuf_addf(&url, "%.*s%s%s", (int)(p - host), host, region,
				  p + 8);
		else
			sbuf_adds(&url, host);
		sbuf_addf(&url, "/subscriptions/%s/metrics:getBatch", sub);
		metric_params(c, &url, &metric_groups[g], 1);
		tk = new_task(c, T_METRICS, KIND_METRICS, subject.buf, sub,
			      sbuf_detach(&url, NULL));
		tk->method = "POST";
		tk->audience = c->metrics_audience;
		tk->body = json_dumps(body, JSON_COMPACT);
		r = send_task(c, tk, d);
	}
	json_decref(ids);
	json_decref(body);
	sbuf_release(&url);
	sbuf_release(&subject);
	return r;
}

static int record_error(struct collector *c, const char *url, long status,
			const char *code, const char *message,
			struct err_detail *d);

/* A location that cannot stand in a host name: its metrics are not read. */
static int bad_region(struct collector *c, const struct fs_ref *f,
		      struct err_detail *d)
{
	struct sbuf msg = SBUF_INIT;
	int r;

	sbuf_addf(&msg, "location '%.100s' is not a region name "
		  "(^[a-z0-9]+$): its metrics were not asked for", f->location);
	ledger(c, f->sub, KIND_METRICS)->errors++;
	r = record_error(c, f->id, 0, "InvalidLocation", msg.buf, d);
	sbuf_release(&msg);
	return r;
}

/*
 * The metrics of the file systems of sub (NULL: all) not yet asked for:
 * called when a subscription's lists are read, so metrics calls go out
 * while the rest of the estate is still being read.
 */
static int queue_metrics(struct collector *c, const char *sub,
			 struct err_detail *d)
{
	size_t i;
	int r = 0;

	if (!strcmp(c->cfg->metrics, "off"))
		return 0;
	for (i = 0; i < c->n_fs && r == 0; i++) {
		struct fs_ref *f = &c->fs[i];

		if (f->metrics_queued || (sub && strcmp(f->sub, sub)))
			continue;
		if (!strcmp(c->cfg->metrics, "per-resource")) {
			f->metrics_queued = 1;
			r = queue_metrics_one(c, f, d);
		} else if (!url_region_ok(f->location)) {
			/* It would become part of the metrics host name. */
			f->metrics_queued = 1;
			r = bad_region(c, f, d);
		} else {
			/* A batch: up to 50 of this subscription and region. */
			r = queue_metrics_batch(c, i, f->sub, f->location, d);
		}
	}
	return r;
}

/* ---- storing answers --------------------------------------------------- */

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

/* A run error's code for a request that got no usable answer. */
static const char *error_code(int err)
{
	switch (err) {
	case -ERR_NOT_FOUND:
		return "NotRecorded";
	case -ERR_TOO_LARGE:
		return "ResponseTooLarge";
	case -ERR_HTTP_401:
	case -ERR_CONFIG:
	case -EACCES:
		return "AuthenticationFailed";
	case -ERR_REPLAY:
		return "RecordingUnreadable";
	default:
		return "TransportError";
	}
}

/* Say which response broke the run: file (replay) or URL, and where. */
static void blame(struct err_detail *d, const struct http_response *resp,
		  const char *method, const char *url, const char *json_where)
{
	char *safe = url_redact(url);

	if (resp->origin)
		err_where(d, "%s%s (%s %s)", resp->origin, json_where, method,
			  safe);
	else
		err_where(d, "%s %s%s", method, safe, json_where);
	free(safe);
}

static int store_answer(struct collector *c, struct task *tk,
			struct http_response *resp, sqlite3_int64 *ret_id,
			struct err_detail *d)
{
	struct evidence_item e = {
		.run_id = c->run_id, .seq = ++c->seq, .kind = tk->kind,
		.subject = tk->subject, .method = tk->method, .url = tk->url,
		.request_body = tk->body, .status = resp->status,
		.projected = resp->status >= 200 && resp->status <= 299,
		.request_id = resp->request_id, .body = resp->body.buf,
		.body_len = resp->body.len,
	};
	char now[21];
	time_t t = 0;

	time_now_iso(now);	/* honours AMLFS_AUDIT_NOW, as the run does */
	time_parse_iso(now, &t);
	e.fetched_at = (long long)t;
	c->res->evidence++;
	return evidence_add(c->ev, &e, ret_id, NULL, d);
}

static int set_projected(struct collector *c, sqlite3_int64 id, int yes,
			 struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r = store_prepare(c->s, "UPDATE evidence SET projected = ?2 "
			      "WHERE id = ?1", &st, d);

	if (r == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, yes);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = store_sql_error(c->s, "cannot mark evidence", d);
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * A 2xx answer's body parsed into *ret (NULL for a 204: only a 204 says
 * "nothing"; a 200 with no body is an answer cut short, which read as an
 * empty list and its file systems as removed). A key given twice is
 * refused: jansson keeps the last, SQLite's json_extract() over the
 * evidence the first. -ERR_JSON with why (and pos, when not NULL: where).
 */
static int parse_answer(const struct http_response *resp, json_t **ret,
			struct err_detail *why, char pos[64])
{
	json_error_t je;

	*ret = NULL;
	if (resp->status == 204)
		return 0;
	if (!resp->body.len) {
		err_set(why, "invalid JSON: an empty body (HTTP %ld, not 204)",
			resp->status);
		return -ERR_JSON;
	}
	*ret = json_loadb(resp->body.buf, resp->body.len,
			  JSON_REJECT_DUPLICATES, &je);
	if (*ret)
		return 0;
	err_set(why, "invalid JSON: %s", je.text);
	if (pos)
		snprintf(pos, 64, ":%d:%d", je.line, je.column);
	return -ERR_JSON;
}

/*
 * Parse and project a 2xx answer inside a savepoint, so a page that fails
 * half-way leaves none of its rows. Returns 0 with *ret the parsed body,
 * 1 when the body was unreadable (recorded; live only), negative to break
 * the run.
 */
static int take_answer(struct collector *c, struct task *tk,
		       struct http_response *resp, sqlite3_int64 evid,
		       json_t **ret, struct err_detail *d)
{
	struct err_detail why = { "", "" };
	json_t *j = NULL;
	char pos[64] = "";
	int r;

	r = parse_answer(resp, &j, &why, pos);
	if (r == 0 && !j)	/* 204 */
		j = json_pack("{s:[]}", tk->type == T_GRAPH ? "data" : "value");
	if (r == 0) {
		r = store_exec(c->s, "SAVEPOINT page", d);
		if (r < 0)
			goto out;
		r = project_page(c->proj, c->run_id, evid,
				 tk->kind, tk->subject, j, &why);
		if (r < 0 && r != -ERR_JSON) {
			*d = why;
			goto out;
		}
		if (store_exec(c->s, r < 0 ? "ROLLBACK TO page; RELEASE page" :
			       "RELEASE page", d) < 0) {
			r = -ERR_SQL;
			goto out;
		}
	}
	if (r == 0) {
		*ret = j;
		return 0;
	}
	json_decref(j);
	j = NULL;
	blame(&why, resp, tk->method, tk->url, pos);
	if (c->o->strict) {
		*d = why;
		return r;
	}
	r = set_projected(c, evid, 0, d);
	if (r == 0)
		r = record_error(c, tk->url, resp->status, "InvalidResponse",
				 why.msg, d);
	return r < 0 ? r : 1;
out:
	json_decref(j);
	return r;
}

static int http_failure(struct collector *c, struct task *tk,
			const struct http_response *resp, struct err_detail *d)
{
	char *code = NULL, *msg = NULL, text[64];
	int r;

	arm_error_parse(&resp->body, &code, &msg);
	snprintf(text, sizeof(text), "HTTP %ld", resp->status);
	r = record_error(c, tk->url, resp->status, code, msg ? msg : text, d);
	free(code);
	free(msg);
	return r;
}

/*
 * The next page of a list: 1 queued, 0 the list is done, 2 the list ended
 * in an error (recorded), <0 broken. A nextLink is followed only to the
 * origin (scheme, host, port) of the request it answers, or the token
 * would go wherever a response says.
 */
static int next_page(struct collector *c, struct task *tk, json_t *page,
		     struct err_detail *d)
{
	struct err_detail why;
	json_t *link = NULL;
	int r;

	if (!tk->paged)
		return 0;
	if (tk->type == T_GRAPH) {
		/* Resource Graph pages by $skipToken in the same POST; the
		 * pager checks the tokens for loops as it does links. */
		link = json_pack("{s:s?}", "nextLink", json_string_value(
			json_object_get(page, "$skipToken")));
		page = link;
	}
	r = arm_pager_advance(&tk->pager, page, &why);
	json_decref(link);
	if (r == 1 && tk->type != T_GRAPH &&
	    !url_same_origin(tk->pager.url, tk->url)) {
		char *safe = url_redact(tk->pager.url);

		err_set(&why, "nextLink leaves the origin of the request: "
			"'%.300s' was not followed", safe);
		free(safe);
		r = -ERR_PAGING;
	}
	if (r == -ERR_PAGING) {
		ledger(c, tk->scope, tk->kind)->errors++;
		r = record_error(c, tk->url, 0, "PagingError", why.msg, d);
		return r < 0 ? r : 2;
	}
	if (r <= 0)
		return r;
	if (tk->type == T_GRAPH) {
		/* Same URL; the token goes into the body. */
		json_object_set_new(json_object_get(tk->query, "options"),
				    "$skipToken", json_string(tk->pager.url));
		free(tk->body);
		tk->body = json_dumps(tk->query, JSON_COMPACT);
	} else {
		free(tk->url);
		tk->url = xstrdup(tk->pager.url);
	}
	return send_task(c, tk, d) < 0 ? -ERR_TRANSPORT : 1;
}

static void count(struct collector *c, struct task *tk,
		  const struct http_response *resp, json_t *page)
{
	struct ledger_row *l = ledger(c, tk->scope, tk->kind);
	const char *key = tk->type == T_GRAPH ? "data" :
			  tk->type == T_METRICS ? "values" : "value";
	json_t *list = page ? json_object_get(page, key) : NULL;
	long now = run_ms(c);

	if (!l->started_ms || (tk->sent_ms && tk->sent_ms < l->started_ms))
		l->started_ms = tk->sent_ms;
	if (now > l->finished_ms)
		l->finished_ms = now;
	l->requests += resp->attempts;
	l->retries += resp->attempts > 1 ? resp->attempts - 1 : 0;
	l->throttled += resp->throttles;
	l->wait_ms += resp->throttled_ms;
	c->res->requests += resp->attempts;
	c->res->retries += resp->attempts > 1 ? resp->attempts - 1 : 0;
	c->res->throttled += resp->throttles;
	if (page) {
		l->pages++;
		l->items += json_is_array(list) ? (long)json_array_size(list) : 1;
	}
}

/*
 * A Cost Management answer (204: no rows) into its query's source. Returns
 * 0 with *ret the page (NULL for 204), 1 when unreadable (recorded), <0 to
 * break the run (strict mode, database).
 */
static int take_cost_answer(struct collector *c, struct task *tk,
			    struct http_response *resp, sqlite3_int64 evid,
			    json_t **ret, struct err_detail *d)
{
	struct err_detail why = { "", "" };
	json_t *j = NULL;
	int r;

	r = set_projected(c, evid, 0, d);	/* cost rows, not views */
	if (r < 0)
		return r;
	r = parse_answer(resp, &j, &why, NULL);
	if (r == 0) {
		r = cost_scope_take(tk->costs, c->s, c->run_id, j, &why);
		if (r < 0 && r != -ERR_JSON) {
			*d = why;
			json_decref(j);
			return r;
		}
	}
	if (r == 0) {
		*ret = j;
		return 0;
	}
	json_decref(j);
	blame(&why, resp, tk->method, tk->url, "");
	if (c->o->strict) {
		*d = why;
		return r;
	}
	r = record_error(c, tk->url, resp->status, "InvalidResponse", why.msg, d);
	return r < 0 ? r : 1;
}

/*
 * The scope's current query is done (ok: read to its last page; else it
 * failed and leaves no rows): send its next one, or let the next scope
 * waiting take its turn. 1 when this task was sent again, 0 when it is
 * done.
 */
static int next_cost_query(struct collector *c, struct task *tk, int ok,
			   struct err_detail *d)
{
	struct task *next;
	int r = cost_scope_next(tk->costs, c->s, ok, d);

	if (r < 0)
		return r;
	if (r == 0) {
		next = c->costs_waiting;
		if (!next) {
			c->costs_running--;
			return 0;
		}
		c->costs_waiting = next->next_cost;
		if (!c->costs_waiting)
			c->costs_tail = &c->costs_waiting;
		return send_task(c, next, d) < 0 ? -ERR_TRANSPORT : 0;
	}
	free(tk->body);
	tk->body = xstrdup(cost_scope_body(tk->costs));
	free(tk->url);
	tk->url = xstrdup(tk->pager.seen ? tk->pager.seen[0] : tk->pager.url);
	arm_pager_release(&tk->pager);
	arm_pager_init(&tk->pager, tk->url, c->cfg->max_pages);
	return send_task(c, tk, d) < 0 ? -ERR_TRANSPORT : 1;
}

/* One finished request: store it and follow where it leads. */
static int handle(struct collector *c, struct task *tk, struct http_done *done,
		  struct err_detail *d)
{
	struct http_response *resp = &done->resp;
	sqlite3_int64 evid = 0;
	json_t *page = NULL;
	int r, more = 0;

	tk->sent = 0;	/* next_page() sets it again */

	if (c->o->log) {
		char *safe = url_redact(tk->url);

		c->o->log(c->o->ctx, tk->method, safe, resp->status,
			  resp->attempts, 0, done->err < 0 ? done->detail.msg : NULL);
		free(safe);
	}

	if (done->err < 0) {
		count(c, tk, resp, NULL);
		ledger(c, tk->scope, tk->kind)->errors++;
		r = record_error(c, tk->url, resp->status, error_code(done->err),
				 done->detail.msg, d);
		if (r == 0 && tk->type == T_COSTS)
			r = next_cost_query(c, tk, 0, d);
		more = r == 1;
		r = r == 1 ? 0 : r;
		goto done;
	}
	if (c->o->record) {
		r = record_add(c->o->record, tk->method, tk->url, tk->body, resp, d);
		if (r < 0)
			return r;
	}
	r = store_answer(c, tk, resp, &evid, d);
	if (r < 0)
		return r;
	if (resp->status < 200 || resp->status > 299) {
		count(c, tk, resp, NULL);
		ledger(c, tk->scope, tk->kind)->errors++;
		r = http_failure(c, tk, resp, d);
		if (r == 0 && tk->type == T_COSTS)
			r = next_cost_query(c, tk, 0, d);
		more = r == 1;
		r = r == 1 ? 0 : r;
		goto done;
	}
	if (tk->type == T_COSTS) {
		r = take_cost_answer(c, tk, resp, evid, &page, d);
		if (r < 0)
			return r;
		if (r == 1) {	/* unreadable: this query's rows are dropped */
			r = next_cost_query(c, tk, 0, d);
			more = r == 1;
			r = r == 1 ? 0 : r;
			goto done;
		}
		count(c, tk, resp, page);
		r = next_page(c, tk, page, d);
		json_decref(page);
		if (r == 0 || r == 2)
			r = next_cost_query(c, tk, r == 0, d);
		if (r < 0)
			return r;
		more = r == 1;
		r = 0;
		goto done;
	}
	r = take_answer(c, tk, resp, evid, &page, d);
	if (r < 0)
		return r;
	if (r == 1) {
		count(c, tk, resp, NULL);
		ledger(c, tk->scope, tk->kind)->errors++;
		r = 0;
		goto done;
	}
	count(c, tk, resp, page);
	r = on_page(c, tk, page, d);
	if (r == 0)
		r = next_page(c, tk, page, d);
	json_decref(page);
	if (r < 0)
		return r;
	more = r == 1;
	r = 0;
done:
	if (r == 0 && !more && tk->type == T_GRAPH)
		r = queue_metrics(c, NULL, d);
	if (r == 0 && !more && tk->type == T_FILESYSTEMS &&
	    --*sub_lists_left(c, tk->subject) == 0)
		r = queue_metrics(c, tk->subject, d);
	return r;
}

/* ---- the run ----------------------------------------------------------- */

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
	if (strcmp(cfg->discovery, "list"))
		json_object_set_new(j, "discovery", json_string(cfg->discovery));
	/* How its cost rows were judged repeats (verify replays it). */
	if (cfg->cost_query)
		json_object_set_new(j, COST_SCOPE_REPEATS,
				    json_string(COST_REPEATS_EXACT));
	/* The cost rows kept for resources besides AMLFS (verify reads it). */
	if (cfg->cost_query && cfg->related.n) {
		a = json_array();
		for (i = 0; i < cfg->related.n; i++)
			json_array_append_new(a, json_string(cfg->related.v[i]));
		json_object_set_new(j, "related_resources", a);
	}
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* A note when the last good run is older than Azure keeps job records. */
static char *gap_note(struct collector *c, const char *now)
{
	sqlite3_stmt *st = NULL;
	struct sbuf sb = SBUF_INIT;
	time_t then, t;

	if (store_prepare(c->s, "SELECT id, finished_at FROM runs WHERE status "
			  "IN ('ok', 'partial') AND source IN ('live', 'replay') "
			  "ORDER BY id DESC LIMIT 1", &st,
			  NULL) < 0)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    time_parse_iso((const char *)sqlite3_column_text(st, 1), &then) == 0 &&
	    time_parse_iso(now, &t) == 0 && t - then > JOB_RETENTION_S)
		sbuf_addf(&sb, "%lld hours since run %lld: Azure drops finished "
			  "import jobs after about 72 hours, so job records may "
			  "be missing", (long long)(t - then) / 3600,
			  (long long)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	return sb.len ? sbuf_detach(&sb, NULL) : NULL;
}

static int insert_run(struct collector *c, struct err_detail *d)
{
	static const char sql[] =
		"INSERT INTO runs (started_at, status, tool_version, source, "
		"tenant_id, principal_id, scope, notes, hash_version) VALUES "
		"(?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, " CHAIN_VERSION ")";
	sqlite3_stmt *st = NULL;
	char now[21], *scope = scope_json(c->cfg), *note;
	int r;

	time_now_iso(now);
	note = gap_note(c, now);
	r = store_prepare(c->s, sql, &st, d);
	if (r < 0)
		goto out;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, AMLFS_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->o->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->o->tenant_id ? c->o->tenant_id :
			  c->cfg->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->o->principal_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, note, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = store_sql_error(c->s, "cannot start run", d);
		goto out;
	}
	c->run_id = sqlite3_last_insert_rowid(store_db(c->s));
out:
	sqlite3_finalize(st);
	free(scope);
	free(note);
	return r;
}

static int write_ledger(struct collector *c, struct err_detail *d)
{
	static const char sql[] =
		"INSERT INTO run_ledger (run_id, scope, list, requests, pages, "
		"items, retries, throttled, throttle_wait_ms, errors, "
		"started_ms, finished_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
	sqlite3_stmt *st = NULL;
	size_t i;
	int r;

	r = store_prepare(c->s, sql, &st, d);
	for (i = 0; i < c->n_ledger && r == 0; i++) {
		const struct ledger_row *l = &c->ledger[i];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, c->run_id);
		sqlite3_bind_text(st, 2, l->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, l->list, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, l->requests);
		sqlite3_bind_int64(st, 5, l->pages);
		sqlite3_bind_int64(st, 6, l->items);
		sqlite3_bind_int64(st, 7, l->retries);
		sqlite3_bind_int64(st, 8, l->throttled);
		sqlite3_bind_int64(st, 9, l->wait_ms);
		sqlite3_bind_int64(st, 10, l->errors);
		sqlite3_bind_int64(st, 11, l->started_ms);
		sqlite3_bind_int64(st, 12, l->finished_ms);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = store_sql_error(c->s, "cannot write the ledger", d);
	}
	sqlite3_finalize(st);
	return r;
}

/* Each kind's span, first request to last answer, from the ledger. */
static void kind_times(struct collector *c)
{
	long from[2] = { 0, 0 }, to[2] = { 0, 0 };
	size_t i;
	int k;

	for (i = 0; i < c->n_ledger; i++) {
		const struct ledger_row *l = &c->ledger[i];

		k = !strcmp(l->list, KIND_COST_QUERY);
		if (!l->started_ms)
			continue;
		if (!from[k] || l->started_ms < from[k])
			from[k] = l->started_ms;
		if (l->finished_ms > to[k])
			to[k] = l->finished_ms;
	}
	c->res->arm_ms = to[0] - from[0];
	c->res->cost_ms = to[1] - from[1];
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

static int start_discovery(struct collector *c, struct err_detail *d)
{
	const struct config *cfg = c->cfg;
	struct task *tk;
	size_t i;
	int r = 0;

	if (!strcmp(cfg->discovery, "resource-graph")) {
		struct sbuf where = SBUF_INIT;
		json_t *subs = json_array();
		char *query;

		for (i = 0; i < cfg->resource_groups.n; i++)
			sbuf_addf(&where, "%s'%s'", i ? ", " : " | where "
				  "resourceGroup in~ (", cfg->resource_groups.v[i]);
		if (where.len)
			sbuf_addch(&where, ')');
		query = xmalloc(sizeof(graph_query) + where.len);
		snprintf(query, sizeof(graph_query) + where.len, graph_query,
			 where.buf);
		for (i = 0; i < cfg->subscriptions.n; i++)
			json_array_append_new(subs, json_string(cfg->subscriptions.v[i]));
		tk = new_task(c, T_GRAPH, KIND_GRAPH, "tenant", "tenant",
			      arm_url(c->arm, "/providers/Microsoft.ResourceGraph/"
				      "resources", GRAPH_API));
		tk->method = "POST";
		tk->query = json_pack("{s:s,s:{s:i,s:s}}", "query", query,
				      "options", "$top", 1000, "resultFormat",
				      "objectArray");
		if (json_array_size(subs))
			json_object_set(tk->query, "subscriptions", subs);
		json_decref(subs);
		tk->body = json_dumps(tk->query, JSON_COMPACT);
		tk->paged = 1;
		arm_pager_init(&tk->pager, tk->url, cfg->max_pages);
		sbuf_release(&where);
		free(query);
		return send_task(c, tk, d);
	}
	if (cfg->cost_query && cfg->billing_scope) {
		r = queue_costs(c, cfg->billing_scope, "billing", d);
		if (r < 0 || c->o->costs_only)
			return r;
	}
	if (!cfg->subscriptions.n)
		return queue_list(c, T_SUBSCRIPTIONS, KIND_SUBSCRIPTIONS, "tenant",
				  "tenant", arm_url(c->arm, "/subscriptions",
						    SUBSCRIPTIONS_API), d);
	for (i = 0; i < cfg->subscriptions.n && r == 0; i++)
		r = add_subscription(c, cfg->subscriptions.v[i], 1, d);
	return r;
}

static void metrics_timespan(struct collector *c)
{
	char now[21];
	time_t t;

	time_now_iso(now);
	if (!c->o->now || time_parse_iso(c->o->now, &t) < 0)
		time_parse_iso(now, &t);
	time_iso(t, c->res->clock);
	t -= t % 3600;		/* whole hours: the same points every run */
	time_iso(t, c->timespan_end);
	time_iso(t - c->cfg->metrics_lookback_hours * 3600, c->timespan_start);
}

static int gather(struct collector *c, struct err_detail *d)
{
	struct http_done done;
	int r;

	r = start_discovery(c, d);
	while (r == 0 && c->t->next(c->t, &done) == 1) {
		struct task *tk = done.tag;

		r = handle(c, tk, &done, d);
		http_done_release(&done);
		/* Re-sent for its next page, or done with. */
		if (r == 0 && !tk->sent)
			task_free(tk);
		progress(c);
	}
	return r;
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

static void collector_release(struct collector *c)
{
	struct task *tk;
	size_t i;

	while ((tk = c->tasks))
		task_free(tk);	/* unlinks itself */
	for (i = 0; i < c->n_fs; i++) {
		free(c->fs[i].id);
		free(c->fs[i].sub);
		free(c->fs[i].location);
	}
	free(c->fs);
	for (i = 0; i < c->n_lists; i++)
		free(c->lists[i].sub);
	free(c->lists);
	for (i = 0; i < c->n_ledger; i++)
		free(c->ledger[i].scope);
	free(c->ledger);
	strlist_release(&c->seen);
	arm_client_free(c->arm);
	projector_free(c->proj);
	evidence_writer_free(c->ev);
	free(c->base);
}

int collect_run(struct store *s, struct transport *t, const struct config *cfg,
		const struct collect_options *o, struct collect_result *res,
		struct err_detail *d)
{
	struct collector c = { .s = s, .t = t, .cfg = cfg, .o = o, .res = res };

	c.costs_tail = &c.costs_waiting;
	const char *arm_host, *login_host, *metrics_host;
	long bodies_before = 0;
	int r;

	memset(res, 0, sizeof(*res));
	c.t0_ms = time_monotonic_ms();
	config_cloud_hosts(cfg->cloud, &arm_host, &login_host);
	config_cloud_metrics(cfg->cloud, &metrics_host, &c.metrics_audience);
	c.arm_audience = arm_host;
	c.base = xstrdup(cfg->resource_manager ? cfg->resource_manager : arm_host);
	while (*c.base && c.base[strlen(c.base) - 1] == '/')
		c.base[strlen(c.base) - 1] = '\0';
	c.metrics_endpoint = cfg->metrics_endpoint ? cfg->metrics_endpoint :
			     metrics_host;
	c.arm = arm_client_new(c.base, cfg->api_version);
	c.proj = projector_new(store_db(s));
	projector_collecting(c.proj);
	c.ev = evidence_writer_new(s);
	metrics_timespan(&c);
	r = store_begin(s, d);
	if (r < 0)
		goto out;
	/* Counted under the write lock: a collect that waited for another
	 * one does not count the other's bodies as its own. */
	bodies_before = count_bodies(s);
	r = insert_run(&c, d);
	if (r == 0)
		r = gather(&c, d);
	res->status = res->errors ? "partial" : "ok";
	kind_times(&c);
	if (r == 0)
		r = project_run_end(c.proj, c.run_id, d);
	if (r == 0)
		r = write_ledger(&c, d);
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
		if (record_failed_run(&c, &why, d) == 0) {
			res->failed_recorded = 1;
			*d = why;
		} else {
			/* Both said: what broke the run, and that even the
			 * failed run could not be written (a full disk). */
			char also[sizeof(d->msg)];

			snprintf(also, sizeof(also), "%.200s; recording the "
				 "failed run failed too: %.200s", why.msg, d->msg);
			*d = why;
			snprintf(d->msg, sizeof(d->msg), "%s", also);
			c.run_id = 0;
		}
	}
	res->run_id = c.run_id;
	res->new_bodies = res->failed_recorded ? 0 :
			  count_bodies(s) - bodies_before;
out:
	progress(&c);
	collector_release(&c);
	return r;
}
