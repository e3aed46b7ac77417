#include "cli/cfgfile.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sbuf.h"
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

int config_cloud_metrics(const char *cloud, const char **ret_endpoint,
			 const char **ret_audience)
{
	size_t i;

	for (i = 0; i < sizeof(clouds) / sizeof(clouds[0]); i++) {
		if (!strcasecmp(clouds[i].name, cloud)) {
			*ret_endpoint = clouds[i].metrics;
			*ret_audience = clouds[i].metrics_audience;
			return 0;
		}
	}
	return -ERR_CONFIG;
}

static const char *const sections[] = {
	"database", "azure", "scope", "collect", "paths", "costs", NULL
};

static const char *const metrics_modes[] = {
	"batch", "per-resource", "off", NULL
};

static const char *const discovery_modes[] = {
	"list", "resource-graph", NULL
};

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

static const char *const auth_modes[] = {
	"auto", "client-secret", "workload-identity", "managed-identity",
	"azure-cli", "access-token", NULL
};

int config_cloud_hosts(const char *cloud, const char **ret_arm,
		       const char **ret_login)
{
	size_t i;

	for (i = 0; i < sizeof(clouds) / sizeof(clouds[0]); i++) {
		if (!strcasecmp(clouds[i].name, cloud)) {
			*ret_arm = clouds[i].arm;
			*ret_login = clouds[i].login;
			return 0;
		}
	}
	return -ERR_CONFIG;
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

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
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
}

void config_release(struct config *c)
{
	free(c->path);
	free(c->db_path);
	free(c->cloud);
	free(c->tenant_id);
	free(c->auth);
	free(c->resource_manager);
	free(c->authority_host);
	free(c->imds_endpoint);
	free(c->access_token_file);
	free(c->az_command);
	free(c->api_version);
	free(c->metrics_endpoint);
	free(c->discovery);
	free(c->metrics);
	strlist_release(&c->subscriptions);
	strlist_release(&c->resource_groups);
	strlist_release(&c->related);
	free(c->billing_scope);
	free(c->prices_url);
	free(c->datadir);
	memset(c, 0, sizeof(*c));
}

struct parse_state {
	struct config *c;
	char msg[512];
	int failed;
};

static int is_guid(const char *s)
{
	static const int dash[] = { 8, 13, 18, 23 };
	int i, j = 0;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (j < 4 && i == dash[j]) {
			if (s[i] != '-')
				return 0;
			j++;
		} else if (!strchr("0123456789abcdefABCDEF", s[i])) {
			return 0;
		}
	}
	return 1;
}

static int split_list(const char *v, struct strlist *out, int guids,
		      char *msg, size_t msglen, const char *key)
{
	const char *p = v;

	strlist_release(out);
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;
		char *item;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		p += n + (p[n] == ',');
		if (s == e)
			continue;
		item = xstrndup(s, (size_t)(e - s));
		if (guids && !is_guid(item)) {
			snprintf(msg, msglen, "'%s' in key '%s' is not a "
				 "subscription GUID", item, key);
			free(item);
			return -1;
		}
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = item;
	}
	return 0;
}

/*
 * Resource group names: letters, digits, '-', '_', '.', '(' and ')' (ARM's
 * rule, ASCII here). They go into URL paths and a Resource Graph query,
 * so nothing else is let through.
 */
static int rg_names_ok(const struct strlist *l, char *msg, size_t msglen)
{
	size_t i;
	const char *p;

	for (i = 0; i < l->n; i++) {
		for (p = l->v[i]; *p; p++) {
			if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
			    !(*p >= '0' && *p <= '9') && !strchr("-_.()", *p)) {
				snprintf(msg, msglen, "'%s' in key 'resource_groups' "
					 "is not a resource group name", l->v[i]);
				return 0;
			}
		}
	}
	return 1;
}

static int parse_long(const char *v, long lo, long hi, long *ret)
{
	char *end;
	long n;

	if (!*v)
		return -1;
	n = strtol(v, &end, 10);
	if (*end || n < lo || n > hi)
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

/* Store v in *dst when ok; returns "bad" (1) otherwise. */
static int set_checked(char **dst, const char *v, int ok)
{
	if (ok)
		set_str(dst, v);
	return !ok;
}

static int is_url(const char *v)
{
	return !strncmp(v, "https://", 8) || !strncmp(v, "http://", 7);
}

#define KEY(s, k) (!strcmp(section, s) && !strcmp(name, k))

static int handle(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parse_state *ps = user;
	struct config *c = ps->c;
	const char *a, *l;
	int bad = 0;

	if (ps->failed)
		return 1;	/* report the first error only */
	if (!one_of(section, sections)) {
		snprintf(ps->msg, sizeof(ps->msg), "unknown section [%s]",
			 section);
		ps->failed = 1;
		return 0;
	}
	if (KEY("database", "path"))
		set_str(&c->db_path, value);
	else if (KEY("azure", "cloud"))
		bad = set_checked(&c->cloud, value,
				  config_cloud_hosts(value, &a, &l) == 0);
	else if (KEY("azure", "tenant_id"))
		set_str(&c->tenant_id, value);
	else if (KEY("azure", "auth"))
		bad = set_checked(&c->auth, value, one_of(value, auth_modes));
	else if (KEY("azure", "resource_manager"))
		bad = set_checked(&c->resource_manager, value, is_url(value));
	else if (KEY("azure", "authority_host"))
		bad = set_checked(&c->authority_host, value, is_url(value));
	else if (KEY("azure", "imds_endpoint"))
		bad = set_checked(&c->imds_endpoint, value, is_url(value));
	else if (KEY("azure", "access_token_file"))
		bad = set_checked(&c->access_token_file, value, *value != '\0');
	else if (KEY("azure", "az_command"))
		bad = set_checked(&c->az_command, value, *value != '\0');
	else if (KEY("azure", "storagecache_api_version"))
		set_str(&c->api_version, value);
	else if (KEY("azure", "metrics_endpoint"))
		bad = set_checked(&c->metrics_endpoint, value, is_url(value));
	else if (KEY("scope", "discovery"))
		bad = set_checked(&c->discovery, value,
				  one_of(value, discovery_modes));
	else if (KEY("collect", "max_in_flight"))
		bad = parse_long(value, 1, 64, &c->max_in_flight);
	else if (KEY("collect", "connect_timeout_s"))
		bad = parse_long(value, 1, 600, &c->connect_timeout_s);
	else if (KEY("collect", "timeout_s"))
		bad = parse_long(value, 1, 3600, &c->timeout_s);
	else if (KEY("collect", "max_attempts"))
		bad = parse_long(value, 1, 20, &c->max_attempts);
	else if (KEY("collect", "backoff_base_ms"))
		bad = parse_long(value, 1, 60000, &c->backoff_base_ms);
	else if (KEY("collect", "max_wait_s"))
		bad = parse_long(value, 1, 3600, &c->max_wait_s);
	else if (KEY("collect", "retry_budget_s"))
		bad = parse_long(value, 1, 86400, &c->retry_budget_s);
	else if (KEY("collect", "metrics"))
		bad = set_checked(&c->metrics, value, one_of(value, metrics_modes));
	else if (KEY("collect", "jobs"))
		bad = parse_bool(value, &c->jobs);
	else if (KEY("collect", "access"))
		bad = parse_bool(value, &c->access);
	else if (KEY("collect", "scope_tags"))
		bad = parse_bool(value, &c->scope_tags);
	else if (KEY("scope", "subscriptions")) {
		if (split_list(value, &c->subscriptions, 1, ps->msg,
			       sizeof(ps->msg), name) < 0) {
			ps->failed = 1;
			return 0;
		}
	} else if (KEY("scope", "resource_groups")) {
		split_list(value, &c->resource_groups, 0, NULL, 0, name);
		if (!rg_names_ok(&c->resource_groups, ps->msg, sizeof(ps->msg))) {
			ps->failed = 1;
			return 0;
		}
	} else if (KEY("collect", "metrics_lookback_hours"))
		bad = parse_long(value, 1, 24 * 93, &c->metrics_lookback_hours);
	else if (KEY("collect", "max_pages"))
		bad = parse_long(value, 1, 1000000, &c->max_pages);
	else if (KEY("collect", "max_response_mib"))
		bad = parse_long(value, 1, 4096, &c->max_response_mib);
	else if (KEY("costs", "related_resources")) {
		size_t i;

		split_list(value, &c->related, 0, NULL, 0, name);
		for (i = 0; i < c->related.n; i++) {
			char *low = c->related.v[i], *p;

			for (p = low; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + 32);
			if (strncmp(low, "/subscriptions/", 15)) {
				snprintf(ps->msg, sizeof(ps->msg), "'%s' in key "
					 "'related_resources' is not an ARM "
					 "resource id", low);
				ps->failed = 1;
				return 0;
			}
		}
	} else if (KEY("costs", "query"))
		bad = parse_bool(value, &c->cost_query);
	else if (KEY("costs", "prices_url"))
		bad = set_checked(&c->prices_url, value, is_url(value));
	else if (KEY("costs", "max_parallel"))
		bad = parse_long(value, 1, 16, &c->cost_parallel);
	else if (KEY("costs", "months"))
		bad = parse_long(value, 1, 24, &c->cost_months);
	else if (KEY("costs", "billing_scope"))
		bad = set_checked(&c->billing_scope, value,
				  !strncmp(value, "providers/Microsoft.Billing/", 28) ||
				  !strncmp(value, "subscriptions/", 14));
	else if (KEY("paths", "datadir"))
		set_str(&c->datadir, value);
	else {
		snprintf(ps->msg, sizeof(ps->msg), "unknown key '%s' in [%s]",
			 name, section);
		ps->failed = 1;
		return 0;
	}
	if (bad) {
		snprintf(ps->msg, sizeof(ps->msg), "bad value '%s' for key "
			 "'%s' in [%s]", value, name, section);
		ps->failed = 1;
		return 0;
	}
	return 1;
}

int config_load(struct config *c, const char *path, struct err_detail *d)
{
	struct parse_state ps = { .c = c };
	FILE *f = fopen(path, "r");
	int line;

	if (!f) {
		int e = errno;

		err_set(d, "cannot open config: %s", strerror(e));
		err_where(d, "%s", path);
		return -e;
	}
	set_str(&c->path, path);
	line = ini_parse_file(f, handle, &ps);
	fclose(f);
	if (line != 0) {
		if (!ps.msg[0])
			snprintf(ps.msg, sizeof(ps.msg), "syntax error "
				 "(expected '[section]' or 'key = value')");
		err_set(d, "%s", ps.msg);
		err_where(d, "%s:%d", path, line);
		return -ERR_CONFIG;
	}
	return 0;
}
