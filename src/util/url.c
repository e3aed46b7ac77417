#include "util/url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "util/sbuf.h"

static const char *const secret_params[] = {
	"sig", "signature", "code", "client_secret", "access_token", "token",
	"key", "password", "secret", "client_assertion", NULL
};

static int is_secret(const char *name, size_t n)
{
	const char *const *p;

	for (p = secret_params; *p; p++)
		if (strlen(*p) == n && !strncasecmp(name, *p, n))
			return 1;
	return 0;
}

/*
 * Where the authority starts: after "SCHEME://" when the URL starts with
 * one (a "://" further on, say in the query, is no scheme), else at the
 * start.
 */
static const char *authority(const char *url)
{
	size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

	if (n && isalpha((unsigned char)url[0]) && !strncmp(url + n, "://", 3))
		return url + n + 3;
	return url;
}

char *url_redact(const char *url)
{
	struct sbuf sb = SBUF_INIT;
	const char *host = authority(url), *at, *slash, *q;

	slash = host + strcspn(host, "/?#");
	/* The last '@': a password may hold a raw one (user:p@ss@host). */
	at = memrchr(host, '@', (size_t)(slash - host));
	if (at) {
		sbuf_add(&sb, url, (size_t)(host - url));
		sbuf_adds(&sb, "REDACTED@");
		url = at + 1;
	}
	q = strchr(url, '?');
	if (!q) {
		sbuf_adds(&sb, url);
		return sbuf_detach(&sb, NULL);
	}
	sbuf_add(&sb, url, (size_t)(q - url) + 1);
	for (q++; *q;) {
		size_t n = strcspn(q, "&#"), k = strcspn(q, "=&#");

		if (k < n && is_secret(q, k)) {
			sbuf_add(&sb, q, k + 1);
			sbuf_adds(&sb, "REDACTED");
		} else {
			sbuf_add(&sb, q, n);
		}
		q += n;
		if (*q == '&')
			sbuf_addch(&sb, *q++);
		else if (*q == '#')
			break;
	}
	return sbuf_detach(&sb, NULL);
}


/* Is host (as libcurl's URL API gives it) loopback, as a literal? */
static int host_loopback(const char *host)
{
	struct in_addr a4;

	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return 0;
}

static char *part(CURLU *u, CURLUPart what)
{
	char *v = NULL;

	if (curl_url_get(u, what, &v, what == CURLUPART_PORT ?
			 CURLU_DEFAULT_PORT : 0) != CURLUE_OK)
		return NULL;
	return v;
}

int url_check(const char *url, enum url_use use, struct err_detail *d)
{
	struct sbuf fill = SBUF_INIT;
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	const char *at;
	int r = -ERR_CONFIG;

	if (!u) {
		err_set(d, "out of memory");
		return -ENOMEM;
	}
	if (use == URL_TEMPLATE && (at = strstr(url, "{region}"))) {
		sbuf_add(&fill, url, (size_t)(at - url));
		sbuf_adds(&fill, "region");
		sbuf_adds(&fill, at + 8);
		url = fill.buf;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		err_set(d, "not a URL");
		goto out;
	}
	scheme = part(u, CURLUPART_SCHEME);
	host = part(u, CURLUPART_HOST);
	user = part(u, CURLUPART_USER);
	pass = part(u, CURLUPART_PASSWORD);
	if (!scheme || !host || !*host) {
		err_set(d, "not a URL with a host");
	} else if (user || pass) {
		err_set(d, "a URL may not carry user:password@");
	} else if (!strcmp(scheme, "https")) {
		r = 0;
	} else if (strcmp(scheme, "http")) {
		err_set(d, "scheme '%s' is not https", scheme);
	} else if (host_loopback(host) ||
		   (use == URL_IMDS && !strcmp(host, "169.254.169.254"))) {
		r = 0;
	} else {
		err_set(d, "plain http is allowed only to a loopback address "
			"(127.0.0.0/8, ::1, localhost)%s; use https",
			use == URL_IMDS ? " or 169.254.169.254" : "");
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	sbuf_release(&fill);
	return r;
}

int url_same_origin(const char *a, const char *b)
{
	CURLU *ua = curl_url(), *ub = curl_url();
	static const CURLUPart parts[] = {
		CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT
	};
	size_t i;
	int same = ua && ub &&
		   curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
		   curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;

	for (i = 0; same && i < sizeof(parts) / sizeof(parts[0]); i++) {
		char *x = part(ua, parts[i]), *y = part(ub, parts[i]);

		same = x && y && !strcasecmp(x, y);
		curl_free(x);
		curl_free(y);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

int url_region_ok(const char *region)
{
	const char *p = region;

	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return 0;
	return p != region;
}
