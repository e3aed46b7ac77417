#include "util/url.h"

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

char *url_redact(const char *url)
{
	struct sbuf sb = SBUF_INIT;
	const char *scheme = strstr(url, "://"), *host, *at, *slash, *q;

	host = scheme ? scheme + 3 : url;
	slash = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(slash - host));
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

