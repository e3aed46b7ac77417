#pragma once
#include <stddef.h>

#define SHA256_HEX_LEN 64

/*
 * Incremental SHA-256 over libcrypto's EVP interface. hash_init() returns
 * NULL only when libcrypto fails; the caller owns the context and frees it
 * with hash_final() (which also writes 64 lowercase hex digits and a NUL
 * into out) or hash_free().
 */
struct hash_ctx;

struct hash_ctx *hash_init(void);
void hash_update(struct hash_ctx *h, const void *data, size_t len);
/* Add s followed by a NUL separator, so field boundaries are unambiguous. */
void hash_field(struct hash_ctx *h, const char *s);
int hash_final(struct hash_ctx *h, char out[SHA256_HEX_LEN + 1]);
void hash_free(struct hash_ctx *h);

/* One-shot SHA-256 of a buffer into hex. Returns 0 or -ERR_CRYPTO. */
int sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
