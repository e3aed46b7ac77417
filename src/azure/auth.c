#include "azure/auth.h"

#include <ctype.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "azure/http.h"
#include "azure/jwt.h"
#include "config.h"
#include "util/num.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

extern char **environ;

#define BODY_MAX (64 * 1024)		/* token responses, az output, files */
#define REFRESH_MARGIN 300		/* seconds before expiry to renew */
#define IMDS_CONNECT_MS 1000
#define REASON_MAX 140			/* one attempt's line in the summary */

enum cred_result { CRED_OK = 0, CRED_ABSENT = 1 };

/* One cached token per audience. */
struct token {
	struct token *next;
	char *audience;
	char *token;
	long long expires_at;
	const char *method;
	struct jwt_claims claims;
};

struct auth {
	int mode;			/* index into credentials[], -1 auto */
	char *tenant_id;		/* option; NULL: AZURE_TENANT_ID */
	char *authority;
	char *imds;
	char *token_file;
	char *az;
	long timeout_ms;
	struct auth_hooks hooks;
	void *http_ctx;			/* hooks.http's: the netshare of curl_http() */
	struct token *tokens;
	struct token *cur;		/* the token auth_token() returned last */
};

/* What one credential produced. */
struct acquired {
	char *token;
	long long expires_at;		/* 0: take the JWT's exp */
};

/* ---- buffers that hold secrets ---- */

static void wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

/* Release sb after clearing every byte it allocated. */
static void sbuf_wipe(struct sbuf *sb)
{
	sbuf_set_secret(sb);
	sbuf_release(sb);
}

/* sbuf_add() that never leaves a copy of sb behind (util/sbuf.h). */
static int secure_add(struct sbuf *sb, const void *data, size_t len)
{
	sbuf_set_secret(sb);
	return sbuf_add(sb, data, len);
}

static int secure_adds(struct sbuf *sb, const char *s)
{
	return secure_add(sb, s, strlen(s));
}

/* Append the URL-encoded s (which may be a secret) to sb. */
static void secure_add_escaped(struct sbuf *sb, const char *s)
{
	char *e = curl_easy_escape(NULL, s, (int)strlen(s));

	if (!e) {
		fputs("amlfs-audit: out of memory\n", stderr);
		exit(3);
	}
	secure_adds(sb, e);
	wipe(e, strlen(e));
	curl_free(e);
}

static void free_secret(char *s)
{
	if (s) {
		wipe(s, strlen(s));
		free(s);
	}
}

/*
 * Clear the text of a JSON string we are about to drop (a token in a
 * parsed response). jansson owns the buffer; it is freed right after.
 */
static void wipe_json_string(json_t *v)
{
	if (json_is_string(v))
		wipe((char *)json_string_value(v), json_string_length(v));
}

/* Replace each occurrence of secret in msg with "***". */
static void redact(char *msg, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	char *p;

	if (n < 4)
		return;
	while ((p = strstr(msg, secret))) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
	}
}

/* Read a file that holds a secret into out (cleared on failure). */
static int read_secret_file(const char *path, struct sbuf *out)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		r = secure_add(out, buf, (size_t)n);
		if (r < 0)
			break;
	}
	wipe(buf, sizeof(buf));
	close(fd);
	if (r < 0)
		sbuf_wipe(out);
	return r;
}

/* Trim white space at both ends of sb in place. */
static void trim(struct sbuf *sb)
{
	size_t s = 0, e = sb->len;

	while (s < e && isspace((unsigned char)sb->buf[s]))
		s++;
	while (e > s && isspace((unsigned char)sb->buf[e - 1]))
		e--;
	if (!sb->alloc)
		return;
	memmove(sb->buf, sb->buf + s, e - s);
	wipe(sb->buf + (e - s), sb->len - (e - s));
	sb->len = e - s;
	sb->buf[sb->len] = '\0';
}

/* ---- the real clock, HTTP and command runner ---- */

static long long real_now(void *ctx)
{
	(void)ctx;
	return (long long)time(NULL);
}

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
	return secure_add(user, p, size * n) < 0 ? 0 : size * n;
}

static void slist_wipe_free(struct curl_slist *l)
{
	struct curl_slist *i;

	for (i = l; i; i = i->next)
		wipe(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

static int curl_http(void *ctx, const struct auth_http_request *req,
		     long *ret_status, struct sbuf *body, struct err_detail *d)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hl = NULL;
	const char *const *h;
	CURL *c = curl_easy_init();
	CURLcode cr;
	int r = 0;

	if (!c) {
		err_set(d, "cannot start a libcurl handle");
		return -ENOMEM;
	}
	r = http_easy_prepare(c, req->url, req->no_proxy ? URL_IMDS : URL_TOKEN,
			      req->connect_timeout_ms, req->timeout_ms, ctx, d);
	if (r < 0) {
		curl_easy_cleanup(c);
		return r;
	}
	for (h = req->headers; h && *h; h++)
		hl = curl_slist_append(hl, *h);
	if (req->no_proxy)
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (!strcmp(req->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(req->body));
	}
	cr = curl_easy_perform(c);
	if (cr == CURLE_WRITE_ERROR) {
		err_set(d, "the response is larger than %d KiB", BODY_MAX / 1024);
		r = -ERR_TOO_LARGE;
	} else if (cr == CURLE_SSL_CACERT_BADFILE && netshare_error(ctx)[0]) {
		err_set(d, "%s", netshare_error(ctx));
		r = -ERR_TRANSPORT;
	} else if (cr != CURLE_OK) {
		err_set(d, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cr));
		r = -ERR_TRANSPORT;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
	}
	curl_easy_cleanup(c);
	slist_wipe_free(hl);
	return r;
}

/* Read whatever fd has into sb; 1 at end of file, 0 for more, <0 error. */
static int drain(int fd, struct sbuf *sb)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	int r;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return 1;
	r = secure_add(sb, buf, (size_t)n);
	wipe(buf, (size_t)n);
	return r;
}

/* Read the child's stdout and stderr until both close or time runs out. */
static int collect_output(int fo, int fe, long timeout_ms, struct sbuf *out,
			  struct sbuf *err)
{
	struct pollfd p[2] = { { fo, POLLIN, 0 }, { fe, POLLIN, 0 } };
	long long deadline = time_monotonic_ms() + timeout_ms;
	long left;
	int i, r;

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		left = (long)(deadline - time_monotonic_ms());
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(p, 2, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		for (i = 0; r > 0 && i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			r = drain(p[i].fd, i ? err : out);
			if (r < 0)
				return r;
			if (r == 1)
				p[i].fd = -1;
			r = 1;
		}
	}
	return 0;
}

static int spawn_run(void *ctx, char *const argv[], long timeout_ms,
		     int *ret_status, struct sbuf *out, struct sbuf *err,
		     struct err_detail *d)
{
	posix_spawn_file_actions_t fa;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, st, r;
	pid_t pid = -1;

	(void)ctx;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		r = -errno;
		err_set(d, "cannot make a pipe: %s", strerror(-r));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	r = -posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if (r < 0) {
		err_set(d, "cannot run '%s': %s", argv[0], strerror(-r));
		pid = -1;
		goto out;
	}
	r = collect_output(po[0], pe[0], timeout_ms, out, err);
	if (r < 0) {
		kill(pid, SIGKILL);
		if (r == -ETIMEDOUT)
			err_set(d, "'%s' did not finish within %ld ms", argv[0],
				timeout_ms);
		else
			err_set(d, "cannot read the output of '%s': %s",
				argv[0], err_str(r));
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r == 0)
		*ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
out:
	for (st = 0; st < 2; st++) {
		if (po[st] >= 0)
			close(po[st]);
		if (pe[st] >= 0)
			close(pe[st]);
	}
	return r;
}

/* ---- parsing responses ---- */

/* A whole string of 1 to 18 digits as a number. */
static int parse_digits(const char *s, long long *ret)
{
	size_t n = strlen(s), i;
	long long v = 0;

	if (n < 1 || n > 18)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* A JSON number or numeric string as whole seconds. */
static int json_seconds(const json_t *v, long long *ret)
{
	long long n;

	if (json_is_integer(v))
		return num_seconds_int((long long)json_integer_value(v), ret);
	if (json_is_real(v))
		return num_seconds(json_real_value(v), ret);
	if (json_is_string(v) && parse_digits(json_string_value(v), &n) == 0)
		return num_seconds_int(n, ret);
	return -EINVAL;
}

int auth_parse_expiry(const json_t *expires_on, const json_t *expires_in,
		      long long now, long long *ret)
{
	long long v;
	time_t t;

	if (json_seconds(expires_on, &v) == 0 && v > 0) {
		*ret = v;
		return 0;
	}
	if (json_is_string(expires_on)) {
		const char *s = json_string_value(expires_on);

		if (time_parse_iso(s, &t) == 0) {
			*ret = (long long)t;
			return 0;
		}
		if (time_parse_us(s, &t) == 0) {
			*ret = (long long)t;
			return 0;
		}
	}
	if (json_seconds(expires_in, &v) == 0 && v > 0) {
		*ret = now + v;
		return 0;
	}
	return -ERR_JSON;
}

/* Copy at most max bytes of s onto sb, control characters as spaces. */
static void add_clean(struct sbuf *sb, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++)
		sbuf_addch(sb, isprint((unsigned char)s[i]) ? s[i] : ' ');
}

/* The first sentence (or line) of an error description. */
static size_t first_sentence(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			return i;
		if (s[i] == '.' && (s[i + 1] == ' ' || !s[i + 1]))
			return i + 1;
	}
	return i;
}

/*
 * Explain a failed token response: "invalid_client (HTTP 401):
 * AADSTS7000215: Invalid client secret provided." Entra ID, IMDS and App
 * Service bodies are read; anything else is only its status.
 */
static void describe_failure(long status, const struct sbuf *body,
			     struct err_detail *d)
{
	struct sbuf sb = SBUF_INIT;
	json_t *j = json_loadb(body->buf, body->len, 0, NULL);
	const char *code = NULL, *desc = NULL;
	json_t *e = json_object_get(j, "error");

	if (json_is_string(e)) {
		code = json_string_value(e);
		desc = json_string_value(json_object_get(j, "error_description"));
	} else if (json_is_object(e)) {
		code = json_string_value(json_object_get(e, "code"));
		desc = json_string_value(json_object_get(e, "message"));
	} else {
		desc = json_string_value(json_object_get(j, "message"));
	}
	if (code) {
		add_clean(&sb, code, 60);
		sbuf_adds(&sb, " ");
	}
	sbuf_addf(&sb, "(HTTP %ld)", status);
	if (desc) {
		sbuf_adds(&sb, ": ");
		add_clean(&sb, desc, first_sentence(desc));
	}
	err_set(d, "%s", sb.buf);
	sbuf_release(&sb);
	json_decref(j);
}

/*
 * Read a 200 response's token (key tok_key) and its expiry into res;
 * otherwise explain the status in d.
 */
static int parse_token_body(struct auth *a, long status,
			    const struct sbuf *body, const char *tok_key,
			    struct acquired *res, struct err_detail *d)
{
	json_t *j, *tok;
	int r = 0;

	if (status != 200) {
		describe_failure(status, body, d);
		return -EACCES;
	}
	j = json_loadb(body->buf, body->len, 0, NULL);
	tok = json_object_get(j, tok_key);
	if (!json_is_string(tok) || !json_string_length(tok)) {
		err_set(d, "the response has no '%s'", tok_key);
		r = -ERR_JSON;
		goto out;
	}
	res->token = xstrdup(json_string_value(tok));
	if (auth_parse_expiry(json_object_get(j, "expires_on"),
			      json_object_get(j, "expires_in"),
			      a->hooks.now(a->hooks.ctx), &res->expires_at) < 0)
		res->expires_at = 0;	/* the JWT's exp, later */
out:
	wipe_json_string(tok);
	json_decref(j);
	return r;
}

/* ---- credentials ---- */

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The tenant to use, or NULL; -ERR_CONFIG when it cannot be a tenant. */
static int tenant(struct auth *a, const char **ret, struct err_detail *d)
{
	const char *t = a->tenant_id ? a->tenant_id : env("AZURE_TENANT_ID");
	size_t i;

	*ret = NULL;
	if (!t)
		return 0;
	for (i = 0; t[i]; i++) {
		if (!isalnum((unsigned char)t[i]) && t[i] != '-' &&
		    t[i] != '.') {
			err_set(d, "'%s' is not a tenant id or domain (%s)", t,
				a->tenant_id ? "[azure] tenant_id" :
				"AZURE_TENANT_ID");
			return -ERR_CONFIG;
		}
	}
	if (i > 256 || t[0] == '-' || t[0] == '.') {
		err_set(d, "'%.40s' is not a tenant id or domain (%s)", t,
			a->tenant_id ? "[azure] tenant_id" : "AZURE_TENANT_ID");
		return -ERR_CONFIG;
	}
	*ret = t;
	return 0;
}

/* "needs A, B and C; missing: A, C" for a credential's absent inputs. */
static void missing(struct err_detail *d, const char *needs,
		    const char *const names[], const int have[], int n)
{
	struct sbuf sb = SBUF_INIT;
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (!have[i])
			sbuf_addf(&sb, "%s%s", k++ ? ", " : "", names[i]);
	err_set(d, "needs %s; missing: %s", needs, sb.buf);
	sbuf_release(&sb);
}

#define TENANT_HINT "a tenant ([azure] tenant_id or AZURE_TENANT_ID)"

/* POST a client-credentials form to the tenant's token endpoint. */
static int post_token(struct auth *a, const char *tid, struct sbuf *form,
		      struct acquired *res, struct err_detail *d)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", NULL
	};
	struct auth_http_request req = { 0 };
	struct sbuf url = SBUF_INIT, body = SBUF_INIT;
	long status = 0;
	int r;

	sbuf_addf(&url, "%s/%s/oauth2/v2.0/token", a->authority, tid);
	sbuf_init(&body, BODY_MAX);
	req.method = "POST";
	req.url = url.buf;
	req.headers = headers;
	req.body = form->buf;
	req.timeout_ms = a->timeout_ms;
	r = a->hooks.http(a->http_ctx, &req, &status, &body, d);
	if (r == 0)
		r = parse_token_body(a, status, &body, "access_token", res, d);
	sbuf_wipe(&body);
	sbuf_release(&url);
	return r;
}

/* "scope=AUDIENCE/.default" for the v2 endpoint. */
static void add_scope(struct sbuf *form, const char *audience)
{
	struct sbuf scope = SBUF_INIT;

	sbuf_addf(&scope, "%s/.default", audience);
	secure_adds(form, "&scope=");
	secure_add_escaped(form, scope.buf);
	sbuf_release(&scope);
}

static int cred_client_secret(struct auth *a, const char *audience,
			      struct acquired *res, struct err_detail *d)
{
	const char *id = env("AZURE_CLIENT_ID");
	const char *secret = env("AZURE_CLIENT_SECRET");
	struct sbuf form = SBUF_INIT;
	const char *tid = NULL;
	int r;

	if (secret && id) {
		r = tenant(a, &tid, d);
		if (r < 0)
			return r;
	}
	if (!secret || !id || !tid) {
		static const char *const names[] = {
			"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "tenant"
		};
		const int have[] = { !!id, !!secret, !!tid };

		missing(d, "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and "
			TENANT_HINT, names, have, 3);
		return CRED_ABSENT;
	}
	secure_adds(&form, "grant_type=client_credentials&client_id=");
	secure_add_escaped(&form, id);
	secure_adds(&form, "&client_secret=");
	secure_add_escaped(&form, secret);
	add_scope(&form, audience);
	r = post_token(a, tid, &form, res, d);
	sbuf_wipe(&form);
	if (d)
		redact(d->msg, secret);
	return r;
}

static int cred_workload_identity(struct auth *a, const char *audience,
				  struct acquired *res, struct err_detail *d)
{
	const char *file = env("AZURE_FEDERATED_TOKEN_FILE");
	const char *id = env("AZURE_CLIENT_ID");
	struct sbuf assertion = SBUF_INIT, form = SBUF_INIT;
	const char *tid = NULL;
	int r;

	if (file && id) {
		r = tenant(a, &tid, d);
		if (r < 0)
			return r;
	}
	if (!file || !id || !tid) {
		static const char *const names[] = {
			"AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "tenant"
		};
		const int have[] = { !!file, !!id, !!tid };

		missing(d, "AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and "
			TENANT_HINT, names, have, 3);
		return CRED_ABSENT;
	}
	sbuf_init(&assertion, BODY_MAX);
	r = read_secret_file(file, &assertion);	/* rotated: read every time */
	if (r < 0) {
		err_set(d, "cannot read '%s': %s", file, err_str(r));
		goto out;
	}
	trim(&assertion);
	if (!assertion.len) {
		err_set(d, "'%s' is empty", file);
		r = -EACCES;
		goto out;
	}
	secure_adds(&form, "grant_type=client_credentials&client_id=");
	secure_add_escaped(&form, id);
	secure_adds(&form, "&client_assertion_type=urn%3Aietf%3Aparams%3A"
		    "oauth%3Aclient-assertion-type%3Ajwt-bearer"
		    "&client_assertion=");
	secure_add_escaped(&form, assertion.buf);
	add_scope(&form, audience);
	r = post_token(a, tid, &form, res, d);
	if (d)
		redact(d->msg, assertion.buf);
out:
	sbuf_wipe(&form);
	sbuf_wipe(&assertion);
	return r;
}

static int cred_managed_identity(struct auth *a, const char *audience,
				 struct acquired *res, struct err_detail *d)
{
	const char *ep = env("IDENTITY_ENDPOINT"), *hdr = env("IDENTITY_HEADER");
	const char *cid = env("AZURE_CLIENT_ID");
	const char *headers[3] = { "Metadata: true", NULL, NULL };
	struct sbuf url = SBUF_INIT, h = SBUF_INIT, body = SBUF_INIT;
	struct sbuf resource = SBUF_INIT;
	struct auth_http_request req = { 0 };
	int app_service = ep && hdr;
	long status = 0;
	int r;

	sbuf_addf(&resource, "%s/", audience);
	if (app_service) {
		sbuf_addf(&url, "%s%capi-version=2019-08-01&resource=", ep,
			  strchr(ep, '?') ? '&' : '?');
		secure_adds(&h, "X-IDENTITY-HEADER: ");
		secure_adds(&h, hdr);
		headers[0] = h.buf;
	} else {
		sbuf_addf(&url, "%s/metadata/identity/oauth2/token?"
			  "api-version=2018-02-01&resource=", a->imds);
		req.connect_timeout_ms = IMDS_CONNECT_MS;
	}
	secure_add_escaped(&url, resource.buf);
	if (cid) {
		sbuf_adds(&url, "&client_id=");
		secure_add_escaped(&url, cid);
	}
	sbuf_init(&body, BODY_MAX);
	req.method = "GET";
	req.url = url.buf;
	req.headers = headers;
	req.timeout_ms = a->timeout_ms;
	req.no_proxy = 1;
	r = a->hooks.http(a->http_ctx, &req, &status, &body, d);
	if (r == -ERR_TRANSPORT && d) {
		char why[sizeof(d->msg)];

		snprintf(why, sizeof(why), "%s", d->msg);
		err_set(d, "no answer from %s: %s", app_service ?
			"IDENTITY_ENDPOINT" : "IMDS", why);
	} else if (r == 0) {
		r = parse_token_body(a, status, &body, "access_token", res, d);
	}
	if (d && hdr)
		redact(d->msg, hdr);
	sbuf_wipe(&body);
	sbuf_wipe(&h);
	sbuf_release(&url);
	sbuf_release(&resource);
	return r;
}

/* The line of az's stderr that says what went wrong. */
static void az_reason(int status, const struct sbuf *err, struct err_detail *d)
{
	const char *s = err->buf, *best = NULL, *line;
	struct sbuf sb = SBUF_INIT;
	size_t n, best_n = 0;

	for (line = s; *line; line += n + (line[n] != '\0')) {
		n = strcspn(line, "\n");
		if (n && (!best || !strncmp(line, "ERROR", 5))) {
			best = line;
			best_n = n;
			if (!strncmp(line, "ERROR", 5))
				break;
		}
	}
	sbuf_addf(&sb, "az exited with status %d", status);
	if (best) {
		sbuf_adds(&sb, ": ");
		add_clean(&sb, best, best_n < 200 ? best_n : 200);
	}
	err_set(d, "%s", sb.buf);
	sbuf_release(&sb);
}

/* az's local-time "YYYY-MM-DD hh:mm:ss.ffffff" as Unix seconds. */
static int az_local_time(const json_t *v, long long *ret)
{
	struct tm tm;
	time_t t;

	if (!json_is_string(v) || time_parse_iso(json_string_value(v), &t))
		return -EINVAL;
	gmtime_r(&t, &tm);
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = (long long)t;
	return 0;
}

static int cred_azure_cli(struct auth *a, const char *audience,
			  struct acquired *res, struct err_detail *d)
{
	struct sbuf resource = SBUF_INIT, out = SBUF_INIT, err = SBUF_INIT;
	char *argv[10];
	json_t *j = NULL, *tok = NULL;
	const char *tid;
	int r, n = 0, status = -1;

	r = tenant(a, &tid, d);
	if (r < 0)
		return r;
	sbuf_addf(&resource, "%s/", audience);
	argv[n++] = a->az;
	argv[n++] = "account";
	argv[n++] = "get-access-token";
	argv[n++] = "--resource";
	argv[n++] = resource.buf;
	argv[n++] = "--output";
	argv[n++] = "json";
	if (tid) {
		argv[n++] = "--tenant";
		argv[n++] = (char *)tid;
	}
	argv[n] = NULL;
	sbuf_init(&out, BODY_MAX);
	sbuf_init(&err, BODY_MAX);
	r = a->hooks.run(a->hooks.ctx, argv, a->timeout_ms, &status, &out,
			 &err, d);
	if (r == -ENOENT) {
		err_set(d, "'%s' not found (install the Azure CLI or set "
			"[azure] az_command)", a->az);
		goto out;
	}
	if (r < 0)
		goto out;
	if (status != 0) {
		az_reason(status, &err, d);
		r = -EACCES;
		goto out;
	}
	j = json_loadb(out.buf, out.len, 0, NULL);
	tok = json_object_get(j, "accessToken");
	if (!json_is_string(tok) || !json_string_length(tok)) {
		err_set(d, "az printed no accessToken");
		r = -ERR_JSON;
		goto out;
	}
	res->token = xstrdup(json_string_value(tok));
	/* expires_on (Unix seconds, az 2.54+) over expiresOn (local time). */
	if (json_seconds(json_object_get(j, "expires_on"), &res->expires_at) &&
	    az_local_time(json_object_get(j, "expiresOn"), &res->expires_at))
		res->expires_at = 0;
out:
	wipe_json_string(tok);
	json_decref(j);
	sbuf_wipe(&out);
	sbuf_release(&err);
	sbuf_release(&resource);
	return r;
}

/* Does the token's aud claim name audience (with or without a slash)? */
static int audience_matches(const char *aud, const char *audience)
{
	size_t n = strlen(audience);

	return !strncmp(aud, audience, n) &&
	       (!aud[n] || (aud[n] == '/' && !aud[n + 1]));
}

static int cred_access_token(struct auth *a, const char *audience,
			     struct acquired *res, struct err_detail *d)
{
	const char *v = env("AZURE_ACCESS_TOKEN");
	const char *src = v ? "AZURE_ACCESS_TOKEN" : a->token_file;
	struct jwt_claims c = JWT_CLAIMS_INIT;
	struct err_detail why = { "", "" };
	struct sbuf tok = SBUF_INIT;
	char when[21];
	int r;

	if (!v && !a->token_file) {
		err_set(d, "needs AZURE_ACCESS_TOKEN or [azure] "
			"access_token_file");
		return CRED_ABSENT;
	}
	sbuf_init(&tok, BODY_MAX);
	r = v ? secure_adds(&tok, v) : read_secret_file(a->token_file, &tok);
	if (r < 0) {
		err_set(d, "cannot read '%s': %s", src, err_str(r));
		goto out;
	}
	trim(&tok);
	r = jwt_claims_parse(tok.buf, &c, &why);
	if (r < 0 || !c.exp) {
		err_set(d, "cannot tell when the token from '%s' expires: %s",
			src, r < 0 ? why.msg : "it has no exp claim");
		r = r < 0 ? r : -EACCES;
		goto out;
	}
	if (c.exp <= a->hooks.now(a->hooks.ctx)) {
		time_iso((time_t)c.exp, when);
		err_set(d, "the token from '%s' expired at %s", src, when);
		r = -EACCES;
		goto out;
	}
	if (c.aud && !audience_matches(c.aud, audience)) {
		err_set(d, "the token from '%s' is for audience '%s', not '%s'",
			src, c.aud, audience);
		r = -EACCES;
		goto out;
	}
	res->expires_at = c.exp;
	res->token = xstrdup(tok.buf);
out:
	jwt_claims_release(&c);
	sbuf_wipe(&tok);
	return r;
}

static const struct credential {
	const char *name;
	int (*get)(struct auth *a, const char *audience, struct acquired *res,
		   struct err_detail *d);
} credentials[] = {
	{ "client-secret", cred_client_secret },
	{ "workload-identity", cred_workload_identity },
	{ "managed-identity", cred_managed_identity },
	{ "azure-cli", cred_azure_cli },
	{ "access-token", cred_access_token },
};

#define N_CREDENTIALS (int)(sizeof(credentials) / sizeof(credentials[0]))

/* ---- the handle ---- */

static char *without_slash(const char *s)
{
	char *c = xstrdup(s);
	size_t n = strlen(c);

	while (n > 0 && c[n - 1] == '/')
		c[--n] = '\0';
	return c;
}

int auth_new(const struct auth_options *o, struct auth **ret,
	     struct err_detail *d)
{
	const char *mode = o->mode ? o->mode : "auto";
	const char *host = o->authority_host, *bad = NULL;
	struct sbuf url = SBUF_INIT;
	struct auth *a;
	int i, m = -2;

	if (!strcmp(mode, "auto"))
		m = -1;
	for (i = 0; i < N_CREDENTIALS && m == -2; i++)
		if (!strcmp(mode, credentials[i].name))
			m = i;
	if (m == -2) {
		err_set(d, "unknown auth mode '%s'", mode);
		return -ERR_CONFIG;
	}
	if (!host)
		host = env("AZURE_AUTHORITY_HOST");
	if (!host)
		host = "https://login.microsoftonline.com";
	if (!strstr(host, "://")) {	/* "login.microsoftonline.us" */
		sbuf_addf(&url, "https://%s", host);
		host = url.buf;
	}
	if (url_check(host, URL_TOKEN, d) < 0)
		bad = host;
	else if (o->imds_endpoint &&
		 url_check(o->imds_endpoint, URL_IMDS, d) < 0)
		bad = o->imds_endpoint;
	if (bad) {
		char *safe = url_redact(bad);

		err_where(d, "%s", safe);
		free(safe);
		sbuf_release(&url);
		return -ERR_CONFIG;
	}
	a = xcalloc(1, sizeof(*a));
	a->mode = m;
	a->tenant_id = xstrdup_or_null(o->tenant_id);
	a->authority = without_slash(host);
	a->imds = without_slash(o->imds_endpoint ? o->imds_endpoint :
				"http://169.254.169.254");
	a->token_file = xstrdup_or_null(o->access_token_file);
	a->az = xstrdup(o->az_command ? o->az_command : "az");
	a->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
	a->hooks.now = real_now;
	a->hooks.http = curl_http;
	a->hooks.run = spawn_run;
	a->http_ctx = o->net;
	sbuf_release(&url);
	*ret = a;
	return 0;
}

void auth_set_hooks(struct auth *a, const struct auth_hooks *h)
{
	if (h->now)
		a->hooks.now = h->now;
	if (h->http) {
		a->hooks.http = h->http;
		a->http_ctx = h->ctx;
	}
	if (h->run)
		a->hooks.run = h->run;
	a->hooks.ctx = h->ctx;
}

static void token_free(struct token *t)
{
	if (!t)
		return;
	free(t->audience);
	free_secret(t->token);
	jwt_claims_release(&t->claims);
	free(t);
}

void auth_free(struct auth *a)
{
	struct token *t, *next;

	if (!a)
		return;
	for (t = a->tokens; t; t = next) {
		next = t->next;
		token_free(t);
	}
	free(a->tenant_id);
	free(a->authority);
	free(a->imds);
	free(a->token_file);
	free(a->az);
	free(a);
}

static struct token **find_token(struct auth *a, const char *audience)
{
	struct token **p;

	for (p = &a->tokens; *p; p = &(*p)->next)
		if (!strcmp((*p)->audience, audience))
			break;
	return p;
}

/* Add "  NAME: reason" (cut to one short line) to the summary. */
static void note_attempt(struct sbuf *sum, const char *name, const char *why)
{
	sbuf_addf(sum, "\n  %s: ", name);
	add_clean(sum, why, REASON_MAX);
	if (strlen(why) > REASON_MAX)
		sbuf_adds(sum, "...");
}

/* Run the credential(s) of a's mode until one gives a token. */
static int acquire(struct auth *a, const char *audience, struct acquired *res,
		   const char **ret_method, struct err_detail *d)
{
	struct err_detail why = { "", "" };
	struct sbuf sum = SBUF_INIT;
	int i, r = -EACCES, first = a->mode < 0 ? 0 : a->mode;
	int last = a->mode < 0 ? N_CREDENTIALS : a->mode + 1;

	sbuf_adds(&sum, "no credential worked:");
	for (i = first; i < last; i++) {
		why.msg[0] = '\0';
		r = credentials[i].get(a, audience, res, &why);
		if (r == 0) {
			*ret_method = credentials[i].name;
			goto out;
		}
		if (r == -ERR_CONFIG)
			break;
		if (r == CRED_ABSENT && a->mode >= 0) {
			err_set(d, "auth = %s %s", credentials[i].name, why.msg);
			r = -ERR_CONFIG;
			goto out;
		}
		if (r != CRED_ABSENT)
			note_attempt(&sum, credentials[i].name,
				     why.msg[0] ? why.msg : err_str(r));
	}
	if (r == -ERR_CONFIG) {
		err_set(d, "%s: %s", credentials[i].name, why.msg);
		goto out;
	}
	err_set(d, "%s", sum.buf);
	r = -EACCES;
out:
	sbuf_release(&sum);
	return r;
}

int auth_token(struct auth *a, const char *audience, int force,
	       const char **ret_token, struct err_detail *d)
{
	struct acquired res = { NULL, 0 };
	const char *method = NULL;
	struct token **slot, *t;
	char *aud = without_slash(audience);
	long long now = a->hooks.now(a->hooks.ctx);
	int r;

	if (!*aud) {
		err_set(d, "no audience to ask a token for");
		r = -EINVAL;
		goto out;
	}
	slot = find_token(a, aud);
	if (*slot && (force || now + REFRESH_MARGIN >= (*slot)->expires_at)) {
		t = *slot;
		*slot = t->next;
		if (a->cur == t)
			a->cur = NULL;
		token_free(t);
	}
	if (*slot) {
		a->cur = *slot;
		*ret_token = a->cur->token;
		r = 0;
		goto out;
	}
	r = acquire(a, aud, &res, &method, d);
	if (r < 0)
		goto out;
	t = xcalloc(1, sizeof(*t));
	t->audience = aud;
	aud = NULL;
	t->token = res.token;
	t->method = method;
	jwt_claims_parse(t->token, &t->claims, NULL);	/* opaque is fine */
	t->expires_at = res.expires_at ? res.expires_at : t->claims.exp;
	if (!t->expires_at)
		t->expires_at = now + REFRESH_MARGIN + 60;	/* unknown */
	t->next = a->tokens;
	a->tokens = t;
	a->cur = t;
	*ret_token = t->token;
out:
	free(aud);
	return r;
}

const char *auth_tenant(struct auth *a)
{
	return a->cur ? a->cur->claims.tid : NULL;
}

const char *auth_principal(struct auth *a)
{
	if (!a->cur)
		return NULL;
	return a->cur->claims.oid ? a->cur->claims.oid : a->cur->claims.appid;
}

const char *auth_app_id(struct auth *a)
{
	return a->cur ? a->cur->claims.appid : NULL;
}

const char *auth_method(struct auth *a)
{
	return a->cur ? a->cur->method : NULL;
}

long long auth_expires_at(struct auth *a)
{
	return a->cur ? a->cur->expires_at : 0;
}
