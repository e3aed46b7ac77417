#include "config/config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/ini.h"
#include "util/sbuf.h"
#include "util/url.h"
#include "util/xalloc.h"

static const struct cloud {
	const char *name, *arm, *login, *metrics, *metrics_audience;
} clouds[] = {
	{ "AzureCloud", "https://management.azure.com",
	  "https://login.microsoftonline.com",
	  "https://{region}.metrics.monitor.azure.com",
	  "https://metrics.monitor.azure.com" },
	{ "AzureUSGovernment", "https://management.usgovcloudapi.net",
	  "https://login.microsoftonline.us",
	  "https://{region}.metrics.monitor.azure.us",
	  "https://metrics.monitor.azure.us" },
	{ "AzureChinaCloud", "https://management.chinacloudapi.cn",
	  "https://login.chinacloudapi.cn",
	  "https://{region}.metrics.monitor.azure.cn",
	  "https://metrics.monitor.azure.cn" },
};

static const struct cloud *find_cloud(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(clouds) / sizeof(clouds[0]); i++)
		if (!strcasecmp(clouds[i].name, name))
			return &clouds[i];
	return NULL;
}

int config_cloud_metrics(const char *cloud, const char **ret_endpoint,
			 const char **ret_audience)
{
	const struct cloud *c = find_cloud(cloud);

	if (!c)
		return -ERR_CONFIG;
	*ret_endpoint = c->metrics;
	*ret_audience = c->metrics_audience;
	return 0;
}

int config_cloud_hosts(const char *cloud, const char **ret_arm,
		       const char **ret_login)
{
	const struct cloud *c = find_cloud(cloud);

	if (!c)
		return -ERR_CONFIG;
	*ret_arm = c->arm;
	*ret_login = c->login;
	return 0;
}

void strlist_release(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

long strlist_find(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return (long)i;
	return -1;
}

/* ---- the keys ---------------------------------------------------------- */

enum ktype { K_STR, K_ENUM, K_LONG, K_BOOL, K_URL, K_LIST };

/* A value check: 0, or -1 with msg saying why. */
typedef int (*check_fn)(const char *v, char *msg, size_t n);

struct key {
	const char *section, *name;
	enum ktype type;
	size_t off;
	long lo, hi;			/* K_LONG */
	const char *const *set;		/* K_ENUM */
	check_fn check;			/* K_STR, K_LIST (each item) */
	enum url_use url;		/* K_URL */
	unsigned flags;
};

enum { F_LOWER = 1 << 0, F_NONEMPTY = 1 << 1 };

static const char *const auth_modes[] = {
	"auto", "client-secret", "workload-identity", "managed-identity",
	"azure-cli", "access-token", NULL
};
static const char *const metrics_modes[] = {
	"batch", "per-resource", "off", NULL
};
static const char *const discovery_modes[] = {
	"list", "resource-graph", NULL
};

static int check_cloud(const char *v, char *msg, size_t n)
{
	if (find_cloud(v))
		return 0;
	snprintf(msg, n, "unknown cloud '%s' (AzureCloud, AzureUSGovernment "
		 "or AzureChinaCloud)", v);
	return -1;
}

static int check_guid(const char *s, char *msg, size_t n)
{
	static const int dash[] = { 8, 13, 18, 23 };
	int i, j = 0;

	for (i = 0; i < 36 && s[i]; i++) {
		if (j < 4 && i == dash[j]) {
			if (s[i] != '-')
				break;
			j++;
		} else if (!strchr("0123456789abcdefABCDEF", s[i])) {
			break;
		}
	}
	if (i == 36 && !s[i])
		return 0;
	snprintf(msg, n, "'%s' is not a GUID", s);
	return -1;
}

/*
 * Resource group names: letters, digits, '-', '_', '.', '(' and ')' (ARM's
 * rule, ASCII here). They go into URL paths and a Resource Graph query,
 * so nothing else is let through.
 */
static int check_rg(const char *s, char *msg, size_t n)
{
	const char *p;

	for (p = s; *p; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("-_.()", *p)) {
			snprintf(msg, n, "'%s' is not a resource group name", s);
			return -1;
		}
	}
	return 0;
}

static int check_arm_id(const char *s, char *msg, size_t n)
{
	if (!strncasecmp(s, "/subscriptions/", 15))
		return 0;
	snprintf(msg, n, "'%s' is not an ARM resource id", s);
	return -1;
}

/* A tag key: what ARM allows (no < > % & \\ ? /), at most 512 bytes. */
static int check_tag_key(const char *s, char *msg, size_t n)
{
	if (strlen(s) <= 512 && !s[strcspn(s, "<>%&\\?/")])
		return 0;
	snprintf(msg, n, "'%.100s' is not a tag key", s);
	return -1;
}

static int check_billing(const char *s, char *msg, size_t n)
{
	if (!strncmp(s, "providers/Microsoft.Billing/", 28) ||
	    !strncmp(s, "subscriptions/", 14))
		return 0;
	snprintf(msg, n, "'%s' is not a billing scope (providers/Microsoft."
		 "Billing/... or subscriptions/GUID)", s);
	return -1;
}

#define O(f) offsetof(struct config, f)
#define S(sec, k, f, chk, fl) { sec, k, K_STR, O(f), 0, 0, NULL, chk, 0, fl }
#define E(sec, k, f, set) { sec, k, K_ENUM, O(f), 0, 0, set, NULL, 0, 0 }
#define L(sec, k, f, lo, hi) { sec, k, K_LONG, O(f), lo, hi, NULL, NULL, 0, 0 }
#define B(sec, k, f) { sec, k, K_BOOL, O(f), 0, 0, NULL, NULL, 0, 0 }
#define U(sec, k, f, use) { sec, k, K_URL, O(f), 0, 0, NULL, NULL, use, 0 }
#define LIST(sec, k, f, chk, fl) { sec, k, K_LIST, O(f), 0, 0, NULL, chk, 0, fl }

static const struct key keys[] = {
	S("database", "path", db_path, NULL, F_NONEMPTY),
	S("azure", "cloud", cloud, check_cloud, 0),
	S("azure", "tenant_id", tenant_id, check_guid, 0),
	E("azure", "auth", auth, auth_modes),
	U("azure", "resource_manager", resource_manager, URL_TOKEN),
	U("azure", "authority_host", authority_host, URL_TOKEN),
	U("azure", "imds_endpoint", imds_endpoint, URL_IMDS),
	S("azure", "access_token_file", access_token_file, NULL, F_NONEMPTY),
	S("azure", "az_command", az_command, NULL, F_NONEMPTY),
	S("azure", "ca_file", ca_file, NULL, F_NONEMPTY),
	S("azure", "storagecache_api_version", api_version, NULL, F_NONEMPTY),
	U("azure", "metrics_endpoint", metrics_endpoint, URL_TEMPLATE),
	LIST("scope", "subscriptions", subscriptions, check_guid, 0),
	LIST("scope", "resource_groups", resource_groups, check_rg, 0),
	E("scope", "discovery", discovery, discovery_modes),
	L("collect", "metrics_lookback_hours", metrics_lookback_hours, 1, 24 * 93),
	L("collect", "max_pages", max_pages, 1, 1000000),
	L("collect", "max_response_mib", max_response_mib, 1, 4096),
	L("collect", "max_in_flight", max_in_flight, 1, 64),
	L("collect", "connect_timeout_s", connect_timeout_s, 1, 600),
	L("collect", "timeout_s", timeout_s, 1, 3600),
	L("collect", "max_attempts", max_attempts, 1, 20),
	L("collect", "backoff_base_ms", backoff_base_ms, 1, 60000),
	L("collect", "max_wait_s", max_wait_s, 1, 3600),
	L("collect", "retry_budget_s", retry_budget_s, 1, 86400),
	B("collect", "jobs", jobs),
	B("collect", "access", access),
	B("collect", "scope_tags", scope_tags),
	E("collect", "metrics", metrics, metrics_modes),
	S("paths", "datadir", datadir, NULL, F_NONEMPTY),
	B("costs", "query", cost_query),
	L("costs", "months", cost_months, 1, 24),
	L("costs", "max_parallel", cost_parallel, 1, 16),
	S("costs", "billing_scope", billing_scope, check_billing, 0),
	LIST("costs", "related_resources", related, check_arm_id, F_LOWER),
	U("costs", "prices_url", prices_url, URL_TOKEN),
	LIST("chargeback", "allocate_by", allocate_by, check_tag_key, 0),
	L("chargeback", "variance_pct", variance_pct, 0, 1000),
	S("evidence", "signing_key", signing_key, NULL, F_NONEMPTY),
	S("evidence", "head_log", head_log, NULL, F_NONEMPTY),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

_Static_assert(N_KEYS <= CONFIG_MAX_KEYS, "raise CONFIG_MAX_KEYS");

static void *field(const struct config *c, const struct key *k)
{
	return (char *)c + k->off;
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->cloud = xstrdup("AzureCloud");
	c->auth = xstrdup("auto");
	c->api_version = xstrdup("2025-07-01");
	c->metrics_lookback_hours = 24;
	c->max_pages = 1000;
	c->max_response_mib = 64;
	c->max_in_flight = 8;
	c->connect_timeout_s = 10;
	c->timeout_s = 60;
	c->max_attempts = 5;
	c->backoff_base_ms = 1000;
	c->max_wait_s = 60;
	c->retry_budget_s = 300;
	c->metrics = xstrdup("batch");
	c->discovery = xstrdup("list");
	c->jobs = c->access = c->scope_tags = 1;
	c->cost_query = 1;
	c->cost_months = 2;
	c->cost_parallel = 2;
	strlist_add(&c->allocate_by, "CostCenter");
	c->variance_pct = 10;
}

void config_release(struct config *c)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		if (keys[i].type == K_LIST)
			strlist_release(field(c, &keys[i]));
		else if (keys[i].type != K_LONG && keys[i].type != K_BOOL)
			free(*(char **)field(c, &keys[i]));
	}
	free(c->path);
	memset(c, 0, sizeof(*c));
}

static int parse_bool(const char *v, int *ret)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*ret = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*ret = 0;
	else
		return -1;
	return 0;
}

static int parse_long(const char *v, long lo, long hi, long *ret)
{
	char *end;
	long n;

	if (!(*v >= '0' && *v <= '9') && *v != '-')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return -1;
	*ret = n;
	return 0;
}

static int one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(v, *set))
			return 1;
	return 0;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/*
 * A list: items split on commas and line breaks (continuation lines),
 * trimmed, empty ones dropped, each checked.
 */
static int set_list(const struct key *k, struct strlist *out, const char *v,
		    char *msg, size_t msglen)
{
	struct strlist l = { NULL, 0 };
	const char *p = v;

	while (*p) {
		size_t n = strcspn(p, ",\n");
		const char *s = p, *e = p + n;
		char *item, *q;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		p += n + (p[n] != '\0');
		if (s == e)
			continue;
		item = xstrndup(s, (size_t)(e - s));
		if (k->flags & F_LOWER)
			for (q = item; *q; q++)
				if (*q >= 'A' && *q <= 'Z')
					*q = (char)(*q + 32);
		if (k->check && k->check(item, msg, msglen) < 0) {
			free(item);
			strlist_release(&l);
			return -1;
		}
		l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
		l.v[l.n++] = item;
	}
	strlist_release(out);
	*out = l;
	return 0;
}

/* Apply one entry; -1 with why saying what is wrong with it. */
static int apply(struct config *c, const struct key *k, const char *v,
		 char *why, size_t n)
{
	struct err_detail ud;
	void *f = field(c, k);
	int bad = 0;

	if (k->type != K_LIST && strchr(v, '\n')) {
		snprintf(why, n, "takes one value, not a continued list (an "
			 "indented line below it)");
		return -1;
	}
	switch (k->type) {
	case K_LIST:
		return set_list(k, f, v, why, n);
	case K_LONG:
		if (parse_long(v, k->lo, k->hi, f) < 0) {
			snprintf(why, n, "'%.200s' is not a whole number from "
				 "%ld to %ld", v, k->lo, k->hi);
			return -1;
		}
		return 0;
	case K_BOOL:
		bad = parse_bool(v, f);
		break;
	case K_ENUM:
		bad = !one_of(v, k->set);
		break;
	case K_URL:
		if (url_check(v, k->url, &ud) < 0) {
			snprintf(why, n, "bad URL '%.200s': %.200s", v, ud.msg);
			return -1;
		}
		break;
	case K_STR:
		if (k->check && *v && k->check(v, why, n) < 0)
			return -1;
		bad = (k->flags & F_NONEMPTY) && !*v;
		break;
	}
	if (bad) {
		snprintf(why, n, "bad value '%.200s'", v);
		return -1;
	}
	if (k->type != K_BOOL)
		set_str(f, v);
	return 0;
}

static const struct key *find_key(const char *section, const char *name,
				  int *ret_known_section)
{
	size_t i;

	*ret_known_section = 0;
	for (i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].section, section))
			continue;
		*ret_known_section = 1;
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	}
	return NULL;
}

static int apply_file(struct config *c, const struct ini_file *f,
		      struct err_detail *d)
{
	char msg[sizeof(d->msg)];
	size_t i;
	int known;

	for (i = 0; i < f->n; i++) {
		const struct ini_entry *e = &f->v[i];
		const struct key *k = find_key(e->section, e->key, &known);

		if (!k) {
			if (known)
				err_set(d, "unknown key '%s' in [%s]", e->key,
					e->section);
			else
				err_set(d, "unknown section [%s]", e->section);
			err_where(d, "%s:%d", f->path, e->line);
			return -ERR_CONFIG;
		}
		if (apply(c, k, e->value, msg, sizeof(msg)) < 0) {
			err_set(d, "key '%s' in [%s]: %.400s", e->key,
				e->section, msg);
			err_where(d, "%s:%d", f->path, e->line);
			return -ERR_CONFIG;
		}
		c->origin[k - keys] = e->line;
	}
	return 0;
}

int config_load_text(struct config *c, const char *name, const char *text,
		     size_t len, struct err_detail *d)
{
	struct ini_file f;
	int r = ini_read_text(name, text, len, &f, d);

	if (r == 0)
		r = apply_file(c, &f, d);
	if (r == 0)
		set_str(&c->path, name);
	ini_file_release(&f);
	return r;
}

int config_load(struct config *c, const char *path, struct err_detail *d)
{
	struct ini_file f;
	int r = ini_read(path, CONFIG_MAX_BYTES, &f, d);

	if (r == 0)
		r = apply_file(c, &f, d);
	if (r == 0)
		set_str(&c->path, path);
	ini_file_release(&f);
	return r;
}

int config_is_set(const struct config *c, const char *section,
		  const char *key)
{
	int known;
	const struct key *k = find_key(section, key, &known);

	return k && c->origin[k - keys] > 0;
}

int config_describe(const struct config *c, size_t i, const char **ret_section,
		    const char **ret_key, char **ret_value, int *ret_line)
{
	const struct key *k;
	struct sbuf sb = SBUF_INIT;
	const void *f;
	size_t j;

	if (i >= N_KEYS)
		return 0;
	k = &keys[i];
	f = field(c, k);
	switch (k->type) {
	case K_LIST:
		for (j = 0; j < ((const struct strlist *)f)->n; j++)
			sbuf_addf(&sb, "%s%s", j ? ", " : "",
				  ((const struct strlist *)f)->v[j]);
		break;
	case K_LONG:
		sbuf_addf(&sb, "%ld", *(const long *)f);
		break;
	case K_BOOL:
		sbuf_adds(&sb, *(const int *)f ? "yes" : "no");
		break;
	default:
		if (*(char *const *)f)
			sbuf_adds(&sb, *(char *const *)f);
		break;
	}
	*ret_section = k->section;
	*ret_key = k->name;
	*ret_value = sbuf_detach(&sb, NULL);
	*ret_line = c->origin[i];
	return 1;
}
