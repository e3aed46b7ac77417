#include "util/num.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int num_parse_decimal(const char *s, double *ret)
{
	const char *p = s;
	int ints = 0, fracs = 0, exps = 0;
	char *end;
	double v;

	if (!s || strlen(s) > 40)
		return -EINVAL;
	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, ints++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			fracs++;
	if (!ints || ints > 15 || ints + fracs > 18)
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
