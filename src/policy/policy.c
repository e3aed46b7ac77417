#include "policy/policy.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "azure/arm.h"
#include "config/ini.h"
#include "policy/sqlfuncs.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define POLICY_MAX_BYTES (1024 * 1024)
/* libinih copies a section name into 50 bytes: 49 may mean "cut". */
#define SECTION_MAX 48
/* As REGEXP compiles (sqlfuncs.c), and without case: ARM ids have none. */
#define RE_FLAGS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | \
		  PCRE2_NEVER_BACKSLASH_C | PCRE2_CASELESS)
#define RE_MATCH_LIMIT 5000000
#define RE_DEPTH_LIMIT 100000
#define RE_HEAP_LIMIT_KIB 65536

/* One source of settings: a [rule] section or an override. */
struct layer {
	int enabled;			/* -1: not set */
	int has_severity;
	enum rule_severity severity;
	char **names, **values;		/* param.NAME = VALUE */
	size_t n;
};

struct pset {
	struct rule_param *v;		/* strings borrowed from layers */
	size_t n;
};

struct prule {
	char *id;
	char **decl;			/* declared parameters, in order */
	int *decl_regex;		/* described as "PCRE2 pattern ..." */
	size_t n_decl;
	enum rule_severity severity;	/* the rule file's */
	int on;				/* [defaults] rules */
	struct layer base;
	struct pset *variants;
	size_t n_variants;
	int active;
};

struct override {
	char *name;
	size_t rule;			/* index in policy.rules */
	char *sub, *rg;			/* lower-case; rg NULL: subscription */
	struct layer l;
	int line;
	int enabled;			/* resolved */
	enum rule_severity severity;	/* resolved */
	size_t variant;
};

struct exemption {
	struct policy_exemption pub;
	pcre2_code *re;
	unsigned long used;
};

struct policy {
	char *text;
	size_t len;
	enum rule_severity fail_on;
	struct prule *rules;
	size_t n_rules;
	struct override *ov;
	size_t n_ov;
	struct exemption *ex;
	size_t n_ex;
	char *name;			/* for messages */
	pcre2_general_context *gctx;	/* allocates with xmalloc */
	pcre2_match_context *mctx;
};

/* ---- small helpers ------------------------------------------------------- */

static int fail(struct err_detail *d, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct err_detail *d, const char *file, int line,
		const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_set(d, "%s", sb.buf);
	err_where(d, "%s:%d", file, line);
	sbuf_release(&sb);
	return -ERR_CONFIG;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_guid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];

		if (dash ? c != '-' :
		    !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* Split s at blanks into at most max words (new strings); the count. */
static size_t split_words(const char *s, char **w, size_t max)
{
	size_t n = 0;
	const char *e;

	for (;;) {
		while (is_blank(*s))
			s++;
		if (!*s)
			return n;
		for (e = s; *e && !is_blank(*e); e++)
			;
		if (n == max)
			return max + 1;
		w[n++] = xstrndup(s, (size_t)(e - s));
		s = e;
	}
}

static void free_words(char **w, size_t n)
{
	while (n--)
		free(w[n]);
}

static void layer_release(struct layer *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->names[i]);
		free(l->values[i]);
	}
	free(l->names);
	free(l->values);
}

static const char *layer_param(const struct layer *l, const char *name)
{
	size_t i;

	for (i = 0; l && i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return l->values[i];
	return NULL;
}

static struct prule *rule_find(const struct policy *p, const char *id)
{
	size_t i;

	for (i = 0; id && i < p->n_rules; i++)
		if (!strcmp(p->rules[i].id, id))
			return &p->rules[i];
	return NULL;
}

/* PCRE2's allocations go through xmalloc: out of memory exits there. */
static void *re_alloc(size_t n, void *unused)
{
	(void)unused;
	return xmalloc(n);
}

static void re_free(void *ptr, void *unused)
{
	(void)unused;
	free(ptr);
}

static struct policy *policy_alloc(const struct rule_set *rules)
{
	struct policy *p = xcalloc(1, sizeof(*p));
	size_t i, j;

	p->text = xstrdup("");
	p->fail_on = SEVERITY_HIGH;
	/* The rule files, then the built-in "drift" (no parameters). */
	p->n_rules = (rules ? rules->n : 0) + 1;
	p->rules = xcalloc(p->n_rules, sizeof(*p->rules));
	p->rules[p->n_rules - 1] = (struct prule){
		.id = xstrdup(POLICY_DRIFT_RULE), .severity = SEVERITY_MEDIUM,
		.on = 1, .base.enabled = -1,
		.decl = xcalloc(1, sizeof(char *)),
		.decl_regex = xcalloc(1, sizeof(int)),
	};
	for (i = 0; i + 1 < p->n_rules; i++) {
		const struct rule *r = &rules->v[i];
		struct prule *pr = &p->rules[i];

		pr->id = xstrdup(r->id);
		pr->severity = r->severity;
		pr->on = 1;
		pr->base.enabled = -1;
		pr->n_decl = r->n_params;
		pr->decl = xcalloc(r->n_params ? r->n_params : 1,
				   sizeof(*pr->decl));
		pr->decl_regex = xcalloc(r->n_params ? r->n_params : 1,
					 sizeof(*pr->decl_regex));
		for (j = 0; j < r->n_params; j++) {
			const char *desc = r->params[j].description;

			pr->decl[j] = xstrdup(r->params[j].name);
			pr->decl_regex[j] = desc && !strncmp(desc,
							     "PCRE2 pattern",
							     13);
		}
	}
	p->name = xstrdup("(default policy)");
	p->gctx = pcre2_general_context_create(re_alloc, re_free, NULL);
	p->mctx = pcre2_match_context_create(p->gctx);
	pcre2_set_match_limit(p->mctx, RE_MATCH_LIMIT);
	pcre2_set_depth_limit(p->mctx, RE_DEPTH_LIMIT);
	pcre2_set_heap_limit(p->mctx, RE_HEAP_LIMIT_KIB);
	return p;
}

void policy_free(struct policy *p)
{
	size_t i, j;

	if (!p)
		return;
	for (i = 0; i < p->n_rules; i++) {
		struct prule *r = &p->rules[i];

		for (j = 0; j < r->n_decl; j++)
			free(r->decl[j]);
		free(r->decl);
		free(r->decl_regex);
		free(r->id);
		layer_release(&r->base);
		for (j = 0; j < r->n_variants; j++)
			free(r->variants[j].v);
		free(r->variants);
	}
	for (i = 0; i < p->n_ov; i++) {
		free(p->ov[i].name);
		free(p->ov[i].sub);
		free(p->ov[i].rg);
		layer_release(&p->ov[i].l);
	}
	for (i = 0; i < p->n_ex; i++) {
		struct policy_exemption *e = &p->ex[i].pub;

		free(e->name);
		free(e->rule);
		free(e->resource);
		free(e->resource_regex);
		free(e->reason);
		free(e->approver);
		free(e->ticket);
		free(e->expires);
		pcre2_code_free(p->ex[i].re);
	}
	pcre2_match_context_free(p->mctx);
	pcre2_general_context_free(p->gctx);
	free(p->name);
	free(p->rules);
	free(p->ov);
	free(p->ex);
	free(p->text);
	free(p);
}

/* ---- resolving: variants, enabled, severity ------------------------------ */

/* The first of l[0..n) (most specific first) that sets enabled, else def. */
static int resolve_enabled(const struct layer **l, size_t n, int def)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] && l[i]->enabled >= 0)
			return l[i]->enabled;
	return def;
}

static enum rule_severity resolve_severity(const struct layer **l, size_t n,
					   enum rule_severity def)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] && l[i]->has_severity)
			return l[i]->severity;
	return def;
}

static int pset_equal(const struct pset *a, const struct pset *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, b->v[i].name) ||
		    strcmp(a->v[i].value, b->v[i].value))
			return 0;
	return 1;
}

/* Merge the layers (most specific first) in declared order; the index of
 * the rule's variant equal to it, added when new. */
static size_t add_variant(struct prule *r, const struct layer **l, size_t n)
{
	struct pset s = { xcalloc(r->n_decl ? r->n_decl : 1, sizeof(*s.v)), 0 };
	const char *v;
	size_t i, j;

	for (i = 0; i < r->n_decl; i++) {
		for (j = 0, v = NULL; j < n && !v; j++)
			v = layer_param(l[j], r->decl[i]);
		if (v) {
			s.v[s.n].name = r->decl[i];
			s.v[s.n++].value = v;
		}
	}
	for (i = 0; i < r->n_variants; i++) {
		if (pset_equal(&r->variants[i], &s)) {
			free(s.v);
			return i;
		}
	}
	r->variants = xrealloc(r->variants,
			       (r->n_variants + 1) * sizeof(*r->variants));
	r->variants[r->n_variants] = s;
	return r->n_variants++;
}

static struct override *override_find(const struct policy *p, size_t rule,
				      const char *sub, const char *rg)
{
	size_t i;

	for (i = 0; sub && i < p->n_ov; i++) {
		const struct override *o = &p->ov[i];

		if (o->rule == rule && !strcmp(o->sub, sub) &&
		    (rg ? o->rg && !strcmp(o->rg, rg) : !o->rg))
			return &p->ov[i];
	}
	return NULL;
}

static void resolve(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		struct prule *r = &p->rules[i];
		const struct layer *l[1] = { &r->base };

		add_variant(r, l, 1);
		r->active = resolve_enabled(l, 1, r->on);
	}
	for (i = 0; i < p->n_ov; i++) {
		struct override *o = &p->ov[i];
		struct prule *r = &p->rules[o->rule];
		struct override *so = o->rg ?
			override_find(p, o->rule, o->sub, NULL) : NULL;
		const struct layer *l[3] = { &o->l, so ? &so->l : NULL,
					     &r->base };

		o->variant = add_variant(r, l, 3);
		o->enabled = resolve_enabled(l, 3, r->on);
		o->severity = resolve_severity(l, 3, r->severity);
		if (o->enabled)
			r->active = 1;
	}
}

/* ---- sections ------------------------------------------------------------ */

struct section {
	const char *name;
	const struct ini_entry **e;
	size_t n;
};

struct loader {
	const char *file;
	struct policy *p;
	struct err_detail *d;
	int stored;	/* a check's stored policy: as the version then read it */
};

/* Entries grouped by section, sections in order of first appearance. */
static struct section *group(const struct ini_file *f, size_t *ret_n)
{
	struct section *s = xcalloc(f->n ? f->n : 1, sizeof(*s));
	size_t n = 0, i, j;

	for (i = 0; i < f->n; i++) {
		for (j = 0; j < n; j++)
			if (!strcmp(s[j].name, f->v[i].section))
				break;
		if (j == n) {
			s[n].name = f->v[i].section;
			s[n++].e = xcalloc(f->n, sizeof(*s->e));
		}
		s[j].e[s[j].n++] = &f->v[i];
	}
	*ret_n = n;
	return s;
}

static int one_line(struct loader *ld, const struct ini_entry *e)
{
	if (strchr(e->value, '\n'))
		return fail(ld->d, ld->file, e->line, "'%s' must be on one "
			    "line", e->key);
	return 0;
}

static int parse_severity(struct loader *ld, const struct ini_entry *e,
			  enum rule_severity *ret)
{
	if (rule_severity_parse(e->value, ret) < 0)
		return fail(ld->d, ld->file, e->line, "bad severity '%s' "
			    "(expected info, low, medium, high or critical)",
			    e->value);
	return 0;
}

/* 1 + the index of parameter name in r's declarations, or 0. */
static size_t declared(const struct prule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_decl; i++)
		if (!strcmp(r->decl[i], name))
			return i + 1;
	return 0;
}

static int unknown_param(struct loader *ld, const struct prule *r,
			 const struct ini_entry *e, const char *name)
{
	struct sbuf sb = SBUF_INIT;
	size_t i;
	int ret;

	for (i = 0; i < r->n_decl; i++)
		sbuf_addf(&sb, "%s%s", i ? ", " : "", r->decl[i]);
	ret = fail(ld->d, ld->file, e->line, "unknown parameter '%s' for rule "
		   "'%s' (it takes %s%s)", name, r->id, r->n_decl ? "" : "none",
		   sb.buf);
	sbuf_release(&sb);
	return ret;
}

/* enabled, severity or param.NAME into l: 0, 1 when key is none of
 * these, or an error. */
static int layer_key(struct loader *ld, const struct prule *r,
		     struct layer *l, const struct ini_entry *e)
{
	struct err_detail re;
	const char *name;
	size_t k;

	if (!strcmp(e->key, "enabled")) {
		if (!strcmp(e->value, "yes") || !strcmp(e->value, "no")) {
			l->enabled = e->value[0] == 'y';
			return 0;
		}
		return fail(ld->d, ld->file, e->line, "bad enabled '%s' "
			    "(expected yes or no)", e->value);
	}
	if (!strcmp(e->key, "severity")) {
		l->has_severity = 1;
		return parse_severity(ld, e, &l->severity);
	}
	if (strncmp(e->key, "param.", 6))
		return 1;
	name = e->key + 6;
	k = declared(r, name);
	if (!k)
		return unknown_param(ld, r, e, name);
	if (r->decl_regex[k - 1] && policy_regex_check(e->value, &re) < 0)
		return fail(ld->d, ld->file, e->line, "param.%s of rule '%s': "
			    "%s", name, r->id, re.msg);
	l->names = xrealloc(l->names, (l->n + 1) * sizeof(*l->names));
	l->values = xrealloc(l->values, (l->n + 1) * sizeof(*l->values));
	l->names[l->n] = xstrdup(name);
	l->values[l->n++] = xstrdup(e->value);
	return 0;
}

static int unknown_key(struct loader *ld, const struct prule *r,
		       const struct ini_entry *e, const char *what)
{
	int hint = r && declared(r, e->key) > 0;

	return fail(ld->d, ld->file, e->line, "unknown key '%s' in [%s] "
		    "(expected %s)%s%s%s", e->key, e->section, what,
		    hint ? ": did you mean 'param." : "", hint ? e->key : "",
		    hint ? "'?" : "");
}

static int unknown_rule(struct loader *ld, int line, const char *id)
{
	return fail(ld->d, ld->file, line, "unknown rule '%s' (no rule file "
		    "has that id)", id);
}

/* The next item of a list separated by commas and blanks, or NULL. */
static char *next_item(const char **s)
{
	const char *p = *s, *e;

	while (*p == ',' || is_blank(*p))
		p++;
	if (!*p)
		return NULL;
	for (e = p; *e && *e != ',' && !is_blank(*e); e++)
		;
	*s = e;
	return xstrndup(p, (size_t)(e - p));
}

/* [defaults] rules = all | none | id, id ... */
static int defaults_rules(struct loader *ld, const struct ini_entry *e)
{
	struct policy *p = ld->p;
	int *on = xcalloc(p->n_rules + 1, sizeof(*on));
	const char *s = e->value;
	struct prule *r;
	char *item;
	size_t i, n = 0, all = 0, none = 0;
	int ret = 0;

	while (ret == 0 && (item = next_item(&s))) {
		n++;
		if (!strcmp(item, "all"))
			all++;
		else if (!strcmp(item, "none"))
			none++;
		else if ((r = rule_find(p, item)))
			on[r - p->rules] = 1;
		else
			ret = unknown_rule(ld, e->line, item);
		free(item);
	}
	if (ret == 0 && !n)
		ret = fail(ld->d, ld->file, e->line, "'rules' is empty (say "
			   "'none' for no rules)");
	else if (ret == 0 && (all || none) && n > 1)
		ret = fail(ld->d, ld->file, e->line, "'rules' is all, none or "
			   "a list of rule ids, not a mix");
	for (i = 0; ret == 0 && i < p->n_rules; i++)
		p->rules[i].on = all || on[i];
	free(on);
	return ret;
}

static int do_defaults(struct loader *ld, const struct section *s)
{
	size_t i;
	int r;

	for (i = 0; i < s->n; i++) {
		const struct ini_entry *e = s->e[i];

		if (!strcmp(e->key, "rules"))
			r = defaults_rules(ld, e);
		else if (!strcmp(e->key, "fail_on"))
			r = parse_severity(ld, e, &ld->p->fail_on);
		else
			r = unknown_key(ld, NULL, e, "rules or fail_on");
		if (r < 0)
			return r;
	}
	return 0;
}

static int do_rule(struct loader *ld, const struct section *s, const char *id)
{
	struct prule *r = rule_find(ld->p, id);
	size_t i;
	int ret;

	if (!r)
		return unknown_rule(ld, s->e[0]->line, id);
	for (i = 0; i < s->n; i++) {
		ret = layer_key(ld, r, &r->base, s->e[i]);
		if (ret > 0)
			ret = unknown_key(ld, r, s->e[i],
					  "enabled, severity or param.NAME");
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* "/subscriptions/GUID/resourceGroups/NAME" and nothing more. */
static int parse_rg(const char *v, char **ret_sub, char **ret_rg)
{
	size_t n = strlen(v);
	char *tmp = xmalloc(n + 2), *sub = NULL, *rg = NULL;
	int r;

	/* arm_id_parse wants something after the group: give it "/". */
	memcpy(tmp, v, n);
	memcpy(tmp + n, "/", 2);
	r = arm_id_parse(tmp, &sub, &rg);
	free(tmp);
	if (r < 0)
		return r;
	if (!is_guid(sub) || strlen("/subscriptions//resourceGroups/") +
	    strlen(sub) + strlen(rg) != n || strpbrk(rg, " \t")) {
		free(sub);
		free(rg);
		return -ERR_CONFIG;
	}
	*ret_sub = lower_dup(sub);
	*ret_rg = lower_dup(rg);
	free(sub);
	free(rg);
	return 0;
}

/* The scope keys of an override: rule, subscription, resource_group. */
static int override_scope(struct loader *ld, const struct section *s,
			  struct override *o, const char *name)
{
	const struct ini_entry *sub = NULL, *rg = NULL, *rule = NULL;
	const struct prule *r;
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct ini_entry *e = s->e[i];

		if (!strcmp(e->key, "rule"))
			rule = e;
		else if (!strcmp(e->key, "subscription"))
			sub = e;
		else if (!strcmp(e->key, "resource_group"))
			rg = e;
		else
			continue;
		if (one_line(ld, e) < 0)
			return -ERR_CONFIG;
	}
	if (!rule)
		return fail(ld->d, ld->file, s->e[0]->line, "override '%s' is "
			    "missing 'rule'", name);
	r = rule_find(ld->p, rule->value);
	if (!r)
		return unknown_rule(ld, rule->line, rule->value);
	o->rule = (size_t)(r - ld->p->rules);
	if (!sub == !rg)
		return fail(ld->d, ld->file, (sub ? sub : rg ? rg :
					      s->e[0])->line,
			    "override '%s' needs exactly one of 'subscription' "
			    "and 'resource_group'", name);
	if (sub && !is_guid(sub->value))
		return fail(ld->d, ld->file, sub->line, "bad subscription "
			    "'%s' (expected a GUID)", sub->value);
	if (sub)
		o->sub = lower_dup(sub->value);
	else if (parse_rg(rg->value, &o->sub, &o->rg) < 0)
		return fail(ld->d, ld->file, rg->line, "bad resource_group "
			    "'%s' (expected /subscriptions/GUID/resourceGroups/"
			    "NAME)", rg->value);
	return 0;
}

static int do_override(struct loader *ld, const struct section *s,
		       const char *name)
{
	struct policy *p = ld->p;
	struct override *o, *twin;
	size_t i;
	int r;

	p->ov = xrealloc(p->ov, (p->n_ov + 1) * sizeof(*p->ov));
	o = &p->ov[p->n_ov++];
	memset(o, 0, sizeof(*o));
	o->name = xstrdup(name);
	o->line = s->e[0]->line;
	o->l.enabled = -1;
	r = override_scope(ld, s, o, name);
	if (r < 0)
		return r;
	for (i = 0; i < s->n; i++) {
		const struct ini_entry *e = s->e[i];
		const struct prule *pr = &p->rules[o->rule];

		if (!strcmp(e->key, "rule") || !strcmp(e->key, "subscription")
		    || !strcmp(e->key, "resource_group"))
			continue;
		r = layer_key(ld, pr, &o->l, e);
		if (r > 0)
			r = unknown_key(ld, pr, e, "rule, subscription, "
					"resource_group, enabled, severity or "
					"param.NAME");
		if (r < 0)
			return r;
	}
	twin = override_find(p, o->rule, o->sub, o->rg);
	if (twin != o)
		return fail(ld->d, ld->file, o->line, "override '%s' has the "
			    "same rule and scope as override '%s' (line %d): "
			    "merge them", name, twin->name, twin->line);
	return 0;
}

/* ---- exemptions ---------------------------------------------------------- */

enum ex_key { X_RULE, X_RESOURCE, X_REGEX, X_REASON, X_APPROVER, X_TICKET,
	      X_EXPIRES, X_COUNT };

static const char *const ex_keys[X_COUNT] = {
	"rule", "resource", "resource_regex", "reason", "approver", "ticket",
	"expires",
};

static int ex_regex(struct loader *ld, struct exemption *x,
		    const struct ini_entry *e)
{
	struct err_detail tmp;
	PCRE2_SIZE off;
	int err;

	if (policy_regex_check(e->value, &tmp) < 0)
		return fail(ld->d, ld->file, e->line, "resource_regex of "
			    "exemption '%s': %s", x->pub.name, tmp.msg);
	x->re = pcre2_compile((PCRE2_SPTR)e->value, PCRE2_ZERO_TERMINATED,
			      RE_FLAGS, &err, &off, NULL);
	if (!x->re)
		return fail(ld->d, ld->file, e->line, "resource_regex of "
			    "exemption '%s' does not compile without case "
			    "(PCRE2 error %d at offset %zu)", x->pub.name, err,
			    (size_t)off);
	return 0;
}

/*
 * What SQLite's date functions read as time_parse_iso() does, so the
 * compliance report (queries/compliance/exemptions.sql) sees the instant
 * the check saw: no leap second, a zone offset under 15 hours.
 */
static int sqlite_readable_time(const char *s)
{
	size_t n = strlen(s);

	if (n >= 19 && s[16] == ':' && s[17] == '6')
		return 0;
	if (n >= 22 && (s[n - 6] == '+' || s[n - 6] == '-') &&
	    (s[n - 5] > '1' || (s[n - 5] == '1' && s[n - 4] > '4')))
		return 0;
	return 1;
}

static int ex_expires(struct loader *ld, struct exemption *x,
		      const struct ini_entry *e)
{
	time_t t;

	if (time_parse_iso(e->value, &t) < 0 ||
	    (!ld->stored && !sqlite_readable_time(e->value)))
		return fail(ld->d, ld->file, e->line, "bad expires '%s' in "
			    "exemption '%s' (expected a date YYYY-MM-DD or an "
			    "ISO date-time such as 2026-06-30T18:00:00Z, with "
			    "a zone offset under 15 hours)", e->value,
			    x->pub.name);
	/* A date alone is the whole day. */
	x->pub.expires_at = strlen(e->value) == 10 ? t + 86400 : t;
	return 0;
}

/* Check one key's value and keep it in *slot. */
static int ex_key(struct loader *ld, struct exemption *x, enum ex_key k,
		  const struct ini_entry *e)
{
	char **slot[X_COUNT] = {
		&x->pub.rule, &x->pub.resource, &x->pub.resource_regex,
		&x->pub.reason, &x->pub.approver, &x->pub.ticket,
		&x->pub.expires,
	};

	if (!e->value[0])
		return fail(ld->d, ld->file, e->line, "'%s' of exemption '%s' "
			    "is empty", e->key, x->pub.name);
	if (k != X_REASON && one_line(ld, e) < 0)
		return -ERR_CONFIG;
	*slot[k] = xstrdup(e->value);
	if (k == X_RULE && !rule_find(ld->p, e->value))
		return unknown_rule(ld, e->line, e->value);
	if (k == X_RESOURCE && e->value[0] != '/')
		return fail(ld->d, ld->file, e->line, "bad resource '%s' in "
			    "exemption '%s' (expected an ARM id, "
			    "/subscriptions/...)", e->value, x->pub.name);
	if (k == X_REGEX)
		return ex_regex(ld, x, e);
	if (k == X_EXPIRES)
		return ex_expires(ld, x, e);
	return 0;
}

static int do_exemption(struct loader *ld, const struct section *s,
			const char *name)
{
	struct policy *p = ld->p;
	const struct ini_entry *res = NULL;
	struct exemption *x;
	unsigned seen = 0;
	size_t i;
	int k, r;

	p->ex = xrealloc(p->ex, (p->n_ex + 1) * sizeof(*p->ex));
	x = &p->ex[p->n_ex++];
	memset(x, 0, sizeof(*x));
	x->pub.name = xstrdup(name);
	x->pub.line = s->e[0]->line;
	for (i = 0; i < s->n; i++) {
		const struct ini_entry *e = s->e[i];

		for (k = 0; k < X_COUNT && strcmp(e->key, ex_keys[k]); k++)
			;
		if (k == X_COUNT)
			return unknown_key(ld, NULL, e, "rule, resource, "
					   "resource_regex, reason, approver, "
					   "ticket or expires");
		if ((k == X_RESOURCE || k == X_REGEX) && res)
			return fail(ld->d, ld->file, e->line, "exemption '%s' "
				    "has both 'resource' and 'resource_regex' "
				    "(lines %d and %d): give one", name,
				    res->line, e->line);
		if (k == X_RESOURCE || k == X_REGEX)
			res = e;
		r = ex_key(ld, x, (enum ex_key)k, e);
		if (r < 0)
			return r;
		seen |= 1u << k;
	}
	for (k = 0; k < X_COUNT; k++) {
		if (k == X_RESOURCE && !res)
			return fail(ld->d, ld->file, x->pub.line, "exemption "
				    "'%s' is missing 'resource' (or "
				    "'resource_regex')", name);
		if (k == X_RESOURCE || k == X_REGEX || seen & (1u << k))
			continue;
		return fail(ld->d, ld->file, x->pub.line, "exemption '%s' is "
			    "missing '%s' (every exemption needs rule, "
			    "resource or resource_regex, reason, approver, "
			    "ticket and expires)", name, ex_keys[k]);
	}
	return 0;
}

/* ---- loading ------------------------------------------------------------- */

static int do_section(struct loader *ld, const struct section *s)
{
	char *w[3] = { NULL, NULL, NULL };
	size_t n = split_words(s->name, w, 2);
	int line = s->e[0]->line, r;

	if (strlen(s->name) > SECTION_MAX) {
		r = fail(ld->d, ld->file, line, "section name '%s' is too long "
			 "(at most %d characters: libinih cuts longer ones; a "
			 "scope is an [override NAME] section)", s->name,
			 SECTION_MAX);
	} else if (n == 0) {
		r = fail(ld->d, ld->file, line, "key '%s' is outside any "
			 "section", s->e[0]->key);
	} else if (n == 1 && !strcmp(w[0], "defaults")) {
		r = do_defaults(ld, s);
	} else if (n == 2 && !strcmp(w[0], "rule")) {
		r = do_rule(ld, s, w[1]);
	} else if (n == 2 && !strcmp(w[0], "override")) {
		r = do_override(ld, s, w[1]);
	} else if (n == 2 && !strcmp(w[0], "exemption")) {
		r = do_exemption(ld, s, w[1]);
	} else {
		r = fail(ld->d, ld->file, line, "unknown section [%s] "
			 "(expected [defaults], [rule RULE-ID], "
			 "[override NAME] or [exemption NAME])", s->name);
	}
	free_words(w, n > 2 ? 2 : n);
	return r;
}

/* Does some entry of f belong to the section written name? */
static int section_has_keys(const struct ini_file *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].section, name))
			return 1;
	return 0;
}

/*
 * The section lines: [defaults] once, [rule NAME], [override NAME] and
 * [exemption NAME] once per kind and NAME, NAME being their words (so
 * "[exemption  e1]" is e1: two of the same name would merge, or load as
 * two when spelt apart); an override or exemption needs keys, and an
 * unknown section without keys is named too (either would be ignored
 * without a word).
 */
static int check_named_sections(struct loader *ld, const struct ini_file *f)
{
	/* Each of our section lines as "KIND NAME" (or "defaults"), once. */
	char **key = xcalloc(f->n_sections + 1, sizeof(*key)), *w[2];
	struct sbuf sb = SBUF_INIT;
	size_t i, j, n;
	int r = 0;

	for (i = 0; i < f->n_sections && r == 0; i++) {
		const struct ini_section *s = &f->sections[i];
		int ours, keys = strlen(s->name) > SECTION_MAX ||
				 section_has_keys(f, s->name);

		n = split_words(s->name, w, 2);
		ours = n <= 2 && n > 0 &&
		       (n == 1 ? !strcmp(w[0], "defaults") :
				 !strcmp(w[0], "rule") ||
				 !strcmp(w[0], "override") ||
				 !strcmp(w[0], "exemption"));
		if (ours) {
			sbuf_reset(&sb);
			sbuf_addf(&sb, "%s %s", w[0], n == 2 ? w[1] : "");
			key[i] = xstrdup(sb.buf);
		}
		for (j = 0; ours && j < i && r == 0; j++)
			if (key[j] && !strcmp(key[j], key[i]))
				r = fail(ld->d, ld->file, s->line, n == 1 ?
					 "[%s%s] given twice (also at %s:%d): "
					 "one is enough" : "duplicate %s name "
					 "'%s' (also at %s:%d): give each its "
					 "own name", w[0], n == 1 ? "" : w[1],
					 ld->file, f->sections[j].line);
		/* Not one of ours: do_section names it when it has keys. A
		 * [rule X] of commented keys is the samples' way of showing its
		 * defaults; an override or exemption without keys is not. */
		if (r == 0 && !keys && !ours)
			r = fail(ld->d, ld->file, s->line, "unknown section "
				 "[%s] (with no keys)", s->name);
		else if (r == 0 && !keys && n == 2 && strcmp(w[0], "rule"))
			r = fail(ld->d, ld->file, s->line, "%s '%s' has no keys "
				 "(remove the section or give it its keys)",
				 w[0], w[1]);
		free_words(w, n > 2 ? 2 : n);
	}
	for (i = 0; i < f->n_sections; i++)
		free(key[i]);
	free(key);
	sbuf_release(&sb);
	return r;
}

static int load_text(const char *name, const char *text, size_t len,
		     const struct rule_set *rules, int stored,
		     struct policy **ret, struct err_detail *d)
{
	struct ini_file f = INI_FILE_INIT;
	struct loader ld = { name, NULL, d, stored };
	struct section *s = NULL;
	size_t n = 0, i;
	int r;

	r = ini_read_text(name, text, len, &f, d);
	if (r == 0 && !stored)
		r = check_named_sections(&ld, &f);
	if (r < 0)
		goto out;
	ld.p = policy_alloc(rules);
	free(ld.p->name);
	ld.p->name = xstrdup(name);
	free(ld.p->text);
	ld.p->text = xstrndup(text, len);
	ld.p->len = len;
	s = group(&f, &n);
	for (i = 0; i < n && r == 0; i++)
		r = do_section(&ld, &s[i]);
	if (r < 0)
		goto out;
	resolve(ld.p);
	*ret = ld.p;
	ld.p = NULL;
out:
	for (i = 0; i < n; i++)
		free(s[i].e);
	free(s);
	policy_free(ld.p);
	ini_file_release(&f);
	return r;
}

/* The file's bytes: a regular file of at most POLICY_MAX_BYTES. */
static int read_policy(const char *path, struct sbuf *out,
		       struct err_detail *d)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		err_set(d, "cannot open the policy file: %s", strerror(errno));
		if (fs_path_refused(r))
			r = -ERR_CONFIG;	/* the path given is wrong */
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(d, "not a regular file");
		r = -ERR_CONFIG;
		goto out;
	}
	sbuf_init(out, POLICY_MAX_BYTES);
	for (;;) {
		char buf[8192];
		ssize_t got = read(fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			err_set(d, "cannot read: %s", strerror(errno));
			break;
		}
		if (got == 0)
			break;
		if (sbuf_add(out, buf, (size_t)got) < 0) {
			err_set(d, "larger than %d bytes", POLICY_MAX_BYTES);
			r = -ERR_CONFIG;
			break;
		}
	}
out:
	if (r < 0)
		err_where(d, "%s", path);
	if (fd >= 0)
		close(fd);
	return r;
}

int policy_load_text(const char *name, const char *text, size_t len,
		     const struct rule_set *rules, struct policy **ret,
		     struct err_detail *d)
{
	return load_text(name, text, len, rules, 0, ret, d);
}

int policy_load_stored(const char *name, const char *text, size_t len,
		       const struct rule_set *rules, struct policy **ret,
		       struct err_detail *d)
{
	return load_text(name, text, len, rules, 1, ret, d);
}

int policy_load(const char *path, const struct rule_set *rules,
		struct policy **ret, struct err_detail *d)
{
	struct sbuf text = SBUF_INIT;
	int r;

	if (!path) {
		*ret = policy_new_default(rules);
		return 0;
	}
	r = read_policy(path, &text, d);
	if (r == 0)
		r = policy_load_text(path, text.buf, text.len, rules, ret, d);
	sbuf_release(&text);
	return r;
}

struct policy *policy_new_default(const struct rule_set *rules)
{
	struct policy *p = policy_alloc(rules);

	resolve(p);
	return p;
}

/* ---- questions ----------------------------------------------------------- */

const char *policy_text(const struct policy *p, size_t *ret_len)
{
	if (ret_len)
		*ret_len = p->len;
	return p->text;
}

enum rule_severity policy_fail_on(const struct policy *p)
{
	return p->fail_on;
}

int policy_rule_active(const struct policy *p, const char *rule_id)
{
	const struct prule *r = rule_find(p, rule_id);

	return r ? r->active : 0;
}

/* Subscription and resource group of an ARM id, lower-case; either may
 * come back NULL ("/", "/subscriptions/GUID"). */
static void scope_of(const char *id, char **ret_sub, char **ret_rg)
{
	static const char pre[] = "/subscriptions/";
	char *sub = NULL, *rg = NULL;
	const char *s, *e;

	*ret_sub = *ret_rg = NULL;
	if (id && arm_id_parse(id, &sub, &rg) == 0) {
		*ret_sub = lower_dup(sub);
		*ret_rg = lower_dup(rg);
	} else if (id && !strncasecmp(id, pre, sizeof(pre) - 1)) {
		s = id + sizeof(pre) - 1;
		e = strchr(s, '/');
		sub = xstrndup(s, e ? (size_t)(e - s) : strlen(s));
		*ret_sub = lower_dup(sub);
	}
	free(sub);
	free(rg);
}

int policy_setting_get(const struct policy *p, const char *rule_id,
		       const char *resource_id, struct policy_setting *ret)
{
	const struct prule *r = rule_find(p, rule_id);
	const struct override *o = NULL;
	const struct layer *l[1];
	char *sub, *rg;
	size_t idx;

	if (!r)
		return -ERR_NOT_FOUND;
	idx = (size_t)(r - p->rules);
	scope_of(resource_id, &sub, &rg);
	if (rg)
		o = override_find(p, idx, sub, rg);
	if (!o && sub)
		o = override_find(p, idx, sub, NULL);
	free(sub);
	free(rg);
	l[0] = &r->base;
	ret->enabled = o ? o->enabled : resolve_enabled(l, 1, r->on);
	ret->severity = o ? o->severity : resolve_severity(l, 1, r->severity);
	ret->variant = o ? o->variant : 0;
	ret->params = r->variants[ret->variant].v;
	ret->n_params = r->variants[ret->variant].n;
	return 0;
}

size_t policy_variants(const struct policy *p, const char *rule_id)
{
	const struct prule *r = rule_find(p, rule_id);

	return r ? r->n_variants : 0;
}

int policy_variant_params(const struct policy *p, const char *rule_id,
			  size_t i, const struct rule_param **ret_params,
			  size_t *ret_n)
{
	const struct prule *r = rule_find(p, rule_id);

	if (!r || i >= r->n_variants)
		return -ERR_NOT_FOUND;
	*ret_params = r->variants[i].v;
	*ret_n = r->variants[i].n;
	return 0;
}

/* 1 when x's resource or regex matches id, 0 when not, or an error. */
static int ex_matches(const struct policy *p, const struct exemption *x,
		      const char *id, struct err_detail *d)
{
	PCRE2_UCHAR text[256];
	pcre2_match_data *md;
	int rc;

	if (x->pub.resource)
		return !strcasecmp(x->pub.resource, id);
	md = pcre2_match_data_create_from_pattern(x->re, p->gctx);
	rc = pcre2_match(x->re, (PCRE2_SPTR)id, PCRE2_ZERO_TERMINATED, 0, 0,
			 md, p->mctx);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (pcre2_get_error_message(rc, text, sizeof(text)) < 0)
		text[0] = '\0';
	err_set(d, "resource_regex of exemption '%s' gave up on '%s': %s",
		x->pub.name, id, (const char *)text);
	err_where(d, "%s:%d", p->name, x->pub.line);
	return -ERR_CONFIG;
}

int policy_exemption_find(const struct policy *p, const char *rule_id,
			  const char *resource_id, time_t at,
			  const struct policy_exemption **ret,
			  struct err_detail *d)
{
	size_t i;
	int r;

	for (i = 0; rule_id && resource_id && i < p->n_ex; i++) {
		const struct exemption *x = &p->ex[i];

		if (strcmp(x->pub.rule, rule_id) || at >= x->pub.expires_at)
			continue;
		r = ex_matches(p, x, resource_id, d);
		if (r < 0)
			return r;
		if (r) {
			*ret = &x->pub;
			return 1;
		}
	}
	return 0;
}

void policy_exemption_used(struct policy *p, const struct policy_exemption *e)
{
	size_t i;

	for (i = 0; e && i < p->n_ex; i++)
		if (&p->ex[i].pub == e)
			p->ex[i].used++;
}

static int foreach(const struct policy *p, time_t at, int expired,
		   policy_exemption_fn fn, void *ctx)
{
	size_t i;
	int r;

	for (i = 0; i < p->n_ex; i++) {
		const struct exemption *x = &p->ex[i];
		int gone = at >= x->pub.expires_at;

		if (expired ? !gone : gone || x->used)
			continue;
		r = fn(ctx, &x->pub);
		if (r < 0)
			return r;
	}
	return 0;
}

int policy_foreach_expired(const struct policy *p, time_t at,
			   policy_exemption_fn fn, void *ctx)
{
	return foreach(p, at, 1, fn, ctx);
}

int policy_foreach_unused(const struct policy *p, time_t at,
			  policy_exemption_fn fn, void *ctx)
{
	return foreach(p, at, 0, fn, ctx);
}
