/*
 * azure/auth and azure/jwt: base64url and claims, token expiry parsing,
 * which credential the auto chain picks, the cache, and that no secret or
 * token reaches an error message. The clock, HTTP and the command runner
 * are fakes (auth_set_hooks), so nothing leaves the process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "azure/auth.h"
#include "azure/jwt.h"
#include "util/sbuf.h"

#define ARM "https://management.azure.com"
#define METRICS "https://metrics.monitor.azure.com"
#define TENANT "3e9a6c41-7d2b-4f58-9c0e-b1a4d6f82c75"
#define OID "0b7e2c11-94d3-4a6f-8e5b-2c1d9f0a7e34"
#define APPID "5d1f8a27-3c6e-4b90-a1d4-7e2f9c0b3a68"
#define SECRET "s3cr3t+val/ue=&x~Q8"
#define SECRET_ESC "s3cr3t%2Bval%2Fue%3D%26x~Q8"

/* ---- helpers ---- */

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url of s, no padding, into a new string. */
static char *enc(const char *s)
{
	size_t n = strlen(s), i;
	struct sbuf sb = SBUF_INIT;
	unsigned long v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)(unsigned char)s[i] << 16 |
		    (unsigned long)(unsigned char)s[i + 1] << 8 |
		    (unsigned char)s[i + 2];
		sbuf_addch(&sb, b64url[(v >> 18) & 63]);
		sbuf_addch(&sb, b64url[(v >> 12) & 63]);
		sbuf_addch(&sb, b64url[(v >> 6) & 63]);
		sbuf_addch(&sb, b64url[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned long)(unsigned char)s[i] << 16;
		sbuf_addch(&sb, b64url[(v >> 18) & 63]);
		sbuf_addch(&sb, b64url[(v >> 12) & 63]);
	} else if (n - i == 2) {
		v = (unsigned long)(unsigned char)s[i] << 16 |
		    (unsigned long)(unsigned char)s[i + 1] << 8;
		sbuf_addch(&sb, b64url[(v >> 18) & 63]);
		sbuf_addch(&sb, b64url[(v >> 12) & 63]);
		sbuf_addch(&sb, b64url[(v >> 6) & 63]);
	}
	return sbuf_detach(&sb, NULL);
}

/* A compact JWT with the given payload JSON and a dummy signature. */
static char *make_jwt(const char *payload)
{
	char *h = enc("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"), *p = enc(payload);
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s.%s.c2lnbmF0dXJl", h, p);
	free(h);
	free(p);
	return sbuf_detach(&sb, NULL);
}

static char *std_jwt(long long exp)
{
	struct sbuf sb = SBUF_INIT;
	char *t;

	sbuf_addf(&sb, "{\"aud\":\"" ARM "/\",\"tid\":\"" TENANT "\","
		  "\"oid\":\"" OID "\",\"appid\":\"" APPID "\",\"exp\":%lld}",
		  exp);
	t = make_jwt(sb.buf);
	sbuf_release(&sb);
	return t;
}

static int decode(const char *s, struct sbuf *out)
{
	sbuf_reset(out);
	return jwt_b64url_decode(s, strlen(s), out);
}

static const char *const auth_env[] = {
	"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
	"AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
	"AZURE_ACCESS_TOKEN", "AZURE_AUTHORITY_HOST", "MSI_ENDPOINT",
	"MSI_SECRET", "IMDS_ENDPOINT", NULL
};

static int clean_env(void **state)
{
	const char *const *e;

	(void)state;
	for (e = auth_env; *e; e++)
		unsetenv(*e);
	return 0;
}

/* ---- the fake clock, HTTP and az ---- */

struct fake {
	long long now;
	int http_calls, run_calls;
	struct sbuf log;		/* "METHOD URL\n" per request */
	struct sbuf url, body, headers;	/* of the last request */
	int no_proxy;
	long connect_timeout_ms;
	int imds_down;			/* IMDS: transport error */
	int login_fails;		/* token endpoint: 401 AADSTS */
	int echo_secret;		/* ... whose text quotes the request */
	long expires_in;
	char *token;			/* what every endpoint hands out */
	int az_missing, az_status;
	struct sbuf argv;		/* the last command, space-joined */
};

static long long fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static int fake_http(void *ctx, const struct auth_http_request *req,
		     long *ret_status, struct sbuf *body, struct err_detail *d)
{
	struct fake *f = ctx;
	const char *const *h;

	f->http_calls++;
	sbuf_addf(&f->log, "%s %s\n", req->method, req->url);
	sbuf_reset(&f->url);
	sbuf_adds(&f->url, req->url);
	sbuf_reset(&f->body);
	if (req->body)
		sbuf_adds(&f->body, req->body);
	sbuf_reset(&f->headers);
	for (h = req->headers; h && *h; h++)
		sbuf_addf(&f->headers, "%s\n", *h);
	f->no_proxy = req->no_proxy;
	f->connect_timeout_ms = req->connect_timeout_ms;
	if (strstr(req->url, "/metadata/identity/") && f->imds_down) {
		err_set(d, "Connection timed out after 1000 milliseconds");
		return -ERR_TRANSPORT;
	}
	if (strstr(req->url, "/oauth2/v2.0/token") && f->login_fails) {
		*ret_status = 401;
		sbuf_adds(body, "{\"error\":\"invalid_client\",\"error_description\":"
			  "\"AADSTS7000215: Invalid client secret provided. "
			  "Ensure the secret being sent is the value.");
		if (f->echo_secret)
			sbuf_addf(body, " You sent '%s'.", req->body);
		sbuf_adds(body, "\\r\\nTrace ID: 1\",\"error_codes\":[7000215]}");
		return 0;
	}
	*ret_status = 200;
	sbuf_addf(body, "{\"token_type\":\"Bearer\",\"expires_in\":%ld,"
		  "\"access_token\":\"%s\"}", f->expires_in, f->token);
	return 0;
}

static int fake_run(void *ctx, char *const argv[], long timeout_ms,
		    int *ret_status, struct sbuf *out, struct sbuf *err,
		    struct err_detail *d)
{
	struct fake *f = ctx;
	int i;

	(void)timeout_ms;
	f->run_calls++;
	sbuf_reset(&f->argv);
	for (i = 0; argv[i]; i++)
		sbuf_addf(&f->argv, "%s%s", i ? " " : "", argv[i]);
	if (f->az_missing) {
		err_set(d, "cannot run '%s': No such file or directory", argv[0]);
		return -ENOENT;
	}
	*ret_status = f->az_status;
	if (f->az_status) {
		sbuf_adds(err, "WARNING: something\nERROR: Please run 'az login' "
			  "to setup account.\n");
		return 0;
	}
	sbuf_addf(out, "{\"accessToken\":\"%s\",\"expiresOn\":\"2024-01-23 "
		  "09:53:20.000000\",\"expires_on\":%lld,\"tenant\":\"" TENANT
		  "\",\"tokenType\":\"Bearer\"}", f->token, f->now + 1800);
	return 0;
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->now = 1706000000;
	f->expires_in = 3600;
	f->token = std_jwt(f->now + 3600);
	sbuf_init(&f->log, 0);
	sbuf_init(&f->url, 0);
	sbuf_init(&f->body, 0);
	sbuf_init(&f->headers, 0);
	sbuf_init(&f->argv, 0);
}

static void fake_release(struct fake *f)
{
	free(f->token);
	sbuf_release(&f->log);
	sbuf_release(&f->url);
	sbuf_release(&f->body);
	sbuf_release(&f->headers);
	sbuf_release(&f->argv);
}

static struct auth *new_auth(struct fake *f, const char *mode,
			     const char *tenant, const char *token_file)
{
	struct auth_options o = {
		.mode = mode,
		.tenant_id = tenant,
		.authority_host = "https://login.example.test/",
		.imds_endpoint = "http://169.254.169.254",
		.access_token_file = token_file,
		.az_command = "az",
		.timeout_ms = 5000,
	};
	struct auth_hooks h = { fake_now, fake_http, fake_run, f };
	struct err_detail d = { "", "" };
	struct auth *a = NULL;

	assert_int_equal(auth_new(&o, &a, &d), 0);
	auth_set_hooks(a, &h);
	return a;
}

/* auth_token() for ARM; returns the code and leaves the message in d. */
static int get(struct auth *a, int force, struct err_detail *d)
{
	const char *tok = NULL;
	int r;

	d->msg[0] = '\0';
	r = auth_token(a, ARM, force, &tok, d);
	if (r == 0)
		assert_non_null(tok);
	return r;
}

static char *write_temp(const char *content)
{
	char path[] = "/tmp/test-auth-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
	return strdup(path);
}

/* ---- jwt ---- */

static void b64url_padding(void **state)
{
	struct sbuf out = SBUF_INIT;

	(void)state;
	assert_int_equal(decode("aGVsbG8", &out), 0);
	assert_string_equal(out.buf, "hello");
	assert_int_equal(decode("aGVsbG8=", &out), 0);
	assert_string_equal(out.buf, "hello");
	assert_int_equal(decode("aGk", &out), 0);
	assert_string_equal(out.buf, "hi");
	assert_int_equal(decode("aGk=", &out), 0);
	assert_string_equal(out.buf, "hi");
	assert_int_equal(decode("aA==", &out), 0);
	assert_string_equal(out.buf, "h");
	assert_int_equal(decode("aA", &out), 0);
	assert_string_equal(out.buf, "h");
	assert_int_equal(decode("", &out), 0);
	assert_int_equal(out.len, 0);
	/* Padding that does not complete a group, or too much of it. */
	assert_int_equal(decode("aGk==", &out), -EINVAL);
	assert_int_equal(decode("aA=", &out), -EINVAL);
	assert_int_equal(decode("aA===", &out), -EINVAL);
	assert_int_equal(decode("====", &out), -EINVAL);
	assert_int_equal(decode("a", &out), -EINVAL);
	assert_int_equal(decode("aGVsb", &out), -EINVAL);
	assert_int_equal(decode("aG=k", &out), -EINVAL);
	sbuf_release(&out);
}

static void b64url_alphabet(void **state)
{
	struct sbuf out = SBUF_INIT;

	(void)state;
	/* 0xfb 0xff 0xbf is "+/+/" in standard base64, "-_-_" here. */
	assert_int_equal(decode("-_-_", &out), 0);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.buf, "\xfb\xff\xbf", 3);
	assert_int_equal(decode("+/+/", &out), -EINVAL);
	assert_int_equal(decode("ab+c", &out), -EINVAL);
	assert_int_equal(decode("ab/c", &out), -EINVAL);
	assert_int_equal(decode("aG k", &out), -EINVAL);
	assert_int_equal(decode("aGk\n", &out), -EINVAL);
	assert_int_equal(decode("aG\xc3\xa9", &out), -EINVAL);
	/* The cap of the output buffer holds. */
	sbuf_release(&out);
	sbuf_init(&out, 2);
	assert_int_equal(decode("aGVsbG8", &out), -ERR_TOO_LARGE);
	sbuf_release(&out);
}

static void jwt_claims_read(void **state)
{
	struct jwt_claims c = JWT_CLAIMS_INIT;
	struct err_detail d = { "", "" };
	char *t, *p;

	(void)state;
	t = std_jwt(1706003600);
	assert_int_equal(jwt_claims_parse(t, &c, &d), 0);
	assert_string_equal(c.tid, TENANT);
	assert_string_equal(c.oid, OID);
	assert_string_equal(c.appid, APPID);
	assert_string_equal(c.aud, ARM "/");
	assert_true(c.exp == 1706003600);
	free(t);

	/* v2 tokens: azp instead of appid; aud may be a list. The payload's
	 * encoding has '-' and '_' (it would be '+' and '/' in base64). */
	t = make_jwt("{\"azp\":\"" APPID "\",\"aud\":[\"" ARM "\",\"x\"],"
		     "\"n\":\"?>?>?>~~?>>>\",\"exp\":1.7e9}");
	p = strchr(t, '.') + 1;
	assert_true(strcspn(p, "-_") < strcspn(p, "."));
	assert_int_equal(jwt_claims_parse(t, &c, &d), 0);
	assert_null(c.tid);
	assert_null(c.oid);
	assert_string_equal(c.appid, APPID);
	assert_string_equal(c.aud, ARM);
	assert_true(c.exp == 1700000000);
	jwt_claims_release(&c);
	free(t);
}

static void jwt_bad_input(void **state)
{
	static const char *const bad[] = {
		"", "abc", "a.b", "a..c", "a.b.c.d", "x.!!!.y",
		"x.aGVsbG8.y",		/* "hello": not JSON */
		"x.WzEsMl0.y",		/* [1,2]: not an object */
		"x.eyJ0aWQiOiJ4In0==.y",	/* padding that does not fit */
		"x.eyJ0aWQiOiJ4In0+.y",	/* standard alphabet */
	};
	struct jwt_claims c = JWT_CLAIMS_INIT;
	struct err_detail d;
	size_t i;
	json_t *j;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d.msg[0] = '\0';
		assert_true(jwt_payload(bad[i], &j, &d) < 0);
		assert_true(d.msg[0] != '\0');
		if (strlen(bad[i]) > 3)
			assert_null(strstr(d.msg, bad[i]));
		assert_true(jwt_claims_parse(bad[i], &c, NULL) < 0);
		assert_null(c.tid);
	}
	assert_int_equal(jwt_payload("x.eyJ0aWQiOiJ4In0.y", &j, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(j, "tid")), "x");
	json_decref(j);
}

/* ---- expiry ---- */

static long long expiry(json_t *on, json_t *in, int *ret)
{
	long long v = -1;

	*ret = auth_parse_expiry(on, in, 1000, &v);
	json_decref(on);
	json_decref(in);
	return v;
}

static void expires_on_forms(void **state)
{
	int r;

	(void)state;
	assert_true(expiry(json_integer(1706000000), NULL, &r) == 1706000000);
	assert_int_equal(r, 0);
	assert_true(expiry(json_real(1706000000.0), NULL, &r) == 1706000000);
	assert_true(expiry(json_string("1706000000"), json_string("60"), &r) ==
		    1706000000);
	assert_true(expiry(json_string("2024-01-23T08:53:20Z"), NULL, &r) ==
		    1706000000);
	assert_true(expiry(json_string("2024-01-23T10:53:20+02:00"), NULL,
			   &r) == 1706000000);
	assert_true(expiry(json_string("2024-01-23 08:53:20.123456"), NULL,
			   &r) == 1706000000);
	assert_true(expiry(json_string("01/23/2024 08:53:20 AM +00:00"), NULL,
			   &r) == 1706000000);
	assert_true(expiry(json_string("01/23/2024 09:53:20 AM +01:00"), NULL,
			   &r) == 1706000000);
	assert_true(expiry(json_string("01/23/2024 12:53:20 PM +00:00"), NULL,
			   &r) == 1706000000 + 4 * 3600);
	assert_true(expiry(json_string("01/23/2024 12:53:20 AM +00:00"), NULL,
			   &r) == 1706000000 - 8 * 3600);
	assert_int_equal(r, 0);
}

static void expires_in_fallback(void **state)
{
	int r;

	(void)state;
	assert_true(expiry(NULL, json_integer(3599), &r) == 4599);
	assert_int_equal(r, 0);
	assert_true(expiry(NULL, json_string("86399"), &r) == 87399);
	assert_true(expiry(json_string("soon"), json_integer(60), &r) == 1060);
	assert_true(expiry(json_string("13/45/2024 99:00:00 XM"),
			   json_real(60.0), &r) == 1060);
	assert_true(expiry(json_null(), json_integer(60), &r) == 1060);
	assert_true(expiry(json_string("-5"), json_integer(60), &r) == 1060);
	expiry(NULL, NULL, &r);
	assert_int_equal(r, -ERR_JSON);
	expiry(json_string("never"), json_string("12x"), &r);
	assert_int_equal(r, -ERR_JSON);
	expiry(json_true(), json_integer(-1), &r);
	assert_int_equal(r, -ERR_JSON);
	/* Numbers from a server are checked before arithmetic (UBSan's
	 * float-cast-overflow and signed overflow would fire otherwise). */
	expiry(NULL, json_integer(INT64_MAX), &r);
	assert_int_equal(r, -ERR_JSON);
	expiry(json_real(1e300), json_real(1e300), &r);
	assert_int_equal(r, -ERR_JSON);
	expiry(NULL, json_string("999999999999999999"), &r);
	assert_int_equal(r, -ERR_JSON);
	expiry(json_real(-1e300), NULL, &r);
	assert_int_equal(r, -ERR_JSON);
}

/* ---- the auto chain ---- */

static void auto_picks_client_secret(void **state)
{
	struct err_detail d = { "", "" };
	struct fake f;
	struct auth *a;

	(void)state;
	fake_init(&f);
	setenv("AZURE_TENANT_ID", TENANT, 1);
	setenv("AZURE_CLIENT_ID", APPID, 1);
	setenv("AZURE_CLIENT_SECRET", SECRET, 1);
	setenv("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent", 1);
	a = new_auth(&f, "auto", NULL, NULL);
	assert_int_equal(get(a, 0, &d), 0);
	assert_string_equal(auth_method(a), "client-secret");
	assert_string_equal(f.url.buf, "https://login.example.test/" TENANT
			    "/oauth2/v2.0/token");
	assert_string_equal(f.body.buf, "grant_type=client_credentials"
			    "&client_id=" APPID "&client_secret=" SECRET_ESC
			    "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
	assert_non_null(strstr(f.headers.buf, "Content-Type: application/"
			       "x-www-form-urlencoded"));
	assert_string_equal(auth_tenant(a), TENANT);
	assert_string_equal(auth_principal(a), OID);
	assert_string_equal(auth_app_id(a), APPID);
	assert_true(auth_expires_at(a) == f.now + 3600);
	auth_free(a);

	/* The configured tenant wins over AZURE_TENANT_ID. */
	a = new_auth(&f, "auto", "contoso.onmicrosoft.com", NULL);
	assert_int_equal(get(a, 0, &d), 0);
	assert_string_equal(f.url.buf, "https://login.example.test/"
			    "contoso.onmicrosoft.com/oauth2/v2.0/token");
	auth_free(a);
	fake_release(&f);
}

static void auto_picks_workload_identity(void **state)
{
	struct err_detail d = { "", "" };
	char *file = write_temp("federated-one\n");
	struct fake f;
	struct auth *a;
	FILE *fp;

	(void)state;
	fake_init(&f);
	setenv("AZURE_TENANT_ID", TENANT, 1);
	setenv("AZURE_CLIENT_ID", APPID, 1);
	setenv("AZURE_FEDERATED_TOKEN_FILE", file, 1);
	a = new_auth(&f, "auto", NULL, NULL);
	assert_int_equal(get(a, 0, &d), 0);
	assert_string_equal(auth_method(a), "workload-identity");
	assert_string_equal(f.body.buf, "grant_type=client_credentials"
			    "&client_id=" APPID "&client_assertion_type="
			    "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-"
			    "type%3Ajwt-bearer&client_assertion=federated-one"
			    "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
	/* The file is rotated; the next request reads it again. */
	fp = fopen(file, "w");
	fputs("federated-two", fp);
	fclose(fp);
	assert_int_equal(get(a, 1, &d), 0);
	assert_non_null(strstr(f.body.buf, "client_assertion=federated-two&"));
	/* An empty file is a failure, reported without its contents. */
	fp = fopen(file, "w");
	fclose(fp);
	f.imds_down = 1;
	f.az_missing = 1;
	assert_int_equal(get(a, 1, &d), -EACCES);
	assert_non_null(strstr(d.msg, "workload-identity: '"));
	assert_non_null(strstr(d.msg, "' is empty"));
	auth_free(a);
	unlink(file);
	free(file);
	fake_release(&f);
}

static void auto_picks_managed_identity(void **state)
{
	struct err_detail d = { "", "" };
	struct fake f;
	struct auth *a;

	(void)state;
	fake_init(&f);
	/* A client secret without its client id is not configured. */
	setenv("AZURE_CLIENT_SECRET", SECRET, 1);
	a = new_auth(&f, "auto", TENANT, NULL);
	assert_int_equal(get(a, 0, &d), 0);
	assert_string_equal(auth_method(a), "managed-identity");
	assert_int_equal(f.http_calls, 1);
	assert_string_equal(f.log.buf, "GET http://169.254.169.254/metadata/"
			    "identity/oauth2/token?api-version=2018-02-01"
			    "&resource=https%3A%2F%2Fmanagement.azure.com%2F\n");
	assert_string_equal(f.headers.buf, "Metadata: true\n");
	assert_int_equal(f.no_proxy, 1);
	assert_true(f.connect_timeout_ms > 0 && f.connect_timeout_ms <= 2000);
	auth_free(a);

	/* AZURE_CLIENT_ID picks a user-assigned identity. */
	unsetenv("AZURE_CLIENT_SECRET");
	setenv("AZURE_CLIENT_ID", APPID, 1);
	a = new_auth(&f, "auto", TENANT, NULL);
	assert_int_equal(get(a, 0, &d), 0);
	assert_non_null(strstr(f.url.buf, "&client_id=" APPID));
	auth_free(a);

	/* App Service: IDENTITY_ENDPOINT and IDENTITY_HEADER, before IMDS. */
	setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:41741/msi/token", 1);
	setenv("IDENTITY_HEADER", "hdr-secret-1234", 1);
	a = new_auth(&f, "managed-identity", NULL, NULL);
	assert_int_equal(get(a, 0, &d), 0);
	assert_string_equal(auth_method(a), "managed-identity");
	assert_string_equal(f.url.buf, "http://127.0.0.1:41741/msi/token?"
			    "api-version=2019-08-01&resource=https%3A%2F%2F"
			    "management.azure.com%2F&client_id=" APPID);
	assert_string_equal(f.headers.buf, "X-IDENTITY-HEADER: hdr-secret-1234\n");
	assert_int_equal(f.no_proxy, 1);
	auth_free(a);
	fake_release(&f);
}

static void auto_falls_to_cli_then_token(void **state)
{
	struct err_detail d = { "", "" };
	struct fake f;
	struct auth *a;
	char *tok;

	(void)state;
	fake_init(&f);
	f.imds_down = 1;
	a = new_auth(&f, "auto", TENANT, NULL);
	assert_int_equal(get(a, 0, &d), 0);
	assert_string_equal(auth_method(a), "azure-cli");
	assert_string_equal(f.argv.buf, "az account get-access-token --resource "
			    ARM "/ --output json --tenant " TENANT);
	/* expires_on wins over expiresOn. */
	assert_true(auth_expires_at(a) == f.now + 1800);
	auth_free(a);

	/* No az: the access token from the environment. */
	f.az_missing = 1;
	tok = std_jwt(f.now + 600);
	setenv("AZURE_ACCESS_TOKEN", tok, 1);
	a = new_auth(&f, "auto", NULL, NULL);
	assert_int_equal(get(a, 0, &d), 0);
	assert_string_equal(auth_method(a), "access-token");
	assert_true(auth_expires_at(a) == f.now + 600);
	assert_string_equal(auth_tenant(a), TENANT);
	auth_free(a);
	free(tok);
	fake_release(&f);
}

static void access_token_file(void **state)
{
	struct err_detail d = { "", "" };
	const char *got = NULL;
	struct fake f;
	struct auth *a;
	char *tok, *file, *content;
	size_t n;

	(void)state;
	fake_init(&f);
	tok = std_jwt(f.now + 900);
	n = strlen(tok) + 8;
	content = malloc(n);
	snprintf(content, n, "  %s\n\n", tok);
	file = write_temp(content);
	a = new_auth(&f, "access-token", NULL, file);
	assert_int_equal(auth_token(a, ARM "/", 0, &got, &d), 0);
	assert_string_equal(got, tok);		/* trimmed */
	assert_true(auth_expires_at(a) == f.now + 900);
	assert_int_equal(f.http_calls + f.run_calls, 0);
	/* Another audience than the token's is refused. */
	assert_int_equal(auth_token(a, METRICS, 0, &got, &d), -EACCES);
	assert_non_null(strstr(d.msg, "is for audience"));
	auth_free(a);
	unlink(file);
	free(file);
	free(content);
	free(tok);
	fake_release(&f);
}

static void chain_reports_every_attempt(void **state)
{
	struct err_detail d = { "", "" };
	struct fake f;
	struct auth *a;

	(void)state;
	fake_init(&f);
	f.imds_down = 1;
	f.az_status = 1;
	f.login_fails = 1;
	setenv("AZURE_TENANT_ID", TENANT, 1);
	setenv("AZURE_CLIENT_ID", APPID, 1);
	setenv("AZURE_CLIENT_SECRET", SECRET, 1);
	a = new_auth(&f, "auto", NULL, NULL);
	assert_int_equal(get(a, 0, &d), -EACCES);
	assert_non_null(strstr(d.msg, "no credential worked:\n"));
	assert_non_null(strstr(d.msg, "\n  client-secret: invalid_client "
			       "(HTTP 401): AADSTS7000215: Invalid client "
			       "secret provided.\n"));
	assert_non_null(strstr(d.msg, "\n  managed-identity: no answer from "
			       "IMDS"));
	assert_non_null(strstr(d.msg, "\n  azure-cli: az exited with status 1: "
			       "ERROR: Please run 'az login'"));
	/* Not configured, so not tried: */
	assert_null(strstr(d.msg, "workload-identity"));
	assert_null(strstr(d.msg, "access-token"));
	assert_null(strstr(d.msg, SECRET));
	assert_null(auth_method(a));
	assert_null(auth_tenant(a));

	/* A configured credential that fails does not stop the chain. */
	f.imds_down = 0;
	assert_int_equal(get(a, 0, &d), 0);
	assert_string_equal(auth_method(a), "managed-identity");
	auth_free(a);
	fake_release(&f);
}

static void explicit_mode_needs_inputs(void **state)
{
	static const char *const modes[] = {
		"client-secret", "workload-identity", "access-token"
	};
	struct err_detail d = { "", "" };
	struct auth_options o = { .mode = "password" };
	struct fake f;
	struct auth *a;
	size_t i;

	(void)state;
	fake_init(&f);
	for (i = 0; i < 3; i++) {
		a = new_auth(&f, modes[i], NULL, NULL);
		assert_int_equal(get(a, 0, &d), -ERR_CONFIG);
		assert_non_null(strstr(d.msg, modes[i]));
		assert_non_null(strstr(d.msg, "needs"));
		auth_free(a);
	}
	assert_int_equal(f.http_calls + f.run_calls, 0);
	assert_int_equal(auth_new(&o, &a, &d), -ERR_CONFIG);
	o.mode = "auto";
	o.authority_host = "http://login.example.test";
	assert_int_equal(auth_new(&o, &a, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "use https"));
	/* A tenant that cannot be one never reaches a URL. */
	setenv("AZURE_CLIENT_ID", APPID, 1);
	setenv("AZURE_CLIENT_SECRET", SECRET, 1);
	a = new_auth(&f, "auto", "../evil?x=", NULL);
	assert_int_equal(get(a, 0, &d), -ERR_CONFIG);
	assert_int_equal(f.http_calls, 0);
	auth_free(a);
	fake_release(&f);
}

/* ---- the cache ---- */

static void cache_and_refresh(void **state)
{
	struct err_detail d = { "", "" };
	const char *t1, *t2;
	struct fake f;
	struct auth *a;

	(void)state;
	fake_init(&f);
	setenv("AZURE_TENANT_ID", TENANT, 1);
	setenv("AZURE_CLIENT_ID", APPID, 1);
	setenv("AZURE_CLIENT_SECRET", SECRET, 1);
	a = new_auth(&f, "client-secret", NULL, NULL);
	assert_int_equal(auth_token(a, ARM, 0, &t1, &d), 0);
	assert_int_equal(f.http_calls, 1);
	assert_true(auth_expires_at(a) == f.now + 3600);
	/* Cached while more than five minutes remain. */
	f.now += 3600 - 301;
	assert_int_equal(auth_token(a, ARM "/", 0, &t2, &d), 0);
	assert_int_equal(f.http_calls, 1);
	assert_string_equal(t1, t2);
	/* Renewed inside the last five minutes. */
	f.now += 2;
	assert_int_equal(auth_token(a, ARM, 0, &t2, &d), 0);
	assert_int_equal(f.http_calls, 2);
	assert_true(auth_expires_at(a) == f.now + 3600);
	/* force drops the cached one (after a 401). */
	assert_int_equal(auth_token(a, ARM, 1, &t2, &d), 0);
	assert_int_equal(f.http_calls, 3);
	/* One token per audience. */
	assert_int_equal(auth_token(a, METRICS, 0, &t2, &d), 0);
	assert_int_equal(f.http_calls, 4);
	assert_non_null(strstr(f.body.buf, "scope=https%3A%2F%2Fmetrics."
			       "monitor.azure.com%2F.default"));
	assert_int_equal(auth_token(a, ARM, 0, &t2, &d), 0);
	assert_int_equal(auth_token(a, METRICS, 0, &t2, &d), 0);
	assert_int_equal(f.http_calls, 4);
	/* A failed forced renewal leaves nothing cached behind. */
	f.login_fails = 1;
	assert_int_equal(auth_token(a, ARM, 1, &t2, &d), -EACCES);
	f.login_fails = 0;
	assert_int_equal(auth_token(a, ARM, 0, &t2, &d), 0);
	assert_int_equal(f.http_calls, 6);
	auth_free(a);
	fake_release(&f);
}

static void principal_falls_back_to_appid(void **state)
{
	struct err_detail d = { "", "" };
	struct fake f;
	struct auth *a;

	(void)state;
	fake_init(&f);
	free(f.token);
	f.token = make_jwt("{\"tid\":\"" TENANT "\",\"appid\":\"" APPID "\"}");
	f.expires_in = 0;	/* no expiry at all: still usable, renewed soon */
	a = new_auth(&f, "managed-identity", NULL, NULL);
	assert_int_equal(get(a, 0, &d), 0);
	assert_string_equal(auth_principal(a), APPID);
	assert_true(auth_expires_at(a) > f.now + 300);
	auth_free(a);
	fake_release(&f);
}

/* ---- secrets stay out of messages ---- */

static void errors_never_hold_secrets(void **state)
{
	struct err_detail d = { "", "" };
	char *file = write_temp("fed-assertion-secret-9876");
	struct fake f;
	struct auth *a;
	char *tok;

	(void)state;
	fake_init(&f);
	f.login_fails = 1;
	f.echo_secret = 1;	/* the server quotes what it was sent */
	f.imds_down = 1;
	f.az_missing = 1;
	setenv("AZURE_TENANT_ID", TENANT, 1);
	setenv("AZURE_CLIENT_ID", APPID, 1);
	setenv("AZURE_CLIENT_SECRET", SECRET, 1);
	a = new_auth(&f, "client-secret", NULL, NULL);
	assert_int_equal(get(a, 0, &d), -EACCES);
	assert_non_null(strstr(d.msg, "client-secret: "));
	assert_non_null(strstr(d.msg, "AADSTS7000215"));
	assert_null(strstr(d.msg, SECRET));
	assert_null(strstr(d.msg, SECRET_ESC));
	assert_null(strstr(d.where, SECRET));
	auth_free(a);

	unsetenv("AZURE_CLIENT_SECRET");
	setenv("AZURE_FEDERATED_TOKEN_FILE", file, 1);
	a = new_auth(&f, "workload-identity", NULL, NULL);
	assert_int_equal(get(a, 0, &d), -EACCES);
	assert_null(strstr(d.msg, "fed-assertion-secret-9876"));
	auth_free(a);

	/* An expired access token: the message gives its expiry, not it. */
	tok = std_jwt(f.now - 10);
	setenv("AZURE_ACCESS_TOKEN", tok, 1);
	a = new_auth(&f, "access-token", NULL, NULL);
	assert_int_equal(get(a, 0, &d), -EACCES);
	assert_non_null(strstr(d.msg, "expired at 2024-01-23T08:53:10Z"));
	assert_null(strstr(d.msg, strchr(tok, '.') + 1));
	auth_free(a);
	free(tok);

	/* Not a JWT at all. */
	setenv("AZURE_ACCESS_TOKEN", "opaque-token-secret-1234", 1);
	a = new_auth(&f, "access-token", NULL, NULL);
	assert_int_equal(get(a, 0, &d), -EACCES);
	assert_non_null(strstr(d.msg, "not a JWT"));
	assert_null(strstr(d.msg, "opaque-token-secret-1234"));
	auth_free(a);
	unlink(file);
	free(file);
	fake_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(b64url_padding),
		cmocka_unit_test(b64url_alphabet),
		cmocka_unit_test(jwt_claims_read),
		cmocka_unit_test(jwt_bad_input),
		cmocka_unit_test(expires_on_forms),
		cmocka_unit_test(expires_in_fallback),
		cmocka_unit_test_setup(auto_picks_client_secret, clean_env),
		cmocka_unit_test_setup(auto_picks_workload_identity, clean_env),
		cmocka_unit_test_setup(auto_picks_managed_identity, clean_env),
		cmocka_unit_test_setup(auto_falls_to_cli_then_token, clean_env),
		cmocka_unit_test_setup(access_token_file, clean_env),
		cmocka_unit_test_setup(chain_reports_every_attempt, clean_env),
		cmocka_unit_test_setup(explicit_mode_needs_inputs, clean_env),
		cmocka_unit_test_setup(cache_and_refresh, clean_env),
		cmocka_unit_test_setup(principal_falls_back_to_appid, clean_env),
		cmocka_unit_test_setup(errors_never_hold_secrets, clean_env),
	};

	return cmocka_run_group_tests(tests, clean_env, NULL);
}
