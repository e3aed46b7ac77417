#include "util/num.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int num_parse_decimal(const char *s, double *ret)
{
	const char *p = s;
	int digits = 0, ints = 0, fracs = 0, exps = 0;
	char *end;
	double v;

	if (!s || strlen(s) > NUM_MAX_TEXT)
		return -EINVAL;
	if (*p == '-')
		p++;
	/* Whole digits count from the first that is not a leading zero. */
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		ints += ints || *p != '0';
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			fracs++;
	/*
	 * Exports print up to 16 decimals (0.0411290322580645) and costs of
	 * thousands with them: 15 significant whole digits, 24 decimals.
	 */
	if (!digits || ints > 15 || fracs > 24)
		return -EINVAL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		while (*p >= '0' && *p <= '9')
			p++, exps++;
		if (exps < 1 || exps > 2 || abs(atoi(p - exps)) > 20)
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);	/* the C locale: '.' is the separator */
	if (*end || errno || !isfinite(v))
		return -EINVAL;
	*ret = v;
	return 0;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		unsigned c = *p++, need, min, cp;

		if (c < 0x80) {
			if (!c)
				return 0;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return 0;
		if ((size_t)(e - p) < need)
			return 0;
		while (need--) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (*p++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

int currency_code_ok(const char *s)
{
	return s && strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' &&
	       s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z';
}

int num_seconds(double v, long long *ret)
{
	/* Compared as doubles first: casting an out-of-range double to an
	 * integer is undefined. */
	if (!isfinite(v) || v < 0 || v > (double)NUM_MAX_SECONDS)
		return -EINVAL;
	*ret = (long long)v;
	return 0;
}

int num_seconds_int(long long v, long long *ret)
{
	if (v < 0 || v > NUM_MAX_SECONDS)
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * The n digits d with the decimal exponent exp in fixed notation, into
 * out (32 bytes at least, as -6 <= exp <= 20 and n <= 17): 1234 with exp
 * 5 is "123400", with exp 1 "12.34", with exp -2 "0.01234".
 */
static char *fixed_text(char *out, const char *d, int n, long exp)
{
	long i;

	if (exp < 0) {
		*out++ = '0';
		*out++ = '.';
		for (i = -1; i > exp; i--)
			*out++ = '0';
		memcpy(out, d, (size_t)n);
		return out + n;
	}
	for (i = 0; i < n || i <= exp; i++) {
		if (i == exp + 1)
			*out++ = '.';
		*out++ = i < n ? d[i] : '0';
	}
	return out;
}

/*
 * (Documented in util/num.h.) For a normal double, a form of 15 digits or fewer that reads
 * back is the 15-digit one less its trailing zeros (DBL_DIG), so three
 * tries are enough.
 */
void num_shortest(double v, char buf[64])
{
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	locale_t old = c ? uselocale(c) : (locale_t)0;
	char digits[24], *out = buf;
	int prec, n = 0;
	const char *p;
	long exp;

	if (!isfinite(v)) {
		snprintf(buf, 64, "%s", isnan(v) ? "NaN" :
			 v < 0 ? "-Infinity" : "Infinity");
		goto out;
	}
	prec = (v < 0 ? -v : v) < DBL_MIN ? 1 : 15; /* subnormals: fewer */
	for (; prec < 17; prec++) {
		snprintf(buf, 64, "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, 64, "%.*e", prec - 1, v);
	for (p = buf; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && n < (int)sizeof(digits))
			digits[n++] = *p;
	exp = *p ? strtol(p + 1, NULL, 10) : 0;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	if (buf[0] == '-')
		*out++ = '-';
	if (exp >= -6 && exp < 21) {
		out = fixed_text(out, digits, n, exp);
		*out = '\0';
	} else {
		*out++ = digits[0];
		if (n > 1)
			*out++ = '.';
		memcpy(out, digits + 1, (size_t)n - 1);
		out += n - 1;
		snprintf(out, 64 - (size_t)(out - buf), "e%c%02d",
			 exp < 0 ? '-' : '+', (int)(exp < 0 ? -exp : exp));
	}
out:
	if (c) {
		uselocale(old);
		freelocale(c);
	}
}

/*
 * The digits of a text num_parse_decimal() accepted, scaled to micro-units
 * and rounded half to even, with no double on the way: "0.1" is 100000,
 * "1.0000005" 1000000, "1.0000015" 1000002, "-2.5e-6" -2.
 */
int num_parse_micros(const char *s, long long *ret)
{
	unsigned long long acc = 0;
	const char *p = s;
	char dig[NUM_MAX_TEXT];
	int n = 0, ints = 0, exp = 0, k, i, neg = 0, up = 0, rest = 0;
	double v;

	if (num_parse_decimal(s, &v) < 0)
		return -EINVAL;
	if (*p == '-')
		neg = 1, p++;
	for (; *p >= '0' && *p <= '9'; p++)
		dig[n++] = *p, ints++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			dig[n++] = *p;
	if (*p == 'e' || *p == 'E')
		exp = atoi(p + 1);	/* checked: at most two digits */
	k = ints + exp + 6;		/* digits before the micro-unit point */
	for (i = 0; i < k; i++) {
		unsigned d = i < n ? (unsigned)(dig[i] - '0') : 0;

		if (acc > (9223372036854775807ULL - d) / 10)
			return -ERANGE;
		acc = acc * 10 + d;
	}
	/* Half to even on the digits left: the first decides, the rest tie. */
	if (k >= 0 && k < n) {
		for (i = k + 1; i < n; i++)
			rest |= dig[i] != '0';
		up = dig[k] > '5' || (dig[k] == '5' && (rest || (acc & 1)));
	}
	if (up && acc == 9223372036854775807ULL)
		return -ERANGE;
	acc += (unsigned long long)up;
	*ret = neg ? -(long long)acc : (long long)acc;
	return 0;
}

int num_micros_of_double(double v, long long *ret)
{
	char buf[64];

	num_shortest(v, buf);
	return num_parse_micros(buf, ret);
}
