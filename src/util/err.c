#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const texts[ERR_MAX - ERR_BASE] = {
	[ERR_CONFIG - ERR_BASE] = "configuration error",
	[ERR_USAGE - ERR_BASE] = "usage error",
	[ERR_JSON - ERR_BASE] = "unexpected JSON",
	[ERR_SQL - ERR_BASE] = "database error",
	[ERR_SCHEMA - ERR_BASE] = "database schema is newer than this program",
	[ERR_SCHEMA_OLD - ERR_BASE] = "database schema is older than this "
		"program (run 'amlfs-audit migrate' first)",
	[ERR_TOO_LARGE - ERR_BASE] = "too large",
	[ERR_NOT_FOUND - ERR_BASE] = "not found",
	[ERR_REPLAY - ERR_BASE] = "replay directory error",
	[ERR_HTTP - ERR_BASE] = "HTTP error",
	[ERR_HTTP_401 - ERR_BASE] = "HTTP 401 unauthorized",
	[ERR_HTTP_403 - ERR_BASE] = "HTTP 403 forbidden",
	[ERR_HTTP_404 - ERR_BASE] = "HTTP 404 not found",
	[ERR_HTTP_429 - ERR_BASE] = "HTTP 429 too many requests",
	[ERR_HTTP_5XX - ERR_BASE] = "HTTP server error",
	[ERR_TRANSPORT - ERR_BASE] = "transport error",
	[ERR_PAGING - ERR_BASE] = "paging error",
	[ERR_CRYPTO - ERR_BASE] = "cryptography error",
	[ERR_VERIFY - ERR_BASE] = "verification failed",
};

const char *err_str(int code)
{
	int c = code < 0 ? -code : code;

	if (c > ERR_BASE && c < ERR_MAX && texts[c - ERR_BASE])
		return texts[c - ERR_BASE];
	if (c > 0 && c < ERR_BASE)
		return strerror(c);
	return "unknown error";
}

void err_set(struct err_detail *d, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	d->where[0] = '\0';
}

void err_where(struct err_detail *d, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(d->where, sizeof(d->where), fmt, ap);
	va_end(ap);
}
