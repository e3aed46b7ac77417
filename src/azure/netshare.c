#include "azure/netshare.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct netshare {
	CURLSH *sh;
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t mu;	/* the fields below */
	char *ca_file;
	X509_STORE *store;	/* NULL until the first TLS connection */
	int failed;		/* the bundle could not be read: no retry */
	char error[512];
	long ca_loads, handshakes, resumed;
};

static void lock_cb(CURL *e, curl_lock_data data, curl_lock_access access,
		    void *ctx)
{
	struct netshare *n = ctx;

	(void)e;
	(void)access;
	pthread_mutex_lock(&n->locks[data]);
}

static void unlock_cb(CURL *e, curl_lock_data data, void *ctx)
{
	struct netshare *n = ctx;

	(void)e;
	pthread_mutex_unlock(&n->locks[data]);
}

int netshare_new(const char *ca_file, struct netshare **ret,
		 struct err_detail *d)
{
	struct netshare *n = xcalloc(1, sizeof(*n));
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	int i;

	if (!ca_file)
		ca_file = v->cainfo;
	if (!ca_file) {
		free(n);
		err_set(d, "libcurl names no CA bundle: set [azure] ca_file");
		return -ERR_CONFIG;
	}
	n->sh = curl_share_init();
	if (!n->sh) {
		free(n);
		err_set(d, "cannot create a curl share handle");
		return -ERR_TRANSPORT;
	}
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&n->locks[i], NULL);
	pthread_mutex_init(&n->mu, NULL);
	n->ca_file = xstrdup(ca_file);
	curl_share_setopt(n->sh, CURLSHOPT_LOCKFUNC, lock_cb);
	curl_share_setopt(n->sh, CURLSHOPT_UNLOCKFUNC, unlock_cb);
	curl_share_setopt(n->sh, CURLSHOPT_USERDATA, n);
	curl_share_setopt(n->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(n->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(n->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	*ret = n;
	return 0;
}

void netshare_free(struct netshare *n)
{
	int i;

	if (!n)
		return;
	curl_share_cleanup(n->sh);
	X509_STORE_free(n->store);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&n->locks[i]);
	pthread_mutex_destroy(&n->mu);
	free(n->ca_file);
	free(n);
}

/* The store, read on first use; NULL when the bundle cannot be read. */
static X509_STORE *ca_store(struct netshare *n)
{
	X509_STORE *st;
	unsigned long e;

	pthread_mutex_lock(&n->mu);
	if (!n->store && !n->failed) {
		n->ca_loads++;
		st = X509_STORE_new();
		ERR_clear_error();
		if (st && X509_STORE_load_file(st, n->ca_file) == 1) {
			n->store = st;
		} else {
			e = ERR_peek_last_error();
			snprintf(n->error, sizeof(n->error), "cannot read CA "
				 "bundle '%.300s': %s", n->ca_file,
				 e ? ERR_reason_error_string(e) : "no certificates");
			X509_STORE_free(st);
			n->failed = 1;
		}
		ERR_clear_error();
	}
	st = n->store;
	pthread_mutex_unlock(&n->mu);
	return st;
}

static void on_tls_info(const SSL *ssl, int where, int ret)
{
	struct netshare *n = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_DONE) || !n)
		return;
	pthread_mutex_lock(&n->mu);
	n->handshakes++;
	if (SSL_session_reused((SSL *)ssl))
		n->resumed++;
	pthread_mutex_unlock(&n->mu);
}

/* Each new TLS connection's context, before its handshake. */
static CURLcode on_ssl_ctx(CURL *e, void *sslctx, void *arg)
{
	struct netshare *n = arg;
	SSL_CTX *ctx = sslctx;
	X509_STORE *st = ca_store(n);

	(void)e;
	if (!st)
		return CURLE_SSL_CACERT_BADFILE;
	SSL_CTX_set1_cert_store(ctx, st);
	SSL_CTX_set_app_data(ctx, n);
	SSL_CTX_set_info_callback(ctx, on_tls_info);
	return CURLE_OK;
}

void netshare_apply(struct netshare *n, CURL *e)
{
	if (!n)
		return;
	curl_easy_setopt(e, CURLOPT_SHARE, n->sh);
	/* libcurl reads nothing itself; on_ssl_ctx() hands over the store. */
	curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, n);
}

const char *netshare_error(struct netshare *n)
{
	const char *s;

	if (!n)
		return "";
	pthread_mutex_lock(&n->mu);
	s = n->error;	/* written once, before failed is set */
	pthread_mutex_unlock(&n->mu);
	return s;
}

void netshare_stats(struct netshare *n, struct netshare_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	ret->ca_loads = n->ca_loads;
	ret->handshakes = n->handshakes;
	ret->resumed = n->resumed;
	snprintf(ret->ca_file, sizeof(ret->ca_file), "%s", n->ca_file);
	pthread_mutex_unlock(&n->mu);
}
