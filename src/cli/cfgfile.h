#pragma once
#include <stddef.h>

#include "util/err.h"

/* A comma-separated config value, split and trimmed. */
struct strlist {
	char **v;
	size_t n;
};

void strlist_release(struct strlist *l);

/*
 * The configuration file (INI, read with libinih). Every key is optional;
 * config_init() sets the documented defaults and samples/amlfs-audit.conf
 * documents each one.
 */
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
};

void config_init(struct config *c);
void config_release(struct config *c);

/*
 * Read path into c (over the defaults). On error d->where is "file:line"
 * and d->msg names the key: -ERR_CONFIG, or -errno when the file cannot be
 * opened.
 */
int config_load(struct config *c, const char *path, struct err_detail *d);

/*
 * The batch metrics endpoint of a cloud (a URL with {region}) and the
 * token audience it wants, or -ERR_CONFIG.
 */
int config_cloud_metrics(const char *cloud, const char **ret_endpoint,
			 const char **ret_audience);

/* Resource Manager and login hosts of a cloud name, or -ERR_CONFIG. */
int config_cloud_hosts(const char *cloud, const char **ret_arm,
		       const char **ret_login);
