#pragma once
#include <stddef.h>

#include "util/err.h"

/* A comma-separated config value, split and trimmed. */
struct strlist {
	char **v;
	size_t n;
};

void strlist_release(struct strlist *l);
/* Append a copy of s. */
void strlist_add(struct strlist *l, const char *s);
/* Index of s in l, or -1. */
long strlist_find(const struct strlist *l, const char *s);

/*
 * The configuration file (INI, read with config/ini.h). Every key is
 * optional; config_init() sets the documented defaults and
 * samples/amlfs-audit.conf documents each one. A plain record every layer
 * may read; only cli/ decides which file to load.
 */
#define CONFIG_MAX_KEYS 64

struct config {
	char *path;			/* the file read, or NULL */
	char *db_path;			/* [database] path */
	char *cloud;			/* [azure] cloud */
	char *tenant_id;		/* [azure] tenant_id */
	char *auth;			/* [azure] auth */
	char *resource_manager;		/* [azure] resource_manager */
	char *authority_host;		/* [azure] authority_host */
	char *imds_endpoint;		/* [azure] imds_endpoint */
	char *access_token_file;	/* [azure] access_token_file */
	char *az_command;		/* [azure] az_command */
	char *ca_file;			/* [azure] ca_file: PEM CA bundle */
	char *api_version;		/* [azure] storagecache_api_version */
	char *metrics_endpoint;		/* [azure] metrics_endpoint, with {region} */
	char *discovery;		/* [scope] discovery: list | resource-graph */
	struct strlist subscriptions;	/* [scope] subscriptions */
	struct strlist resource_groups;	/* [scope] resource_groups */
	long metrics_lookback_hours;	/* [collect] metrics_lookback_hours */
	long max_pages;			/* [collect] max_pages */
	long max_response_mib;		/* [collect] max_response_mib */
	long max_in_flight;		/* [collect] max_in_flight */
	long connect_timeout_s;		/* [collect] connect_timeout_s */
	long timeout_s;			/* [collect] timeout_s */
	long max_attempts;		/* [collect] max_attempts */
	long backoff_base_ms;		/* [collect] backoff_base_ms */
	long max_wait_s;		/* [collect] max_wait_s */
	long retry_budget_s;		/* [collect] retry_budget_s */
	char *metrics;			/* [collect] metrics: batch | per-resource | off */
	int jobs;			/* [collect] jobs = yes | no */
	int access;			/* [collect] access = yes | no */
	int scope_tags;			/* [collect] scope_tags = yes | no */
	char *datadir;			/* [paths] datadir */
	struct strlist related;		/* [costs] related_resources, lower case */
	int cost_query;			/* [costs] query = yes | no */
	char *billing_scope;		/* [costs] billing_scope, or NULL */
	long cost_months;		/* [costs] months */
	long cost_parallel;		/* [costs] max_parallel scopes */
	char *prices_url;		/* [costs] prices_url, or NULL */
	struct strlist allocate_by;	/* [chargeback] allocate_by: tag keys, first wins */
	long variance_pct;		/* [chargeback] variance_pct: anomaly threshold */
	char *signing_key;		/* [evidence] signing_key: Ed25519 PEM, or NULL */
	char *head_log;			/* [evidence] head_log: a file, "syslog", "syslog:SOCKET", or NULL */
	int origin[CONFIG_MAX_KEYS];	/* line of each key (0: default) */
};

void config_init(struct config *c);
void config_release(struct config *c);

/* The largest configuration file read, in bytes. */
#define CONFIG_MAX_BYTES (1 << 20)

/*
 * Read path into c (over the defaults). On error d->where is "file:line"
 * and d->msg names the key: -ERR_CONFIG (also for a path that is not a
 * regular file, a file over CONFIG_MAX_BYTES, a key given twice, a line
 * too long), or -errno when the file cannot be opened.
 */
int config_load(struct config *c, const char *path, struct err_detail *d);

/* The same over text in memory; name stands for the file in errors. */
int config_load_text(struct config *c, const char *name, const char *text,
		     size_t len, struct err_detail *d);

/*
 * The effective value of every key, for `config show`: call with i from 0
 * until it returns 0. *ret_value is a new string ("" when unset), the
 * section and key are static, *ret_line is the line of c->path that set
 * it (0: the default). The file holds no secrets: they come from the
 * environment and files (azure/auth.h).
 */
int config_describe(const struct config *c, size_t i, const char **ret_section,
		    const char **ret_key, char **ret_value, int *ret_line);

/* Was [section] key given in the file read (not its default)? */
int config_is_set(const struct config *c, const char *section,
		  const char *key);

/*
 * The batch metrics endpoint of a cloud (a URL with {region}) and the
 * token audience it wants, or -ERR_CONFIG.
 */
int config_cloud_metrics(const char *cloud, const char **ret_endpoint,
			 const char **ret_audience);

/* Resource Manager and login hosts of a cloud name, or -ERR_CONFIG. */
int config_cloud_hosts(const char *cloud, const char **ret_arm,
		       const char **ret_login);
