#include "util/hash.h"

#include <string.h>

#include <openssl/evp.h>

#include "util/err.h"

/*
 * Small updates (a run hash writes a type byte and a length per value)
 * are gathered into buf and given to libcrypto 4 KiB at a time: a call
 * per 9 bytes cost more than the hashing.
 */
#define HASH_BUF 4096

struct hash_ctx {
	EVP_MD_CTX *md;
	int failed;
	size_t n;
	unsigned char buf[HASH_BUF];
};

static void flush(struct hash_ctx *h)
{
	if (h->n && EVP_DigestUpdate(h->md, h->buf, h->n) != 1)
		h->failed = 1;
	h->n = 0;
}

struct hash_ctx *hash_init(void)
{
	struct hash_ctx *h = OPENSSL_zalloc(sizeof(*h));

	if (!h)
		return NULL;
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		hash_free(h);
		return NULL;
	}
	return h;
}

void hash_update(struct hash_ctx *h, const void *data, size_t len)
{
	if (len <= HASH_BUF - h->n) {
		if (len)
			memcpy(h->buf + h->n, data, len);
		h->n += len;
		return;
	}
	flush(h);
	if (len < HASH_BUF) {
		memcpy(h->buf, data, len);
		h->n = len;
	} else if (EVP_DigestUpdate(h->md, data, len) != 1)
		h->failed = 1;
}

void hash_field(struct hash_ctx *h, const char *s)
{
	static const char nul = '\0';

	if (s)
		hash_update(h, s, __builtin_strlen(s));
	else
		hash_update(h, "\x01", 1);	/* NULL differs from "" */
	hash_update(h, &nul, 1);
}

int hash_final(struct hash_ctx *h, char out[SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	int r = 0;

	flush(h);
	if (h->failed || EVP_DigestFinal_ex(h->md, md, &n) != 1 || n != 32) {
		r = -ERR_CRYPTO;
		goto out;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
out:
	hash_free(h);
	return r;
}

void hash_free(struct hash_ctx *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md);
	OPENSSL_free(h);
}

int sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	struct hash_ctx *h = hash_init();

	if (!h)
		return -ERR_CRYPTO;
	hash_update(h, data, len);
	return hash_final(h, out);
}
