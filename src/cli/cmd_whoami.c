#include "cli/commands.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "azure/auth.h"
#include "azure/jwt.h"
#include "util/timeutil.h"

void auth_options_from_config(const struct config *c, struct auth_options *o)
{
	const char *arm = "https://management.azure.com";
	const char *login = "https://login.microsoftonline.com";
	const char *env_host = getenv("AZURE_AUTHORITY_HOST");

	config_cloud_hosts(c->cloud, &arm, &login);
	memset(o, 0, sizeof(*o));
	o->mode = c->auth;
	o->tenant_id = c->tenant_id;
	/* The config wins; AZURE_AUTHORITY_HOST overrides the cloud's. */
	if (c->authority_host)
		o->authority_host = c->authority_host;
	else if (env_host && *env_host)
		o->authority_host = env_host;
	else
		o->authority_host = login;
	o->imds_endpoint = c->imds_endpoint;
	o->access_token_file = c->access_token_file;
	o->az_command = c->az_command;
}

static int is_guid(const char *s)
{
	return s && strlen(s) == 36 &&
	       strspn(s, "0123456789abcdefABCDEF-") == 36;
}

static void print_text(struct app *app, struct auth *a, const char *aud)
{
	long long exp = auth_expires_at(a), left = exp - (long long)time(NULL);
	char when[21];

	time_iso((time_t)exp, when);
	fprintf(app->out, "credential: %s\n", auth_method(a));
	fprintf(app->out, "tenant:     %s\n",
		auth_tenant(a) ? auth_tenant(a) : "(unknown)");
	fprintf(app->out, "principal:  %s\n",
		auth_principal(a) ? auth_principal(a) : "(unknown)");
	fprintf(app->out, "app id:     %s\n",
		auth_app_id(a) ? auth_app_id(a) : "(unknown)");
	fprintf(app->out, "audience:   %s\n", aud);
	fprintf(app->out, "expires:    %s (in %lld min)\n", when,
		left > 0 ? left / 60 : 0);
}

static void print_json(struct app *app, struct auth *a, const char *aud)
{
	char when[21];
	json_t *o;

	time_iso((time_t)auth_expires_at(a), when);
	o = json_pack("{s:s,s:s?,s:s?,s:s?,s:s,s:s}",
		      "credential", auth_method(a),
		      "tenant_id", auth_tenant(a),
		      "principal_id", auth_principal(a),
		      "app_id", auth_app_id(a),
		      "audience", aud,
		      "expires_at", when);
	json_dumpf(o, app->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', app->out);
	json_decref(o);
}

int cmd_whoami(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("whoami");
	struct err_detail d = { "", "" };
	struct jwt_claims claims = JWT_CLAIMS_INIT;
	struct auth_options o;
	struct auth *a = NULL;
	const char *arm = "https://management.azure.com", *login, *tok, *tid;
	int c, json = 0, r, status;

	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "text")))
			json = !strcmp(optarg, "json");
		else
			return cmd_usage_error(app, self);
	}
	if (optind != argc)
		return cmd_usage_error(app, self);
	config_cloud_hosts(app->cfg.cloud, &arm, &login);
	auth_options_from_config(&app->cfg, &o);
	r = auth_new(&o, &a, &d);
	if (r == 0)
		r = auth_token(a, arm, 0, &tok, &d);
	if (r < 0) {
		status = app_exit_code(r);
		app_fail(app, status == EXIT_USAGE ? "bad configuration" :
			 "cannot get a token", r, &d);
		goto out;
	}
	tid = auth_tenant(a);
	if (is_guid(app->cfg.tenant_id) && tid &&
	    strcasecmp(tid, app->cfg.tenant_id)) {
		app_error(app, "the token is for tenant %s but [azure] "
			  "tenant_id is %s", tid, app->cfg.tenant_id);
		status = EXIT_USAGE;
		goto out;
	}
	/* The audience the token names, else the one asked for. */
	jwt_claims_parse(tok, &claims, NULL);
	if (json)
		print_json(app, a, claims.aud ? claims.aud : arm);
	else
		print_text(app, a, claims.aud ? claims.aud : arm);
	status = EXIT_OK;
out:
	jwt_claims_release(&claims);
	auth_free(a);
	return status;
}
