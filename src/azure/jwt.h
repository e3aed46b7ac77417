#pragma once
#include <jansson.h>
#include <stddef.h>

#include "util/err.h"
#include "util/sbuf.h"

/*
 * Reading the claims of a JSON Web Token (compact form,
 * header.payload.signature).
 *
 * No signature is checked, on purpose: the tokens we decode came over TLS
 * straight from Entra ID (or from the Azure CLI, managed identity, or the
 * operator), and their claims are only read to record who we are (tid,
 * oid, appid) and when the token expires. Nothing here decides access;
 * Azure Resource Manager checks the signature of every token it is given.
 */

/*
 * Decode len bytes of base64url (RFC 4648 section 5: '-' and '_', with or
 * without '=' padding) and append them to out. Returns 0, -EINVAL when s
 * is not base64url (a character outside the alphabet, '+' or '/', a
 * length that cannot be, wrong padding), or -ERR_TOO_LARGE when out has a
 * max and the result passes it.
 */
int jwt_b64url_decode(const char *s, size_t len, struct sbuf *out);

/*
 * The payload of token as a new JSON object. Fails with -EINVAL when token
 * is not three dot-separated base64url parts, -ERR_JSON when the payload
 * is not a JSON object. d never quotes the token.
 */
int jwt_payload(const char *token, json_t **ret_claims, struct err_detail *d);

/* The claims we record. Strings are NULL when the claim is absent. */
struct jwt_claims {
	char *tid;		/* tenant */
	char *oid;		/* object id of the principal */
	char *appid;		/* appid (v1 tokens), else azp (v2) */
	char *aud;		/* audience; the first one when it is a list */
	long long exp;		/* Unix seconds, 0 when absent */
};

#define JWT_CLAIMS_INIT { NULL, NULL, NULL, NULL, 0 }

/* Fill c (released first) from token's payload; errors as jwt_payload(). */
int jwt_claims_parse(const char *token, struct jwt_claims *c,
		     struct err_detail *d);
/* Free the strings; c is left as JWT_CLAIMS_INIT. */
void jwt_claims_release(struct jwt_claims *c);
