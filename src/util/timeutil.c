#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void time_iso(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void time_now_iso(char out[21])
{
	const char *fake = getenv("AMLFS_AUDIT_NOW");
	time_t t;

	/* Tests pin the clock; only an ISO date-time is accepted. */
	if (fake && time_parse_iso(fake, &t) == 0) {
		time_iso(t, out);
		return;
	}
	time_iso(time(NULL), out);
}

static int digits(const char *s, int n, int *ret)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

int time_parse_iso(const char *s, time_t *ret)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	const char *p;

	if (!s || strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
		return -EINVAL;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
			return -EINVAL;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -EINVAL;
			p += 3;
			if (*p == '.')
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;

			if (digits(p + 1, 2, &oh) || p[3] != ':' ||
			    digits(p + 4, 2, &om))
				return -EINVAL;
			off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
			p += 6;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*ret = timegm(&tm) - off;
	return 0;
}

int time_month_range(const char *month, char from[11], char to[11])
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };
	int y, m, last;

	if (!month || (strlen(month) != 7 && strlen(month) != 10) ||
	    digits(month, 4, &y) || month[4] != '-' || digits(month + 5, 2, &m) ||
	    m < 1 || m > 12 || y < 1970)
		return -EINVAL;
	last = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) ||
					 y % 400 == 0));
	memcpy(from, month, 7);
	memcpy(from + 7, "-01", 4);
	memcpy(to, month, 7);
	to[7] = '-';
	to[8] = (char)('0' + last / 10);
	to[9] = (char)('0' + last % 10);
	to[10] = '\0';
	return 0;
}

void time_month_before(time_t t, int back, char out[8])
{
	struct tm tm;
	int y, m;

	gmtime_r(&t, &tm);
	m = tm.tm_mon - back % 12;
	y = tm.tm_year + 1900 - back / 12;
	if (m < 0) {
		m += 12;
		y--;
	}
	/* Years 1970 to 9999: four digits, written by hand for the compiler. */
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + (m + 1) / 10);
	out[6] = (char)('0' + (m + 1) % 10);
	out[7] = '\0';
}
