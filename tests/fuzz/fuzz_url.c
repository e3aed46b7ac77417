/*
 * The URL policy (util/url.c). Input: URL a, a newline, URL b (b may be
 * absent). What must hold:
 *  - a URL accepted for a token has no user:password@ and is https, or
 *    http to a loopback literal; URL_IMDS accepts all URL_TOKEN does, and
 *    URL_TEMPLATE is URL_TOKEN for a URL without {region};
 *  - a refusal says why;
 *  - url_redact() leaves no part of a user:password@ behind (the
 *    authority keeps one '@', after REDACTED) and is idempotent;
 *  - url_same_origin() is symmetric, and reflexive for a URL accepted;
 *  - url_region_ok() accepts exactly ^[a-z0-9]+$, and a region it
 *    accepts makes a URL_TEMPLATE URL the same verdict as with "region".
 */
#include "fuzz.h"

#include <ctype.h>
#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "util/url.h"
#include "util/xalloc.h"

static char *part(CURLU *u, CURLUPart what)
{
	char *v = NULL;

	return curl_url_get(u, what, &v, 0) == CURLUE_OK ? v : NULL;
}

static void check_token_url(const char *url)
{
	CURLU *u = curl_url();
	char *scheme, *host, *user, *pass;

	FUZZ_ASSERT(u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK);
	scheme = part(u, CURLUPART_SCHEME);
	host = part(u, CURLUPART_HOST);
	user = part(u, CURLUPART_USER);
	pass = part(u, CURLUPART_PASSWORD);
	FUZZ_ASSERT(!user && !pass);
	FUZZ_ASSERT(scheme && host && *host);
	if (strcmp(scheme, "https")) {
		FUZZ_ASSERT(!strcmp(scheme, "http"));
		FUZZ_ASSERT(!strcasecmp(host, "localhost") ||
			    !strcmp(host, "[::1]") ||
			    !strncmp(host, "127.", 4));
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
}

/* The authority of a redacted URL: at most one '@', after "REDACTED". */
static void check_redacted(const char *url)
{
	char *r = url_redact(url), *again;
	size_t k = strspn(r, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	const char *host = k && isalpha((unsigned char)r[0]) &&
			   !strncmp(r + k, "://", 3) ? r + k + 3 : r;
	size_t n = strcspn(host, "/?#");
	const char *at = memchr(host, '@', n);

	if (at) {
		FUZZ_ASSERT(at - host == 8 && !memcmp(host, "REDACTED", 8));
		FUZZ_ASSERT(!memchr(at + 1, '@', n - 9));
	}
	again = url_redact(r);
	FUZZ_ASSERT(!strcmp(again, r));
	free(again);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a = xmalloc(size + 1), *b, *nl, *t;
	struct err_detail d;
	int tok, imds, tmpl, ok;

	memcpy(a, data, size);
	a[size] = '\0';
	nl = strchr(a, '\n');
	b = nl ? nl + 1 : NULL;
	if (nl)
		*nl = '\0';

	memset(&d, 0, sizeof(d));
	tok = url_check(a, URL_TOKEN, &d);
	FUZZ_ASSERT(tok == 0 || (tok == -ERR_CONFIG && d.msg[0]));
	if (tok == 0)
		check_token_url(a);
	imds = url_check(a, URL_IMDS, &d);
	FUZZ_ASSERT(tok < 0 || imds == 0);
	tmpl = url_check(a, URL_TEMPLATE, &d);
	if (!strstr(a, "{region}"))
		FUZZ_ASSERT(tmpl == tok);
	check_redacted(a);
	if (tok == 0)
		FUZZ_ASSERT(url_same_origin(a, a));

	if (b) {
		FUZZ_ASSERT(url_same_origin(a, b) == url_same_origin(b, a));
		check_redacted(b);
		/* b as a region: a template with it is judged as with "region". */
		ok = url_region_ok(b);
		for (t = b; *t && ((*t >= 'a' && *t <= 'z') ||
				   (*t >= '0' && *t <= '9')); t++)
			;
		FUZZ_ASSERT(ok == (*b && !*t));
		if (ok && (t = strstr(a, "{region}")) && strlen(a) < 4096) {
			char filled[8192];

			snprintf(filled, sizeof(filled), "%.*s%s%s",
				 (int)(t - a), a, b, t + 8);
			if (strlen(b) < 64 && tmpl == 0)
				FUZZ_ASSERT(url_check(filled, URL_TOKEN, &d) == 0);
		}
	}
	free(a);
	return 0;
}
