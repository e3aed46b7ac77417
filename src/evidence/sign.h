#pragma once
#include <stddef.h>

#include "util/err.h"
#include "util/hash.h"

/*
 * Ed25519 keys and signatures for evidence packs, over libcrypto's EVP
 * interface. Keys are PEM files: the private key PKCS#8 ("BEGIN PRIVATE
 * KEY"), the public key SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"), as
 * `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write
 * them. A signature is the raw 64 bytes, as `openssl pkeyutl -sign
 * -rawin` writes it.
 */
#define SIGN_LEN 64

struct sign_key;

/*
 * Load the private key at path. Refused (-ERR_CONFIG, d names the path):
 * a file group or others may read or write, one that is not a regular
 * file, larger than 64 KiB, not PEM, or not Ed25519.
 */
int sign_load_private(const char *path, struct sign_key **ret,
		      struct err_detail *d);

/* Load a public key (PEM); -ERR_CONFIG when it is not Ed25519. */
int sign_load_public(const char *path, struct sign_key **ret,
		     struct err_detail *d);

void sign_key_free(struct sign_key *k);

/*
 * SHA-256 of the key's public half in DER (SubjectPublicKeyInfo): what
 * `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum` prints.
 */
int sign_key_id(const struct sign_key *k, char out[SHA256_HEX_LEN + 1]);

/* Sign data with a private key into sig; 0 or -ERR_CRYPTO. */
int sign_data(const struct sign_key *k, const void *data, size_t len,
	      unsigned char sig[SIGN_LEN]);

/* 0 when sig (len bytes) is k's signature of data, else -ERR_VERIFY. */
int sign_check(const struct sign_key *k, const void *data, size_t len,
	       const void *sig, size_t siglen);

/*
 * Make a key pair: the private key at prefix (created 0600 with O_EXCL:
 * never over an existing file) and the public key at prefix.pub (0644).
 * Neither is written when either exists (-EEXIST, d names it); nothing is
 * left behind on failure.
 */
int sign_keygen(const char *prefix, struct err_detail *d);
