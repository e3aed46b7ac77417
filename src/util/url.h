#pragma once
#include "util/err.h"

/*
 * Copy url with the values of secret-bearing query parameters (sig,
 * signature, code, client_secret, access_token, token, key, password,
 * secret) and any user:password@ replaced by REDACTED. Caller frees.
 */
char *url_redact(const char *url);

/*
 * The URL policy: the one place that says where a request may go. URLs
 * are parsed with libcurl's URL API, never by prefix.
 *
 * URL_TOKEN: a URL that may receive a bearer token or a secret: https,
 * or http only when the parsed host is a loopback address literal
 * (127.0.0.0/8, ::1) or "localhost"; no user:password@ either way.
 * URL_IMDS: the same, plus plain http to 169.254.169.254 (the Instance
 * Metadata Service, which is http by design and is sent no secret).
 * URL_TEMPLATE: as URL_TOKEN, after "{region}" in the host is replaced by
 * a region name (the batch metrics endpoint).
 *
 * Returns 0, or -ERR_CONFIG with d->msg saying why (the URL is not
 * repeated: the caller names it, redacted).
 */
enum url_use { URL_TOKEN, URL_IMDS, URL_TEMPLATE };

int url_check(const char *url, enum url_use use, struct err_detail *d);

/*
 * Do a and b have the same scheme, host and port (default ports filled
 * in, host compared case-blind)? A URL that does not parse is never the
 * same origin. This is what a nextLink must share with the request it
 * answers before the token follows it.
 */
int url_same_origin(const char *a, const char *b);

/* A region name that may stand in a host name: ^[a-z0-9]+$. */
int url_region_ok(const char *region);
