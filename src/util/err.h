#pragma once
#include <errno.h>

/*
 * Error codes. Functions that can fail return 0 on success and a negative
 * number on failure: either -errno or -ERR_* from the range below
 * (apk-tools' APKE_*). err_str() turns any of them into text.
 */
enum {
	ERR_BASE = 1024,
	ERR_CONFIG,		/* bad configuration */
	ERR_USAGE,		/* bad command line */
	ERR_JSON,		/* a body is not the JSON we expect */
	ERR_SQL,		/* SQLite said no */
	ERR_SCHEMA,		/* database is from a newer amlfs-audit */
	ERR_SCHEMA_OLD,		/* database needs 'amlfs-audit migrate' first */
	ERR_TOO_LARGE,		/* a response or buffer passed its cap */
	ERR_NOT_FOUND,		/* nothing recorded / no such run */
	ERR_REPLAY,		/* replay directory unusable */
	ERR_HTTP,		/* HTTP status not 2xx */
	ERR_HTTP_401,
	ERR_HTTP_403,
	ERR_HTTP_404,
	ERR_HTTP_429,
	ERR_HTTP_5XX,
	ERR_TRANSPORT,		/* connection, TLS, timeout */
	ERR_PAGING,		/* nextLink loop or page cap */
	ERR_CRYPTO,		/* libcrypto failure */
	ERR_VERIFY,		/* evidence or chain mismatch */
	ERR_MAX
};

/*
 * Where an error happened, filled by the failing function when the caller
 * passes one (like jansson's json_error_t). NULL means "don't care".
 */
struct err_detail {
	char msg[512];		/* human text, no trailing newline */
	char where[1024];	/* file:line, URL or JSON path, or "" */
};

/* Text for a code (-errno or -ERR_*). Never NULL. */
const char *err_str(int code);

/* printf into d->msg (and clear d->where); no-op when d is NULL. */
void err_set(struct err_detail *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* printf into d->where; no-op when d is NULL. */
void err_where(struct err_detail *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
