#pragma once
#include <jansson.h>

#include "util/err.h"
#include "util/sbuf.h"

/*
 * Bearer tokens from Entra ID for Resource Manager and Azure Monitor, the
 * way Azure's SDKs get them (reference: azure-apis.md section I).
 *
 * Credentials, tried in this order by mode "auto":
 *
 *  - client-secret: AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, tenant from
 *    [azure] tenant_id or AZURE_TENANT_ID; a client-credentials POST to
 *    AUTHORITY/{tenant}/oauth2/v2.0/token.
 *  - workload-identity: AZURE_FEDERATED_TOKEN_FILE (re-read for every
 *    request, it is rotated), AZURE_CLIENT_ID and the tenant; the same
 *    POST with the file's contents as client_assertion.
 *  - managed-identity: IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service,
 *    Functions, Container Apps), else IMDS with a short connect timeout,
 *    never through a proxy. AZURE_CLIENT_ID picks a user-assigned identity.
 *  - azure-cli: `az account get-access-token --resource AUDIENCE/
 *    --output json [--tenant T]`, spawned without a shell.
 *  - access-token: AZURE_ACCESS_TOKEN, else the contents of
 *    access_token_file; its expiry is the JWT's exp.
 *
 * In auto mode a credential whose inputs are absent is skipped; one that
 * is configured but fails is noted and the next one is tried; when none
 * works the error lists every attempt, one per line. A mode naming one
 * credential uses only that one, and fails with -ERR_CONFIG when its
 * inputs are absent.
 *
 * Secrets come only from the environment and files. Neither they nor any
 * token appear in an error message, and the buffers that held them are
 * cleared before they are freed.
 */
struct auth;
struct netshare;

struct auth_options {
	const char *mode;		/* auto | client-secret | workload-identity | managed-identity | azure-cli | access-token */
	const char *tenant_id;		/* [azure] tenant_id, or NULL (then AZURE_TENANT_ID) */
	const char *authority_host;	/* login host URL without trailing slash, e.g. https://login.microsoftonline.com (config [azure] authority_host, else the cloud's; AZURE_AUTHORITY_HOST overrides the cloud default as the SDKs do) */
	const char *imds_endpoint;	/* default http://169.254.169.254 ; config [azure] imds_endpoint, for tests */
	const char *access_token_file;	/* config [azure] access_token_file, or NULL */
	const char *az_command;		/* default "az"; config [azure] az_command */
	long timeout_ms;		/* per token request */
	struct netshare *net;		/* borrowed: the run's TLS set-up, or NULL */
};

/*
 * Check o and make a handle (free it with auth_free()). NULL members take
 * the defaults above (authority_host: AZURE_AUTHORITY_HOST, else public
 * Azure; a trailing slash is dropped); timeout_ms <= 0 means 30 s. The
 * authority must be https:// (plain http:// only on a loopback address).
 * Fails with -ERR_CONFIG for an unknown mode or a bad URL. Nothing is
 * sent until auth_token().
 */
int auth_new(const struct auth_options *o, struct auth **ret,
	     struct err_detail *d);
void auth_free(struct auth *a);

/*
 * A bearer token for audience ("https://management.azure.com" or
 * "https://metrics.monitor.azure.com"; v2 scope = audience + "/.default",
 * managed identity resource = audience + "/"), cached per audience until
 * five minutes before it expires. force = 1 drops the cached one first
 * (after a 401). *ret_token is owned by auth, valid until the next call.
 *
 * Errors: -ERR_CONFIG when the configuration or environment cannot work
 * (an explicit mode without its inputs, a tenant that cannot be one);
 * -EACCES when no credential produced a token, d->msg then reading
 * "no credential worked:" followed by one "  NAME: why" line per attempt.
 */
int auth_token(struct auth *a, const char *audience, int force,
	       const char **ret_token, struct err_detail *d);

/*
 * Claims of the newest token, the one auth_token() returned last (NULL
 * when unknown, e.g. an opaque token), and the credential that produced it
 * ("client-secret", ...; NULL before the first success). Borrowed; valid
 * until the next auth_token() or auth_free().
 */
const char *auth_tenant(struct auth *a);
const char *auth_principal(struct auth *a);	/* oid, else appid */
const char *auth_app_id(struct auth *a);
const char *auth_method(struct auth *a);
long long auth_expires_at(struct auth *a);	/* Unix seconds */

/*
 * Token lifetime from a token response: expires_on as an integer, a
 * numeric string (Unix seconds) or a date-time string (ISO 8601 with a
 * zone, "YYYY-MM-DD hh:mm:ss" taken as UTC, or "MM/DD/YYYY hh:mm:ss AM
 * +00:00"); when that is absent or unparseable, now + expires_in (a number
 * or numeric string). Either argument may be NULL. Returns 0 and sets
 * *ret, or -ERR_JSON when neither gives a time.
 */
int auth_parse_expiry(const json_t *expires_on, const json_t *expires_in,
		      long long now, long long *ret);

/*
 * Seams for the unit tests: the clock, the HTTP exchange and the command
 * runner. Members left NULL keep the real ones (time(), libcurl,
 * posix_spawnp).
 */
struct auth_http_request {
	const char *method;		/* "GET" or "POST" */
	const char *url;
	const char *const *headers;	/* "Name: value", NULL-terminated */
	const char *body;		/* form-encoded, POST only */
	long timeout_ms;
	long connect_timeout_ms;	/* 0: no separate limit */
	int no_proxy;			/* never use a proxy */
};

struct auth_hooks {
	long long (*now)(void *ctx);
	/*
	 * Send req; on a response of any status set *ret_status and append
	 * the body to body (which has a max). Negative on transport failure.
	 */
	int (*http)(void *ctx, const struct auth_http_request *req,
		    long *ret_status, struct sbuf *body, struct err_detail *d);
	/*
	 * Run argv (argv[0] looked up in PATH), stdin from /dev/null; append
	 * its stdout and stderr to out and err and set *ret_status to its
	 * exit status (-1 when killed). -ENOENT when argv[0] is not found.
	 */
	int (*run)(void *ctx, char *const argv[], long timeout_ms,
		   int *ret_status, struct sbuf *out, struct sbuf *err,
		   struct err_detail *d);
	void *ctx;
};

void auth_set_hooks(struct auth *a, const struct auth_hooks *h);
