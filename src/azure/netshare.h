#pragma once
#include <curl/curl.h>

#include "util/err.h"

/*
 * What every curl handle of a run shares: the transport's (azure/http.c)
 * and the token requests' (azure/auth.c). Without it each new TLS
 * connection read and parsed the whole CA bundle again, and the token
 * requests had connections and sessions of their own.
 *
 * - One CA store: the PEM bundle is read once, on the first TLS connection
 *   (a run over plain http reads none), and every connection's SSL_CTX
 *   takes a reference to it. Peers are verified as before (host and
 *   chain); the store is only loaded once.
 * - A curl share handle for TLS sessions (a new connection resumes one),
 *   DNS answers and connections.
 *
 * Locks make it safe from the caller's thread and the network thread.
 */
struct netshare;

/*
 * ca_file: the PEM bundle to trust ([azure] ca_file), or NULL for
 * libcurl's built-in one. Nothing is read yet.
 */
int netshare_new(const char *ca_file, struct netshare **ret,
		 struct err_detail *d);
/* Free after every handle that used it is gone. Accepts NULL. */
void netshare_free(struct netshare *n);

/*
 * Point e at n: the share handle, no CA file or directory of libcurl's
 * own, and the store handed over when a TLS connection is set up. Call
 * after curl_easy_reset(). n may be NULL: libcurl's defaults.
 */
void netshare_apply(struct netshare *n, CURL *e);

/* Why the CA bundle could not be read ("" when it could), for messages. */
const char *netshare_error(struct netshare *n);

struct netshare_stats {
	long ca_loads;		/* bundles read (one per run is the point) */
	long handshakes;	/* TLS handshakes completed */
	long resumed;		/* of them, with a session resumed */
	char ca_file[256];	/* the bundle, as named */
};

void netshare_stats(struct netshare *n, struct netshare_stats *ret);
