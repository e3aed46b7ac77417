#pragma once
#include <stddef.h>
#include <time.h>

#include "policy/rules.h"
#include "util/err.h"

/*
 * The policy file: which rules are on, with which parameters and
 * severity, per subscription or resource group, and who exempted what
 * until when. It is INI (config/ini.h: a key given twice in a section,
 * an overlong line or a file that is not regular is an error), read
 * against a rule set so every rule id and parameter name is checked.
 * Errors are -ERR_CONFIG with d->where "file:line" and d->msg the reason.
 * samples/policy.ini documents every key.
 *
 *   [defaults]
 *   rules = all                Rules on unless a section says otherwise:
 *                              all, none, or a comma-separated list of
 *                              ids (it may continue on indented lines).
 *   fail_on = high             The severity at or above which 'check'
 *                              fails (its --fail-on wins).
 *
 *   [rule RULE-ID]             One rule, for every file system.
 *   enabled = yes|no
 *   severity = info|low|medium|high|critical
 *   param.NAME = VALUE         A parameter the rule file declares. The
 *                              prefix keeps parameters apart from the
 *                              keys above whatever a rule names them.
 *                              One whose description there starts with
 *                              "PCRE2 pattern" must compile as REGEXP
 *                              compiles it (else PCRE2's message).
 *
 *   [override NAME]            The same keys for one scope, plus:
 *   rule = RULE-ID
 *   subscription = GUID        Exactly one of these two.
 *   resource_group = /subscriptions/GUID/resourceGroups/NAME
 *
 *   [exemption NAME]           Every key is required.
 *   rule = RULE-ID
 *   resource = ARM-ID          Exactly one of these two. resource is the
 *   resource_regex = PCRE2     rule row's resource_id, compared without
 *                              case; resource_regex is searched for in it
 *                              (unanchored, case-insensitive, as REGEXP
 *                              compiles patterns otherwise).
 *   reason = TEXT
 *   approver = TEXT
 *   ticket = TEXT
 *   expires = YYYY-MM-DD       Through the end of that day (UTC), or a
 *                              date-time (time_parse_iso: UTC unless it
 *                              names a zone), up to that instant.
 *
 * Scopes are named sections and not "[rule ID subscription GUID]"
 * because libinih cuts section names at 49 characters, shorter than a
 * resource group id; a section name that long is refused. NAME is one
 * word. Settings resolve, per key and per parameter: resource group
 * override, then subscription override, then [rule], then the rule
 * file's default (and [defaults] rules for enabled). Two overrides of
 * the same rule and scope are an error. A ';' after white space starts
 * a comment (libinih), also inside a value.
 *
 * A section with no keys gives the INI reader nothing and is ignored.
 */

struct policy;

/* A loaded exemption; the strings live as long as the policy. */
struct policy_exemption {
	char *name;
	char *rule;
	char *resource;		/* as written, or NULL */
	char *resource_regex;	/* or NULL */
	char *reason;
	char *approver;
	char *ticket;
	char *expires;		/* as written */
	time_t expires_at;	/* the first second it no longer applies */
	int line;		/* of its first key */
};

/*
 * What applies to one rule for one resource. params are the policy's
 * overrides only (rule_eval fills in the rule file's defaults for the
 * rest), borrowed from the policy. variant numbers the distinct
 * parameter sets of the rule: 0 is the [rule] section's, and resources
 * whose variant differs need a rule_eval with their own params.
 */
struct policy_setting {
	int enabled;
	enum rule_severity severity;
	const struct rule_param *params;
	size_t n_params;
	size_t variant;
};

/*
 * The drift rule is built in (src/policy/drift.c), not a rule file; the
 * policy knows it by this id like any other: on or off, severity,
 * overrides and exemptions.
 */
#define POLICY_DRIFT_RULE "drift"

/*
 * Read the policy at path (a regular file of at most 1 MiB) and check it
 * against rules. With path NULL, the default policy: every rule on with
 * its rule file's defaults, fail_on high, no exemptions. Regular
 * expressions are compiled here, once. The policy copies what it needs:
 * rules may be freed before it. The caller frees *ret with
 * policy_free(); it is written only on success. -ERR_CONFIG when the
 * path is wrong (no such file, no permission: fs_path_refused()), -errno
 * when the file cannot be read otherwise (d->where is the path).
 */
int policy_load(const char *path, const struct rule_set *rules,
		struct policy **ret, struct err_detail *d);

/* The same over text in memory (len bytes; tests, fuzzing); name is used
 * in messages. */
int policy_load_text(const char *name, const char *text, size_t len,
		     const struct rule_set *rules, struct policy **ret,
		     struct err_detail *d);

/*
 * A policy a check stored, for verify --recheck: read as the version that
 * ran the check read it, without the later checks of a file given now (a
 * section name twice, an override or exemption without keys, an unknown
 * section without keys, an expires SQLite reads otherwise), so a check
 * from an older version can still be evaluated again.
 */
int policy_load_stored(const char *name, const char *text, size_t len,
		       const struct rule_set *rules, struct policy **ret,
		       struct err_detail *d);

/* The default policy described at policy_load(). Never NULL. */
struct policy *policy_new_default(const struct rule_set *rules);

void policy_free(struct policy *p);

/*
 * The bytes the policy was read from ("" for the default policy), for
 * storing with a check; borrowed.
 */
const char *policy_text(const struct policy *p, size_t *ret_len);

/* [defaults] fail_on. */
enum rule_severity policy_fail_on(const struct policy *p);

/* Is rule_id enabled for at least one scope (so worth evaluating)? 0 also
 * for a rule the policy does not know. */
int policy_rule_active(const struct policy *p, const char *rule_id);

/*
 * The setting of rule_id for resource_id, an ARM id (or "/", or NULL:
 * the rule-wide setting). Its subscription and resource group pick the
 * overrides; an id with neither gets the [rule] section's. 0, or
 * -ERR_NOT_FOUND for a rule the policy does not know.
 */
int policy_setting_get(const struct policy *p, const char *rule_id,
		       const char *resource_id, struct policy_setting *ret);

/*
 * Parameter set number i of rule_id (0 <= i < policy_variants()), for
 * rule_eval; borrowed. 0, or -ERR_NOT_FOUND. A check evaluates the rule
 * once per variant and keeps the rows whose policy_setting_get()
 * variant is i (and enabled).
 */
size_t policy_variants(const struct policy *p, const char *rule_id);
int policy_variant_params(const struct policy *p, const char *rule_id,
			  size_t i, const struct rule_param **ret_params,
			  size_t *ret_n);

/*
 * The exemption that applies to rule_id on resource_id at time at: the
 * first in file order whose rule is rule_id, whose resource or
 * resource_regex matches and that has not expired (at < expires_at).
 * Returns 1 with *ret set, 0 when none applies, or -ERR_CONFIG (d says
 * which regex gave up) when a match passes PCRE2's limits.
 *
 * Finding one does not count as using it: the caller says so with
 * policy_exemption_used() when it turns a finding into "exempt".
 */
int policy_exemption_find(const struct policy *p, const char *rule_id,
			  const char *resource_id, time_t at,
			  const struct policy_exemption **ret,
			  struct err_detail *d);
void policy_exemption_used(struct policy *p,
			   const struct policy_exemption *e);

/* Called per exemption; a negative return stops the walk and is returned. */
typedef int (*policy_exemption_fn)(void *ctx,
				   const struct policy_exemption *e);

/* Exemptions expired at time at (at >= expires_at), in file order: each
 * is a finding of its own. */
int policy_foreach_expired(const struct policy *p, time_t at,
			   policy_exemption_fn fn, void *ctx);
/* Exemptions not expired at at that were never marked used. */
int policy_foreach_unused(const struct policy *p, time_t at,
			  policy_exemption_fn fn, void *ctx);
