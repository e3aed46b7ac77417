/*
 * The policy file reader (policy/policy.c, over config/ini.c), against
 * the rules of queries/rules. Input: the text of a policy file. What must
 * hold:
 *  - a refusal is -ERR_CONFIG naming the file (and line) and why;
 *  - a policy accepted keeps its text byte for byte (it is stored with
 *    every check) and answers for every rule, for the rule as a whole and
 *    for resources in several scopes: a known severity, a variant that
 *    exists, parameters that are declared;
 *  - an exemption found is for that rule and not expired; the expired
 *    and unused walks agree with the time asked.
 */
#include "fuzz.h"

#include <string.h>

#include "config.h"
#include "policy/policy.h"
#include "policy/rules.h"

#define NAME "fuzz.ini"

static struct rule_set *rules;

static const char *const resources[] = {
	NULL, "/",
	"/subscriptions/c94e7a15-2f6b-4b8d-9e31-7ad05c8b2e4f",
	"/subscriptions/6f3c2b1e-8a47-4d9e-b5c2-1e7a9d4f0b63/resourceGroups/"
	"rg-genomics-prod/providers/Microsoft.StorageCache/amlFilesystems/"
	"amlfs-genomics-prod",
	"/SUBSCRIPTIONS/6F3C2B1E-8A47-4D9E-B5C2-1E7A9D4F0B63/RESOURCEGROUPS/"
	"RG-AI-TRAINING/providers/Microsoft.StorageCache/amlFilesystems/"
	"amlfs-llm-scratch",
	"/subscriptions/x/resourceGroups/",
};
#define NRES (sizeof(resources) / sizeof(resources[0]))

static const time_t times[] = { 0, 1798761600 /* 2027-01-01 */,
				(time_t)1 << 40 };

static int check_expired(void *ctx, const struct policy_exemption *e)
{
	FUZZ_ASSERT(*(const time_t *)ctx >= e->expires_at);
	return 0;
}

static int check_unused(void *ctx, const struct policy_exemption *e)
{
	FUZZ_ASSERT(*(const time_t *)ctx < e->expires_at);
	return 0;
}

static int declared(const struct rule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_params; i++)
		if (!strcmp(r->params[i].name, name))
			return 1;
	return 0;
}

static void check_rule(struct policy *p, const struct rule *rule)
{
	struct policy_setting s;
	const struct policy_exemption *e;
	const struct rule_param *params;
	struct err_detail d = { { 0 }, { 0 } };
	size_t i, k, n, variants = policy_variants(p, rule->id);
	int r;

	FUZZ_ASSERT(variants >= 1);
	for (i = 0; i < variants; i++) {
		FUZZ_ASSERT(policy_variant_params(p, rule->id, i, &params,
						  &n) == 0);
		for (k = 0; k < n; k++)
			FUZZ_ASSERT(declared(rule, params[k].name) &&
				    params[k].value);
	}
	for (i = 0; i < NRES; i++) {
		FUZZ_ASSERT(policy_setting_get(p, rule->id, resources[i],
					       &s) == 0);
		FUZZ_ASSERT(s.severity >= SEVERITY_INFO &&
			    s.severity <= SEVERITY_CRITICAL);
		FUZZ_ASSERT(s.variant < variants);
		FUZZ_ASSERT(s.enabled == 0 || s.enabled == 1);
		for (k = 0; k < s.n_params; k++)
			FUZZ_ASSERT(declared(rule, s.params[k].name));
		if (!resources[i])
			continue;
		for (k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
			r = policy_exemption_find(p, rule->id, resources[i],
						  times[k], &e, &d);
			FUZZ_ASSERT(r == 0 || r == 1 ||
				    (r == -ERR_CONFIG && d.msg[0]));
			if (r == 1) {
				FUZZ_ASSERT(!strcmp(e->rule, rule->id));
				FUZZ_ASSERT(times[k] < e->expires_at);
				FUZZ_ASSERT(!e->resource != !e->resource_regex);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_detail d = { { 0 }, { 0 } };
	struct policy *p = NULL;
	struct policy_setting s;
	const char *text;
	size_t i, len;
	int r;

	if (!rules)
		FUZZ_ASSERT(rules_load_dir(AMLFS_SOURCE_DIR "/queries/rules",
					   &rules, &d) == 0);
	r = policy_load_text(NAME, (const char *)data, size, rules, &p, &d);
	if (r < 0) {
		FUZZ_ASSERT(r == -ERR_CONFIG && d.msg[0]);
		FUZZ_ASSERT(!strncmp(d.where, NAME, strlen(NAME)));
		FUZZ_ASSERT(!p);
		return 0;
	}
	text = policy_text(p, &len);
	FUZZ_ASSERT(len == size && (!size || !memcmp(text, data, size)));
	FUZZ_ASSERT(policy_fail_on(p) >= SEVERITY_INFO &&
		    policy_fail_on(p) <= SEVERITY_CRITICAL);
	for (i = 0; i < rules->n; i++)
		check_rule(p, &rules->v[i]);
	FUZZ_ASSERT(policy_setting_get(p, "no-such-rule", NULL, &s) ==
		    -ERR_NOT_FOUND);
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		FUZZ_ASSERT(policy_foreach_expired(p, times[i], check_expired,
						   (void *)&times[i]) == 0);
		FUZZ_ASSERT(policy_foreach_unused(p, times[i], check_unused,
						  (void *)&times[i]) == 0);
	}
	policy_free(p);
	return 0;
}
