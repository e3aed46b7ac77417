#include "azure/jwt.h"

#include <stdlib.h>
#include <string.h>

#include "util/num.h"
#include "util/xalloc.h"

/*
 * See jwt.h: no signature check. The token arrived over TLS from Entra ID
 * (or a local credential source) and we only read tid/oid/appid/aud/exp
 * from it for the record; Resource Manager verifies it on every call.
 */

/* Value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int jwt_b64url_decode(const char *s, size_t len, struct sbuf *out)
{
	unsigned char group[3];
	unsigned long acc = 0;
	size_t i, n;
	int bits = 0, r;

	/* Padding, when present, must complete the last group of four. */
	n = len;
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n < len && (len % 4 != 0 || len - n > 2))
		return -EINVAL;
	if (n % 4 == 1)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)s[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			group[0] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
			r = sbuf_add(out, group, 1);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int jwt_payload(const char *token, json_t **ret_claims, struct err_detail *d)
{
	struct sbuf raw = SBUF_INIT;
	const char *p1, *p2;
	json_t *claims = NULL;
	int r;

	p1 = strchr(token, '.');
	p2 = p1 ? strchr(p1 + 1, '.') : NULL;
	if (!p1 || !p2 || strchr(p2 + 1, '.') || p2 == p1 + 1) {
		err_set(d, "the token is not a JWT (header.payload.signature)");
		r = -EINVAL;
		goto out;
	}
	sbuf_init(&raw, 64 * 1024);
	r = jwt_b64url_decode(p1 + 1, (size_t)(p2 - p1 - 1), &raw);
	if (r < 0) {
		err_set(d, "the token's payload is not base64url");
		goto out;
	}
	claims = json_loadb(raw.buf, raw.len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(claims)) {
		err_set(d, "the token's payload is not a JSON object");
		r = -ERR_JSON;
		goto out;
	}
	*ret_claims = claims;
	claims = NULL;
	r = 0;
out:
	json_decref(claims);
	sbuf_release(&raw);
	return r;
}

static char *claim_str(json_t *claims, const char *name)
{
	json_t *v = json_object_get(claims, name);

	if (json_is_array(v))
		v = json_array_get(v, 0);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

int jwt_claims_parse(const char *token, struct jwt_claims *c,
		     struct err_detail *d)
{
	json_t *claims, *exp;
	int r;

	jwt_claims_release(c);
	r = jwt_payload(token, &claims, d);
	if (r < 0)
		return r;
	c->tid = claim_str(claims, "tid");
	c->oid = claim_str(claims, "oid");
	c->appid = claim_str(claims, "appid");
	if (!c->appid)
		c->appid = claim_str(claims, "azp");
	c->aud = claim_str(claims, "aud");
	exp = json_object_get(claims, "exp");
	/* An exp out of range is no exp: the token is treated as unknown. */
	if (json_is_integer(exp))
		num_seconds_int((long long)json_integer_value(exp), &c->exp);
	else if (json_is_real(exp))
		num_seconds(json_real_value(exp), &c->exp);
	json_decref(claims);
	return 0;
}

void jwt_claims_release(struct jwt_claims *c)
{
	free(c->tid);
	free(c->oid);
	free(c->appid);
	free(c->aud);
	memset(c, 0, sizeof(*c));
}
