#include "policy/check.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/drift.h"
#include "policy/policy.h"
#include "policy/sqlfuncs.h"
#include "store/evidence.h"
#include "store/finding_runs.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const statuses[] = {
	"ok", "alarm", "exempt", "skip", "error"
};

const char *check_status_name(int i)
{
	return i >= 0 && i < 5 ? statuses[i] : "?";
}

int check_status_index(const char *status)
{
	int i;

	for (i = 0; i < 5; i++)
		if (!strcmp(statuses[i], status))
			return i;
	return -1;
}

/* The largest desired-state file read. */
#define CHECK_MAX_DESIRED (16u << 20)

/* What evaluation needs while rule_eval calls back. */
struct judge {
	struct policy *policy;
	const struct sbuf *desired;	/* the desired state, or empty */
	struct check_result *res;
	time_t now;
	size_t variant;		/* the parameter set being evaluated */
	int failed;		/* a policy error (regex limits): stop */
	struct err_detail *d;
};

static struct finding *add_finding(struct check_result *res, const char *rule,
				   const char *resource_id, const char *status,
				   enum rule_severity severity,
				   const char *reason)
{
	struct finding *f;

	res->v = xrealloc(res->v, (res->n + 1) * sizeof(*res->v));
	f = &res->v[res->n++];
	memset(f, 0, sizeof(*f));
	f->rule = xstrdup(rule);
	f->resource_id = xstrdup(resource_id);
	f->status = status;
	f->severity = severity;
	f->reason = xstrdup(reason);
	res->by_status[check_status_index(status)]++;
	return f;
}

/* One row of a rule (rule_id), with the policy's settings and exemptions. */
static int judge_row(struct judge *j, const char *rule_id,
		     const struct rule_row *row)
{
	const struct policy_exemption *e = NULL;
	struct policy_setting set;
	const char *status = rule_status_name(row->status);
	struct finding *f;
	int hit = 0;

	if (policy_setting_get(j->policy, rule_id, row->resource_id, &set) < 0 ||
	    !set.enabled || set.variant != j->variant)
		return 0;
	if (row->status == RULE_ALARM) {
		hit = policy_exemption_find(j->policy, rule_id,
					    row->resource_id, j->now, &e,
					    j->d);
		if (hit < 0) {
			j->failed = 1;
			return hit;
		}
	}
	f = add_finding(j->res, rule_id, row->resource_id,
			hit ? "exempt" : status, set.severity, row->reason);
	f->evidence = xstrdup_or_null(row->evidence);
	f->detail = xstrdup_or_null(row->detail);
	if (hit) {
		f->exemption = xstrdup(e->name);
		policy_exemption_used(j->policy, e);
	}
	return 0;
}

static int on_row(void *ctx, const struct rule *r, const struct rule_row *row)
{
	return judge_row(ctx, r->id, row);
}

/* A rule that broke while it ran is a finding, not the end of the check. */
static void rule_broke(struct judge *j, const struct rule *r,
		       const struct err_detail *why)
{
	struct policy_setting set;
	struct sbuf msg = SBUF_INIT;

	policy_setting_get(j->policy, r->id, NULL, &set);
	sbuf_addf(&msg, "the rule could not run: %s%s%s", why->msg,
		  why->where[0] ? " at " : "", why->where);
	add_finding(j->res, r->id, "/", "error", set.severity, msg.buf);
	sbuf_release(&msg);
}

/*
 * One rule with one parameter set, evaluated by a worker: its rows are
 * copied here and judged afterwards by the main thread in task order, so
 * findings, exemptions and their order do not depend on which worker ran
 * what, and the policy is only changed (exemptions marked used) by one
 * thread, after the workers are done; while they run they only read its
 * settings (check_in_scope).
 */
struct task {
	const struct rule *rule;
	size_t variant;
	const struct rule_param *params;
	size_t nparams;
	struct rule_row *rows;
	size_t n, alloc;
	int ret;
	struct err_detail why;
};

/* A stored check evaluated again: its run and the time it ran. */
struct asof {
	sqlite3_int64 run;
	char at[21];
};

/* What the workers share: the tasks, the next to take, the first failure. */
struct pool {
	const struct policy *policy;	/* read by the workers, not changed */
	const char *path;
	const struct asof *asof;
	sqlite3_int64 run;
	struct task *t;
	size_t *order;		/* t's indices, the order workers take them */
	size_t n, next;
	pthread_mutex_t lock;
	int ret;
	struct err_detail d;
};

/* The most workers: rules are read-only queries on their own connections. */
#define CHECK_MAX_WORKERS 4

static int keep_row(void *ctx, const struct rule *r, const struct rule_row *row)
{
	struct task *t = ctx;
	struct rule_row *c;

	(void)r;
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 64;
		t->rows = xrealloc(t->rows, t->alloc * sizeof(*t->rows));
	}
	c = &t->rows[t->n++];
	c->resource_id = xstrdup(row->resource_id);
	c->status = row->status;
	c->reason = xstrdup(row->reason);
	c->evidence = xstrdup_or_null(row->evidence);
	c->detail = xstrdup_or_null(row->detail);
	return 0;
}

static void task_release(struct task *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free((char *)t->rows[i].resource_id);
		free((char *)t->rows[i].reason);
		free((char *)t->rows[i].evidence);
		free((char *)t->rows[i].detail);
	}
	free(t->rows);
}

/*
 * For a check evaluated again: the cost rows and retail prices as they
 * stood when check run N ran (imported by a run up to N, not superseded
 * by one after it; legacy sources without a run by their ingestion time).
 * TEMP views shadow the main ones for the rules' unqualified names.
 */
static const char asof_sql[] =
	"CREATE TEMP VIEW costs_current AS\n"
	"SELECT r.*, s.kind AS source_kind, s.name AS source_name,\n"
	"       s.sha256 AS source_sha256, s.run_id AS source_run,\n"
	"       s.ingested_at\n"
	"FROM main.cost_rows r\n"
	"JOIN main.cost_sources s ON s.id = r.source\n"
	"WHERE coalesce(s.run_id <= %lld, s.ingested_at <= %Q)\n"
	"  AND NOT EXISTS (SELECT 1 FROM main.cost_sources x\n"
	"       WHERE x.id = r.superseded_by\n"
	"         AND coalesce(x.run_id <= %lld, x.ingested_at <= %Q));\n"
	"CREATE TEMP VIEW retail_prices AS\n"
	"SELECT * FROM main.retail_prices\n"
	"WHERE coalesce(run_id <= %lld, ingested_at <= %Q);\n";

static int create_asof_views(sqlite3 *db, sqlite3_int64 run, const char *at,
			     struct err_detail *d)
{
	char *sql = sqlite3_mprintf(asof_sql, (long long)run, at,
				    (long long)run, at, (long long)run, at);
	int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;

	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		err_set(d, "cannot make the cost views as of check run %lld: %s",
			(long long)run, sqlite3_errmsg(db));
		return -ERR_SQL;
	}
	return 0;
}

/*
 * A read-only connection with the rules' functions and helper views; with
 * asof (a check run evaluated again), the cost data as of that check.
 */
static int open_judge_db(const char *path, const struct asof *asof,
			 struct store **ret, struct err_detail *d)
{
	struct store *ro = NULL;
	int r;

	r = store_open(path, STORE_READONLY, &ro, d);
	/*
	 * SQLite's default page cache (2 MiB): the rules read a large
	 * history mostly once, and a bigger cache measured slower (every
	 * page malloc'd and faulted in) and larger.
	 */
	if (r == 0)
		r = policy_register_functions(store_db(ro), d);
	if (r == 0)
		r = policy_create_helpers(store_db(ro), d);
	if (r == 0 && asof)
		r = create_asof_views(store_db(ro), asof->run, asof->at, d);
	if (r < 0) {
		store_close(ro);
		return r;
	}
	*ret = ro;
	return 0;
}

/*
 * A rule of scope filesystem with a parameter set from overrides: the
 * file systems it is evaluated over, those whose setting is that set
 * (the rows of others would be dropped by judge_row anyway).
 */
struct scope {
	const struct policy *policy;
	const struct task *t;
};

static void in_scope_func(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	const struct scope *sc = sqlite3_user_data(c);
	const char *id = (const char *)sqlite3_value_text(argv[0]);
	struct policy_setting set;

	(void)argc;
	sqlite3_result_int(c, id && policy_setting_get(sc->policy,
						       sc->t->rule->id, id,
						       &set) == 0 &&
			   set.enabled && set.variant == sc->t->variant);
}

static int scoped(const struct task *t)
{
	return t->rule->per_filesystem && t->variant > 0;
}

/* A TEMP view shadows main.filesystems for the task; 0, or the error. */
static int scope_begin(sqlite3 *db, struct scope *sc, const struct task *t,
		       struct err_detail *d)
{
	sc->t = t;
	if (!scoped(t))
		return 0;
	if (sqlite3_exec(db, "CREATE TEMP VIEW filesystems AS SELECT * FROM "
			 "main.filesystems WHERE check_in_scope(resource_id)",
			 NULL, NULL, NULL) != SQLITE_OK) {
		err_set(d, "cannot limit the rule to its override's scope: %s",
			sqlite3_errmsg(db));
		return -ERR_SQL;
	}
	return 0;
}

/* The view gone again, or the error: left in place, it would limit the
 * worker's next rule to this task's scope. */
static int scope_end(sqlite3 *db, const struct task *t, struct err_detail *d)
{
	if (!scoped(t))
		return 0;
	if (sqlite3_exec(db, "DROP VIEW IF EXISTS temp.filesystems", NULL,
			 NULL, NULL) != SQLITE_OK) {
		err_set(d, "cannot lift the override's scope after the rule: %s",
			sqlite3_errmsg(db));
		return -ERR_SQL;
	}
	return 0;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct store *ro = NULL;
	struct err_detail d = { "", "" };
	struct scope sc = { .policy = p->policy };
	struct task *t;
	int r;

	r = open_judge_db(p->path, p->asof, &ro, &d);
	if (r == 0 && sqlite3_create_function_v2(store_db(ro),
			"check_in_scope", 1, SQLITE_UTF8, &sc, in_scope_func,
			NULL, NULL, NULL) != SQLITE_OK) {
		err_set(&d, "cannot register check_in_scope: %s",
			sqlite3_errmsg(store_db(ro)));
		r = -ERR_SQL;
	}
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (r < 0 && p->ret == 0) {
			p->ret = r;
			p->d = d;
		}
		t = r == 0 && p->ret == 0 && p->next < p->n ?
		    &p->t[p->order[p->next++]] : NULL;
		pthread_mutex_unlock(&p->lock);
		if (!t)
			break;
		t->ret = scope_begin(store_db(ro), &sc, t, &t->why);
		if (t->ret == 0)
			t->ret = rule_eval(store_db(ro), t->rule, p->run,
					   t->params, t->nparams, keep_row, t,
					   &t->why);
		/* (a view left behind fails the worker, not the rule) */
		r = scope_end(store_db(ro), t, &d);
	}
	store_close(ro);
	return NULL;
}

static size_t worker_count(size_t tasks)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus > 0 ? (size_t)cpus : 1;

	if (n > CHECK_MAX_WORKERS)
		n = CHECK_MAX_WORKERS;
	return n < tasks ? n : tasks ? tasks : 1;
}

/*
 * How long a rule is expected to take, roughly: the rules that read the
 * hourly metrics take longest (at 1,000 file systems and 90 days, 0.4 to
 * 0.6 s each against under 0.3 s for any other), then those reading the
 * inherited tags or the cost rows.
 */
static int rule_weight(const struct rule *r)
{
	int w = 0;
	size_t i;

	for (i = 0; i < r->n_reads; i++) {
		if (!strcmp(r->reads[i], "metrics"))
			w += 4;
		else if (!strcmp(r->reads[i], "effective_tags") ||
			 !strcmp(r->reads[i], "costs_current"))
			w += 1;
	}
	return w;
}

/*
 * The order workers take the tasks: the heaviest first (stable), so the
 * last task to finish is a short one and the workers end together. Their
 * rows are still judged in task order.
 */
static void pool_order(struct pool *p)
{
	size_t i, j;
	int *w = xmalloc((p->n ? p->n : 1) * sizeof(*w));

	p->order = xmalloc((p->n ? p->n : 1) * sizeof(*p->order));
	for (i = 0; i < p->n; i++) {
		w[i] = rule_weight(p->t[i].rule);
		/* insertion sort, stable: weight descending, then index */
		for (j = i; j > 0 && w[p->order[j - 1]] < w[i]; j--)
			p->order[j] = p->order[j - 1];
		p->order[j] = i;
	}
	free(w);
}

/* Run the tasks on up to CHECK_MAX_WORKERS threads; 0, or the error. */
static int run_pool(struct pool *p)
{
	pthread_t th[CHECK_MAX_WORKERS];
	size_t i, started = 0, n = worker_count(p->n);

	pool_order(p);
	pthread_mutex_init(&p->lock, NULL);
	for (i = 1; i < n; i++) {
		if (pthread_create(&th[started], NULL, worker, p) != 0)
			break;		/* fewer workers: still correct */
		started++;
	}
	worker(p);		/* this thread works too */
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p->lock);
	return p->ret;
}

/* Judge a task's rows in order; a negative return is a policy error. */
static int judge_task(struct judge *j, const struct task *t)
{
	size_t i;
	int r;

	j->variant = t->variant;
	for (i = 0; i < t->n; i++) {
		r = on_row(j, t->rule, &t->rows[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int eval_rules(const char *path, const struct asof *asof,
		      const struct rule_set *rules, struct judge *j)
{
	struct pool p = { .policy = j->policy, .path = path, .asof = asof,
			  .run = j->res->judged_run, .d = { "", "" } };
	size_t i, v, nv;
	int r;

	for (i = 0; i < rules->n; i++) {
		const struct rule *rule = &rules->v[i];

		if (!policy_rule_active(j->policy, rule->id))
			continue;
		nv = policy_variants(j->policy, rule->id);
		for (v = 0; v < nv; v++) {
			struct task *t;

			p.t = xrealloc(p.t, (p.n + 1) * sizeof(*p.t));
			t = &p.t[p.n++];
			memset(t, 0, sizeof(*t));
			t->rule = rule;
			t->variant = v;
			t->why = (struct err_detail){ "", "" };
			policy_variant_params(j->policy, rule->id, v,
					      &t->params, &t->nparams);
		}
	}
	r = run_pool(&p);
	if (r < 0)
		*j->d = p.d;
	for (i = 0; r == 0 && i < p.n; i++) {
		const struct task *t = &p.t[i];

		if (t->variant == 0)
			j->res->rules++;
		r = judge_task(j, t);
		if (r == 0 && t->ret < 0) {
			rule_broke(j, t->rule, &t->why);
			/* Its other parameter sets are not judged. */
			while (i + 1 < p.n && p.t[i + 1].rule == t->rule)
				i++;
		}
	}
	for (i = 0; i < p.n; i++)
		task_release(&p.t[i]);
	free(p.t);
	free(p.order);
	return r;
}

/*
 * Drift from the desired state: one result per file system it names,
 * judged like a rule's rows (the policy's "drift": on or off, severity,
 * exemptions).
 */
static int on_drift(void *ctx, const struct drift_row *row)
{
	struct rule_row r = {
		.resource_id = row->resource_id ? row->resource_id : "/",
		.status = row->status, .reason = row->reason,
		.evidence = row->evidence, .detail = row->detail,
	};

	return judge_row(ctx, POLICY_DRIFT_RULE, &r);
}

static int on_expired(void *ctx, const struct policy_exemption *e)
{
	struct judge *j = ctx;
	struct sbuf msg = SBUF_INIT;

	sbuf_addf(&msg, "exemption '%s' of rule '%s' expired on %s (approved "
		  "by %s, ticket %s): its findings count again", e->name,
		  e->rule, e->expires, e->approver, e->ticket);
	add_finding(j->res, "exemption-expired", e->resource ? e->resource :
		    e->resource_regex, "alarm", SEVERITY_MEDIUM, msg.buf)
		->exemption = xstrdup(e->name);
	sbuf_release(&msg);
	return 0;
}

static int on_unused(void *ctx, const struct policy_exemption *e)
{
	struct judge *j = ctx;
	struct sbuf msg = SBUF_INIT;

	sbuf_addf(&msg, "exemption '%s' of rule '%s' matched no finding (a "
		  "resource renamed or gone, or a rule that passes now)",
		  e->name, e->rule);
	add_finding(j->res, "exemption-unused", e->resource ? e->resource :
		    e->resource_regex, "alarm", SEVERITY_LOW, msg.buf)
		->exemption = xstrdup(e->name);
	sbuf_release(&msg);
	return 0;
}

/* The collection run to judge: asked for, or the newest with a snapshot. */
static int judged_run(struct store *s, sqlite3_int64 want, sqlite3_int64 *ret,
		      struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = store_prepare(s, "SELECT id FROM runs WHERE source IN ('live', "
			  "'replay') AND status IN ('ok', 'partial') AND "
			  "(?1 = 0 OR id = ?1) ORDER BY id DESC LIMIT 1", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, want);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
	} else if (want) {
		err_set(d, "there is no collection run %lld with a snapshot",
			(long long)want);
		r = -ERR_NOT_FOUND;
	} else {
		err_set(d, "no collection run has stored a snapshot yet");
		r = -ERR_NOT_FOUND;
	}
	sqlite3_finalize(st);
	return r;
}

/* Open findings (alarm or exempt) of the newest earlier check. */
static int carry_first_seen(struct store *s, struct check_result *res,
			    struct err_detail *d)
{
	static const char sql[] =
		"SELECT first_seen FROM findings WHERE check_run = (SELECT "
		"max(check_run) FROM findings) AND rule = ?1 AND "
		"resource_id = ?2 AND status IN ('alarm', 'exempt')";
	sqlite3_stmt *st = NULL;
	size_t i;
	int r;

	r = store_prepare(s, sql, &st, d);
	for (i = 0; r == 0 && i < res->n; i++) {
		struct finding *f = &res->v[i];

		if (strcmp(f->status, "alarm") && strcmp(f->status, "exempt"))
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, f->rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, f->resource_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(f->first_seen, sizeof(f->first_seen), "%s",
				 (const char *)sqlite3_column_text(st, 0));
		} else {
			memcpy(f->first_seen, res->checked_at,
			       sizeof(f->first_seen));
			f->is_new = 1;
		}
	}
	sqlite3_finalize(st);
	for (i = 0; i < res->n; i++)
		if (!res->v[i].first_seen[0])
			memcpy(res->v[i].first_seen, res->checked_at,
			       sizeof(res->v[i].first_seen));
	return r;
}

static int add_evidence(struct evidence_writer *w, sqlite3_int64 run,
			int *seq, const char *kind, const char *subject,
			const char *url, const char *body, size_t len,
			time_t now, struct err_detail *d)
{
	struct evidence_item e = {
		.run_id = run, .seq = ++*seq, .kind = kind, .subject = subject,
		.method = "READ", .url = url, .status = 0, .projected = 0,
		.fetched_at = (long long)now, .body = body, .body_len = len,
	};
	sqlite3_int64 id;

	return evidence_add(w, &e, &id, NULL, d);
}

/* The check's evidence: what it judged with, content-addressed. */
static int store_inputs(struct store *s, sqlite3_int64 run,
			const struct rule_set *rules,
			const struct check_options *o, const struct policy *p,
			const struct sbuf *desired, time_t now,
			struct err_detail *d)
{
	struct evidence_writer *w = evidence_writer_new(s);
	struct sbuf url = SBUF_INIT;
	const char *text;
	size_t i, len;
	int seq = 0, r;

	text = policy_text(p, &len);
	sbuf_addf(&url, "file:%s", o->policy_path ? o->policy_path :
		  "(default)");
	r = add_evidence(w, run, &seq, "policy", "policy", url.buf, text, len,
			 now, d);
	if (r == 0 && desired->len) {
		sbuf_reset(&url);
		sbuf_addf(&url, "file:%s", o->desired_path);
		r = add_evidence(w, run, &seq, "desired", "desired", url.buf,
				 desired->buf, desired->len, now, d);
	}
	for (i = 0; r == 0 && i < rules->n; i++) {
		sbuf_reset(&url);
		sbuf_addf(&url, "file:%s", rules->v[i].path);
		r = add_evidence(w, run, &seq, "rule", rules->v[i].id, url.buf,
				 rules->v[i].sql, strlen(rules->v[i].sql), now,
				 d);
	}
	evidence_writer_free(w);
	sbuf_release(&url);
	return r;
}

static int store_findings(struct store *s, const struct check_result *res,
			  struct err_detail *d)
{
	static const char sql[] =
		"INSERT INTO findings (check_run, judged_run, rule, resource_id, "
		"status, severity, reason, evidence, detail, exemption, "
		"first_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		"?11)";
	sqlite3_stmt *st = NULL;
	size_t i;
	int r;

	r = store_prepare(s, sql, &st, d);
	for (i = 0; r == 0 && i < res->n; i++) {
		const struct finding *f = &res->v[i];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, res->check_run);
		sqlite3_bind_int64(st, 2, res->judged_run);
		sqlite3_bind_text(st, 3, f->rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, f->resource_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, f->status, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, rule_severity_name(f->severity), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 7, f->reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, f->evidence, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, f->detail, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, f->exemption, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, f->first_seen, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = store_sql_error(s, "cannot store a finding", d);
	}
	sqlite3_finalize(st);
	return r;
}

static char *check_scope(const struct check_result *res, const char *policy,
			 const struct policy *p)
{
	char sha[SHA256_HEX_LEN + 1] = "";
	const char *text;
	size_t len;
	json_t *j;
	char *s;

	text = policy_text(p, &len);
	sha256_hex(text, len, sha);
	j = json_pack("{s:I,s:s?,s:s,s:s}", "judged_run",
		      (json_int_t)res->judged_run, "policy", policy,
		      "policy_sha256", sha, "fail_on",
		      rule_severity_name(res->fail_on));
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* Findings in a stable order: rule, then resource. */
static int cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int c = strcmp(x->rule, y->rule);

	if (!c)
		c = strcmp(x->resource_id, y->resource_id);
	return c ? c : strcmp(x->reason, y->reason);
}

/*
 * Evaluate on read-only connections; nothing is written there. The rules
 * run in parallel (eval_rules); drift and the exemptions' own findings
 * follow on this thread.
 */
static int evaluate(struct store *s, const struct asof *asof,
		    const struct rule_set *rules, struct judge *j,
		    struct err_detail *d)
{
	struct store *ro = NULL;
	int r;

	r = eval_rules(store_path(s), asof, rules, j);
	if (r == 0 && j->desired->len &&
	    policy_rule_active(j->policy, POLICY_DRIFT_RULE)) {
		j->variant = 0;
		r = open_judge_db(store_path(s), asof, &ro, d);
		if (r == 0) {
			j->res->rules++;
			r = drift_eval(store_db(ro), j->res->judged_run,
				       j->desired->buf, j->desired->len,
				       on_drift, j, d);
		}
	}
	if (r == 0)
		r = policy_foreach_expired(j->policy, j->now, on_expired, j);
	if (r == 0)
		r = policy_foreach_unused(j->policy, j->now, on_unused, j);
	store_close(ro);
	return r;
}

static int save(struct store *s, const struct rule_set *rules,
		const struct check_options *o, const struct policy *p,
		const struct sbuf *desired, struct check_result *res,
		time_t now, struct err_detail *d)
{
	char *scope = check_scope(res, o->policy_path, p);
	int r;

	r = store_begin(s, d);
	if (r == 0)
		r = carry_first_seen(s, res, d);
	if (r == 0)
		r = chain_begin_run(s, "check", scope, &res->check_run, d);
	if (r == 0)
		r = store_inputs(s, res->check_run, rules, o, p, desired, now,
				 d);
	if (r == 0)
		r = store_findings(s, res, d);
	if (r == 0)
		r = finding_runs_add_check(s, res->check_run, d);
	if (r == 0)
		r = chain_seal_run(s, res->check_run, "ok", NULL, d);
	if (r == 0)
		r = store_commit(s, d);
	if (r < 0)
		store_rollback(s);
	free(scope);
	return r;
}

int check_run(struct store *s, const struct check_options *o,
	      struct check_result *res, struct err_detail *d)
{
	struct rule_set *rules = NULL;
	struct sbuf desired = SBUF_INIT;
	struct judge j = { .res = res, .d = d, .desired = &desired };
	int r = 0;

	memset(res, 0, sizeof(*res));
	if (o->desired_path) {
		sbuf_init(&desired, CHECK_MAX_DESIRED);
		r = fs_read_file(o->desired_path, &desired);
		if (r < 0) {
			err_set(d, "cannot read the desired state: %s",
				r == -ERR_TOO_LARGE ? "larger than 16 MiB" :
				err_str(r));
			err_where(d, "%s", o->desired_path);
			return r == -ERR_TOO_LARGE || fs_path_refused(r) ?
			       -ERR_CONFIG : r;
		}
		r = drift_validate(desired.buf, desired.len, d);
		if (r < 0) {
			char where[sizeof(d->where)];

			snprintf(where, sizeof(where), "%s", d->where);
			err_where(d, "%s: %.900s", o->desired_path, where);
			sbuf_release(&desired);
			return r;
		}
	}
	time_now_iso(res->checked_at);
	time_parse_iso(res->checked_at, &j.now);
	r = judged_run(s, o->run, &res->judged_run, d);
	if (r == 0)
		r = rules_load_dir(o->rules_dir, &rules, d);
	if (r == 0)
		r = policy_load(o->policy_path, rules, &j.policy, d);
	if (r == 0 && o->policy_path)	/* kept in the check's scope */
		r = fs_name_text(o->policy_path, "the policy file", d);
	if (r < 0)
		goto out;
	res->fail_on = policy_fail_on(j.policy);
	r = evaluate(s, NULL, rules, &j, d);
	if (r < 0)
		goto out;
	qsort(res->v, res->n, sizeof(*res->v), cmp_finding);
	r = save(s, rules, o, j.policy, &desired, res, j.now, d);
out:
	sbuf_release(&desired);
	policy_free(j.policy);
	rule_set_free(rules);
	return r;
}

void check_result_release(struct check_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		free(res->v[i].rule);
		free(res->v[i].resource_id);
		free(res->v[i].reason);
		free(res->v[i].evidence);
		free(res->v[i].detail);
		free(res->v[i].exemption);
	}
	free(res->v);
	memset(res, 0, sizeof(*res));
}

/* What a stored check read: its inputs, taken back from its evidence. */
struct stored_check {
	struct asof asof;
	struct rule_set *rules;
	struct policy *policy;
	struct sbuf desired;
	char policy_name[256];
};

static int load_check_run(struct store *s, sqlite3_int64 id,
			  struct check_result *res, struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	json_error_t je;
	json_t *scope = NULL;
	json_int_t judged = 0;
	int r;

	r = store_prepare(s, "SELECT scope FROM runs WHERE id = ?1 AND "
			  "source = 'check' AND status = 'ok'", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0);

		scope = text ? json_loads(text, 0, &je) : NULL;
	} else {
		err_set(d, "there is no finished check run %lld", (long long)id);
		r = -ERR_NOT_FOUND;
	}
	sqlite3_finalize(st);
	if (r == 0 && json_unpack(scope, "{s:I}", "judged_run", &judged)) {
		err_set(d, "check run %lld does not name the run it judged",
			(long long)id);
		r = -ERR_VERIFY;
	}
	json_decref(scope);
	res->check_run = id;
	res->judged_run = judged;
	return r;
}

static void add_rule(struct rule_set *set, const struct rule *r)
{
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n++] = *r;
}

/* The check's policy, desired state and rule SQL, as it stored them. */
static int load_inputs(struct store *s, struct stored_check *c,
		       struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	struct sbuf policy = SBUF_INIT;
	int r, rc, have_policy = 0;

	r = store_prepare(s, "SELECT e.kind, e.url, e.fetched_at, b.content "
			  "FROM evidence_log e JOIN bodies b ON b.id = e.body "
			  "WHERE e.run_id = ?1 ORDER BY e.seq, e.id", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, c->asof.run);
	c->rules = xcalloc(1, sizeof(*c->rules));
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *url = (const char *)sqlite3_column_text(st, 1);
		const char *at = (const char *)sqlite3_column_text(st, 2);
		const void *blob = sqlite3_column_blob(st, 3);
		size_t len = (size_t)sqlite3_column_bytes(st, 3);
		/* An empty blob comes back NULL (the default policy's). */
		const char *body = blob ? blob : "";
		const char *name = url && !strncmp(url, "file:", 5) ? url + 5 :
				   url ? url : "?";
		struct rule rule;

		if (!kind)
			continue;
		if (at)
			snprintf(c->asof.at, sizeof(c->asof.at), "%s", at);
		if (!strcmp(kind, "policy")) {
			/* Parsed once the rules are known. */
			sbuf_reset(&policy);
			sbuf_add(&policy, body, len);
			have_policy = 1;
			snprintf(c->policy_name, sizeof(c->policy_name), "%s",
				 name);
		} else if (!strcmp(kind, "desired")) {
			sbuf_reset(&c->desired);
			sbuf_add(&c->desired, body, len);
		} else if (!strcmp(kind, "rule")) {
			r = rule_parse(name, body, len, &rule, d);
			if (r == 0)
				add_rule(c->rules, &rule);
		}
	}
	sqlite3_finalize(st);
	if (r == 0 && !have_policy) {
		err_set(d, "check run %lld stored no policy",
			(long long)c->asof.run);
		r = -ERR_VERIFY;
	}
	if (r == 0)
		r = policy_load_stored(c->policy_name, policy.buf,
				       policy.len, c->rules, &c->policy, d);
	sbuf_release(&policy);
	return r;
}

/* The stored findings of a check, in cmp_finding order. */
static int load_findings(struct store *s, sqlite3_int64 check_run,
			 struct check_result *out, struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = store_prepare(s, "SELECT rule, resource_id, status, severity, "
			  "reason, evidence, detail, exemption FROM findings "
			  "WHERE check_run = ?1", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, check_run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 2);
		enum rule_severity sev = SEVERITY_INFO;
		struct finding *f;
		int k = check_status_index(status ? status : "");

		rule_severity_parse((const char *)sqlite3_column_text(st, 3),
				    &sev);
		f = add_finding(out, (const char *)sqlite3_column_text(st, 0),
				(const char *)sqlite3_column_text(st, 1),
				k < 0 ? "?" : statuses[k], sev,
				(const char *)sqlite3_column_text(st, 4));
		f->evidence = xstrdup_or_null((const char *)
					      sqlite3_column_text(st, 5));
		f->detail = xstrdup_or_null((const char *)
					    sqlite3_column_text(st, 6));
		f->exemption = xstrdup_or_null((const char *)
					       sqlite3_column_text(st, 7));
	}
	/* A read that fails part-way is an error, not fewer findings (which
	 * --recheck would report as a differing check). */
	if (rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read the stored findings", d);
	sqlite3_finalize(st);
	qsort(out->v, out->n, sizeof(*out->v), cmp_finding);
	return r;
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int same_finding(const struct finding *a, const struct finding *b)
{
	return !strcmp(a->rule, b->rule) &&
	       !strcmp(a->resource_id, b->resource_id) &&
	       !strcmp(a->status, b->status) && a->severity == b->severity &&
	       !strcmp(a->reason, b->reason) &&
	       same_text(a->evidence, b->evidence) &&
	       same_text(a->detail, b->detail) &&
	       same_text(a->exemption, b->exemption);
}

static void describe(char *buf, size_t size, const char *what,
		     const struct finding *f)
{
	snprintf(buf, size, "%s %s on %s: %s (%s)", what, f->rule,
		 f->resource_id, f->status, f->reason);
}

/* Walk both sorted lists; count what is in one and not the other. */
static void compare(const struct check_result *stored,
		    const struct check_result *again,
		    struct check_recheck *out)
{
	size_t i = 0, k = 0;

	while (i < stored->n || k < again->n) {
		const struct finding *a = i < stored->n ? &stored->v[i] : NULL;
		const struct finding *b = k < again->n ? &again->v[k] : NULL;
		int c = !a ? 1 : !b ? -1 : cmp_finding(a, b);

		if (c == 0 && same_finding(a, b)) {
			i++, k++;
			continue;
		}
		out->differ++;
		if (c <= 0) {
			if (!out->first[0])
				describe(out->first, sizeof(out->first),
					 "stored, not found again:", a);
			i++;
		}
		if (c >= 0) {
			if (!out->first[0] || (c == 0 && out->differ == 1))
				describe(out->first, sizeof(out->first),
					 c == 0 ? "stored differently:" :
					 "found again, not stored:", b);
			k++;
		}
	}
}

int check_recheck(struct store *s, sqlite3_int64 check_run,
		  struct check_recheck *out, struct err_detail *d)
{
	struct stored_check c = { .desired = SBUF_INIT };
	struct check_result again = { 0 }, stored = { 0 };
	struct judge j = { .res = &again, .d = d, .desired = &c.desired };
	int r;

	memset(out, 0, sizeof(*out));
	c.asof.run = check_run;
	sbuf_init(&c.desired, CHECK_MAX_DESIRED);
	r = load_check_run(s, check_run, &again, d);
	if (r == 0)
		r = load_inputs(s, &c, d);
	if (r == 0 && c.desired.len)
		r = drift_validate(c.desired.buf, c.desired.len, d);
	if (r < 0)
		goto out;
	out->judged_run = again.judged_run;
	snprintf(again.checked_at, sizeof(again.checked_at), "%s", c.asof.at);
	if (time_parse_iso(c.asof.at, &j.now) < 0) {
		err_set(d, "check run %lld has no time", (long long)check_run);
		r = -ERR_VERIFY;
		goto out;
	}
	j.policy = c.policy;
	r = evaluate(s, &c.asof, c.rules, &j, d);
	if (r == 0)
		r = load_findings(s, check_run, &stored, d);
	if (r < 0)
		goto out;
	qsort(again.v, again.n, sizeof(*again.v), cmp_finding);
	out->stored = stored.n;
	out->found = again.n;
	compare(&stored, &again, out);
out:
	check_result_release(&again);
	check_result_release(&stored);
	sbuf_release(&c.desired);
	policy_free(c.policy);
	rule_set_free(c.rules);
	return r;
}
