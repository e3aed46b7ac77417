#include "costs/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "costs/costs.h"
#include "costs/query.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* Cost data settles a few days after a month ends (azure-apis.md E.5). */
#define COST_SETTLE_S (5 * 86400)

struct cost_plan {
	const char *type;	/* ActualCost | AmortizedCost */
	char from[11], to[11];
};

struct cost_scope {
	char *scope;
	const struct strlist *related;	/* borrowed from the config */
	struct cost_plan *plan;
	size_t n, i;
	char *body;			/* of plan[i] */
	sqlite3_int64 source;		/* of plan[i], once begun */
};

static void set_body(struct cost_scope *cs)
{
	const struct cost_plan *p = &cs->plan[cs->i];

	free(cs->body);
	cs->body = cost_query_body(p->type, p->from, p->to, cs->related);
}

int cost_scope_plan(struct store *s, const struct config *cfg,
		    const char *scope, const struct cost_period *p,
		    struct cost_scope **ret)
{
	static const char *const types[] = { "ActualCost", "AmortizedCost" };
	struct cost_scope *cs;
	struct cost_plan *plan = NULL;
	size_t n = 0, k;
	char first[11], last[11], now_s[21], settled[21];
	time_t now, end;
	long m;

	time_now_iso(now_s);
	if (!p->now || !*p->now || time_parse_iso(p->now, &now) < 0)
		time_parse_iso(now_s, &now);
	for (m = cfg->cost_months - 1; m >= 0; m--) {
		if (p->from) {
			if (m)
				continue;
			snprintf(first, sizeof(first), "%s", p->from);
			snprintf(last, sizeof(last), "%s", p->to);
		} else {
			char month[8];

			time_month_before(now, (int)m, month);
			time_month_range(month, first, last);
		}
		time_parse_iso(last, &end);
		time_iso(end + 86400 + COST_SETTLE_S, settled);
		for (k = 0; k < 2; k++) {
			char *name = cost_query_name(scope, types[k], first, last);
			int skip = !p->refresh && !p->from &&
				   end + 86400 + COST_SETTLE_S < now &&
				   cost_query_held(s, name, settled);

			free(name);
			if (skip)
				continue;
			plan = xrealloc(plan, (n + 1) * sizeof(*plan));
			plan[n].type = types[k];
			memcpy(plan[n].from, first, sizeof(first));
			memcpy(plan[n].to, last, sizeof(last));
			n++;
		}
	}
	*ret = NULL;
	if (!n)
		return 0;
	cs = xcalloc(1, sizeof(*cs));
	cs->scope = xstrdup(scope);
	cs->related = &cfg->related;
	cs->plan = plan;
	cs->n = n;
	set_body(cs);
	*ret = cs;
	return 0;
}

void cost_scope_free(struct cost_scope *cs)
{
	if (!cs)
		return;
	free(cs->scope);
	free(cs->plan);
	free(cs->body);
	free(cs);
}

char *cost_scope_path(const struct cost_scope *cs)
{
	struct sbuf path = SBUF_INIT;

	sbuf_addf(&path, "/%s/providers/Microsoft.CostManagement/query",
		  cs->scope);
	return sbuf_detach(&path, NULL);
}

const char *cost_scope_body(const struct cost_scope *cs)
{
	return cs->body;
}

int cost_scope_take(struct cost_scope *cs, struct store *s,
		    sqlite3_int64 run_id, json_t *page, struct err_detail *d)
{
	const struct cost_plan *p = &cs->plan[cs->i];
	long rows;
	int r;

	if (!cs->source) {
		char *name = cost_query_name(cs->scope, p->type, p->from, p->to);

		r = cost_query_begin(s, name, p->type, run_id, &cs->source, d);
		free(name);
		if (r < 0)
			return r;
	}
	return cost_query_page(s, cs->source, p->type, page, cs->related,
			       &rows, d);
}

/* A query that failed part-way leaves none of its rows. */
static int drop_source(struct store *s, sqlite3_int64 source,
		       struct err_detail *d)
{
	static const char *const sql[] = {
		"DELETE FROM cost_rows WHERE source = ?1",
		"DELETE FROM cost_sources WHERE id = ?1",
	};

	return store_exec_ids(s, sql, 2, source, 0, "cannot drop cost rows",
			      d);
}

int cost_scope_next(struct cost_scope *cs, struct store *s, int ok,
		    struct err_detail *d)
{
	int r = 0;

	if (cs->source)
		r = ok ? cost_query_end(s, cs->source, 1, d) :
			 drop_source(s, cs->source, d);
	if (cs->source && ok && r == 0)
		r = cost_months_refresh(s, cs->source, d);
	cs->source = 0;
	if (r < 0)
		return r;
	if (++cs->i >= cs->n)
		return 0;
	set_body(cs);
	return 1;
}
