/*
 * The policy file (src/policy/policy.c): samples/policy.ini loads against
 * the built-in rules and names resources of the sample estate; every
 * error gives file:line and says what is wrong; overrides resolve
 * resource group, subscription, [rule], rule file; exemptions match by id
 * and by regex, expire, and are listed when expired or unused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/rules.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define S1 "11111111-1111-1111-1111-111111111111"
#define S2 "22222222-2222-2222-2222-222222222222"
#define S3 "33333333-3333-3333-3333-333333333333"
#define FS(sub, rg, name) "/subscriptions/" sub "/resourceGroups/" rg \
	"/providers/Microsoft.StorageCache/amlFilesystems/" name

/* ---- helpers ------------------------------------------------------------- */

static char *source_path(const char *rel)
{
	const char *root = getenv("SOURCE_ROOT");

	assert_non_null(root);
	return fs_join(root, rel);
}

static time_t at(const char *iso)
{
	time_t t;

	assert_int_equal(time_parse_iso(iso, &t), 0);
	return t;
}

static void add_rule(struct rule_set *set, const char *text)
{
	struct err_detail d;

	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	if (rule_parse("test.sql", text, strlen(text), &set->v[set->n], &d))
		fail_msg("rule: %s: %s", d.where, d.msg);
	set->n++;
}

/* alpha (two parameters), beta (none), gamma (one). */
static struct rule_set *test_rules(void)
{
	struct rule_set *set = xcalloc(1, sizeof(*set));

	add_rule(set, "-- id: alpha\n-- title: Alpha\n-- severity: medium\n"
		 "-- param: days = 7  Days\n-- param: mode = x  Mode\n"
		 "SELECT 1;\n");
	add_rule(set, "-- id: beta\n-- title: Beta\n-- severity: low\n"
		 "SELECT 1;\n");
	add_rule(set, "-- id: gamma\n-- title: Gamma\n-- severity: high\n"
		 "-- param: pattern = ^a  PCRE2 pattern of names\n"
		 "SELECT 1;\n");
	return set;
}

static struct policy *load_ok(const struct rule_set *rules, const char *text)
{
	struct policy *p = NULL;
	struct err_detail d;

	if (policy_load_text("t.ini", text, strlen(text), rules, &p, &d))
		fail_msg("policy: %s: %s", d.where, d.msg);
	return p;
}

static const char *param(const struct policy_setting *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_params; i++)
		if (!strcmp(s->params[i].name, name))
			return s->params[i].value;
	return NULL;
}

static struct policy_setting setting(const struct policy *p, const char *rule,
				     const char *resource)
{
	struct policy_setting s;

	assert_int_equal(policy_setting_get(p, rule, resource, &s), 0);
	return s;
}

static void expect_param(const struct policy_setting *s, const char *name,
			 const char *want)
{
	const char *got = param(s, name);

	if (!want && got)
		fail_msg("%s: expected no override, got '%s'", name, got);
	if (want && (!got || strcmp(got, want)))
		fail_msg("%s: expected '%s', got '%s'", name, want,
			 got ? got : "(none)");
}

static const char *find_name(const struct policy *p, const char *rule,
			     const char *resource, const char *when)
{
	const struct policy_exemption *e = NULL;
	struct err_detail d;
	int r = policy_exemption_find(p, rule, resource, at(when), &e, &d);

	assert_true(r >= 0);
	return r ? e->name : NULL;
}

static void expect_find(const struct policy *p, const char *rule,
			const char *resource, const char *when,
			const char *want)
{
	const char *got = find_name(p, rule, resource, when);

	if (!want && got)
		fail_msg("%s %s at %s: expected none, got '%s'", rule,
			 resource, when, got);
	if (want && (!got || strcmp(got, want)))
		fail_msg("%s %s at %s: expected '%s', got '%s'", rule,
			 resource, when, want, got ? got : "none");
}

/* Names the walk saw, space-separated. */
static int collect_name(void *ctx, const struct policy_exemption *e)
{
	struct sbuf *sb = ctx;

	sbuf_addf(sb, "%s%s", sb->len ? " " : "", e->name);
	return 0;
}

static int stop_at_first(void *ctx, const struct policy_exemption *e)
{
	(void)e;
	(*(int *)ctx)++;
	return -ECANCELED;
}

/* ---- the sample ---------------------------------------------------------- */

/* Every file system id in the recorded list pages of the sample estate. */
static json_t *estate_ids(void)
{
	char *pattern = source_path("samples/replay/bodies/*/"
				    "amlfilesystems.page*.json");
	json_t *ids = json_array(), *page, *v;
	json_error_t je;
	glob_t g;
	size_t i, k;

	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		page = json_load_file(g.gl_pathv[i], 0, &je);
		assert_non_null(page);
		json_array_foreach(json_object_get(page, "value"), k, v)
			json_array_append(ids, json_object_get(v, "id"));
		json_decref(page);
	}
	globfree(&g);
	free(pattern);
	assert_true(json_array_size(ids) >= 8);
	return ids;
}

/* Does an exemption (by id or regex) name a file system of the estate? */
static int names_estate(const struct policy *p,
			const struct policy_exemption *e, json_t *ids,
			time_t when)
{
	const struct policy_exemption *got;
	struct err_detail d;
	json_t *v;
	size_t i;

	json_array_foreach(ids, i, v) {
		if (policy_exemption_find(p, e->rule, json_string_value(v),
					  when, &got, &d) == 1 && got == e)
			return 1;
	}
	return 0;
}

struct sample_check {
	const struct policy *p;
	json_t *ids;
	int n;
};

static int check_in_estate(void *ctx, const struct policy_exemption *e)
{
	struct sample_check *c = ctx;

	/* Judged just before it expires, so expired ones are tried too. */
	if (!names_estate(c->p, e, c->ids, e->expires_at - 1))
		fail_msg("exemption '%s' matches no file system of the "
			 "sample estate", e->name);
	c->n++;
	return 0;
}

static void sample_loads_and_documents_every_rule(void **state)
{
	char *dir = source_path("queries/rules");
	char *path = source_path("samples/policy.ini");
	time_t run = at("2026-11-02T03:00:00Z");
	struct rule_set *rules = NULL;
	struct policy *p = NULL;
	struct sbuf text = SBUF_INIT, names = SBUF_INIT, want = SBUF_INIT;
	struct sample_check c = { NULL, NULL, 0 };
	struct policy_setting s;
	struct err_detail d;
	size_t i, j, len;

	(void)state;
	if (rules_load_dir(dir, &rules, &d))
		fail_msg("rules: %s: %s", d.where, d.msg);
	if (policy_load(path, rules, &p, &d))
		fail_msg("sample: %s: %s", d.where, d.msg);
	assert_int_equal(fs_read_file(path, &text), 0);
	assert_string_equal(policy_text(p, &len), text.buf);
	assert_int_equal(len, text.len);
	assert_int_equal(policy_fail_on(p), SEVERITY_HIGH);

	/* Every rule and each of its parameters is documented. */
	for (i = 0; i < rules->n; i++) {
		const struct rule *r = &rules->v[i];

		sbuf_reset(&want);
		sbuf_addf(&want, "\n[rule %s]\n", r->id);
		if (!strstr(text.buf, want.buf))
			fail_msg("samples/policy.ini lacks [rule %s]", r->id);
		for (j = 0; j < r->n_params; j++) {
			sbuf_reset(&want);
			sbuf_addf(&want, ";param.%s = ", r->params[j].name);
			if (!strstr(text.buf, want.buf))
				fail_msg("samples/policy.ini lacks %s of %s",
					 want.buf, r->id);
		}
		assert_true(policy_rule_active(p, r->id));
	}

	/* The overrides. */
	s = setting(p, "idle", FS("c94e7a15-2f6b-4b8d-9e31-7ad05c8b2e4f",
				  "rg-render-farm", "amlfs-render-dailies"));
	assert_int_equal(s.severity, SEVERITY_INFO);
	expect_param(&s, "days", "14");
	assert_int_equal(s.variant, 1);
	s = setting(p, "required-tags", FS("6f3c2b1e-8a47-4d9e-b5c2-"
					   "1e7a9d4f0b63", "rg-genomics-prod",
					   "amlfs-genomics-prod"));
	assert_int_equal(s.severity, SEVERITY_CRITICAL);
	expect_param(&s, "required", "CostCenter, Owner, env");
	s = setting(p, "required-tags", FS("6f3c2b1e-8a47-4d9e-b5c2-"
					   "1e7a9d4f0b63", "rg-cfd-aero",
					   "amlfs-cfd-aero-01"));
	assert_int_equal(s.severity, SEVERITY_HIGH);
	assert_int_equal(s.n_params, 0);

	/* Both exemptions name file systems of the estate; one has expired
	 * by the time the sample was recorded, the other has not. */
	c.p = p;
	c.ids = estate_ids();
	assert_int_equal(policy_foreach_unused(p, 0, check_in_estate, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(policy_foreach_expired(p, run, collect_name, &names),
			 0);
	assert_string_equal(names.buf, "cfd-transient-idle");
	expect_find(p, "required-tags", FS("6f3c2b1e-8a47-4d9e-b5c2-"
					   "1e7a9d4f0b63", "rg-ai-training",
					   "amlfs-llm-scratch"),
		    "2026-11-02T03:00:00Z", "llm-scratch-tags");

	json_decref(c.ids);
	sbuf_release(&names);
	sbuf_release(&want);
	sbuf_release(&text);
	policy_free(p);
	rule_set_free(rules);
	free(path);
	free(dir);
}

/* Uncommented, the defaults the sample shows are the rule files' own. */
static void sample_defaults_are_the_rule_files(void **state)
{
	char *dir = source_path("queries/rules");
	char *path = source_path("samples/policy.ini");
	struct rule_set *rules = NULL;
	struct policy *p = NULL;
	struct sbuf text = SBUF_INIT, on = SBUF_INIT;
	struct policy_setting s;
	struct err_detail d;
	const char *line, *nl;
	size_t i, j;

	(void)state;
	if (rules_load_dir(dir, &rules, &d))
		fail_msg("rules: %s: %s", d.where, d.msg);
	assert_int_equal(fs_read_file(path, &text), 0);
	for (line = text.buf; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		if (!strncmp(line, ";enabled = ", 11) ||
		    !strncmp(line, ";severity = ", 12) ||
		    !strncmp(line, ";param.", 7))
			line++;
		sbuf_add(&on, line, (size_t)(nl - line) + 1);
	}
	if (policy_load_text("on.ini", on.buf, on.len, rules, &p, &d))
		fail_msg("uncommented sample: %s: %s", d.where, d.msg);
	for (i = 0; i < rules->n; i++) {
		const struct rule *r = &rules->v[i];

		s = setting(p, r->id, NULL);
		assert_true(s.enabled);
		assert_int_equal(s.severity, r->severity);
		assert_int_equal(s.n_params, r->n_params);
		for (j = 0; j < r->n_params; j++)
			expect_param(&s, r->params[j].name,
				     r->params[j].value);
	}
	sbuf_release(&on);
	sbuf_release(&text);
	policy_free(p);
	rule_set_free(rules);
	free(path);
	free(dir);
}

static void default_policy_is_every_rule_on(void **state)
{
	struct rule_set *rules = test_rules();
	struct policy *p = NULL;
	struct policy_setting s;
	const struct rule_param *v;
	struct err_detail d;
	size_t n, len;

	(void)state;
	assert_int_equal(policy_load(NULL, rules, &p, &d), 0);
	assert_string_equal(policy_text(p, &len), "");
	assert_int_equal(len, 0);
	assert_int_equal(policy_fail_on(p), SEVERITY_HIGH);
	assert_true(policy_rule_active(p, "alpha"));
	assert_true(policy_rule_active(p, "beta"));
	assert_false(policy_rule_active(p, "nope"));
	s = setting(p, "alpha", FS(S1, "rg", "fs"));
	assert_true(s.enabled);
	assert_int_equal(s.severity, SEVERITY_MEDIUM);
	assert_int_equal(s.n_params, 0);
	assert_int_equal(s.variant, 0);
	assert_int_equal(setting(p, "gamma", NULL).severity, SEVERITY_HIGH);
	assert_int_equal(policy_setting_get(p, "nope", "/", &s),
			 -ERR_NOT_FOUND);
	assert_int_equal(policy_variants(p, "alpha"), 1);
	assert_int_equal(policy_variant_params(p, "alpha", 0, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(policy_variant_params(p, "alpha", 1, &v, &n),
			 -ERR_NOT_FOUND);
	assert_int_equal(policy_foreach_unused(p, 0, stop_at_first, NULL), 0);
	policy_free(p);

	/* An empty file is the default policy too. */
	p = load_ok(rules, "");
	assert_true(setting(p, "beta", "/").enabled);
	policy_free(p);
	policy_free(NULL);
	rule_set_free(rules);
}

/* ---- errors -------------------------------------------------------------- */

struct bad {
	const char *text;
	const char *where;	/* "t.ini:N" */
	const char *words[3];	/* each must be in the message */
};

#define EX_HEAD "[exemption x]\nrule = alpha\n"
#define EX_KEYS "reason = r\napprover = a\nticket = T-1\n"
#define EX_RES "resource = /subscriptions/" S1 "/resourceGroups/rg/x\n"

static const struct bad bad_cases[] = {
	/* unknown rule, in each place a rule id goes */
	{ "[rule nope]\n\nenabled = yes\n", "t.ini:3",
	  { "unknown rule 'nope'" } },
	{ "[defaults]\nrules = alpha,\n  nope\n", "t.ini:2",
	  { "unknown rule 'nope'" } },
	{ "[override o]\nrule = nope\nsubscription = " S1 "\n", "t.ini:2",
	  { "unknown rule 'nope'" } },
	{ "[exemption x]\nrule = nope\n", "t.ini:2",
	  { "unknown rule 'nope'" } },
	/* parameters */
	{ "[rule alpha]\nparam.dayz = 3\n", "t.ini:2",
	  { "unknown parameter 'dayz'", "rule 'alpha'", "days, mode" } },
	{ "[rule gamma]\nparam.pattern = a(\n", "t.ini:2",
	  { "param.pattern of rule 'gamma'", "missing closing parenthesis" } },
	{ "[override o]\nrule = gamma\nsubscription = " S1 "\n"
	  "param.pattern = *\n", "t.ini:4",
	  { "quantifier does not follow a repeatable item" } },
	{ "[rule beta]\nparam.days = 3\n", "t.ini:2",
	  { "unknown parameter 'days'", "takes none" } },
	{ "[rule alpha]\ndays = 3\n", "t.ini:2",
	  { "unknown key 'days'", "did you mean 'param.days'" } },
	{ "[override o]\nparam.dayz = 1\nrule = alpha\nsubscription = " S1
	  "\n", "t.ini:2", { "unknown parameter 'dayz'" } },
	/* severities and yes/no */
	{ "[rule alpha]\nseverity = urgent\n", "t.ini:2",
	  { "bad severity 'urgent'", "info, low, medium, high or critical" } },
	{ "[defaults]\nfail_on = High\n", "t.ini:2",
	  { "bad severity 'High'" } },
	{ "[override o]\nrule = alpha\nsubscription = " S1 "\nseverity = 3\n",
	  "t.ini:4", { "bad severity '3'" } },
	{ "[rule alpha]\nenabled = true\n", "t.ini:2",
	  { "bad enabled 'true'", "yes or no" } },
	/* a key given twice (the INI reader) */
	{ "[rule alpha]\nenabled = yes\nseverity = low\nenabled = no\n",
	  "t.ini:4", { "'enabled'", "twice", "lines 2 and 4" } },
	/* exemptions: each key missing */
	{ "[exemption x]\n" EX_RES EX_KEYS "expires = 2027-01-01\n", "t.ini:2",
	  { "exemption 'x' is missing 'rule'" } },
	{ EX_HEAD EX_KEYS "expires = 2027-01-01\n", "t.ini:2",
	  { "exemption 'x' is missing 'resource'", "resource_regex" } },
	{ EX_HEAD EX_RES "approver = a\nticket = T-1\nexpires = 2027-01-01\n",
	  "t.ini:2", { "exemption 'x' is missing 'reason'" } },
	{ EX_HEAD EX_RES "reason = r\nticket = T-1\nexpires = 2027-01-01\n",
	  "t.ini:2", { "exemption 'x' is missing 'approver'" } },
	{ EX_HEAD EX_RES "reason = r\napprover = a\nexpires = 2027-01-01\n",
	  "t.ini:2", { "exemption 'x' is missing 'ticket'" } },
	{ EX_HEAD EX_RES EX_KEYS, "t.ini:2",
	  { "exemption 'x' is missing 'expires'" } },
	{ EX_HEAD EX_RES "reason =\n", "t.ini:4",
	  { "'reason' of exemption 'x' is empty" } },
	{ EX_HEAD EX_RES "resource_regex = x\n", "t.ini:4",
	  { "both 'resource' and 'resource_regex'", "lines 3 and 4" } },
	{ EX_HEAD "resource = rg/x\n", "t.ini:3", { "bad resource 'rg/x'" } },
	{ EX_HEAD "resource = /a\n  /b\n", "t.ini:3",
	  { "'resource' must be on one line" } },
	{ EX_HEAD "colour = red\n", "t.ini:3", { "unknown key 'colour'" } },
	/* a bad regex, with PCRE2's words */
	{ EX_HEAD "resource_regex = ^/subscriptions/(abc\n", "t.ini:3",
	  { "exemption 'x'", "missing closing parenthesis", "offset" } },
	{ EX_HEAD "resource_regex = [z-a]\n", "t.ini:3",
	  { "range out of order" } },
	/* expiry dates, strictly */
	{ EX_HEAD EX_RES EX_KEYS "expires = 2026-02-30\n", "t.ini:7",
	  { "bad expires '2026-02-30'", "exemption 'x'", "YYYY-MM-DD" } },
	{ EX_HEAD EX_RES EX_KEYS "expires = 2026-6-30\n", "t.ini:7",
	  { "bad expires '2026-6-30'" } },
	{ EX_HEAD EX_RES EX_KEYS "expires = 06/30/2026\n", "t.ini:7",
	  { "bad expires" } },
	{ EX_HEAD EX_RES EX_KEYS "expires = 2026-06-30T24:00:00Z\n", "t.ini:7",
	  { "bad expires" } },
	{ EX_HEAD EX_RES EX_KEYS "expires = 2026-06-30 soon\n", "t.ini:7",
	  { "bad expires" } },
	/* ... and only as SQLite's date functions read them alike */
	{ EX_HEAD EX_RES EX_KEYS "expires = 2026-06-30T23:59:60Z\n", "t.ini:7",
	  { "bad expires" } },
	{ EX_HEAD EX_RES EX_KEYS "expires = 2026-06-30T10:00+15:00\n",
	  "t.ini:7", { "bad expires", "a zone offset under 15 hours" } },
	{ EX_HEAD EX_RES EX_KEYS "expires = 2026-06-30T10:00:00-15:00\n",
	  "t.ini:7", { "bad expires" } },
	/* a name given twice, however spaced; a section with no keys */
	{ EX_HEAD EX_RES EX_KEYS "expires = 2027-01-01\n[exemption  x]\n"
	  "rule = beta\n" EX_RES EX_KEYS "expires = 2027-01-01\n", "t.ini:8",
	  { "duplicate exemption name 'x'", "also at t.ini:1" } },
	{ EX_HEAD EX_RES "[rule alpha]\nenabled = yes\n[exemption x]\n"
	  EX_KEYS "expires = 2027-01-01\n", "t.ini:6",
	  { "duplicate exemption name 'x'", "also at t.ini:1" } },
	{ "[override o]\nrule = alpha\nsubscription = " S1 "\n"
	  "[ override\to ]\nrule = alpha\nsubscription = " S2 "\n", "t.ini:4",
	  { "duplicate override name 'o'", "also at t.ini:1" } },
	{ "[exemption x]\n\n[rule alpha]\nenabled = yes\n", "t.ini:1",
	  { "exemption 'x' has no keys" } },
	{ "[rule alpha]\nenabled = yes\n[override o]\n; nothing\n", "t.ini:3",
	  { "override 'o' has no keys" } },
	/* a rule or [defaults] twice merged their keys; a misspelt section
	 * without keys was ignored (a [rule] of commented keys is fine) */
	{ "[rule alpha]\nenabled = yes\n[rule beta]\n; severity = low\n"
	  "[rule  alpha]\nseverity = low\n", "t.ini:5",
	  { "duplicate rule name 'alpha'", "also at t.ini:1" } },
	{ "[defaults]\nfail_on = high\n[defaults]\nrules = all\n", "t.ini:3",
	  { "[defaults] given twice", "also at t.ini:1" } },
	{ "[rule alpha]\nenabled = yes\n[exemptoin x]\n", "t.ini:3",
	  { "unknown section [exemptoin x] (with no keys)" } },
	/* overrides */
	{ "[override o]\nrule = alpha\n", "t.ini:2",
	  { "exactly one of 'subscription' and 'resource_group'" } },
	{ "[override o]\nrule = alpha\nsubscription = " S1 "\nresource_group "
	  "= /subscriptions/" S1 "/resourceGroups/rg\n", "t.ini:3",
	  { "exactly one of" } },
	{ "[override o]\nsubscription = " S1 "\n", "t.ini:2",
	  { "override 'o' is missing 'rule'" } },
	{ "[override o]\nrule = alpha\nsubscription = prod\n", "t.ini:3",
	  { "bad subscription 'prod'", "GUID" } },
	{ "[override o]\nrule = alpha\nresource_group = /subscriptions/" S1
	  "/resourceGroups/rg/providers/x\n", "t.ini:3",
	  { "bad resource_group", "/subscriptions/GUID/resourceGroups/NAME" } },
	{ "[override o]\nrule = alpha\nresource_group = rg-prod\n", "t.ini:3",
	  { "bad resource_group 'rg-prod'" } },
	{ "[override o]\nrule = alpha\nsubscription = " S1 "\n"
	  "[override p]\nrule = alpha\nsubscription = " S1 "\n", "t.ini:5",
	  { "override 'p'", "same rule and scope as override 'o' (line 2)" } },
	{ "[override o]\nrule = alpha\nsubscription = " S1 "\nrules = all\n",
	  "t.ini:4", { "unknown key 'rules' in [override o]" } },
	/* sections and [defaults] */
	{ "enabled = yes\n", "t.ini:1", { "outside any section" } },
	{ "[rules alpha]\nenabled = yes\n", "t.ini:2",
	  { "unknown section [rules alpha]", "[rule RULE-ID]" } },
	{ "[rule alpha subscription " S1 "]\nenabled = no\n", "t.ini:2",
	  { "too long", "48" } },
	{ "[rule alpha extra]\nenabled = no\n", "t.ini:2",
	  { "unknown section [rule alpha extra]" } },
	{ "[defaults]\nrules = all, alpha\n", "t.ini:2", { "not a mix" } },
	{ "[defaults]\nrules = ,\n", "t.ini:2", { "'rules' is empty" } },
	{ "[defaults]\nfailon = high\n", "t.ini:2",
	  { "unknown key 'failon' in [defaults]" } },
	{ "[defaults\n", "t.ini:1", { "syntax error" } },
};

static void errors_name_file_line_and_reason(void **state)
{
	struct rule_set *rules = test_rules();
	struct err_detail d;
	struct policy *p;
	size_t i, k;
	int r;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *b = &bad_cases[i];

		p = NULL;
		memset(&d, 0, sizeof(d));
		r = policy_load_text("t.ini", b->text, strlen(b->text), rules,
				     &p, &d);
		if (r != -ERR_CONFIG)
			fail_msg("case %zu: expected -ERR_CONFIG, got %d\n%s",
				 i, r, b->text);
		assert_null(p);
		if (strcmp(d.where, b->where))
			fail_msg("case %zu: where '%s', expected '%s' (%s)", i,
				 d.where, b->where, d.msg);
		for (k = 0; k < 3 && b->words[k]; k++)
			if (!strstr(d.msg, b->words[k]))
				fail_msg("case %zu: '%s' lacks '%s'", i, d.msg,
					 b->words[k]);
	}
	rule_set_free(rules);
}

/*
 * A check's stored policy is read as the version that ran it read it
 * (review finding: verify --recheck of a check from 8c297fc failed, exit
 * 3, on what today's checks of a given file refuse).
 */
static void a_stored_policy_reads_as_it_was_read(void **state)
{
	static const char *const texts[] = {
		"[exemption x]\n\n[rule alpha]\nenabled = yes\n",
		EX_HEAD EX_RES EX_KEYS "expires = 2027-01-01\n[exemption  x]\n"
		"rule = beta\n" EX_RES EX_KEYS "expires = 2027-01-01\n",
		"[rule alpha]\nenabled = yes\n[rule alpha ]\nseverity = low\n",
		EX_HEAD EX_RES EX_KEYS "expires = 2026-06-30T10:00+15:00\n",
		"[rule alpha]\nenabled = yes\n[exemptoin x]\n",
	};
	struct rule_set *rules = test_rules();
	struct err_detail d;
	struct policy *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		p = NULL;
		if (policy_load_text("t.ini", texts[i], strlen(texts[i]), rules,
				     &p, &d) != -ERR_CONFIG)
			fail_msg("case %zu: a file given now is refused", i);
		if (policy_load_stored("t.ini", texts[i], strlen(texts[i]),
				       rules, &p, &d) != 0)
			fail_msg("case %zu: stored, refused: %s", i, d.msg);
		assert_non_null(p);
		policy_free(p);
	}
	rule_set_free(rules);
}

static void file_errors_name_the_path(void **state)
{
	struct rule_set *rules = test_rules();
	char path[] = "/tmp/test_policyfile.XXXXXX";
	struct policy *p = NULL;
	struct err_detail d;
	size_t len;
	FILE *f;
	int fd, i;

	(void)state;
	/* A path that is wrong is the configuration's fault, not a failure. */
	assert_int_equal(policy_load("/nonexistent/policy.ini", rules, &p, &d),
			 -ERR_CONFIG);
	assert_string_equal(d.where, "/nonexistent/policy.ini");
	assert_non_null(strstr(d.msg, "cannot open"));
	assert_int_equal(policy_load("/tmp", rules, &p, &d), -ERR_CONFIG);
	assert_string_equal(d.msg, "not a regular file");

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("[rule alpha]\nseverity = low\n", f);
	fclose(f);
	assert_int_equal(policy_load(path, rules, &p, &d), 0);
	assert_string_equal(policy_text(p, &len),
			    "[rule alpha]\nseverity = low\n");
	assert_int_equal(setting(p, "alpha", NULL).severity, SEVERITY_LOW);
	policy_free(p);
	p = NULL;

	/* Errors in a file say path:line. */
	f = fopen(path, "w");
	fputs("[rule alpha]\nseverity = none\n", f);
	fclose(f);
	assert_int_equal(policy_load(path, rules, &p, &d), -ERR_CONFIG);
	assert_true(strlen(d.where) > strlen(path));
	assert_memory_equal(d.where, path, strlen(path));
	assert_string_equal(d.where + strlen(path), ":2");

	/* Larger than 1 MiB: refused. */
	f = fopen(path, "w");
	for (i = 0; i < 20000; i++)
		fputs("# a comment line that takes up some sixty bytes .....\n",
		      f);
	fclose(f);
	assert_int_equal(policy_load(path, rules, &p, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "larger than"));
	assert_null(p);
	unlink(path);
	rule_set_free(rules);
}

/* ---- precedence ---------------------------------------------------------- */

static const char precedence_text[] =
	"[defaults]\n"
	"rules = alpha, gamma\n"
	"fail_on = medium\n"
	"[rule alpha]\n"
	"severity = high\n"
	"param.days = 10\n"
	"[override s1]\n"
	"rule = alpha\n"
	"subscription = " S1 "\n"
	"param.mode = y\n"
	"[override s1-rg1]\n"
	"rule = alpha\n"
	"resource_group = /subscriptions/" S1 "/resourceGroups/RG1\n"
	"severity = critical\n"
	"param.days = 20\n"
	"[override s2-rg2]\n"
	"rule = alpha\n"
	"resource_group = /subscriptions/" S2 "/resourceGroups/rg2\n"
	"enabled = no\n"
	"[override beta-s2]\n"
	"rule = beta\n"
	"subscription = " S2 "\n"
	"enabled = yes\n"
	"[rule gamma]\n"
	"enabled = no\n"
	"param.pattern = (?i)^b ; an inline comment\n";

static void overrides_resolve_most_specific_first(void **state)
{
	struct rule_set *rules = test_rules();
	struct policy *p = load_ok(rules, precedence_text);
	const struct rule_param *v;
	struct policy_setting s;
	size_t n;

	(void)state;
	assert_int_equal(policy_fail_on(p), SEVERITY_MEDIUM);

	/* Resource group, over subscription, over [rule], over the file. */
	s = setting(p, "alpha", FS(S1, "rg1", "fs"));
	assert_true(s.enabled);
	assert_int_equal(s.severity, SEVERITY_CRITICAL);
	expect_param(&s, "days", "20");
	expect_param(&s, "mode", "y");
	assert_int_equal(s.n_params, 2);
	assert_int_equal(s.variant, 2);
	/* ARM ids compare without case. */
	s = setting(p, "alpha", "/SUBSCRIPTIONS/" S1 "/resourcegroups/Rg1/"
		    "providers/x/y/fs/importJobs/j1");
	assert_int_equal(s.severity, SEVERITY_CRITICAL);
	assert_int_equal(s.variant, 2);

	/* Subscription only: its params on the rule's, the rule's severity. */
	s = setting(p, "alpha", FS(S1, "rg9", "fs"));
	assert_int_equal(s.severity, SEVERITY_HIGH);
	expect_param(&s, "days", "10");
	expect_param(&s, "mode", "y");
	assert_int_equal(s.variant, 1);
	s = setting(p, "alpha", "/subscriptions/" S1);
	assert_int_equal(s.variant, 1);

	/* Elsewhere: the [rule] section. */
	s = setting(p, "alpha", FS(S3, "rg1", "fs"));
	assert_int_equal(s.severity, SEVERITY_HIGH);
	expect_param(&s, "days", "10");
	expect_param(&s, "mode", NULL);
	assert_int_equal(s.variant, 0);
	assert_int_equal(setting(p, "alpha", "/").variant, 0);
	assert_int_equal(setting(p, "alpha", NULL).variant, 0);
	assert_int_equal(setting(p, "alpha", "not an id").variant, 0);

	/* Disabled in one resource group; its params are the rule's. */
	s = setting(p, "alpha", FS(S2, "RG2", "fs"));
	assert_false(s.enabled);
	assert_int_equal(s.variant, 0);
	assert_true(setting(p, "alpha", FS(S2, "rg3", "fs")).enabled);

	/* Three distinct parameter sets: the [rule]'s, s1's, s1-rg1's. */
	assert_int_equal(policy_variants(p, "alpha"), 3);
	assert_int_equal(policy_variant_params(p, "alpha", 2, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "days");
	assert_string_equal(v[0].value, "20");
	assert_string_equal(v[1].name, "mode");
	assert_string_equal(v[1].value, "y");

	/* beta: off by [defaults], on in one subscription. */
	assert_true(policy_rule_active(p, "beta"));
	assert_false(setting(p, "beta", NULL).enabled);
	assert_false(setting(p, "beta", FS(S1, "rg", "fs")).enabled);
	s = setting(p, "beta", FS(S2, "rg", "fs"));
	assert_true(s.enabled);
	assert_int_equal(s.severity, SEVERITY_LOW);

	/* gamma: on by [defaults], off by its section; the ';' comment. */
	assert_false(policy_rule_active(p, "gamma"));
	s = setting(p, "gamma", NULL);
	assert_false(s.enabled);
	expect_param(&s, "pattern", "(?i)^b");

	policy_free(p);
	rule_set_free(rules);
}

static void defaults_rules_list_and_none(void **state)
{
	struct rule_set *rules = test_rules();
	struct policy *p;

	(void)state;
	p = load_ok(rules, "[defaults]\nrules = none\n[rule beta]\n"
		    "enabled = yes\n");
	assert_false(policy_rule_active(p, "alpha"));
	assert_true(policy_rule_active(p, "beta"));
	assert_false(policy_rule_active(p, "gamma"));
	policy_free(p);
	p = load_ok(rules, "[defaults]\nrules = gamma\n  alpha\n");
	assert_true(policy_rule_active(p, "alpha"));
	assert_false(policy_rule_active(p, "beta"));
	assert_true(policy_rule_active(p, "gamma"));
	policy_free(p);
	rule_set_free(rules);
}

/* ---- exemptions ---------------------------------------------------------- */

static const char exemptions_text[] =
	"[exemption by-id]\n"
	"rule = alpha\n"
	"resource = " FS(S1, "rg1", "fs-a") "\n"
	"reason = Waiting for the\n"
	"  migration\n"
	"approver = A. Person\n"
	"ticket = T-1\n"
	"expires = 2026-06-30\n"
	"[exemption by-regex]\n"
	"rule = alpha\n"
	"resource_regex = ^/subscriptions/" S1 "/resourcegroups/rg2/.*/"
	"fs-b[0-9]$\n"
	"reason = r\n"
	"approver = a\n"
	"ticket = T-2\n"
	"expires = 2026-06-30T12:00:00+02:00\n"
	"[exemption also-fs-a]\n"
	"rule = alpha\n"
	"resource_regex = fs-a$\n"
	"reason = r\n"
	"approver = a\n"
	"ticket = T-3\n"
	"expires = 2027-01-01\n"
	"[exemption beta-fs-a]\n"
	"rule = beta\n"
	"resource = " FS(S1, "rg1", "fs-a") "\n"
	"reason = r\n"
	"approver = a\n"
	"ticket = T-4\n"
	"expires = 2025-01-01T00:00:00Z\n"
	"[exemption never]\n"
	"rule = gamma\n"
	"resource = /subscriptions/" S3 "\n"
	"reason = r\n"
	"approver = a\n"
	"ticket = T-5\n"
	"expires = 2030-01-01\n";

static void exemptions_match_by_id_and_regex(void **state)
{
	struct rule_set *rules = test_rules();
	struct policy *p = load_ok(rules, exemptions_text);
	const struct policy_exemption *e = NULL;
	struct err_detail d;
	const char *t = "2026-05-01T00:00:00Z";

	(void)state;
	/* By id, without case; the first in file order wins. */
	expect_find(p, "alpha", FS(S1, "rg1", "fs-a"), t, "by-id");
	expect_find(p, "alpha", "/Subscriptions/" S1 "/RESOURCEGROUPS/RG1/"
		    "providers/microsoft.storagecache/amlfilesystems/FS-A", t,
		    "by-id");
	expect_find(p, "alpha", FS(S1, "rg1", "fs-a2"), t, NULL);
	expect_find(p, "beta", FS(S1, "rg1", "fs-a"), t, NULL);
	expect_find(p, "gamma", FS(S1, "rg1", "fs-a"), t, NULL);
	/* By regex, without case, as written otherwise. */
	expect_find(p, "alpha", FS(S1, "rg2", "fs-b1"), t, "by-regex");
	expect_find(p, "alpha", FS(S1, "RG2", "FS-B7"), t, "by-regex");
	expect_find(p, "alpha", FS(S1, "rg2", "fs-b1/importJobs/j"), t, NULL);
	expect_find(p, "alpha", FS(S2, "rg2", "fs-b1"), t, NULL);
	expect_find(p, "alpha", FS(S2, "rg2", "xfs-a"), t, "also-fs-a");

	/* The fields come back as written. */
	assert_int_equal(policy_exemption_find(p, "alpha",
		FS(S1, "rg1", "fs-a"), at(t), &e, &d), 1);
	assert_string_equal(e->rule, "alpha");
	assert_string_equal(e->reason, "Waiting for the\nmigration");
	assert_string_equal(e->approver, "A. Person");
	assert_string_equal(e->ticket, "T-1");
	assert_string_equal(e->expires, "2026-06-30");
	assert_null(e->resource_regex);
	assert_int_equal(e->line, 2);
	assert_int_equal(policy_exemption_find(p, NULL, "/", at(t), &e, &d),
			 0);

	policy_free(p);
	rule_set_free(rules);
}

static void exemptions_expire(void **state)
{
	struct rule_set *rules = test_rules();
	struct policy *p = load_ok(rules, exemptions_text);
	struct sbuf names = SBUF_INIT;

	(void)state;
	/* A date is the whole day, UTC; then the next one in order. */
	expect_find(p, "alpha", FS(S1, "rg1", "fs-a"), "2026-06-30T23:59:59Z",
		    "by-id");
	expect_find(p, "alpha", FS(S1, "rg1", "fs-a"), "2026-07-01T00:00:00Z",
		    "also-fs-a");
	expect_find(p, "alpha", FS(S1, "rg1", "fs-a"), "2027-01-01T23:59:59Z",
		    "also-fs-a");
	expect_find(p, "alpha", FS(S1, "rg1", "fs-a"), "2027-01-02T00:00:00Z",
		    NULL);
	/* A date-time is that instant, in its zone. */
	expect_find(p, "alpha", FS(S1, "rg2", "fs-b1"), "2026-06-30T09:59:59Z",
		    "by-regex");
	expect_find(p, "alpha", FS(S1, "rg2", "fs-b1"), "2026-06-30T10:00:00Z",
		    NULL);
	expect_find(p, "beta", FS(S1, "rg1", "fs-a"), "2024-12-31T23:59:59Z",
		    "beta-fs-a");

	/* Expired at a time, in file order. */
	assert_int_equal(policy_foreach_expired(p, at("2026-07-01T00:00:00Z"),
						collect_name, &names), 0);
	assert_string_equal(names.buf, "by-id by-regex beta-fs-a");
	sbuf_reset(&names);
	assert_int_equal(policy_foreach_expired(p, at("2024-01-01"),
						collect_name, &names), 0);
	assert_string_equal(names.buf, "");
	sbuf_release(&names);
	policy_free(p);
	rule_set_free(rules);
}

static void unused_exemptions_are_listed(void **state)
{
	struct rule_set *rules = test_rules();
	struct policy *p = load_ok(rules, exemptions_text);
	const struct policy_exemption *e = NULL;
	struct sbuf names = SBUF_INIT;
	struct err_detail d;
	time_t t = at("2026-05-01");
	int calls = 0;

	(void)state;
	assert_int_equal(policy_foreach_unused(p, t, collect_name, &names), 0);
	assert_string_equal(names.buf, "by-id by-regex also-fs-a never");

	/* The caller marks what it used; finding alone does not. */
	assert_int_equal(policy_exemption_find(p, "alpha",
		FS(S1, "rg1", "fs-a"), t, &e, &d), 1);
	sbuf_reset(&names);
	assert_int_equal(policy_foreach_unused(p, t, collect_name, &names), 0);
	assert_string_equal(names.buf, "by-id by-regex also-fs-a never");
	policy_exemption_used(p, e);
	policy_exemption_used(p, e);
	assert_int_equal(policy_exemption_find(p, "alpha",
		FS(S1, "rg2", "fs-b2"), t, &e, &d), 1);
	policy_exemption_used(p, e);
	policy_exemption_used(p, NULL);
	sbuf_reset(&names);
	assert_int_equal(policy_foreach_unused(p, t, collect_name, &names), 0);
	assert_string_equal(names.buf, "also-fs-a never");

	/* Expired ones are listed as expired, not as unused. */
	sbuf_reset(&names);
	assert_int_equal(policy_foreach_unused(p, at("2026-12-01"),
					       collect_name, &names), 0);
	assert_string_equal(names.buf, "also-fs-a never");
	sbuf_reset(&names);
	assert_int_equal(policy_foreach_unused(p, at("2028-01-01"),
					       collect_name, &names), 0);
	assert_string_equal(names.buf, "never");

	/* A negative return stops the walk and comes back. */
	assert_int_equal(policy_foreach_unused(p, t, stop_at_first, &calls),
			 -ECANCELED);
	assert_int_equal(calls, 1);
	assert_int_equal(policy_foreach_expired(p, at("2030-01-02"),
						stop_at_first, &calls),
			 -ECANCELED);
	assert_int_equal(calls, 2);
	sbuf_release(&names);
	policy_free(p);
	rule_set_free(rules);
}

static void regex_that_gives_up_is_an_error(void **state)
{
	struct rule_set *rules = test_rules();
	struct policy *p = load_ok(rules, "[exemption slow]\nrule = alpha\n"
				   "resource_regex = ^(a+)+$\nreason = r\n"
				   "approver = a\nticket = t\n"
				   "expires = 2030-01-01\n");
	const struct policy_exemption *e = NULL;
	struct err_detail d;
	char subject[64];

	(void)state;
	memset(subject, 'a', sizeof(subject) - 2);
	subject[sizeof(subject) - 2] = 'b';
	subject[sizeof(subject) - 1] = '\0';
	assert_int_equal(policy_exemption_find(p, "alpha", subject,
					       at("2026-01-01"), &e, &d),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "exemption 'slow' gave up"));
	assert_string_equal(d.where, "t.ini:2");
	assert_null(e);
	policy_free(p);
	rule_set_free(rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sample_loads_and_documents_every_rule),
		cmocka_unit_test(sample_defaults_are_the_rule_files),
		cmocka_unit_test(default_policy_is_every_rule_on),
		cmocka_unit_test(errors_name_file_line_and_reason),
		cmocka_unit_test(a_stored_policy_reads_as_it_was_read),
		cmocka_unit_test(file_errors_name_the_path),
		cmocka_unit_test(overrides_resolve_most_specific_first),
		cmocka_unit_test(defaults_rules_list_and_none),
		cmocka_unit_test(exemptions_match_by_id_and_regex),
		cmocka_unit_test(exemptions_expire),
		cmocka_unit_test(unused_exemptions_are_listed),
		cmocka_unit_test(regex_that_gives_up_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
